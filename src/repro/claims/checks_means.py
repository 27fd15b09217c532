"""Checks on means over seeds of named arms: ordering, pairwise_less, within, near_reference.

Each compares per-seed values of one metric (``repro.analysis.per_run``), paired by seed where the arms
share seeds (``repro.claims.stats.difference``). A missing arm (not run at this scale, or only diverged
runs) makes the check not evaluable with the reason; ``ordering`` with ``min_present`` evaluates the arms
present, names the missing ones and says which were evaluated. Diverged runs are never averaged in; in
seed agreement a diverged run counts as worse than a trained one (``better`` says which values are
worse: higher ones by default, for error and loss).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import pandas as pd

from repro.analysis import MetricSpec, as_spec
from repro.claims.arms import Arm, absences, agreement, diverged_seeds, parse_arm, seed_status, seed_values
from repro.claims.registry import BETTER, METRIC, Key, register
from repro.claims.stats import difference, one_sample
from repro.claims.verdicts import Comparison, Outcome, direction, in_range

MARGIN = Key("nonnegative")
TOLERANCE = Key("nonnegative", required=True)


def compare_arms(
    table: pd.DataFrame, spec: MetricSpec, low: Arm, high: Arm, margin: float, better: str = "lower"
) -> Comparison:
    """Directional comparison 'mean(high) - mean(low) > margin', paired by seed where possible."""
    v_low, v_high = seed_values(table, spec, low), seed_values(table, spec, high)
    estimate = difference(v_high, v_low)
    shared = v_low.index.intersection(v_high.index)
    per_seed = (v_high[shared] - v_low[shared]) > min(margin, 0.0)
    # The arm claimed higher is the worse one when lower values are better.
    worse = "x" if better == "lower" else "y"
    agree = agreement(per_seed, seed_status(table, high), seed_status(table, low), worse)
    return direction(f"{low.label} < {high.label}", estimate, margin, agreement=agree)


def _values_and_missing(
    table: pd.DataFrame, spec: MetricSpec, arms: list[Arm]
) -> tuple[dict[Arm, pd.Series], list[Arm]]:
    values = {arm: seed_values(table, spec, arm) for arm in arms}
    return values, [arm for arm in arms if values[arm].empty]


def _notes(table: pd.DataFrame, arms: list[Arm]) -> str:
    note = diverged_seeds({arm.label: seed_status(table, arm) for arm in arms})
    return f"; {note} (left out of the means)" if note else ""


@register(
    "ordering",
    order=Key("arms", required=True),
    margin=MARGIN,
    min_present=Key("count"),
    better=BETTER,
    metric=METRIC,
)
def check_ordering(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """Means increase along ``order``, each step by more than ``margin``.

    With ``min_present: k`` the check is evaluated on the arms present when at least k are; the missing
    ones are named and the text says which were evaluated.
    """
    spec = as_spec(check["metric"])
    arms = [parse_arm(a) for a in check["order"]]
    margin = float(check.get("margin", 0.0))
    values, missing = _values_and_missing(table, spec, arms)
    present = [arm for arm in arms if arm not in missing]
    need = max(int(check.get("min_present", len(arms))), 2)
    if len(present) < need:
        return Outcome.not_evaluable(f"{spec.describe()}: {absences(table, spec, missing)}")
    better = check.get("better", "lower")
    comparisons = [compare_arms(table, spec, a, b, margin, better) for a, b in pairwise(present)]
    means = ", ".join(f"{values[arm].mean():.2f}" for arm in present)
    # State the expected order, then the measured means, so a failed ordering never reads as a held one.
    expected = " < ".join(a.label for a in present)
    text = f"{spec.describe()}: expected {expected}; means {means} (margin {margin:g})"
    if missing:
        text += f"; evaluated {len(present)} of {len(arms)} ({absences(table, spec, missing)})"
    return Outcome(text + _notes(table, present), comparisons)


@register("pairwise_less", pairs=Key("pairs", required=True), margin=MARGIN, better=BETTER, metric=METRIC)
def check_pairwise_less(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """For each pair [a, b]: mean(a) + margin < mean(b). Every pair must have been run."""
    spec = as_spec(check["metric"])
    pairs = [(parse_arm(a), parse_arm(b)) for a, b in check["pairs"]]
    margin = float(check.get("margin", 0.0))
    arms = list(dict.fromkeys(arm for pair in pairs for arm in pair))
    values, missing = _values_and_missing(table, spec, arms)
    better = check.get("better", "lower")
    done = [(a, b) for a, b in pairs if a not in missing and b not in missing]
    parts = [f"{a.label} {values[a].mean():.2f} vs {b.label} {values[b].mean():.2f}" for a, b in done]
    text = f"{spec.describe()}: " + "; ".join(parts) + f" (margin {margin:g})"
    if missing:
        reason = absences(table, spec, missing)
        return Outcome(
            f"{text}; not evaluable: {reason}" if parts else f"{spec.describe()}: {reason}", [], reason
        )
    comparisons = [compare_arms(table, spec, a, b, margin, better) for a, b in done]
    return Outcome(text + _notes(table, arms), comparisons)


@register("within", pair=Key("pair", required=True), tolerance=TOLERANCE, metric=METRIC)
def check_within(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """|mean(a) - mean(b)| <= tolerance (equivalence: for reproduced the whole interval lies inside)."""
    spec = as_spec(check["metric"])
    a, b = (parse_arm(x) for x in check["pair"])
    values, missing = _values_and_missing(table, spec, [a, b])
    if missing:
        return Outcome.not_evaluable(f"{spec.describe()}: {absences(table, spec, missing)}")
    tol = float(check["tolerance"])
    estimate = difference(values[a], values[b])
    shared = values[a].index.intersection(values[b].index)
    per_seed = (values[a][shared] - values[b][shared]).abs() <= tol
    agree = agreement(per_seed, seed_status(table, a), seed_status(table, b))
    diff = abs(values[a].mean() - values[b].mean())
    comparison = in_range(
        f"{a.label} - {b.label}", estimate, -tol, tol, holds=bool(diff <= tol), agreement=agree
    )
    text = f"{spec.describe()}: |{a.label} - {b.label}| = {diff:.2f} (tolerance {tol:g})"
    return Outcome(text + _notes(table, [a, b]), [comparison])


def _references(raw: Any) -> list[tuple[Arm, float]]:
    if isinstance(raw, Mapping):
        return [(parse_arm(k), float(v)) for k, v in raw.items()]
    return [(parse_arm(item["arm"]), float(item["value"])) for item in raw]


@register("near_reference", reference=Key("reference", required=True), tolerance=TOLERANCE, metric=METRIC)
def check_near_reference(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """Each listed arm's mean is within ``tolerance`` of the paper's number (equivalence, one-sample t)."""
    spec = as_spec(check["metric"])
    tol = float(check["tolerance"])
    references = _references(check["reference"])
    values, missing = _values_and_missing(table, spec, [arm for arm, _ in references])
    parts, comparisons = [], []
    for arm, paper in references:
        if arm in missing:
            continue
        status = seed_status(table, arm)
        near = (values[arm] - paper).abs() <= tol
        agree = int(sum(bool(near.get(s, False)) for s in status.index)), len(status)
        estimate = one_sample(values[arm], paper)
        comparisons.append(in_range(f"{arm.label} - paper", estimate, -tol, tol, agreement=agree))
        parts.append(f"{arm.label} {values[arm].mean():.2f} vs paper {paper:.2f}")
    text = f"{spec.describe()}: " + "; ".join(parts) + f" (tolerance {tol:g})"
    if missing:
        reason = absences(table, spec, missing)
        return Outcome(
            f"{text}; not evaluable: {reason}" if parts else f"{spec.describe()}: {reason}",
            comparisons,
            reason,
        )
    return Outcome(text + _notes(table, [arm for arm, _ in references]), comparisons)
