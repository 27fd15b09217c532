"""Claim checks on whole training curves, probe series and run status (registered in repro.claims.CHECKS).

- dominates: variant a is at least as good as b at every evaluation from step ``after`` on, and better
  at the end (mean curves over completed seeds; the per-seed count is reported beside it).
- range_less: a probe summary (the median, or the width between two percentiles) moves over a smaller
  range over training (max - min over steps, from ``from_step``) for a than for b, per unit.
- steps_to_reach: the first step at which each variant's mean curve reaches a target (a number, or the
  best value of a named variant's mean curve) strictly increases along ``order``.
- diverges: the runs of each listed variant diverged (non-finite loss), in at least ``min_fraction`` of
  seeds (or, with ``expect: false``, in none).
- bound: each listed variant's mean over seeds lies within [min, max].

``better`` says which direction is good for the metric: lower (error, loss; the default) or higher.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from repro.claims import CHECKS, _describe, variant_means

Outcome = tuple[bool | None, str]


def _rows(table: pd.DataFrame, metric: dict[str, Any], completed_only: bool = True) -> pd.DataFrame:
    """Rows of one metric (its source, split and key columns) from completed runs, without NaN values."""
    rows = table[(table["source"] == metric.get("source", "metrics")) & (table["metric"] == metric["metric"])]
    if completed_only and "status" in rows:
        rows = rows[rows["status"] == "completed"]
    if "split" in metric:
        rows = rows[rows["split"] == metric["split"]]
    return rows.dropna(subset=["value"])


def seed_curves(table: pd.DataFrame, metric: dict[str, Any], variant: str) -> pd.DataFrame:
    """A variant's curve as a step x seed frame over its completed runs (empty if there are none)."""
    rows = _rows(table, metric)
    rows = rows[rows["variant"] == variant]
    if rows.empty:
        return pd.DataFrame()
    return rows.pivot_table(index="step", columns="seed", values="value", aggfunc="mean").sort_index()


def _sign(check: dict[str, Any]) -> float:
    """+1 when lower values are better, -1 when higher are: sign * (b - a) > 0 means a is better."""
    better = check.get("better", "lower")
    if better not in ("lower", "higher"):
        raise ValueError(f"claim check 'better' must be lower or higher, got {better!r}")
    return 1.0 if better == "lower" else -1.0


@CHECKS.register("dominates")
def check_dominates(check: dict[str, Any], table: pd.DataFrame) -> Outcome:
    """Mean curve of pair[0] at least as good as pair[1]'s at every evaluation >= after, and better last."""
    a, b = check["pair"]
    ca, cb = seed_curves(table, check["metric"], a), seed_curves(table, check["metric"], b)
    if ca.empty or cb.empty:
        return None, f"{_describe(check['metric'])}: not run: {a if ca.empty else b}"
    sign, margin = _sign(check), float(check.get("margin", 0.0))
    steps = ca.index.intersection(cb.index)
    steps = steps[steps >= int(check.get("after", 0))]
    if steps.empty:
        return None, f"{_describe(check['metric'])}: {a} and {b} share no evaluation step"
    lead = sign * (cb.loc[steps].mean(axis=1) - ca.loc[steps].mean(axis=1))  # > 0: a is better
    held = lead >= -margin
    final = float(lead.iloc[-1])
    seeds = ca.columns.intersection(cb.columns)
    per_seed = sum(bool((sign * (cb.loc[steps, s] - ca.loc[steps, s]) >= -margin).all()) for s in seeds)
    worst = lead.idxmin()
    text = (
        f"{_describe(check['metric'])}: {a} at least as good as {b} at {int(held.sum())}/{len(steps)} "
        f"evaluations from step {int(steps[0])} (smallest lead {lead[worst]:.2f} at step {int(worst)}); "
        f"final {a} {ca.loc[steps[-1]].mean():.2f} vs {b} {cb.loc[steps[-1]].mean():.2f}; "
        f"at every evaluation in {per_seed}/{len(seeds)} seeds"
    )
    return bool(held.all()) and final > 0, text


def probe_stat(table: pd.DataFrame, check: dict[str, Any]) -> pd.DataFrame:
    """Per (variant, seed, unit, step): the median (q=50) or the width between two percentiles."""
    rows = _rows(table, check["metric"])
    if rows.empty:
        return pd.DataFrame(columns=["variant", "seed", "unit", "step", "value"])
    wide = rows.pivot_table(index=["variant", "seed", "unit", "step"], columns="q", values="value")
    if check.get("stat", "median") == "median":
        value = wide[50.0]
    elif check["stat"] == "width":
        low, high = (float(q) for q in check.get("width", [15, 85]))
        value = wide[high] - wide[low]
    else:
        raise ValueError(f"range_less: unknown stat {check['stat']!r}; valid: median, width")
    return value.rename("value").reset_index()


@CHECKS.register("range_less")
def check_range_less(check: dict[str, Any], table: pd.DataFrame) -> Outcome:
    """Range over time (max - min from ``from_step``) of a probe stat: smaller for pair[0], in every unit."""
    a, b = check["pair"]
    stat = probe_stat(table, check)
    stat = stat[stat["step"] >= int(check.get("from_step", 0))]
    spans = stat.groupby(["variant", "seed", "unit"])["value"].agg(lambda v: v.max() - v.min())
    per_unit = spans.groupby(["variant", "unit"]).mean()  # mean over seeds
    name = f"{check.get('stat', 'median')} of {check['metric']['metric']}"
    if a not in per_unit.index.get_level_values(0) or b not in per_unit.index.get_level_values(0):
        missing = a if a not in per_unit.index.get_level_values(0) else b
        return None, f"{name}: not run: {missing}"
    ra, rb = per_unit.loc[a], per_unit.loc[b]
    units = ra.index.intersection(rb.index)
    smaller = int((ra[units] < rb[units]).sum())
    ok = (
        smaller == len(units) if check.get("require", "every_unit") == "every_unit" else ra.mean() < rb.mean()
    )
    first = int(stat["step"].min()) if not stat.empty else 0
    mean_a, mean_b = ra[units].mean(), rb[units].mean()
    ratio = f", ratio {mean_b / mean_a:.1f}x" if mean_a > 0 else ""
    text = (
        f"{name}, range over training from step {first}: {a} {mean_a:.3f} vs {b} {mean_b:.3f} "
        f"(mean over {len(units)} units{ratio}); smaller for {a} in {smaller}/{len(units)} units"
    )
    return bool(ok), text


def first_step_reaching(curve: pd.Series, target: float, sign: float) -> float:
    """The first step whose value is at least as good as ``target`` (inf if none)."""
    reached = curve[sign * (target - curve) >= 0]
    return float(reached.index[0]) if not reached.empty else math.inf


@CHECKS.register("steps_to_reach")
def check_steps_to_reach(check: dict[str, Any], table: pd.DataFrame) -> Outcome:
    """Steps until the mean curve reaches the target strictly increase along ``order``."""
    sign, metric = _sign(check), check["metric"]
    curves = {v: seed_curves(table, metric, v) for v in check["order"]}
    missing = [v for v, c in curves.items() if c.empty]
    target, label = check["target"], ""
    if isinstance(target, dict):
        ref = seed_curves(table, metric, target["variant"]).mean(axis=1)
        if ref.empty:
            return None, f"{_describe(metric)}: not run: {target['variant']}"
        target, label = float(ref.min() if sign > 0 else ref.max()), f" ({target['variant']}'s best)"
    if missing:
        return None, f"{_describe(metric)}: not run (or no completed seed): {', '.join(missing)}"
    steps = {v: first_step_reaching(c.mean(axis=1), float(target), sign) for v, c in curves.items()}
    values = list(steps.values())
    ok = all(x < y for x, y in zip(values, values[1:], strict=False))
    shown = " < ".join(f"{v} {'never' if math.isinf(s) else int(s)}" for v, s in steps.items())
    return ok, f"steps to {_describe(metric)} {float(target):.2f}{label}: {shown}"


@CHECKS.register("diverges")
def check_diverges(check: dict[str, Any], table: pd.DataFrame) -> Outcome:
    """Each listed variant diverged in >= min_fraction of its seeds (``expect: false``: in none)."""
    expect = bool(check.get("expect", True))
    need = float(check.get("min_fraction", 1.0))
    runs = table[["variant", "seed", "status"]].drop_duplicates(["variant", "seed"])
    parts, oks = [], []
    for variant in check["variants"]:
        sub = runs[runs["variant"] == variant]
        if sub.empty:
            return None, f"not run: {variant}"
        diverged = sub[sub["status"] == "diverged"]
        fraction = len(diverged) / len(sub)
        oks.append(fraction >= need if expect else fraction == 0)
        last = table[table["variant"] == variant].groupby("seed")["step"].max()
        where = (
            f" (at steps {', '.join(str(int(last[s])) for s in diverged['seed'])})" if len(diverged) else ""
        )
        parts.append(f"{variant} diverged in {len(diverged)}/{len(sub)} seeds{where}")
    return all(oks), "; ".join(parts)


@CHECKS.register("bound")
def check_bound(check: dict[str, Any], table: pd.DataFrame) -> Outcome:
    """min <= mean over seeds <= max for every listed variant (either bound may be left out)."""
    means = variant_means(table, check["metric"])
    low, high = check.get("min", -np.inf), check.get("max", np.inf)
    parts, oks = [], []
    for variant in check["variants"]:
        if variant not in means.index:
            return None, f"{_describe(check['metric'])}: not run (or no completed seed): {variant}"
        value = means.loc[variant, "mean"]
        oks.append(bool(low <= value <= high))
        parts.append(f"{variant} {value:.2f}")
    bounds = " and ".join(t for t in (f">= {low:g}" * (low > -np.inf), f"<= {high:g}" * (high < np.inf)) if t)
    return all(oks), f"{_describe(check['metric'])}: " + "; ".join(parts) + f" (required {bounds})"
