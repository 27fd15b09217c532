"""Checks along a sweep axis: flat, monotone, argmin, crossover.

The axis is a config column of the tidy table (``train.batch_size``, ``model.dropout``), sorted
numerically (flat also takes a categorical axis, in natural order). Each point of a series is the mean
over seeds of the per-run values of the runs at that axis value that match ``where`` (the other axes
held fixed); runs of one seed at one point are averaged first, so points pair by seed. A point whose runs
all diverged makes the check not evaluable (never silently dropped); a single diverged seed is named,
left out of that point's mean, and does not count as agreeing.

- flat: max - min of the point means <= tolerance. Equivalence: the interval of the range runs from the
  largest distance from zero to the largest reach of the pairwise-difference intervals of the points
  (paired t by seed; no multiplicity correction, which the few points of a sweep make tolerable).
- monotone: each step along the axis moves in the ``trend`` direction: increasing / decreasing by more
  than ``margin``, or non_decreasing / non_increasing (no step against it by more than ``margin``).
- argmin: the axis value of the best mean (``better: lower``; ``higher`` for an argmax) lies in
  ``range``. Interval: the span of the points not clearly worse than the best (a paired t interval of
  their difference from the best reaches zero), a confidence set for the location of the best.
- crossover: the first axis value at which pair[0]'s series drops below pair[1]'s, interpolated between
  the two points around the sign change (``interpolate``: linear, log or none), lies in ``range``.
  Interval: the mean-curve crossover +- t * sd / sqrt(n) of the per-seed crossovers (in log space for
  ``log``). When the mean curves never cross, a count (``repro.claims.verdicts``): k = the seeds that do
  cross within ``range``, of every seed; it never holds, and reads contradicted when the Clopper-Pearson
  upper bound of k/n is below 1/2 (e.g. 0 of 6 seeds) with at least 3 seeds, inconclusive otherwise.

Every comparison here rests on its interval's seeds (``Estimate.n``: the fewest seeds of any paired
point); fewer than 3 cap its verdict at direction only or inconclusive (``repro.claims.verdicts``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import combinations, pairwise
from typing import Any

import numpy as np
import pandas as pd

from repro.analysis import COMPLETED, RUN_KEYS, as_spec, natural_key, per_run, rows_where, run_columns
from repro.claims.arms import Arm, parse_arm, where_label
from repro.claims.registry import BETTER, METRIC, Key, register
from repro.claims.stats import Estimate, difference, t_critical
from repro.claims.verdicts import Outcome, count, direction, in_range

AXIS = Key("column", required=True, numeric=True)
WHERE = Key("where")
TRENDS = ("increasing", "decreasing", "non_decreasing", "non_increasing")


@dataclass
class Series:
    """A metric along an axis: values (axis value x seed, completed runs) and statuses (every run)."""

    values: pd.DataFrame
    status: pd.DataFrame
    note: str

    @property
    def means(self) -> pd.Series:
        """Mean over seeds at each point."""
        return self.values.mean(axis=1)

    def agreeing(self, per_seed: pd.Series) -> tuple[int, int]:
        """Seeds where ``per_seed`` holds and every run of the seed completed, of the seeds in the sweep."""
        complete = (self.status == COMPLETED).all(axis=0)
        return int(sum(bool(per_seed.get(s, False)) and bool(complete[s]) for s in complete.index)), len(
            complete
        )


def series(
    table: pd.DataFrame, check: Mapping[str, Any], arm: Arm | None = None, numeric: bool = True
) -> Series | str:
    """The series of ``check``'s metric along its axis (restricted to an arm), or why there is none."""
    spec, axis = as_spec(check["metric"]), check["axis"]
    where = {**(check.get("where") or {}), **(arm.filters if arm else {})}
    what = f" ({where_label(where)})" if where else ""
    if axis not in table:
        return f"no column {axis} in the table"
    runs_here = run_columns(rows_where(table, where), [axis, "status"])
    if runs_here.empty:
        return f"no run{what}"
    values = per_run(table, replace(spec, where={**spec.where, **where})).merge(runs_here[[*RUN_KEYS, axis]])
    frame = values.pivot_table(index=axis, columns="seed", values="value", aggfunc="mean")
    status = runs_here.pivot_table(index=axis, columns="seed", values="status", aggfunc=_combine)
    try:
        order = sorted(status.index, key=float if numeric else natural_key)
    except (TypeError, ValueError):
        return f"axis {axis} is not numeric"
    dead = [x for x in order if x not in frame.index]
    if dead:
        return f"{axis}={', '.join(str(x) for x in dead)}{what}: no completed run (only diverged or failed)"
    bad = [
        (x, s, v) for x in order for s, v in status.loc[x].items() if isinstance(v, str) and v != COMPLETED
    ]
    note = "; ".join(f"{axis}={x} seed {int(s)} {v}" for x, s, v in bad)
    return Series(frame.reindex(order), status.reindex(order), note)


def _combine(statuses: pd.Series) -> str:
    return COMPLETED if (statuses == COMPLETED).all() else str(statuses[statuses != COMPLETED].iloc[0])


def _points(s: Series) -> str:
    return ", ".join(
        f"{x:g} {m:.2f}" if isinstance(x, int | float) else f"{x} {m:.2f}" for x, m in s.means.items()
    )


def _text(check: Mapping[str, Any], body: str, note: str = "") -> str:
    where = check.get("where")
    head = f"{as_spec(check['metric']).describe()} over {check['axis']}" + (
        f" ({where_label(where)})" if where else ""
    )
    return f"{head}: {body}" + (f"; {note} (left out of the means)" if note else "")


@register(
    "flat",
    axis=Key("column", required=True),
    where=WHERE,
    tolerance=Key("nonnegative", required=True),
    metric=METRIC,
)
def check_flat(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """max - min over the axis of the mean over seeds <= tolerance (equivalence)."""
    s = series(table, check, numeric=False)
    if isinstance(s, str) or len(s.values) < 2:
        return Outcome.not_evaluable(_text(check, s if isinstance(s, str) else "fewer than 2 points"))
    tol, means = float(check["tolerance"]), s.means
    spread = float(means.max() - means.min())
    pairs = [difference(s.values.loc[i], s.values.loc[j]) for i, j in combinations(s.values.index, 2)]
    defined = all(p.has_interval for p in pairs)
    reach = max(max(abs(p.low), abs(p.high)) for p in pairs) if defined else math.nan
    floor = (
        max(0.0 if p.low <= 0 <= p.high else min(abs(p.low), abs(p.high)) for p in pairs)
        if defined
        else math.nan
    )
    estimate = Estimate(
        spread, floor, reach, math.nan, min(p.n for p in pairs), f"pairwise {pairs[0].method}"
    )
    if spread <= tol:  # to reproduce, every pair's interval must come inside the tolerance
        resolve = tuple((tol - abs(p.effect), p.sd, p.paired) for p in pairs)
    else:  # to contradict, the most distant pair's interval must clear it
        far = max(pairs, key=lambda p: abs(p.effect))
        resolve = ((abs(far.effect) - tol, far.sd, far.paired),)
    per_seed = (s.values.max(axis=0) - s.values.min(axis=0)) <= tol
    comparison = in_range(
        f"range over {check['axis']}",
        estimate,
        -tol,
        tol,
        holds=spread <= tol,
        agreement=s.agreeing(per_seed),
        resolve=resolve,
        signed=False,
    )
    return Outcome(
        _text(check, f"{_points(s)}; range {spread:.2f} (tolerance {tol:g})", s.note), [comparison]
    )


@register(
    "monotone",
    axis=AXIS,
    where=WHERE,
    trend=Key("choice", required=True, choices=TRENDS),
    margin=Key("nonnegative"),
    metric=METRIC,
)
def check_monotone(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """Each step along the axis goes the ``trend`` way (strictly by > margin, or not against by > margin)."""
    s = series(table, check)
    if isinstance(s, str) or len(s.values) < 2:
        return Outcome.not_evaluable(_text(check, s if isinstance(s, str) else "fewer than 2 points"))
    trend, margin = check["trend"], float(check.get("margin", 0.0))
    sign = 1.0 if trend in ("increasing", "non_decreasing") else -1.0
    threshold = margin if trend in ("increasing", "decreasing") else -margin
    comparisons = []
    for x, y in pairwise(s.values.index):
        step = sign * (s.values.loc[y] - s.values.loc[x])
        mean_step = float(sign * (s.means[y] - s.means[x]))
        holds = mean_step > threshold if threshold > 0 else mean_step >= threshold
        estimate = difference(sign * s.values.loc[y], sign * s.values.loc[x])
        comparisons.append(
            direction(f"{x} -> {y}", estimate, threshold, holds, s.agreeing(step > min(threshold, 0.0)))
        )
    return Outcome(
        _text(check, f"{_points(s)} (expected {trend.replace('_', '-')}, margin {margin:g})", s.note),
        comparisons,
    )


@register(
    "argmin", axis=AXIS, where=WHERE, range=Key("interval", required=True), better=BETTER, metric=METRIC
)
def check_argmin(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """The axis value of the best mean over seeds lies in ``range`` (the highest with better: higher)."""
    s = series(table, check)
    if isinstance(s, str) or len(s.values) < 2:
        return Outcome.not_evaluable(_text(check, s if isinstance(s, str) else "fewer than 2 points"))
    sign = 1.0 if check.get("better", "lower") == "lower" else -1.0
    low, high = (float(v) for v in check["range"])
    best = (sign * s.means).idxmin()
    worse = {x: difference(sign * s.values.loc[x], sign * s.values.loc[best]) for x in s.values.index}
    plausible = [float(x) for x, est in worse.items() if x == best or not (est.has_interval and est.low > 0)]
    estimate = Estimate(
        float(best),
        min(plausible),
        max(plausible),
        math.nan,
        min(e.n for e in worse.values()),
        "points not clearly worse than the best (paired t)",
    )
    per_seed = (sign * s.values).idxmin(axis=0).astype(float).between(low, high)
    agree = s.agreeing(per_seed)
    comparison = in_range(f"best {check['axis']}", estimate, low, high, agreement=agree, signed=False)
    body = f"{_points(s)}; best at {float(best):g} (expected in [{low:g}, {high:g}])"
    return Outcome(_text(check, body, s.note), [comparison])


def first_crossing(xs: np.ndarray, gap: np.ndarray, interpolate: str) -> float:
    """The first x where ``gap`` (a - b) turns negative, interpolated; xs[0] if it starts so; nan: never."""
    below = np.flatnonzero(gap < 0)
    if len(below) == 0:
        return math.nan
    i = int(below[0])
    if i == 0 or interpolate == "none":
        return float(xs[i])
    x0, x1 = (np.log(xs[i - 1]), np.log(xs[i])) if interpolate == "log" else (xs[i - 1], xs[i])
    x = x0 + (x1 - x0) * gap[i - 1] / (gap[i - 1] - gap[i])
    return float(np.exp(x) if interpolate == "log" else x)


def _crossover_rule(check: Mapping[str, Any]) -> str | None:
    low = check.get("range", [1.0])[0]
    if check.get("interpolate") == "log" and isinstance(low, int | float) and low <= 0:
        return "with 'interpolate: log' the 'range' must be positive"
    return None


@register(
    "crossover",
    _crossover_rule,
    axis=AXIS,
    where=WHERE,
    pair=Key("pair", required=True),
    range=Key("interval", required=True),
    interpolate=Key("choice", choices=("linear", "log", "none")),
    metric=METRIC,
)
def check_crossover(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """Where pair[0]'s series first drops below pair[1]'s along the axis; expected in ``range``."""
    a, b = (parse_arm(x) for x in check["pair"])
    sa, sb = series(table, check, a), series(table, check, b)
    for arm, s in ((a, sa), (b, sb)):
        if isinstance(s, str):
            return Outcome.not_evaluable(_text(check, f"{arm.label}: {s}"))
    xs = [x for x in sa.values.index if x in sb.values.index]
    if len(xs) < 2:
        return Outcome.not_evaluable(_text(check, f"{a.label} and {b.label} share fewer than 2 points"))
    mode, (low, high) = check.get("interpolate", "linear"), (float(v) for v in check["range"])
    axis = np.array(xs, dtype=float)
    if mode == "log" and (axis <= 0).any():
        return Outcome.not_evaluable(_text(check, "log interpolation needs a positive axis"))
    value = first_crossing(axis, (sa.means[xs] - sb.means[xs]).to_numpy(), mode)
    seeds = sa.values.columns.intersection(sb.values.columns)
    gaps = sa.values.loc[xs, seeds] - sb.values.loc[xs, seeds]
    per_seed = pd.Series({s: first_crossing(axis, gaps[s].to_numpy(), mode) for s in seeds}, dtype=float)
    status = pd.concat([sa.status.loc[xs], sb.status.loc[xs]])
    complete = (status == COMPLETED).all(axis=0)
    agree = int(sum(bool(low <= per_seed.get(s, math.nan) <= high and complete[s]) for s in complete.index))
    label = f"crossover of {a.label} below {b.label}"
    points = f"{a.label}: {_points(sa)}; {b.label}: {_points(sb)}"
    if math.isnan(value):
        crossed = int(per_seed.notna().sum())
        # The mean curves never cross: a count of the seeds that do cross in the range, of every seed.
        comparison = count(label, (agree, len(complete)), len(complete), holds=False)
        return Outcome(
            _text(check, f"{points}; no crossover (in {crossed}/{len(seeds)} seeds)"), [comparison]
        )
    estimate = _crossing_interval(value, per_seed, mode)
    resolve = None
    if mode == "log":  # the interval is formed in log space: so are the gaps that more seeds must clear
        v, lo, hi = np.log(value), np.log(low), np.log(high)
        gap = min(v - lo, hi - v) if lo <= v <= hi else max(v - hi, lo - v)
        resolve = ((float(gap), estimate.sd, True),)
    comparison = in_range(
        label, estimate, low, high, agreement=(agree, len(complete)), signed=False, resolve=resolve
    )
    first = " (already below at the first point)" if value == axis[0] else ""
    body = f"{points}; crossover at {value:.3g}{first} (expected in [{low:g}, {high:g}])"
    return Outcome(_text(check, body), [comparison])


def _crossing_interval(value: float, per_seed: pd.Series, mode: str) -> Estimate:
    """The mean-curve crossover +- t * sd / sqrt(n) of the per-seed crossovers (none if one never crosses)."""
    if per_seed.isna().any() or len(per_seed) < 2:
        return Estimate.exact(value, "per-seed crossovers: too few", len(per_seed))
    to, back = (np.log, np.exp) if mode == "log" else (lambda v: v, lambda v: v)
    sd = float(np.std(to(per_seed.to_numpy()), ddof=1))
    half = t_critical(len(per_seed) - 1) * sd / math.sqrt(len(per_seed))
    centre = to(value)
    return Estimate(
        value,
        float(back(centre - half)),
        float(back(centre + half)),
        sd,
        len(per_seed),
        "t over per-seed crossovers",
    )
