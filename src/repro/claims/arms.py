"""Arms of a claim check: the runs one side of a comparison is about, by variant name or by config columns.

An arm in an experiment file is a variant name (``wide_net``) or a mapping that selects runs by columns of
the tidy table (``{where: {model.norm.name: group, train.batch_size: 2}, label: "GN, batch 2"}``); sweeps
generate many variants, and the design forbids parsing their names. An arm's value for one seed is the
mean over its completed runs of that seed (one run for a variant arm); diverged runs are never averaged
in, and each check says how it counts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from repro.analysis import COMPLETED, DIVERGED, MetricSpec, per_run, rows_where, runs

ARM_KEYS = ("where", "label")


@dataclass(frozen=True)
class Arm:
    """The runs of one side of a comparison: one variant, or every run whose columns match ``where``."""

    label: str
    variant: str | None = None
    where: tuple[tuple[str, Any], ...] = ()

    @property
    def filters(self) -> dict[str, Any]:
        """Column -> value equalities that select the arm's rows."""
        return {"variant": self.variant} if self.variant is not None else dict(self.where)

    def spec(self, metric: MetricSpec, extra: Mapping[str, Any] | None = None) -> MetricSpec:
        """The metric restricted to this arm (and to ``extra`` filters, e.g. a sweep's other axes)."""
        return replace(metric, where={**metric.where, **(extra or {}), **self.filters})


def parse_arm(raw: Any) -> Arm:
    """An Arm from a variant name or a ``{where: {...}, label: ...}`` mapping; bad syntax is a ValueError."""
    if isinstance(raw, str) and raw:
        return Arm(label=raw, variant=raw)
    if not isinstance(raw, Mapping):
        raise ValueError(f"an arm is a variant name or a mapping with 'where', got {raw!r}")
    unknown = sorted(set(raw) - set(ARM_KEYS))
    if unknown:
        raise ValueError(f"unknown arm key '{unknown[0]}'; valid: {list(ARM_KEYS)}")
    where = raw.get("where")
    if not isinstance(where, Mapping) or not where:
        raise ValueError("an arm mapping needs 'where': a non-empty mapping of config column -> value")
    for column, value in where.items():
        if not isinstance(column, str) or isinstance(value, Mapping | list):
            raise ValueError(f"arm 'where' maps a column name to one value, got {column!r}: {value!r}")
    label = raw.get("label")
    if label is not None and not isinstance(label, str):
        raise ValueError(f"arm 'label' must be a string, got {label!r}")
    return Arm(label=label or where_label(where), where=tuple(where.items()))


def where_label(where: Mapping[str, Any]) -> str:
    """A short label for a selector: 'norm.name=group, batch_size=2' (the top-level section dropped)."""
    return ", ".join(f"{str(column).split('.', 1)[-1]}={value}" for column, value in where.items())


def seed_values(
    table: pd.DataFrame, metric: MetricSpec, arm: Arm, extra: Mapping[str, Any] | None = None
) -> pd.Series:
    """The arm's value per seed (index seed): the mean over its completed runs of that seed."""
    values = per_run(table, arm.spec(metric, extra))
    if values.empty:
        return pd.Series(dtype=float, name="value")
    return values.groupby("seed")["value"].mean().astype(float)


def seed_status(table: pd.DataFrame, arm: Arm, extra: Mapping[str, Any] | None = None) -> pd.Series:
    """Per seed with a run in the arm: 'completed' if every run of it completed, else 'diverged' or other."""
    arm_runs = runs(rows_where(table, {**(extra or {}), **arm.filters}))
    if arm_runs.empty:
        return pd.Series(dtype=object, name="status")

    def combine(statuses: pd.Series) -> str:
        if (statuses == COMPLETED).all():
            return COMPLETED
        return DIVERGED if (statuses == DIVERGED).any() else str(statuses[statuses != COMPLETED].iloc[0])

    return arm_runs.groupby("seed")["status"].agg(combine)


def absence(
    table: pd.DataFrame, metric: MetricSpec | None, arm: Arm, extra: Mapping[str, Any] | None = None
) -> str:
    """Why an arm has no value: not run, only diverged runs, or no rows of the metric."""
    arm_runs = runs(rows_where(table, {**(extra or {}), **arm.filters}))
    if arm_runs.empty:
        missing = [c for c in arm.filters if c not in table]
        return f"no column {missing[0]} in the table" if missing else "not run"
    ok = int((arm_runs["status"] == COMPLETED).sum())
    if ok == 0:
        diverged = int((arm_runs["status"] == DIVERGED).sum())
        return f"only diverged runs ({diverged}/{len(arm_runs)})" if diverged else "no completed run"
    return f"no rows of {metric.describe()}" if metric is not None else "no rows"


def absences(table: pd.DataFrame, metric: MetricSpec, arms: Iterable[Arm]) -> str:
    """'a: not run; b: only diverged runs (3/3)' for arms without a value."""
    return "; ".join(f"{arm.label}: {absence(table, metric, arm)}" for arm in arms)


def diverged_seeds(statuses: Mapping[str, pd.Series]) -> str:
    """Names the seeds that diverged in arms that also completed some: 'deep_net seed 2 diverged'."""
    notes = []
    for label, status in statuses.items():
        bad = [int(s) for s, v in status.items() if v != COMPLETED]
        if bad and len(bad) < len(status):
            seeds = ", ".join(str(s) for s in bad)
            notes.append(f"{label} seed{'s' if len(bad) > 1 else ''} {seeds} {status[bad[0]]}")
    return "; ".join(notes)


def agreement(
    holds: pd.Series, status_x: pd.Series, status_y: pd.Series, worse: str | None = None
) -> tuple[int, int] | None:
    """Seeds in which a comparison of arms x and y goes the claimed way, of the seeds both arms ran.

    ``holds`` says it per seed where both completed. Where one arm diverged and the other completed, the
    seed agrees only if the diverged arm is the one claimed ``worse`` ('x' or 'y'): a net that diverged did
    worse than one that trained. Any other seed with a diverged run does not agree.
    """
    seeds = status_x.index.intersection(status_y.index)
    if len(seeds) == 0:
        return None
    agree = 0
    for seed in seeds:
        x_ok, y_ok = status_x[seed] == COMPLETED, status_y[seed] == COMPLETED
        if x_ok and y_ok:
            agree += bool(holds.get(seed, False))
        elif x_ok != y_ok and worse is not None:
            agree += (worse == "x") == (not x_ok)
    return agree, len(seeds)


def named_variants(checks: Any, variants: Iterable[str]) -> set[str] | None:
    """The variants that checks name (of ``variants``); None when an arm selects by ``where``.

    A ``where`` selector (an arm, or a sweep check's filter) may match any run, so then every variant is in
    play and the caller decides what that means.
    """
    known, named = set(variants), set()

    def walk(node: Any) -> bool:  # False: a `where` selector
        if isinstance(node, Mapping):
            return "where" not in node and all(walk(v) for v in node.values())
        if isinstance(node, list | tuple):
            return all(walk(v) for v in node)
        if isinstance(node, str) and node in known:
            named.add(node)
        return True

    return named if walk(checks) else None
