"""Checks on whole training curves and probe series: dominates, range_less, steps_to_reach.

Verdict rules (direction, count, the 3-seed cap) are those of ``repro.claims.verdicts``.

- dominates: arm a is at least as good as b within a non-inferiority ``margin`` (required, fixed at
  calibration, in the metric's units) at every evaluation from step ``after`` on, and better at the end.
  An intersection-union test: one direction comparison per evaluation step, the lead of a over b (paired
  over completed seeds, one-sample t on the per-seed leads) against the threshold -margin, plus the final
  lead against 0. The claim is reproduced only if every step's interval clears -margin and the final
  lead's clears 0 (each with every seed agreeing); as the claim is the intersection of the per-step
  claims, no multiplicity correction is due. One step whose interval lies wholly below -margin
  contradicts it. The text says at how many evaluations the interval clears the margin and names the
  worst (the lowest interval bound).
- range_less: a probe summary (the median, or the width between two percentiles) moves over a smaller
  range (max - min over steps from ``from_step``) for a than for b, in every shared unit (``require:
  every_unit``, the default) or on the mean over units (``require: mean``). A direction comparison on
  the mean over units of range(b) - range(a), paired t over seeds (agreement: the seeds in which the
  claim holds on their own); with ``every_unit`` also a count over the probed units of every seed: k =
  (unit, seed) pairs whose range is smaller for a, of n such pairs both arms have, resting on the seeds
  both share. The check reads the weaker of the two.
- steps_to_reach: the first step at which each arm's mean curve reaches a target (a number, or the best
  value of a named variant's mean curve) strictly increases along ``order``. A first-passage time is
  discrete and often never reached (infinite), so no t interval is formed: for each consecutive pair a
  count, k = the seeds in which the earlier arm reaches the target first (a seed in which only the later
  arm diverged counts for it), of the n seeds both arms ran; it holds when the order holds on the mean
  curves.

``better`` says which direction is good for the metric: lower (error, loss; the default) or higher. In
seed agreement a diverged run of the arm claimed worse counts for the claim, of the other arm against it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import pandas as pd

from repro.analysis import MetricSpec, as_spec, curves, first_step_reaching, metric_rows
from repro.claims.arms import Arm, absences, agreement, parse_arm, seed_status
from repro.claims.registry import BETTER, METRIC, Key, register
from repro.claims.stats import one_sample
from repro.claims.verdicts import Comparison, Outcome, count, direction


def sign_of(check: Mapping[str, Any]) -> float:
    """+1 when lower values are better, -1 when higher are: sign * (b - a) > 0 means a is better."""
    return 1.0 if check.get("better", "lower") == "lower" else -1.0


def arm_curves(table: pd.DataFrame, spec: MetricSpec, arm: Arm) -> pd.DataFrame:
    """The arm's curve as a step x seed frame over its completed runs (empty if there are none)."""
    return curves(table, arm.spec(spec), None)


@register(
    "dominates",
    pair=Key("pair", required=True),
    after=Key("integer"),
    margin=Key("nonnegative", required=True),
    better=BETTER,
    metric=METRIC,
)
def check_dominates(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """pair[0] at least as good as pair[1] within ``margin`` at every evaluation >= after, and better last."""
    spec = as_spec(check["metric"])
    a, b = (parse_arm(x) for x in check["pair"])
    ca, cb = arm_curves(table, spec, a), arm_curves(table, spec, b)
    missing = [arm for arm, c in ((a, ca), (b, cb)) if c.empty]
    if missing:
        return Outcome.not_evaluable(f"{spec.describe()}: {absences(table, spec, missing)}")
    sign, margin = sign_of(check), float(check["margin"])
    steps = ca.index.intersection(cb.index)
    steps = steps[steps >= int(check.get("after", 0))]
    seeds = ca.columns.intersection(cb.columns)
    if steps.empty or seeds.empty:
        what = "evaluation step" if steps.empty else "completed seed"
        return Outcome.not_evaluable(f"{spec.describe()}: {a.label} and {b.label} share no {what}")
    lead = sign * (cb.loc[steps].mean(axis=1) - ca.loc[steps].mean(axis=1))  # > 0: a is better
    seed_lead = sign * (cb.loc[steps, seeds] - ca.loc[steps, seeds])  # step x seed
    status_a, status_b = seed_status(table, a), seed_status(table, b)
    final = seed_lead.iloc[-1]
    better_last = direction(
        f"final lead of {a.label} over {b.label}",
        one_sample(final),
        0.0,
        float(lead.iloc[-1]) > 0,
        agreement(final > 0, status_a, status_b, worse="y"),
    )
    at_steps = non_inferior_steps(seed_lead, lead, margin, status_a, status_b)
    worst = at_steps[0]
    cleared = sum(c.clears for c in at_steps)
    per_seed = (seed_lead >= -margin).all(axis=0)
    threshold = f"{-margin:g}" if margin else "0"  # never "-0"
    text = (
        f"{spec.describe()}: {a.label} at least as good as {b.label} (within {margin:g}) at "
        f"{int((lead >= -margin).sum())}/{len(steps)} evaluations from step {int(steps[0])} on the mean "
        f"curves, the 95% interval of the lead above {threshold} at {cleared}/{len(steps)} (worst: "
        f"{worst.label}, {worst.evidence()}); final {a.label} {ca.loc[steps[-1]].mean():.2f} vs "
        f"{b.label} {cb.loc[steps[-1]].mean():.2f}; within the margin at every evaluation in "
        f"{int(per_seed.sum())}/{len(seeds)} seeds"
    )
    return Outcome(text, [better_last, *at_steps])


def non_inferior_steps(
    seed_lead: pd.DataFrame, lead: pd.Series, margin: float, status_a: pd.Series, status_b: pd.Series
) -> list[Comparison]:
    """One 'lead > -margin' comparison per evaluation (an intersection-union test), worst first.

    The claim holds only if every evaluation's interval clears -margin, so no multiplicity correction is
    due. Worst: the lowest interval bound (the lowest mean lead where there is no interval).
    """
    comparisons = [
        direction(
            f"lead at step {int(step)}",
            one_sample(seed_lead.loc[step]),
            -margin,
            bool(lead[step] >= -margin),
            agreement(seed_lead.loc[step] >= -margin, status_a, status_b, worse="y"),
        )
        for step in seed_lead.index
    ]
    return sorted(comparisons, key=lambda c: c.estimate.low if c.estimate.has_interval else c.estimate.effect)


def probe_stat(table: pd.DataFrame, check: Mapping[str, Any], arm: Arm) -> pd.DataFrame:
    """Per (seed, unit, step) of an arm: the median (q=50) or the width between two percentiles."""
    rows = metric_rows(table, arm.spec(as_spec(check["metric"])))
    if rows.empty:
        return pd.DataFrame(columns=["seed", "unit", "step", "value"])
    wide = rows.pivot_table(index=["seed", "unit", "step"], columns="q", values="value", aggfunc="mean")
    if check.get("stat", "median") == "median":
        value = wide[50.0]
    else:
        low, high = (float(q) for q in check.get("width", [15, 85]))
        value = wide[high] - wide[low]
    return value.rename("value").reset_index()


@register(
    "range_less",
    pair=Key("pair", required=True),
    stat=Key("choice", choices=("median", "width")),
    width=Key("interval"),
    from_step=Key("integer"),
    require=Key("choice", choices=("every_unit", "mean")),
    metric=METRIC,
)
def check_range_less(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """Range over time (max - min from ``from_step``) of a probe stat: smaller for pair[0], in every unit."""
    spec = as_spec(check["metric"])
    a, b = (parse_arm(x) for x in check["pair"])
    name = f"{check.get('stat', 'median')} of {spec.metric}"
    stats = {arm: probe_stat(table, check, arm) for arm in (a, b)}
    stats = {arm: s[s["step"] >= int(check.get("from_step", 0))] for arm, s in stats.items()}
    missing = [arm for arm, s in stats.items() if s.empty]
    if missing:
        return Outcome.not_evaluable(f"{name}: {absences(table, spec, missing)}")
    spans = {
        arm: s.groupby(["seed", "unit"])["value"].agg(lambda v: v.max() - v.min()) for arm, s in stats.items()
    }
    ra, rb = (spans[arm].groupby("unit").mean() for arm in (a, b))  # per unit, mean over seeds
    units = ra.index.intersection(rb.index)
    if units.empty:
        return Outcome.not_evaluable(f"{name}: {a.label} and {b.label} share no probed unit")
    every = check.get("require", "every_unit") == "every_unit"
    smaller = int((ra[units] < rb[units]).sum())
    mean_a, mean_b = float(ra[units].mean()), float(rb[units].mean())
    ok = smaller == len(units) if every else mean_a < mean_b
    gap = (spans[b] - spans[a]).dropna()  # per (seed, unit), on seeds and units both arms have
    gap = gap[gap.index.get_level_values("unit").isin(units)]
    per_seed_gap = gap.groupby("seed").mean()
    per_seed_ok = (gap > 0).groupby("seed").all() if every else per_seed_gap > 0
    agree = agreement(per_seed_ok, seed_status(table, a), seed_status(table, b))
    comparisons = [
        direction(f"range of {b.label} - {a.label}", one_sample(per_seed_gap), 0.0, bool(ok), agree)
    ]
    if every:  # "in every unit": a count over the probed units of every run (unit x seed both arms share)
        # Each seed is an independently trained pair of nets, and the spec asks for the claim per unit in
        # several units; so a unit of one seed's runs is one observation (3 seeds x 5 units: 15).
        held = (int((gap > 0).sum()), len(gap))
        label = f"range of {a.label} < {b.label} per unit and seed"
        comparisons.append(count(label, held, len(per_seed_gap), bool(ok), counted="unit-seeds"))
    first = int(min(s["step"].min() for s in stats.values()))
    ratio = f", ratio {mean_b / mean_a:.1f}x" if mean_a > 0 else ""
    text = (
        f"{name}, range over training from step {first}: {a.label} {mean_a:.3f} vs {b.label} {mean_b:.3f} "
        f"(mean over {len(units)} units{ratio}); smaller for {a.label} in {smaller}/{len(units)} units"
    )
    return Outcome(text, comparisons)


def _target(
    check: Mapping[str, Any], table: pd.DataFrame, spec: MetricSpec, sign: float
) -> tuple[float, str]:
    """The target value and its label ('' for a number; "(v's best)" for a variant's best mean value)."""
    target = check["target"]
    if not isinstance(target, Mapping):
        return float(target), ""
    ref = arm_curves(table, spec, parse_arm(target["variant"])).mean(axis=1)
    if ref.empty:
        return math.nan, target["variant"]
    return float(ref.min() if sign > 0 else ref.max()), f" ({target['variant']}'s best)"


@register(
    "steps_to_reach",
    order=Key("arms", required=True),
    target=Key("target", required=True),
    better=BETTER,
    metric=METRIC,
)
def check_steps_to_reach(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """Steps until the mean curve reaches the target strictly increase along ``order``."""
    sign, spec = sign_of(check), as_spec(check["metric"])
    arms = [parse_arm(v) for v in check["order"]]
    target, label = _target(check, table, spec, sign)
    if math.isnan(target):
        ref = parse_arm(check["target"]["variant"])
        return Outcome.not_evaluable(f"{spec.describe()}: target {absences(table, spec, [ref])}")
    per_arm = {arm: arm_curves(table, spec, arm) for arm in arms}
    missing = [arm for arm, c in per_arm.items() if c.empty]
    if missing:
        return Outcome.not_evaluable(f"{spec.describe()}: {absences(table, spec, missing)}")
    steps = {arm: first_step_reaching(c.mean(axis=1), target, sign) for arm, c in per_arm.items()}
    per_seed = {
        arm: c.apply(lambda col: first_step_reaching(col.dropna(), target, sign))
        for arm, c in per_arm.items()
    }
    comparisons = []
    for p, q in pairwise(arms):
        shared = per_seed[p].index.intersection(per_seed[q].index)
        faster = per_seed[p][shared] < per_seed[q][shared]
        # A seed in which the later arm diverged counts for the claim, the earlier arm against it.
        held = agreement(faster, seed_status(table, q), seed_status(table, p), worse="x") or (0, 0)
        label = f"{p.label} reaches it before {q.label}"
        comparisons.append(count(label, held, held[1], bool(steps[p] < steps[q])))
    shown = " < ".join(f"{arm.label} {'never' if math.isinf(s) else int(s)}" for arm, s in steps.items())
    return Outcome(f"steps to {spec.describe()} {target:.2f}{label}: {shown}", comparisons)
