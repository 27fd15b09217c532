"""Claims on two independent draws (other seeds, another training subset): which held on both, which on one.

A reproduction that holds on one draw of seeds and data and not on another was lucky. Given the claims
tables (``claims.csv``) of two builds of the same experiments, :func:`compare_draws` puts the verdicts side
by side and flags every claim that was ``reproduced`` on one draw but only ``direction only`` or
``inconclusive`` (or worse) on the other, so a report can say so next to the claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from repro.calibration import SEED_OFFSET  # noqa: F401  (re-exported: the workflow reads it here)
from repro.claims.arms import named_variants
from repro.claims.verdicts import NOT_EVALUABLE, REPRODUCED

KEYS = ["experiment", "id"]
# The second draw: other seeds (each first-draw seed + SEED_OFFSET, set in repro.calibration), another
# fixed training subset (data.subset_seed), run under results/{scale}/runs/{experiment}{SUFFIX}/ and tabled
# as {experiment}{SUFFIX}.
SUBSET_SEED = 1
SUFFIX = ".draw2"
ROBUSTNESS_COLUMNS = [*KEYS, "statement", "asserted", "first", "second", "robust", "flag"]


def draw_variants(claims: list[Mapping[str, Any]], scale: str, variants: list[str]) -> list[str]:
    """The variants the claims asserted at ``scale`` compare (all of them if an arm selects by ``where``)."""
    asserted = [c for c in claims if scale in (c.get("assert_at") or [])]
    if not asserted:
        return []
    named = named_variants([c.get("checks") or [] for c in asserted], variants)
    return list(variants) if named is None else [v for v in variants if v in named]


def _verdicts(claims: pd.DataFrame, column: str) -> pd.DataFrame:
    return claims[[*KEYS, "result"]].rename(columns={"result": column})


def compare_draws(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """One row per claim of ``first``: its verdict on each draw, whether it held on both, and a flag.

    ``robust`` is True when the claim was reproduced on both draws; ``flag`` names what happened when it
    was reproduced on exactly one (e.g. "reproduced on the first draw only; direction only on the
    second"). A claim missing from the second table reads "not evaluable" there.
    """
    merged = first[[*KEYS, "statement", "asserted"]].merge(_verdicts(first, "first"), on=KEYS)
    merged = merged.merge(_verdicts(second, "second"), on=KEYS, how="left")
    merged["second"] = merged["second"].fillna(NOT_EVALUABLE)
    held_first = merged["first"] == REPRODUCED
    held_second = merged["second"] == REPRODUCED
    merged["robust"] = held_first & held_second

    def flag(row: pd.Series) -> str:
        if (row["first"] == REPRODUCED) == (row["second"] == REPRODUCED):
            return ""
        which, other = ("first", "second") if row["first"] == REPRODUCED else ("second", "first")
        return f"reproduced on the {which} draw only; {row[other]} on the {other}"

    merged["flag"] = merged.apply(flag, axis=1) if len(merged) else pd.Series(dtype=str)
    return merged[ROBUSTNESS_COLUMNS].reset_index(drop=True)


def with_second_draw(claims: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """claims.csv plus ``second_draw`` (the verdict there) and ``draw_flag`` for each asserted claim.

    Claims that are not asserted at this scale were not rerun: their ``second_draw`` is blank.
    """
    asserted = claims[claims["asserted"].astype(bool)]
    compared = compare_draws(asserted, second)[[*KEYS, "second", "flag"]]
    compared = compared.rename(columns={"second": "second_draw", "flag": "draw_flag"})
    return claims.merge(compared, on=KEYS, how="left")
