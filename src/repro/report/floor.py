"""The trained floor in the papers' LaTeX tables: a "linear classifier (floor)" row under the nets' rows.

The floor (repro.baselines) is attached to the tidy table a table function receives; these helpers look
up its numbers for the variants a column or row reports and format the row, so every paper's table shows
the floor the same way. Without a floor (a hand call, an experiment with ``floor: {kind: none}``) they
add nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from repro.baselines.floor import LABEL, floor_for_variant, linear_floor
from repro.report.booktabs import MIDRULE, table_row
from repro.report.latex import fmt_number, latex_escape

FLOOR_ROW = f"{LABEL} (floor)"  # "linear classifier (floor)"


def floor_value(
    table: pd.DataFrame,
    variants: Iterable[str | None] | None = None,
    column: str = "test_error",
    accuracy: bool = False,
) -> float | None:
    """The floor's ``column`` (percent) for the training set of the first of ``variants`` it covers.

    With no ``variants``: the floor's only row (None when there are several training sets, which a
    single cell cannot stand for). ``accuracy`` gives 100 minus the error.
    """
    floor = linear_floor(table)
    if floor is None or floor.empty:
        return None
    if variants is None:
        row = floor.iloc[0].to_dict() if len(floor) == 1 else None
    else:
        row = next((r for v in variants if v and (r := floor_for_variant(floor, str(v)))), None)
    if row is None or row.get(column) is None or pd.isna(row[column]):
        return None
    value = float(row[column])
    return 100.0 - value if accuracy else value


def floor_cell(
    table: pd.DataFrame,
    variants: Iterable[str | None] | None = None,
    column: str = "test_error",
    accuracy: bool = False,
    decimals: int = 2,
) -> str:
    """:func:`floor_value` formatted for a table cell ('--' when the floor has no such number)."""
    return fmt_number(floor_value(table, variants, column, accuracy), decimals)


def has_floor(table: pd.DataFrame) -> bool:
    """Whether a floor is attached to ``table``."""
    floor = linear_floor(table)
    return floor is not None and not floor.empty


def floor_row(cells: list[str], label: str = FLOOR_ROW) -> list[str]:
    """The LaTeX lines of the floor row: a rule, then ``label`` and ``cells`` (already LaTeX)."""
    return [MIDRULE, table_row([latex_escape(label), *cells])]
