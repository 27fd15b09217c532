"""Checks on what runs did and where their values lie: diverges (run status) and bound (absolute limits).

- diverges: the runs of each listed arm diverged (non-finite loss) in at least ``min_fraction`` of its
  seeds (default: all), or with ``expect: false`` in none. A count (``repro.claims.verdicts``, count
  rule): k = the seeds that behaved as claimed (diverged; with ``expect: false``, did not), of the n
  seeds run, with the exact Clopper-Pearson 95% interval of k/n. It holds when the required share is met
  (k/n >= min_fraction; with ``expect: false``, k = n), and is judged against the reference share 1/2,
  or against ``min_fraction`` where that is smaller (a claim about a minority of runs).
- bound: each listed arm's mean over seeds lies within [min, max]. The effect is the distance of the mean
  inside the bound (negative: outside), with a one-sample t interval over seeds; every seed's value inside
  the bound is the seed agreement. A diverged seed has no value: it is named and does not agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from repro.analysis import DIVERGED, as_spec, rows_where
from repro.claims.arms import absence, diverged_seeds, parse_arm, seed_status, seed_values
from repro.claims.registry import METRIC, Key, register
from repro.claims.stats import one_sample
from repro.claims.verdicts import MAJORITY, Outcome, count, direction


@register(
    "diverges", variants=Key("arm_list", required=True), expect=Key("bool"), min_fraction=Key("fraction")
)
def check_diverges(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """Each listed arm diverged in >= min_fraction of its seeds (``expect: false``: in none)."""
    expect = bool(check.get("expect", True))
    need = float(check.get("min_fraction", 1.0))
    parts, comparisons = [], []
    for arm in (parse_arm(v) for v in check["variants"]):
        status = seed_status(table, arm)
        if status.empty:
            return Outcome.not_evaluable(f"{arm.label}: {absence(table, None, arm)}")
        diverged = [int(s) for s, v in status.items() if v == DIVERGED]
        n, k = len(status), len(diverged)
        held = k if expect else n - k  # seeds that behaved as claimed
        holds = k / n >= need if expect else k == 0
        share = min(need, MAJORITY) if expect else MAJORITY
        label = f"{arm.label} {'diverged' if expect else 'did not diverge'}"
        comparisons.append(count(label, (held, n), n, holds, share=share))
        last = rows_where(table, arm.filters).groupby("seed")["step"].max()
        where = f" (at steps {', '.join(str(int(last[s])) for s in diverged)})" if diverged else ""
        parts.append(f"{arm.label} diverged in {k}/{n} seeds{where}")
    return Outcome("; ".join(parts), comparisons)


def _bound_rule(check: Mapping[str, Any]) -> str | None:
    if "min" not in check and "max" not in check:
        return "a 'bound' check needs 'min', 'max' or both"
    if "min" in check and "max" in check and check["min"] > check["max"]:
        return f"'min' ({check['min']}) is above 'max' ({check['max']})"
    return None


@register(
    "bound",
    _bound_rule,
    variants=Key("arm_list", required=True),
    min=Key("number"),
    max=Key("number"),
    metric=METRIC,
)
def check_bound(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """min <= mean over seeds <= max for every listed arm (either bound may be left out)."""
    spec = as_spec(check["metric"])
    low, high = check.get("min"), check.get("max")
    parts, comparisons, notes = [], [], {}
    for arm in (parse_arm(v) for v in check["variants"]):
        values = seed_values(table, spec, arm)
        if values.empty:
            return Outcome.not_evaluable(f"{spec.describe()}: {arm.label}: {absence(table, spec, arm)}")
        status = seed_status(table, arm)
        notes[arm.label] = status
        inside = (values >= (-np.inf if low is None else low)) & (
            values <= (np.inf if high is None else high)
        )
        agree = int(sum(bool(inside.get(s, False)) for s in status.index)), len(status)
        mean = float(values.mean())
        if low is not None:  # effect: how far the mean lies above the lower bound
            estimate = one_sample(values, float(low))
            comparisons.append(direction(f"{arm.label} - {low:g}", estimate, 0.0, mean >= low, agree))
        if high is not None:  # ... and below the upper bound
            estimate = one_sample(-values, -float(high))
            comparisons.append(direction(f"{high:g} - {arm.label}", estimate, 0.0, mean <= high, agree))
        parts.append(f"{arm.label} {mean:.2f}")
    bounds = " and ".join(
        t for t in (f">= {low:g}" if low is not None else "", f"<= {high:g}" if high is not None else "") if t
    )
    note = diverged_seeds(notes)
    text = f"{spec.describe()}: " + "; ".join(parts) + f" (required {bounds})" + (f"; {note}" if note else "")
    return Outcome(text, comparisons)
