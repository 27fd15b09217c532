"""Claims: declarative checks on a tidy table with known numbers; results and assertion per scale."""

from __future__ import annotations

import pandas as pd
import pytest

from repro.analysis import per_run as per_seed_values
from repro.claims import assess_claim, evaluate_claim, evaluate_claims

FINAL_TRAIN = {  # variant -> per-seed final training error
    "plain20": [10.0, 12.0], "plain32": [15.0, 17.0], "resnet20": [9.0, 9.0], "resnet32": [8.0, 8.5],
}  # fmt: skip
THIRD_SEED = {"plain20": 11.0, "plain32": 16.0, "resnet20": 9.0, "resnet32": 8.25}  # keeps every mean


def make_table(seeds: int = 2) -> pd.DataFrame:
    rows = []
    for variant, values in FINAL_TRAIN.items():
        for seed, final in enumerate([*values, THIRD_SEED[variant]][:seeds]):
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
    table = make_table(seeds=3)
    check = {"kind": "ordering", "order": ["plain20", "plain32"], "metric": TRAIN}
    # 11 < 16, and by 5 in every seed: the paired interval is [5, 5].
    assert evaluate_claim({"checks": [check]}, table)[0] == "reproduced"
    # A margin of 6 is not met: the interval [5, 5] lies wholly below it, which excludes the claimed size.
    assert evaluate_claim({"checks": [{**check, "margin": 6.0}]}, table)[0] == "contradicted"
    reverse = {**check, "order": ["plain32", "plain20"]}
    result, measured = evaluate_claim({"checks": [reverse]}, table)
    assert result == "contradicted" and "expected plain32 < plain20; means 16.00, 11.00" in measured


def test_two_seeds_never_reproduce_nor_contradict() -> None:
    table = make_table(seeds=2)
    check = {"kind": "ordering", "order": ["plain20", "plain32"], "metric": TRAIN}
    result = assess_claim({"checks": [check]}, table)
    assert result.result == "direction only" and "2 seeds: fewer than 3" in result.deciding.evidence()
    assert evaluate_claim({"checks": [{**check, "margin": 6.0}]}, table)[0] == "inconclusive"
    reverse = {**check, "order": ["plain32", "plain20"]}
    assert evaluate_claim({"checks": [reverse]}, table)[0] == "inconclusive"


def test_missing_variant_is_not_evaluable_unless_enough_are_present() -> None:
    table = make_table()
    check = {"kind": "ordering", "order": ["resnet110", "resnet32", "resnet20"], "metric": TRAIN}
    result, measured = evaluate_claim({"checks": [check]}, table)
    assert result == "not evaluable" and "resnet110: not run" in measured
    # The two present arms are evaluated and the missing one is named; resnet32 beats resnet20 in both
    # seeds (by 1.0 and 0.5), but two seeds leave the interval wide.
    result, measured = evaluate_claim({"checks": [{**check, "min_present": 2}]}, table)
    assert result == "direction only"
    assert "expected resnet32 < resnet20" in measured and "evaluated 2 of 3 (resnet110: not run)" in measured


def test_pairwise_within_and_reference() -> None:
    table = make_table()
    pairs = {
        "kind": "pairwise_less",
        "pairs": [["resnet20", "plain20"], ["resnet32", "plain32"]],
        "metric": TRAIN,
    }
    # Means hold in both pairs and in every seed, but plain20's seeds differ by 2: with two seeds the
    # paired interval of resnet20 vs plain20 (differences 1 and 3) reaches below zero.
    assert evaluate_claim({"checks": [pairs]}, table)[0] == "direction only"
    probe = {"source": "layer_response", "metric": "response_std", "over": "median"}
    # The probe differs identically in both seeds, but two seeds cap it; a third settles it.
    assert evaluate_claim({"checks": [{**pairs, "metric": probe}]}, table)[0] == "direction only"
    assert evaluate_claim({"checks": [{**pairs, "metric": probe}]}, make_table(seeds=3))[0] == "reproduced"
    within = {"kind": "within", "pair": ["resnet20", "resnet32"], "tolerance": 0.5, "metric": TRAIN}
    assert evaluate_claim({"checks": [within]}, table)[0] == "inconclusive"  # |9 - 8.25| = 0.75 > 0.5
    near = {"kind": "near_reference", "reference": {"resnet20": 8.75}, "tolerance": 0.5, "metric": TRAIN}
    assert evaluate_claim({"checks": [near]}, table)[0] == "direction only"  # 9.0 in both (two) seeds
    assert evaluate_claim({"checks": [near]}, make_table(seeds=3))[0] == "reproduced"
    # A pair that was not run makes the check not evaluable; the pairs that were are still shown.
    gone = {**pairs, "pairs": [["resnet20", "plain20"], ["resnet56", "plain56"]]}
    result, measured = evaluate_claim({"checks": [gone]}, table)
    assert result == "not evaluable" and "resnet20 9.00 vs plain20 11.00" in measured
    assert "resnet56: not run; plain56: not run" in measured
    far = {**near, "reference": {"resnet20": 8.75, "resnet110": 6.43}}
    result, measured = evaluate_claim({"checks": [far]}, table)
    assert (
        result == "not evaluable"
        and "resnet20 9.00 vs paper 8.75" in measured
        and "resnet110: not run" in measured
    )


def test_evaluate_claims_marks_assertion_by_scale() -> None:
    experiment = {
        "name": "e", "paper": {"key": "p"},
        "claims": [{"id": "X1", "statement": "s", "assert_at": ["quick"],
                    "checks": [{"kind": "ordering", "order": ["plain20", "plain32"], "metric": TRAIN}]}],
    }  # fmt: skip
    quick = evaluate_claims(experiment, make_table(seeds=3), "quick")
    smoke = evaluate_claims(experiment, make_table(seeds=3), "smoke")
    assert quick.loc[0, "asserted"] and not smoke.loc[0, "asserted"]
    assert quick.loc[0, "result"] == "reproduced"


def he_quick_table() -> pd.DataFrame:
    """A table shaped like he2016_depth at quick scale: 8 nets x 3 seeds, final errors and layer responses.

    Plain nets get worse with depth and ResNets better, by a few points against a seed spread of 0.2.
    """
    rows = []
    for depth in (20, 32, 44, 56):
        for family, train, resp in (("plain", 10 + depth / 4, 2.0), ("resnet", 12 - depth / 20, 1.0)):
            for seed, shift in enumerate((-0.2, 0.0, 0.2)):
                run = {"variant": f"{family}{depth}", "seed": seed, "status": "completed"}
                for split, value in (("train", train + shift), ("test", train + 3 + shift)):
                    rows.append({**run, "source": "metrics", "step": 300, "split": split, "metric": "error",
                                 "value": value})  # fmt: skip
                for layer in (1, 2, 3):
                    rows.append({**run, "source": "layer_response", "step": 300, "metric": "response_std",
                                 "value": resp * layer * (1 - depth / 200), "layer": layer})  # fmt: skip
    return pd.DataFrame(rows)


def test_he_claims_of_the_experiment_file_on_a_quick_shaped_table() -> None:
    from repro.experiments import load_experiment

    from .conftest import REPO

    experiment = load_experiment(REPO / "configs" / "experiments" / "he2016_depth.yaml").raw
    claims = evaluate_claims(experiment, he_quick_table(), "quick").set_index("id")
    assert claims.loc["R1", "result"] == "reproduced"
    # Asserted exactly where the file says (the file's assert_at is its owner's choice, not this test's).
    at_quick = {c["id"]: "quick" in (c.get("assert_at") or []) for c in experiment["claims"]}
    assert claims["asserted"].to_dict() == at_quick
    assert claims.loc["R3", "result"] == "reproduced" and claims.loc["R3", "agreement"] == "3/3"
    # R2 evaluates the four ResNets that ran and names the one that did not.
    assert claims.loc["R2", "result"] == "reproduced"
    assert "evaluated 4 of 5 (resnet110: not run)" in claims.loc["R2", "measured"]
    assert claims.loc["R4", "result"] == "not evaluable"  # ResNet-1202 and -110 run only at full scale
    assert claims.loc["R5", "result"] == "reproduced"
    assert claims.loc["T6", "result"] == "not evaluable"
    assert "resnet20 14.00 vs paper 8.75" in claims.loc["T6", "measured"]
    assert "resnet110: not run" in claims.loc["T6", "measured"]
