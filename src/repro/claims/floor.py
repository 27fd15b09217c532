"""The trained floor: a classification claim is judged only on nets that beat a linear classifier.

A net that errs more than multinomial logistic regression on the same training images says little about
what deep nets do, so a claim whose favoured arm (the arm it says is better) ends with a test error at or
above the linear classifier's reads "not evaluable: under-trained", with both errors, whatever its checks
found. The floor itself is fitted by ``repro.baselines`` (one row per training set in
``results/{scale}/baselines/{experiment}/linear.csv``); this module only reads it.

Which arms are favoured, per check kind: the first arm of each pair (pairwise_less, range_less,
dominates), the first of an order (ordering, steps_to_reach), both arms of an equivalence (within), every
arm with a paper number (near_reference), an arm bounded from above (bound with ``max``: "trains to ..."),
and the best point of a sweep (flat, monotone, argmin, crossover). Arms a claim expects to fail (bound with
only ``min``, diverges) are judged by the claim, not by the floor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from repro.analysis import as_spec, rows_where
from repro.baselines import floor_for_variant
from repro.claims.arms import Arm, parse_arm, seed_values

UNDER_TRAINED = "not evaluable: under-trained"
FINAL_TEST_ERROR = {"split": "test", "metric": "error", "reduce": "final"}
SWEEP_KINDS = ("flat", "monotone", "argmin", "crossover")


@dataclass(frozen=True)
class FloorCheck:
    """The favoured arm closest to the floor: its final test error (mean over seeds) and the floor's."""

    arm: str
    error: float
    floor: float
    n_train: int

    @property
    def under(self) -> bool:
        """Whether the arm does not beat the linear classifier."""
        return not self.error < self.floor

    def text(self) -> str:
        """'<arm> 21.84% test error vs linear classifier 17.03% (10000 training images)'."""
        return (
            f"{self.arm} {self.error:.2f}% test error vs linear classifier {self.floor:.2f}% "
            f"({self.n_train} training images)"
        )


def favoured_arms(check: Mapping[str, Any]) -> list[Arm]:
    """The arms a check expects to be better (for a sweep: every arm its selectors match)."""
    kind = check["kind"]
    if kind in ("pairwise_less",):
        return [parse_arm(a) for a, _ in check["pairs"]]
    if kind in ("range_less", "dominates"):
        return [parse_arm(check["pair"][0])]
    if kind in ("ordering", "steps_to_reach"):
        return [parse_arm(check["order"][0])]
    if kind == "within":
        return [parse_arm(a) for a in check["pair"]]
    if kind == "near_reference":
        return [parse_arm(a) for a in check["reference"]]
    if kind == "bound":
        return [parse_arm(a) for a in check["variants"]] if "max" in check else []
    if kind in SWEEP_KINDS:
        selectors = [check.get("where") or {}]
        if kind == "crossover":
            selectors = [{**selectors[0], **parse_arm(a).filters} for a in check["pair"]]
        return [Arm(label="sweep", where=tuple(s.items())) for s in selectors if s]
    return []  # diverges and checks on what arms expected to fail do not need trained nets


def _arm_errors(table: pd.DataFrame, arm: Arm) -> dict[str, float]:
    """Variant -> mean final test error over seeds, for every variant the arm selects."""
    spec = as_spec(FINAL_TEST_ERROR)
    if arm.variant is not None:
        values = seed_values(table, spec, arm)
        return {arm.variant: float(values.mean())} if not values.empty else {}
    rows = rows_where(table, arm.filters)
    out = {}
    for variant in sorted(rows["variant"].unique()) if "variant" in rows else []:
        values = seed_values(table, spec, parse_arm(str(variant)))
        if not values.empty:
            out[str(variant)] = float(values.mean())
    return out


def floor_check(
    claim: Mapping[str, Any], table: pd.DataFrame, floor: pd.DataFrame | None
) -> FloorCheck | None:
    """The claim's favoured arm nearest the floor (the worst of them, or a sweep's best point), or None.

    None when there is no floor, the claim favours no arm, or no favoured arm has a final test error.
    """
    if floor is None or floor.empty or "split" not in table:
        return None
    found: list[FloorCheck] = []
    for check in claim["checks"]:
        for arm in favoured_arms(check):
            errors = _arm_errors(table, arm)
            if not errors:
                continue
            # A sweep needs only its best point past the floor; a named arm must be past it itself.
            variant = min(errors, key=errors.get) if arm.variant is None else arm.variant
            row = floor_for_variant(floor, variant)
            if row is None:
                continue
            label = arm.label if arm.variant is not None else f"{variant} (best of the sweep)"
            found.append(FloorCheck(label, errors[variant], float(row["test_error"]), int(row["n_train"])))
    if not found:
        return None
    return max(found, key=lambda f: f.error - f.floor)  # the one closest to, or furthest past, the floor
