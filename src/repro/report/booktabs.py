r"""The one writer of booktabs tables: rules in their places, cells joined by ``&``, rows ended by ``\\``.

A row is given either as its cells (a sequence of LaTeX strings, already escaped) or as one line taken as it
is: a rule such as ``\addlinespace`` or ``\cmidrule``, a ``\multicolumn`` row, a head row written whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from repro.report.latex import write_text

TOPRULE, MIDRULE, BOTTOMRULE = r"\toprule", r"\midrule", r"\bottomrule"
ADDLINESPACE = r"\addlinespace"

Row = str | Sequence[str]  # a line as it is, or the cells of one row


def table_row(cells: Sequence[str]) -> str:
    r"""One table row: ``cells`` joined by `` & `` and ended by `` \\``."""
    return " & ".join(cells) + r" \\"


def lines_of(rows: Iterable[Row]) -> list[str]:
    """Rows as lines: a string stays as it is, a sequence of cells becomes :func:`table_row`."""
    return [r if isinstance(r, str) else table_row(r) for r in rows]


def head(rows: Iterable[Row]) -> list[str]:
    """A table's head: the top rule, the head rows, the mid rule (a longtable repeats it on each page)."""
    return [TOPRULE, *lines_of(rows), MIDRULE]


def tabular(columns: str, head_rows: Iterable[Row], body: Iterable[Row], comment: str | None = None) -> str:
    """A whole booktabs tabular as text ending in a newline, after the ``comment`` line when given."""
    lines = [comment] if comment else []
    lines += [rf"\begin{{tabular}}{{{columns}}}", *head(head_rows), *lines_of(body)]
    lines += [BOTTOMRULE, r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def write_tabular(
    out_tex: Path, columns: str, head_rows: Iterable[Row], body: Iterable[Row], comment: str | None = None
) -> Path:
    """Write :func:`tabular` to ``out_tex`` atomically; returns the path."""
    return write_text(Path(out_tex), tabular(columns, head_rows, body, comment))
