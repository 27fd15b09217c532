"""Claims: declarative checks on a tidy table with known numbers; results and assertion per scale."""

from __future__ import annotations

import pandas as pd
import pytest

from repro.claims import evaluate_claim, evaluate_claims, per_seed_values

FINAL_TRAIN = {  # variant -> per-seed final training error
    "plain20": [10.0, 12.0], "plain32": [15.0, 17.0], "resnet20": [9.0, 9.0], "resnet32": [8.0, 8.5],
}  # fmt: skip


def make_table() -> pd.DataFrame:
    rows = []
    for variant, values in FINAL_TRAIN.items():
        for seed, final in enumerate(values):
            for step, value in ((10, 50.0), (20, final)):
                rows.append({"variant": variant, "seed": seed, "source": "metrics", "step": step,
                             "split": "train", "metric": "error", "value": value})  # fmt: skip
            for step, value in ((10, 40.0), (15, final + 1), (20, final + 3)):
                rows.append({"variant": variant, "seed": seed, "source": "metrics", "step": step,
                             "split": "test", "metric": "error", "value": value})  # fmt: skip
            for layer in (1, 2, 3):
                std = (2.0 if variant.startswith("plain") else 1.0) * layer
                rows.append({"variant": variant, "seed": seed, "source": "layer_response", "step": 20,
                             "split": None, "metric": "response_std", "value": std,
                             "layer": layer})  # fmt: skip
    return pd.DataFrame(rows)


TRAIN = {"split": "train", "metric": "error", "reduce": "final"}


def test_final_and_median_of_last_k() -> None:
    table = make_table()
    final = per_seed_values(table, TRAIN).set_index(["variant", "seed"])["value"]
    assert final[("plain20", 1)] == 12.0
    test = {"split": "test", "metric": "error", "reduce": "median_last_k", "k": 2}
    median = per_seed_values(table, test).set_index(["variant", "seed"])["value"]
    assert median[("plain20", 0)] == pytest.approx(12.0)  # median of 11 and 13
    probe = {"source": "layer_response", "metric": "response_std", "over": "median"}
    assert per_seed_values(table, probe).set_index(["variant", "seed"])["value"][("plain32", 0)] == 4.0


def test_ordering_uses_means_and_margin() -> None:
    table = make_table()
    check = {"kind": "ordering", "order": ["plain20", "plain32"], "metric": TRAIN}
    assert evaluate_claim({"checks": [check]}, table)[0] == "reproduced"  # 11 < 16
    assert evaluate_claim({"checks": [{**check, "margin": 6.0}]}, table)[0] == "not reproduced"
    reverse = {**check, "order": ["plain32", "plain20"]}
    result, measured = evaluate_claim({"checks": [reverse]}, table)
    assert result == "not reproduced" and "expected plain32 < plain20; means 16.00, 11.00" in measured


def test_missing_variant_is_not_evaluable_unless_enough_are_present() -> None:
    table = make_table()
    check = {"kind": "ordering", "order": ["resnet110", "resnet32", "resnet20"], "metric": TRAIN}
    assert evaluate_claim({"checks": [check]}, table)[0] == "not evaluable"
    assert evaluate_claim({"checks": [{**check, "min_present": 2}]}, table)[0] == "reproduced"


def test_pairwise_within_and_reference() -> None:
    table = make_table()
    pairs = {
        "kind": "pairwise_less",
        "pairs": [["resnet20", "plain20"], ["resnet32", "plain32"]],
        "metric": TRAIN,
    }
    assert evaluate_claim({"checks": [pairs]}, table)[0] == "reproduced"
    probe = {"source": "layer_response", "metric": "response_std", "over": "median"}
    assert evaluate_claim({"checks": [{**pairs, "metric": probe}]}, table)[0] == "reproduced"
    within = {"kind": "within", "pair": ["resnet20", "resnet32"], "tolerance": 0.5, "metric": TRAIN}
    assert evaluate_claim({"checks": [within]}, table)[0] == "not reproduced"  # |9 - 8.25| = 0.75
    near = {"kind": "near_reference", "reference": {"resnet20": 8.75}, "tolerance": 0.5, "metric": TRAIN}
    assert evaluate_claim({"checks": [near]}, table)[0] == "reproduced"


def test_evaluate_claims_marks_assertion_by_scale() -> None:
    experiment = {
        "name": "e", "paper": {"key": "p"},
        "claims": [{"id": "X1", "statement": "s", "assert_at": ["quick"],
                    "checks": [{"kind": "ordering", "order": ["plain20", "plain32"], "metric": TRAIN}]}],
    }  # fmt: skip
    quick = evaluate_claims(experiment, make_table(), "quick")
    smoke = evaluate_claims(experiment, make_table(), "smoke")
    assert quick.loc[0, "asserted"] and not smoke.loc[0, "asserted"]
    assert quick.loc[0, "result"] == "reproduced"
