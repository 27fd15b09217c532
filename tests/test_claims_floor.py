"""The trained floor in claims: a claim whose favoured arm does not beat a linear classifier."""

from __future__ import annotations

import pandas as pd

from repro.claims import evaluate_claims
from repro.claims.floor import UNDER_TRAINED, favoured_arms, floor_check
from repro.report.claims_table import shortfall_paragraph

TEST = {"split": "test", "metric": "error", "reduce": "final"}


def table(errors: dict[str, list[float]]) -> pd.DataFrame:
    """Final test errors per variant and seed (one evaluation each, all runs completed)."""
    rows = [
        {"variant": v, "seed": s, "source": "metrics", "step": 100, "split": "test", "metric": "error",
         "value": e, "status": "completed"}
        for v, values in errors.items() for s, e in enumerate(values)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def floor(test_error: float, variants: str = "good bad deep") -> pd.DataFrame:
    return pd.DataFrame([{"experiment": "toy", "training_set": "n1000", "variants": variants, "n_train": 1000,
                          "test_error": test_error, "train_error": test_error - 2}])  # fmt: skip


EXPERIMENT = {
    "name": "toy",
    "paper": {"key": "toy"},
    "scales": {"quick": {"calibration": {"seeds": [0, 1, 2]}}},
    "claims": [
        {"id": "C1", "statement": "good beats bad", "assert_at": ["quick"],
         "checks": [{"kind": "pairwise_less", "pairs": [["good", "bad"]], "metric": TEST}]},
        {"id": "C2", "statement": "bad does not train", "assert_at": [],
         "not_asserted": {"quick": {"because": "calibration", "note": "held in 1/3 seeds"}},
         "checks": [{"kind": "bound", "variants": ["bad"], "min": 50.0, "metric": TEST}]},
    ],
}  # fmt: skip


def test_a_claim_whose_better_arm_is_under_the_floor_is_not_evaluable() -> None:
    runs = table({"good": [20.0, 21.0, 22.0], "bad": [60.0, 62.0, 61.0]})
    plain = evaluate_claims(EXPERIMENT, runs, "quick").set_index("id")
    assert plain.loc["C1", "result"] == "reproduced"
    claims = evaluate_claims(EXPERIMENT, runs, "quick", floor=floor(17.0)).set_index("id")
    row = claims.loc["C1"]
    assert row["result"] == UNDER_TRAINED
    assert "good 21.00% test error vs linear classifier 17.00%" in row["measured"]
    assert row["floor_arm_error"] == 21.0 and row["floor_error"] == 17.0
    assert row["evidence"]  # the checks' own evidence stays beside the verdict
    # An arm the claim expects to fail is judged by the claim, not by the floor.
    assert claims.loc["C2", "result"] == "reproduced" and claims.loc["C2", "floor"] == ""


def test_a_claim_past_the_floor_keeps_its_verdict_and_shows_the_floor() -> None:
    runs = table({"good": [10.0, 11.0, 12.0], "bad": [60.0, 62.0, 61.0]})
    claims = evaluate_claims(EXPERIMENT, runs, "quick", floor=floor(17.0)).set_index("id")
    assert claims.loc["C1", "result"] == "reproduced"
    assert claims.loc["C1", "floor"].startswith("good 11.00% test error vs linear classifier 17.00%")
    assert claims.loc["C1", "verdict_seeds"] == "0-2" and claims.loc["C1", "calibration_seeds"] == "0-2"


def test_favoured_arms_per_check_kind() -> None:
    def labels(check: dict) -> list[str]:
        return [a.label for a in favoured_arms(check)]

    assert labels({"kind": "pairwise_less", "pairs": [["a", "b"], ["c", "d"]]}) == ["a", "c"]
    assert labels({"kind": "ordering", "order": ["a", "b", "c"]}) == ["a"]
    assert labels({"kind": "within", "pair": ["a", "b"]}) == ["a", "b"]
    assert labels({"kind": "bound", "variants": ["a"], "min": 80.0}) == []
    assert labels({"kind": "bound", "variants": ["a"], "max": 20.0}) == ["a"]
    assert labels({"kind": "diverges", "variants": ["a"]}) == []
    sweep = favoured_arms({"kind": "flat", "axis": "train.batch_size", "where": {"model.norm": "group"}})
    assert sweep[0].where == (("model.norm", "group"),)


def test_a_sweep_needs_only_its_best_point_past_the_floor() -> None:
    runs = table({"good": [10.0, 11.0, 12.0], "bad": [60.0, 62.0, 61.0]})
    runs["model.norm"] = "group"
    claim = {"checks": [{"kind": "flat", "axis": "train.batch_size", "where": {"model.norm": "group"}}]}
    gate = floor_check(claim, runs, floor(17.0))
    assert gate is not None and not gate.under and gate.arm.startswith("good")


def test_the_shortfall_paragraph_says_under_trained_and_did_not_hold_in_calibration() -> None:
    runs = table({"good": [20.0, 21.0, 22.0], "bad": [40.0, 42.0, 41.0]})
    claims = evaluate_claims(EXPERIMENT, runs, "quick", floor=floor(17.0))
    text = shortfall_paragraph(claims, "toy", "quick")
    assert "C1 (not evaluable: under-trained; good 21.00" in text
    assert "asserted at this scale" in text
    assert "C2 (" in text and "did not hold in calibration: held in 1/3 seeds" in text
