"""Seed-aware verdicts on synthetic tables with known means and spreads."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from repro.claims import ORDER, assess_claim, evaluate_claims
from repro.claims.stats import Estimate, difference, t_critical
from repro.claims.verdicts import MIN_SEEDS, Comparison, count, direction, in_range, weakest

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
    # Below the margin (though positive): more seeds could only show that it falls short of the claimed
    # size, i.e. contradict it; the seeds needed are those whose interval would lie wholly below 3.
    result, _, c = judge({**PAIR, "margin": 3.0}, table_of({"a": a, "b": b}))
    short = 3.0 - np.mean(np.subtract(b, a))
    expected = next(n for n in range(4, 1000) if t_critical(n - 1) * sd / math.sqrt(n) < short)
    assert result == "inconclusive" and c.estimate.high > 3.0 and c.seeds_needed == expected == 5


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
    # The required share is met, but 2/3 [0.09, 0.99] does not show that most runs diverge.
    result, _, c = judge({**diverges, "min_fraction": 0.5}, table)
    assert result == "direction only" and c.evidence() == "held in 2/3 [0.09, 0.99], 3 seeds"
    # No seed diverged: 0/3 [0, 0.71] cannot exclude a majority; six seeds, none diverged, can.
    assert judge(diverges, table_of({"a": [1.0] * 3}))[0] == "inconclusive"
    assert judge(diverges, table_of({"a": [1.0] * 6}))[0] == "contradicted"
    every = table_of({"a": [1.0] * 6}, {("a", s): "diverged" for s in range(6)})
    result, _, c = judge(diverges, every)
    assert result == "reproduced" and c.estimate.low == pytest.approx(0.025 ** (1 / 6))  # 0.54 > 1/2
    # expect: false counts the seeds that did not diverge.
    result, _, c = judge({**diverges, "expect": False}, table_of({"a": [1.0] * 6}))
    assert result == "reproduced" and c.label == "a did not diverge" and c.agreement == "6/6"


def test_a_minority_share_is_judged_against_its_own_fraction() -> None:
    # "Diverges in at least 30% of seeds": 12 of 20 is judged against 0.3, not 1/2 (CP low 0.36 > 0.3).
    status = {("a", s): "diverged" for s in range(12)}
    result, _, c = judge(
        {"kind": "diverges", "variants": ["a"], "min_fraction": 0.3}, table_of({"a": [1.0] * 20}, status)
    )
    assert result == "reproduced" and c.share == 0.3 and "against 0.3" in c.evidence()
    # Met on the counts (6/20 = 0.3) yet not established: direction only, never contradicted.
    status = {("a", s): "diverged" for s in range(6)}
    result, _, _ = judge(
        {"kind": "diverges", "variants": ["a"], "min_fraction": 0.3}, table_of({"a": [1.0] * 20}, status)
    )
    assert result == "direction only"


@pytest.mark.parametrize("seeds", [1, 2, 3])
def test_a_count_over_seeds_is_never_settled_by_three_or_fewer(seeds: int) -> None:
    diverges = {"kind": "diverges", "variants": ["a"]}
    every = {("a", s): "diverged" for s in range(seeds)}
    result, _, c = judge(diverges, table_of({"a": [1.0] * seeds}, every))
    assert result == "direction only"  # held in every seed, but never reproduced at 1, 2 or 3 seeds
    low = 0.025 ** (1 / seeds)
    assert c.evidence().startswith(f"held in {seeds}/{seeds} [{low:.2f}, 1.00], {seeds} seed")
    assert ("fewer than 3" in c.evidence()) == (seeds < 3)
    assert judge(diverges, table_of({"a": [1.0] * seeds}))[0] == "inconclusive"  # none: never contradicted
    order = {"kind": "steps_to_reach", "order": ["a", "b"], "target": 5.0, "metric": METRIC}
    fast, slow = passage_table(seeds, first={"a": 200, "b": 400})
    assert judge(order, fast)[0] == "direction only"
    result, _, c = judge(order, slow)
    assert result == "inconclusive" and c.label == "a reaches it before b" and c.agreement == f"0/{seeds}"


def passage_table(seeds: int, first: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Error curves at steps 100..600 that first reach 5 at ``first[variant]``; and the same, arms swapped."""

    def curves(when: dict[str, int]) -> pd.DataFrame:
        rows = [{"variant": v, "seed": s, "status": "completed", "source": "metrics", "step": step,
                 "split": "test", "metric": "error", "value": 4.0 if step >= at else 10.0}
                for v, at in when.items() for s in range(seeds) for step in range(100, 601, 100)]  # fmt: skip
        return pd.DataFrame(rows)

    return curves(first), curves(dict(zip(first, reversed(first.values()), strict=True)))


def test_steps_to_reach_counts_seeds_and_settles_with_six() -> None:
    order = {"kind": "steps_to_reach", "order": ["a", "b"], "target": 5.0, "metric": METRIC}
    fast, slow = passage_table(6, first={"a": 200, "b": 400})
    result, measured, c = judge(order, fast)
    assert result == "reproduced" and "a 200 < b 400" in measured
    assert c.evidence() == "held in 6/6 [0.54, 1.00], 6 seeds" and c.estimate.method == "Clopper-Pearson"
    assert judge(order, slow)[0] == "contradicted"  # b first in 6 of 6: U = 0.46 < 1/2


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


DOMINATES = {"kind": "dominates", "pair": ["a", "b"], "margin": 0.5, "metric": METRIC}


def test_dominates_effect_is_the_final_lead_with_a_per_seed_interval() -> None:
    result, measured, c = judge(DOMINATES, curve_table({0: [2.0], 1: [2.2], 2: [1.8]}))
    assert (
        result == "reproduced"
        and c.label == "final lead of a over b"
        and c.estimate.effect == pytest.approx(2.0)
    )
    assert "a at least as good as b (within 0.5) at 5/5 evaluations" in measured and c.agreement == "3/3"
    assert "the 95% interval of the lead above -0.5 at 5/5" in measured
    result, _, c = judge(DOMINATES, curve_table({0: [0.5], 1: [-0.5], 2: [0.3]}))
    assert result == "direction only" and c.seeds_needed is not None  # final lead 0.1, within the noise


def lead_table(leads: dict[int, list[float]]) -> pd.DataFrame:
    """Test error curves of a and b at the given steps: b - a in seed s at step t is ``leads[t][s]``."""
    rows = []
    for step, per_seed in leads.items():
        for seed, lead in enumerate(per_seed):
            for variant, value in (("a", 20.0 - lead), ("b", 20.0)):
                rows.append({"variant": variant, "seed": seed, "status": "completed", "source": "metrics",
                             "step": step, "split": "test", "metric": "error", "value": value})  # fmt: skip
    return pd.DataFrame(rows)


def test_dominates_is_an_intersection_union_test_against_a_fixed_margin() -> None:
    tight_behind = [-0.22, -0.2, -0.18]  # a lead of -0.2 with a tight interval: inside the 0.5 margin
    ahead = [1.0, 1.1, 0.9]
    steps = {100: ahead, 200: tight_behind, 300: ahead, 400: [1.5, 1.6, 1.4]}
    result, measured, c = judge(DOMINATES, lead_table(steps))
    assert result == "reproduced"
    assert "interval of the lead above -0.5 at 4/4 (worst: lead at step 200, -0.20 [" in measured
    # The same lead with a margin of 0.1: the interval lies wholly below -0.1 at step 200.
    result, _, c = judge({**DOMINATES, "margin": 0.1}, lead_table(steps))
    assert result == "contradicted" and c.label == "lead at step 200" and c.estimate.high < -0.1
    # One evaluation wholly below -0.5 contradicts it, however good the end.
    result, measured, c = judge(DOMINATES, lead_table({**steps, 300: [-1.0, -0.9, -1.1]}))
    assert result == "contradicted" and c.label == "lead at step 300"
    assert "above -0.5 at 3/4 (worst: lead at step 300, -1.00 [" in measured
    # A wide interval reaching below -0.5 at one step: the mean holds, the test does not.
    result, _, c = judge(DOMINATES, lead_table({**steps, 300: [0.5, -1.0, 0.2]}))
    assert result == "direction only" and c.label == "lead at step 300" and c.agreement == "2/3"
    assert c.seeds_needed > 3
    # ``after`` leaves the early steps out of the test.
    early = lead_table({**steps, 100: [-3.0, -3.1, -2.9]})
    assert judge(DOMINATES, early)[0] == "contradicted"
    assert judge({**DOMINATES, "after": 200}, early)[0] == "reproduced"


def test_dominates_stays_fast_over_a_hundred_evaluations() -> None:
    steps = {100 * i: [1.0 + 0.001 * i, 1.0, 1.05] for i in range(1, 121)}
    start = time.perf_counter()
    result, measured, c = judge(DOMINATES, lead_table(steps))
    assert result == "reproduced" and "at 120/120" in measured
    assert time.perf_counter() - start < 5.0  # about 0.1 s; generous for a loaded CI runner


PROBE = {"source": "percentiles", "metric": "sigmoid_input"}
RANGE_LESS = {"kind": "range_less", "pair": ["a", "b"], "stat": "median", "metric": PROBE}


def probe_table(units: int, seeds: int = 3) -> pd.DataFrame:
    """Median sigmoid input per (seed, unit) over steps 0..400: a drifts by about 0.1, b by about 1."""
    rows = []
    for variant, drift in (("a", 0.1), ("b", 1.0)):
        for seed in range(seeds):
            for unit in range(units):
                span = drift + 0.01 * seed + 0.005 * unit
                for step in range(0, 401, 100):
                    rows.append({"variant": variant, "seed": seed, "status": "completed",
                                 "source": "percentiles", "step": step, "unit": unit, "q": 50.0,
                                 "metric": "sigmoid_input", "value": span * step / 400})  # fmt: skip
    return pd.DataFrame(rows)


def test_range_less_in_every_unit_counts_units_of_every_seed() -> None:
    result, measured, c = judge(RANGE_LESS, probe_table(units=10))
    assert result == "reproduced" and "smaller for a in 10/10 units" in measured
    outcome = assess_claim({"checks": [RANGE_LESS]}, probe_table(units=10)).outcomes[0]
    units = outcome.comparisons[1]
    assert units.evidence() == "held in 30/30 unit-seeds [0.88, 1.00], 3 seeds"
    assert units.verdict == "reproduced"
    # Reversed: 0/30 [0, 0.12] is a count against the claim, as is the mean gap.
    result, _, c = judge({**RANGE_LESS, "pair": ["b", "a"]}, probe_table(units=10))
    assert result == "contradicted"
    # One unit in three seeds cannot show "most units" (3/3 [0.29, 1]): the mean gap alone reproduces.
    outcome = assess_claim({"checks": [RANGE_LESS]}, probe_table(units=1)).outcomes[0]
    assert [c.verdict for c in outcome.comparisons] == ["reproduced", "direction only"]
    # ``require: mean`` has no count over units; two seeds cap both comparisons.
    assert judge({**RANGE_LESS, "require": "mean"}, probe_table(units=3))[0] == "reproduced"
    result, _, c = judge(RANGE_LESS, probe_table(units=10, seeds=2))
    assert result == "direction only" and "2 seeds: fewer than 3" in c.evidence()


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
    # Contradicted relative to the margin: +3 [+1, +5] is positive but excludes "by at least 10".
    small = Estimate(3.0, 1.0, 5.0, 1.0, 5, "t")
    assert direction("x", small, 10.0).verdict == "contradicted"
    assert direction("x", small, 0.0).verdict == "reproduced"
    assert direction("x", small, 4.0).verdict == "inconclusive"  # the interval reaches the margin
    assert direction("x", small, 5.0).verdict == "inconclusive"  # high == threshold: not wholly below
    # A negative threshold (non-decreasing within a margin): contradicted only below the threshold.
    assert direction("x", Estimate(-0.2, -0.3, -0.1, 0.1, 3, "t"), -0.5).verdict == "reproduced"
    assert direction("x", Estimate(-1.0, -1.2, -0.8, 0.1, 3, "t"), -0.5).verdict == "contradicted"
    assert in_range("x", tight, 0.0, 3.0).verdict == "reproduced"
    assert in_range("x", tight, 0.0, 2.2).verdict == "direction only"
    assert in_range("x", tight, 3.0, 4.0).verdict == "contradicted"
    assert (
        direction("x", Estimate(2.0, math.nan, math.nan, math.nan, 1, "one seed")).verdict == "direction only"
    )
    held = count("x", (2, 3), 3, holds=False)
    assert held.verdict == "inconclusive" and held.seeds_needed is None and held.agreement == "2/3"
    with pytest.raises(ValueError, match="needs k, n and seeds"):
        Comparison("x", Estimate.exact(1.0, "count"), "count", holds=True, agree=2, seeds=3)


def test_fewer_than_three_seeds_cap_every_verdict() -> None:
    assert MIN_SEEDS == 3
    for n, verdicts in ((2, ("direction only", "inconclusive")), (3, ("reproduced", "contradicted"))):
        up, down = Estimate(2.0, 1.5, 2.5, 0.1, n, "t"), Estimate(-2.0, -2.5, -1.5, 0.1, n, "t")
        assert (direction("x", up).verdict, direction("x", down).verdict) == verdicts
        inside, outside = in_range("x", up, 0.0, 3.0), in_range("x", up, 3.0, 4.0)
        assert (inside.verdict, outside.verdict) == verdicts
    capped = direction("x", Estimate(2.0, 1.5, 2.5, 0.1, 2, "paired t"), agreement=(2, 2))
    assert (
        capped.evidence()
        == "+2.00 [+1.50, +2.50], 2/2 seeds, 2 seeds: fewer than 3, ~3 seeds would resolve it"
    )
    # A direction only or inconclusive verdict is what it was.
    assert direction("x", Estimate(2.0, -1.0, 5.0, 1.0, 2, "t")).verdict == "direction only"
    # Welch: the smaller arm is the seeds behind it.
    x, y = pd.Series([1.0, 2.0, 3.0], index=[0, 1, 2]), pd.Series([9.0, 9.5], index=[5, 6])
    est = difference(y, x)
    assert est.method == "Welch t" and est.n == 2 and direction("x", est).verdict == "direction only"


def test_two_seeds_cap_a_paired_check_and_say_why() -> None:
    result, _, c = judge(PAIR, table_of({"a": [10.0, 10.2], "b": [15.0, 15.1]}))
    assert result == "direction only" and c.estimate.n == 2 and c.clears
    assert "2 seeds: fewer than 3" in c.evidence() and c.seeds_needed == 3
    result, _, c = judge(PAIR, table_of({"a": [15.0, 15.1], "b": [10.0, 10.2]}))
    assert result == "inconclusive" and c.estimate.high < 0 and "2 seeds: fewer than 3" in c.evidence()
    # A seed whose run diverged leaves two values: the interval rests on two seeds.
    values = {"a": [10.0, 10.2, 9.9], "b": [15.0, 15.1, 14.8]}
    result, _, c = judge(PAIR, table_of(values, {("b", 2): "diverged"}))
    assert result == "direction only" and c.agreement == "3/3" and c.estimate.n == 2


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
