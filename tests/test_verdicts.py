"""Seed-aware verdicts on synthetic tables with known means and spreads."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from repro.claims import ORDER, assess_claim, evaluate_claims
from repro.claims.stats import Estimate, t_critical
from repro.claims.verdicts import Comparison, direction, in_range, weakest

METRIC = {"split": "test", "metric": "error"}


def table_of(
    values: dict[str, list[float]], status: dict[tuple[str, int], str] | None = None
) -> pd.DataFrame:
    """Final test error per (variant, seed): ``values[variant][seed]``; ``status`` marks diverged runs."""
    rows = []
    for variant, per_seed in values.items():
        for seed, value in enumerate(per_seed):
            rows.append({"experiment": "toy", "variant": variant, "seed": seed,
                         "status": (status or {}).get((variant, seed), "completed"), "source": "metrics",
                         "step": 100, "split": "test", "metric": "error", "value": value})  # fmt: skip
    return pd.DataFrame(rows)


def judge(check: dict, table: pd.DataFrame):
    """(verdict, measured, deciding comparison) of a one-check claim."""
    result = assess_claim({"checks": [check]}, table)
    return result.result, result.measured, result.deciding


PAIR = {"kind": "pairwise_less", "pairs": [["a", "b"]], "margin": 1.0, "metric": METRIC}


def test_a_clear_effect_reads_reproduced() -> None:
    result, _, c = judge(PAIR, table_of({"a": [10.0, 10.2, 9.9], "b": [15.0, 15.1, 14.8]}))
    assert result == "reproduced" and c.agreement == "3/3" and c.seeds_needed is None
    diffs = np.array([5.0, 4.9, 4.9])
    half = t_critical(2) * diffs.std(ddof=1) / math.sqrt(3)
    assert c.estimate.effect == pytest.approx(diffs.mean()) and c.estimate.method == "paired t"
    assert (c.estimate.low, c.estimate.high) == (
        pytest.approx(diffs.mean() - half),
        pytest.approx(diffs.mean() + half),
    )


def test_a_small_effect_with_a_large_spread_is_direction_only_and_names_the_seeds_needed() -> None:
    a, b = [10.0, 12.0, 8.0], [12.0, 13.0, 10.5]  # differences 2, 1, 2.5: mean 1.83 > margin 1
    result, _, c = judge(PAIR, table_of({"a": a, "b": b}))
    assert result == "direction only" and c.agreement == "3/3" and c.estimate.low < 1.0
    sd = np.std(np.subtract(b, a), ddof=1)
    gap = np.mean(np.subtract(b, a)) - 1.0
    expected = next(n for n in range(4, 1000) if t_critical(n - 1) * sd / math.sqrt(n) < gap)
    assert c.seeds_needed == expected
    # Below the margin but positive: no number of seeds makes it reproduced, nor contradicted.
    result, _, c = judge({**PAIR, "margin": 3.0}, table_of({"a": a, "b": b}))
    assert result == "inconclusive" and c.seeds_needed is None


def test_a_reversed_effect_reads_contradicted() -> None:
    result, measured, c = judge(PAIR, table_of({"a": [15.0, 15.1, 14.8], "b": [10.0, 10.2, 9.9]}))
    assert result == "contradicted" and c.agreement == "0/3" and c.estimate.high < 0
    assert "a 14.97 vs b 10.03 (margin 1)" in measured


def test_a_seed_against_the_direction_keeps_it_from_reproduced() -> None:
    a = [10.0] * 5
    b = [13.0, 13.0, 13.0, 13.0, 9.9]  # the interval clears 0, but one seed of five goes the other way
    result, _, c = judge({**PAIR, "margin": 0.0}, table_of({"a": a, "b": b}))
    assert (
        c.estimate.low > 0 and c.agreement == "4/5" and result == "direction only" and c.seeds_needed is None
    )


def test_unpaired_arms_use_welch_and_have_no_seed_agreement() -> None:
    table = table_of({"a": [10.0, 10.5, 9.5], "b": [20.0, 21.0, 19.0]})
    table.loc[table["variant"] == "b", "seed"] += 10  # no shared seeds
    result, _, c = judge(PAIR, table)
    assert c.estimate.method == "Welch t" and c.agreement == "" and result == "reproduced"


def test_one_diverged_seed_is_named_and_counted_by_the_checks_rules() -> None:
    values = {"a": [10.0, 10.2, 9.9], "b": [15.0, 15.1, 14.8]}
    # The arm claimed worse diverged in seed 2: that seed agrees (a net that diverged did worse).
    result, measured, c = judge(PAIR, table_of(values, {("b", 2): "diverged"}))
    assert "b seed 2 diverged (left out of the means)" in measured
    assert c.agreement == "3/3" and c.estimate.n == 2
    # The arm claimed better diverged: that seed does not agree, so at best direction only.
    result, measured, c = judge(PAIR, table_of(values, {("a", 2): "diverged"}))
    assert "a seed 2 diverged" in measured and c.agreement == "2/3" and result == "direction only"
    # Every run of an arm diverged: not evaluable, with the reason, never a silent pass.
    every = {("b", s): "diverged" for s in range(3)}
    result, measured, _ = judge(PAIR, table_of(values, every))
    assert result == "not evaluable" and "b: only diverged runs (3/3)" in measured


def test_equivalence_checks_need_the_interval_inside_the_tolerance() -> None:
    within = {"kind": "within", "pair": ["a", "b"], "tolerance": 1.0, "metric": METRIC}
    assert judge(within, table_of({"a": [10.0, 11.0, 12.0], "b": [10.2, 11.1, 12.3]}))[0] == "reproduced"
    result, _, c = judge(within, table_of({"a": [10.0, 11.0, 12.0], "b": [9.0, 12.5, 12.0]}))
    assert result == "direction only" and c.seeds_needed > 3  # |mean diff| 0.17, but a wide interval
    result, _, c = judge(within, table_of({"a": [10.0, 11.0, 12.0], "b": [13.0, 14.1, 14.9]}))
    assert result == "contradicted" and c.estimate.low < -1.0 and c.estimate.high < -1.0
    near = {"kind": "near_reference", "reference": {"a": 11.5}, "tolerance": 1.0, "metric": METRIC}
    result, _, c = judge(near, table_of({"a": [10.0, 11.0, 12.0]}))
    assert result == "direction only" and c.estimate.effect == pytest.approx(-0.5) and c.agreement == "2/3"


def test_bound_and_diverges() -> None:
    bound = {"kind": "bound", "variants": ["a"], "min": 80.0, "metric": METRIC}
    result, _, c = judge(bound, table_of({"a": [89.0, 90.0, 91.0]}))
    assert result == "reproduced" and c.estimate.effect == pytest.approx(10.0) and c.agreement == "3/3"
    assert judge(bound, table_of({"a": [70.0, 85.0, 100.0]}))[0] == "direction only"  # mean 85, wide
    assert judge(bound, table_of({"a": [70.0, 71.0, 72.0]}))[0] == "contradicted"
    diverges = {"kind": "diverges", "variants": ["a"]}
    table = table_of({"a": [1.0, 1.0, 1.0]}, {("a", 0): "diverged", ("a", 1): "diverged"})
    result, measured, c = judge(diverges, table)
    assert result == "inconclusive" and "a diverged in 2/3 seeds (at steps 100, 100)" in measured
    assert c.estimate.effect == pytest.approx(2 / 3) and c.estimate.method == "Clopper-Pearson"
    assert judge({**diverges, "min_fraction": 0.5}, table)[0] == "reproduced"
    assert judge(diverges, table_of({"a": [1.0, 1.0, 1.0]}))[0] == "contradicted"  # no seed diverged


def curve_table(leads: dict[int, list[float]]) -> pd.DataFrame:
    """Test error curves of a and b over steps 100..500; b - a at the last step per seed is ``leads``."""
    rows = []
    for seed, last in leads.items():
        for step in range(100, 501, 100):
            b = 30.0 - step / 50
            a = b - (last[0] if step == 500 else 1.0)
            for variant, value in (("a", a), ("b", b)):
                rows.append({"variant": variant, "seed": seed, "status": "completed", "source": "metrics",
                             "step": step, "split": "test", "metric": "error", "value": value})  # fmt: skip
    return pd.DataFrame(rows)


def test_dominates_effect_is_the_final_lead_with_a_per_seed_interval() -> None:
    check = {"kind": "dominates", "pair": ["a", "b"], "metric": METRIC}
    result, measured, c = judge(check, curve_table({0: [2.0], 1: [2.2], 2: [1.8]}))
    assert (
        result == "reproduced"
        and c.label == "final lead of a over b"
        and c.estimate.effect == pytest.approx(2.0)
    )
    assert "at least as good as b at 5/5 evaluations" in measured and c.agreement == "3/3"
    result, _, c = judge(check, curve_table({0: [0.5], 1: [-0.5], 2: [0.3]}))
    assert result == "direction only" and c.seeds_needed is not None  # final lead 0.1, within the noise


def test_a_claim_takes_its_weakest_check() -> None:
    table = table_of({"a": [10.0, 10.2, 9.9], "b": [15.0, 15.1, 14.8]})
    good = {**PAIR}
    bad = {**PAIR, "pairs": [["b", "a"]]}
    missing = {**PAIR, "pairs": [["a", "c"]]}
    assert assess_claim({"checks": [good, bad]}, table).result == "contradicted"
    assert assess_claim({"checks": [good, missing]}, table).result == "not evaluable"
    assert assess_claim({"checks": [bad, missing]}, table).result == "contradicted"
    assert ORDER == ("contradicted", "not evaluable", "inconclusive", "direction only", "reproduced")
    assert weakest(["reproduced", "direction only"]) == "direction only"


def test_comparison_rules_at_their_boundaries() -> None:
    tight = Estimate(2.0, 1.5, 2.5, 0.3, 3, "t")
    assert direction("x", tight, 1.0, agreement=(3, 3)).verdict == "reproduced"
    assert direction("x", tight, 1.0, agreement=(2, 3)).verdict == "direction only"
    assert direction("x", tight, 2.0).verdict == "inconclusive"  # effect not above the margin
    assert direction("x", Estimate(-2.0, -2.5, -1.5, 0.3, 3, "t"), 1.0).verdict == "contradicted"
    # A negative threshold (non-decreasing within a margin): contradicted only below the threshold.
    assert direction("x", Estimate(-0.2, -0.3, -0.1, 0.1, 3, "t"), -0.5).verdict == "reproduced"
    assert direction("x", Estimate(-1.0, -1.2, -0.8, 0.1, 3, "t"), -0.5).verdict == "contradicted"
    assert in_range("x", tight, 0.0, 3.0).verdict == "reproduced"
    assert in_range("x", tight, 0.0, 2.2).verdict == "direction only"
    assert in_range("x", tight, 3.0, 4.0).verdict == "contradicted"
    assert (
        direction("x", Estimate(2.0, math.nan, math.nan, math.nan, 1, "one seed")).verdict == "direction only"
    )
    count = Comparison("x", Estimate.exact(1.0, "count"), "count", holds=True, agree=2, seeds=3)
    assert count.verdict == "inconclusive" and count.seeds_needed is None


def test_claims_csv_columns_carry_the_deciding_comparison() -> None:
    experiment = {
        "name": "toy", "paper": {"key": "p"},
        "claims": [{"id": "X1", "statement": "s", "assert_at": ["quick"],
                    "checks": [{**PAIR, "margin": 0.0}, PAIR]},
                   {"id": "X2", "statement": "t", "checks": [{**PAIR, "pairs": [["a", "c"]]}]}],
    }  # fmt: skip
    a, b = [10.0, 12.0, 8.0], [12.0, 13.0, 10.5]
    frame = evaluate_claims(experiment, table_of({"a": a, "b": b}), "quick").set_index("id")
    x1, x2 = frame.loc["X1"], frame.loc["X2"]
    assert x1["result"] == "direction only" and x1["asserted"] and x1["basis"] == "a < b"
    assert x1["effect"] == pytest.approx(11 / 6) and x1["interval_low"] < 1.0 < x1["interval_high"]
    assert x1["agreement"] == "3/3" and x1["interval_method"] == "paired t" and x1["seeds_needed"] > 3
    assert x1["evidence"].startswith("+1.83 [") and "3/3 seeds" in x1["evidence"]
    assert x2["result"] == "not evaluable" and pd.isna(x2["effect"]) and pd.isna(x2["seeds_needed"])
