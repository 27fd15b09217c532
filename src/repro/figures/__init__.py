"""Figures of the report: each paper's plug-in (repro.papers) registers them; one tidy table draws each.

This package holds only what every paper shares: the plotting style (``style``), the seed-band helpers
(``common``) and :func:`make_figure`, which the figure rules call.
"""

from __future__ import annotations

from pathlib import Path

from repro.baselines.floor import attach_floor, read_floor
from repro.papers import figure_function
from repro.tables import read_table


def make_figure(
    name: str, table_csv: Path, out_pdf: Path, paper: str | None = None, floor_csv: Path | None = None
) -> None:
    """Draw the registered figure ``name`` (of ``paper``, or of any) from a tidy table into ``out_pdf``.

    ``floor_csv``, the experiment's trained floor (repro.baselines), rides on the table as
    ``table.attrs['linear_floor']`` so the figure functions keep their ``fn(table, out_pdf)`` signature.
    """
    function = figure_function(name, paper)
    table = read_table(table_csv)
    attach_floor(table, read_floor(Path(floor_csv)) if floor_csv else None)
    function(table, Path(out_pdf))
