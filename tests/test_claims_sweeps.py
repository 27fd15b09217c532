"""Sweep checks (flat, monotone, argmin, crossover) and arms chosen by config columns, on toy tables."""

from __future__ import annotations

import pandas as pd
import pytest

from repro.claims import assess_claim

METRIC = {"split": "val", "metric": "error"}
BATCHES = (2, 4, 8, 16, 32)
SEED_SHIFT = {0: -0.1, 1: 0.0, 2: 0.1}  # the same offset at every point: points pair by seed


def row(variant: str, seed: int, value: float, status: str = "completed", **config: object) -> dict:
    """One tidy-table row: a run's final validation error, labelled with its config columns."""
    return {"experiment": "toy", "variant": variant, "seed": seed, "status": status, "source": "metrics",
            "step": 100, "split": "val", "metric": "error", "value": value, **config}  # fmt: skip


def norm_table(
    bn=lambda b: 23.5 + 12.0 / b,
    gn=lambda b: 24.0,
    diverged=(),
    wiggle: float = 0.0,
    noise: float = 0.0,
    shifts: dict[int, float] = SEED_SHIFT,
) -> pd.DataFrame:
    """BN's error rises as the batch shrinks, GN's is flat (Wu & He 2018, Fig. 1 in shape).

    ``wiggle`` moves the point means alternately up and down; ``noise`` adds a seed x point interaction
    that averages to zero over the three seeds, so the means stay known while the pairing loosens.
    """
    rows = []
    for norm, curve in (("batch", bn), ("group", gn)):
        for i, b in enumerate(BATCHES):
            for seed, shift in shifts.items():
                value = curve(b) + shift + wiggle * (-1) ** i + noise * ((i + seed) % 3 - 1)
                status = "diverged" if (norm, b, seed) in diverged else "completed"
                rows.append(row(f"{norm}_b{b}", seed, value, status, **{"model.norm.name": norm,
                                                                         "train.batch_size": b}))  # fmt: skip
    return pd.DataFrame(rows)


def judge(check: dict, table: pd.DataFrame):
    """(verdict, measured, the first comparison or None) of a one-check claim."""
    result = assess_claim({"checks": [check]}, table)
    return result.result, result.measured, result.deciding


GN = {"model.norm.name": "group"}
BN = {"model.norm.name": "batch"}
FLAT = {"kind": "flat", "axis": "train.batch_size", "where": GN, "tolerance": 0.5, "metric": METRIC}


def test_flat_is_an_equivalence_on_the_range_over_the_axis() -> None:
    result, measured, c = judge(FLAT, norm_table(wiggle=0.05))
    assert result == "reproduced" and "range 0.10 (tolerance 0.5)" in measured
    assert c.estimate.effect == pytest.approx(0.1) and c.estimate.high < 0.5 and c.agreement == "3/3"
    result, measured, c = judge({**FLAT, "where": BN}, norm_table())
    assert result == "contradicted" and c.estimate.low > 0.5  # BN: 29.5 at batch 2 vs 23.9 at 32
    # Flat means but a spread over seeds that does not vary with the point: the pairing absorbs it.
    noisy = norm_table(wiggle=0.05, noise=0.2)
    result, _, c = judge({**FLAT, "tolerance": 0.45}, noisy)
    assert result == "direction only" and c.estimate.high > 0.45 and c.seeds_needed > 3


def test_monotone_trends_and_margin() -> None:
    table = norm_table()
    check = {
        "kind": "monotone",
        "axis": "train.batch_size",
        "where": BN,
        "trend": "decreasing",
        "metric": METRIC,
    }
    result, measured, _ = judge(check, table)
    assert result == "reproduced" and "2 29.50, 4 26.50, 8 25.00, 16 24.25, 32 23.88" in measured
    assert judge({**check, "trend": "increasing"}, table)[0] == "contradicted"
    # A margin of 0.5 per step: the 16 -> 32 step (0.375, the same in every seed) falls short of it, so
    # its interval lies wholly below the margin: contradicted, though the step goes the right way.
    result, _, c = judge({**check, "margin": 0.5}, table)
    assert result == "contradicted" and c.label == "16 -> 32" and 0 < c.estimate.high < 0.5
    # With a seed x point interaction the shortfall is within the noise: inconclusive.
    result, _, c = judge({**check, "margin": 0.5}, norm_table(noise=0.2))
    assert result == "inconclusive" and c.label == "16 -> 32" and c.estimate.high > 0.5
    flat = {**check, "where": GN, "trend": "non_increasing", "margin": 0.1}
    assert judge(flat, table)[0] == "reproduced"  # no step up by more than 0.1 (all steps are 0)


def test_argmin_location_and_its_confidence_set() -> None:
    rates = (0.1, 0.3, 0.5, 0.7, 0.9)
    rows = [row(f"p{p}", s, 2.0 + 10 * (p - 0.5) ** 2 + shift, **{"model.dropout": p})
            for p in rates for s, shift in SEED_SHIFT.items()]  # fmt: skip
    table = pd.DataFrame(rows)
    check = {"kind": "argmin", "axis": "model.dropout", "range": [0.4, 0.6], "metric": METRIC}
    result, measured, c = judge(check, table)
    assert result == "reproduced" and "best at 0.5 (expected in [0.4, 0.6])" in measured
    assert (c.estimate.low, c.estimate.high) == (0.5, 0.5) and c.agreement == "3/3"
    assert judge({**check, "range": [0.7, 0.9]}, table)[0] == "contradicted"
    # The highest error: 0.1 and 0.9 tie, so both stay in the set and neither end alone is established.
    tied, ends = table.copy(), table["model.dropout"]
    tied.loc[ends == 0.9, "value"] = tied.loc[ends == 0.1, "value"].to_numpy()
    result, _, c = judge({**check, "better": "higher", "range": [0.1, 0.1]}, tied)
    assert result == "direction only" and (c.estimate.low, c.estimate.high) == (0.1, 0.9)
    # Seeds that disagree on the best point widen the set of points not clearly worse than the best.
    swapped = table.copy()
    swapped.loc[(swapped["model.dropout"] == 0.3) & (swapped["seed"] == 0), "value"] = (
        1.85  # < its 1.9 at 0.5
    )
    result, _, c = judge(check, swapped)
    assert result == "direction only" and c.estimate.low == 0.3 and c.agreement == "2/3"


CROSS = {"kind": "crossover", "axis": "train.batch_size", "pair": [{"where": BN, "label": "BN"},
         {"where": GN, "label": "GN"}], "range": [16, 32], "metric": METRIC}  # fmt: skip


@pytest.mark.parametrize(("mode", "where"), [("linear", 16 + 16 * 0.25 / 0.375), ("log", 16 * 2 ** (2 / 3)),
                                             ("none", 32.0)])  # fmt: skip
def test_crossover_interpolates_where_the_sign_changes(mode: str, where: float) -> None:
    # BN - GN: +0.25 at batch 16, -0.125 at 32.
    result, measured, c = judge({**CROSS, "interpolate": mode}, norm_table())
    assert result == "reproduced" and c.estimate.effect == pytest.approx(where)
    assert f"crossover at {where:.3g}" in measured


def test_crossover_that_never_happens_or_starts_below() -> None:
    never = norm_table(gn=lambda b: 20.0)
    result, measured, c = judge(CROSS, never)
    # A count of seeds: 0/3 [0, 0.71] cannot exclude that most seeds cross; 0/6 [0, 0.46] can.
    assert result == "inconclusive" and "no crossover (in 0/3 seeds)" in measured
    assert c.evidence() == "held in 0/3 [0.00, 0.71], 3 seeds"
    six = norm_table(gn=lambda b: 20.0, shifts={s: 0.05 * s for s in range(6)})
    result, measured, c = judge(CROSS, six)
    assert result == "contradicted" and "no crossover (in 0/6 seeds)" in measured
    below = norm_table(gn=lambda b: 40.0)
    result, measured, c = judge(CROSS, below)
    assert "already below at the first point" in measured and c.estimate.effect == 2.0
    assert result == "contradicted"


def test_selector_arms_select_runs_by_config_columns() -> None:
    table = norm_table()
    small = {"train.batch_size": 2}
    check = {"kind": "pairwise_less", "pairs": [[{"where": {**GN, **small}, "label": "GN b2"},
                                                 {"where": {**BN, **small}}]], "metric": METRIC}  # fmt: skip
    result, measured, c = judge(check, table)
    assert result == "reproduced" and "GN b2 24.00 vs norm.name=batch, batch_size=2 29.50" in measured
    assert c.estimate.effect == pytest.approx(5.5) and c.estimate.method == "paired t"
    # An arm over several variants takes, per seed, the mean of its runs: BN over all batch sizes.
    wide = {**check, "pairs": [[{"where": GN}, {"where": BN}]]}
    expected = sum(23.5 + 12.0 / b for b in BATCHES) / len(BATCHES) - 24.0
    assert judge(wide, table)[2].estimate.effect == pytest.approx(expected)
    # The same arm written as a variant name gives the same numbers.
    named = {**check, "pairs": [["group_b2", "batch_b2"]]}
    assert judge(named, table)[2].estimate == c.estimate


def test_sweeps_are_never_vacuous() -> None:
    table = norm_table()
    result, measured, _ = judge({**FLAT, "axis": "model.depth"}, table)
    assert result == "not evaluable" and "no column model.depth" in measured
    result, measured, _ = judge({**FLAT, "where": {"model.norm.name": "layer"}}, table)
    assert result == "not evaluable" and "no run" in measured
    dead = norm_table(diverged={("group", 2, s) for s in SEED_SHIFT})
    result, measured, _ = judge(FLAT, dead)
    assert result == "not evaluable" and "train.batch_size=2" in measured and "no completed run" in measured
    one = table[table["train.batch_size"] == 2]
    assert judge(FLAT, one)[:2] == ("not evaluable", "val error over train.batch_size (norm.name=group): "
                                                     "fewer than 2 points")  # fmt: skip
    # One diverged seed at one point: named, left out of that point's mean, and not an agreeing seed.
    # The pairs with that point rest on two seeds, which caps the verdict at direction only.
    partly = norm_table(diverged={("group", 8, 1)}, wiggle=0.05)
    result, measured, c = judge(FLAT, partly)
    assert "train.batch_size=8 seed 1 diverged (left out of the means)" in measured
    assert c.agreement == "2/3" and c.clears and c.estimate.n == 2 and result == "direction only"
    assert "2 seeds: fewer than 3" in c.evidence()
    four = {**SEED_SHIFT, 3: 0.05}
    result, _, c = judge(FLAT, norm_table(diverged={("group", 8, 1)}, wiggle=0.05, shifts=four))
    assert c.agreement == "3/4" and c.estimate.n == 3 and result == "reproduced"
