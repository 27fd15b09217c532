"""The one metric selector: filter the tidy table, take a step window, and reduce to one value per run.

Claims, report macros, tables and figures all read the tidy table (``repro.tables``) through this module,
so "the final test error of a run" or "the median over layers of a probe at the last probed step" means
the same thing everywhere. A metric is described by a :class:`MetricSpec` (in experiment files, a mapping
such as ``{split: test, metric: error, reduce: median_last_k, k: 5}``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

COMPLETED = "completed"
DIVERGED = "diverged"
RUN_KEYS = ["variant", "seed"]
REDUCE_OVER_STEPS = ("final", "median_last_k", "min", "max", "mean")
REDUCE_OVER_KEYS = ("median", "mean", "max", "min")
SPLITS = ("train", "val", "test")


class SpecError(ValueError):
    """A metric spec names an unknown key or holds a bad value."""


@dataclass(frozen=True)
class MetricSpec:
    """Which rows of the tidy table make one metric, and how they reduce to one value per run."""

    metric: str
    source: str = "metrics"  # "metrics" (the loop's own rows) or a probe's name
    split: str | None = None  # train | val | test (rows of source "metrics" carry one)
    reduce: str = "final"  # over steps: final | median_last_k | min | max | mean
    k: int = 1  # for median_last_k: the last k evaluations (the GN paper reports the median of 5)
    over: str | None = None  # over probe key columns (layers, units) at each step: median | mean | max | min
    where: dict[str, Any] = field(default_factory=dict)  # equality filters on any column (config, probe keys)
    from_step: int | None = None  # step window, inclusive
    to_step: int | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "metric") -> MetricSpec:
        """Build a spec from an experiment file's mapping; unknown keys and bad values name ``where``."""
        if not isinstance(raw, Mapping):
            raise SpecError(f"{where} must be a mapping, got {type(raw).__name__}")
        names = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise SpecError(f"unknown key '{where}.{unknown[0]}'; valid keys: {sorted(names)}")
        if "metric" not in raw:
            raise SpecError(f"key '{where}.metric' is missing")
        spec = cls(**{k: (dict(v) if k == "where" else v) for k, v in raw.items()})
        spec.check(where)
        return spec

    def check(self, where: str = "metric") -> None:
        """Raise SpecError naming the key if a value is out of range."""
        if self.reduce not in REDUCE_OVER_STEPS:
            raise SpecError(f"'{where}.reduce' is {self.reduce!r}; valid: {list(REDUCE_OVER_STEPS)}")
        if self.over is not None and self.over not in REDUCE_OVER_KEYS:
            raise SpecError(f"'{where}.over' is {self.over!r}; valid: {list(REDUCE_OVER_KEYS)}")
        if self.split is not None and self.split not in SPLITS:
            raise SpecError(f"'{where}.split' is {self.split!r}; valid: {list(SPLITS)}")
        if not isinstance(self.k, int) or isinstance(self.k, bool) or self.k < 1:
            raise SpecError(f"'{where}.k' must be a positive integer, got {self.k!r}")
        if not isinstance(self.where, dict):
            raise SpecError(f"'{where}.where' must be a mapping of column -> value")

    def describe(self) -> str:
        """Short text for claims and captions, e.g. 'test error' or 'layer_response response_std'."""
        head = self.split or (self.source if self.source != "metrics" else "")
        return f"{head} {self.metric}".strip()


def as_spec(metric: MetricSpec | Mapping[str, Any]) -> MetricSpec:
    """A MetricSpec from a spec or a mapping."""
    return metric if isinstance(metric, MetricSpec) else MetricSpec.from_dict(metric)


def select(
    table: pd.DataFrame,
    source: str = "metrics",
    *,
    status: str | None = None,
    from_step: int | None = None,
    to_step: int | None = None,
    where: Mapping[str, Any] | None = None,
    **equal: Any,
) -> pd.DataFrame:
    """Rows of one source whose columns equal the given values, optionally one run status and a step window.

    A column the table lacks matches nothing (an empty frame), so a filter never passes silently.
    """
    if table.empty or "source" not in table:
        return table.iloc[0:0]
    mask = _where_mask(table, {**(where or {}), **equal})
    if mask is None:
        return table.iloc[0:0]
    mask &= table["source"] == source
    if status is not None:
        mask &= table.get("status", COMPLETED) == status
    if from_step is not None:
        mask &= table["step"] >= from_step
    if to_step is not None:
        mask &= table["step"] <= to_step
    return table[mask]


def rows_where(table: pd.DataFrame, where: Mapping[str, Any]) -> pd.DataFrame:
    """Rows of every source whose columns equal the given values; a column the table lacks matches nothing."""
    mask = _where_mask(table, where)
    return table.iloc[0:0] if mask is None else table[mask]


def _where_mask(table: pd.DataFrame, where: Mapping[str, Any]) -> pd.Series | None:
    """The equality mask of ``where`` (None values are ignored); None when a named column is missing."""
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        if value is None:
            continue
        if column not in table:
            return None
        mask &= _equals(table[column], value)
    return mask


def _equals(column: pd.Series, value: Any) -> pd.Series:
    """Equality that survives a CSV round trip (True vs 'True', 8 vs 8.0)."""
    if isinstance(value, bool):
        return column.map(as_bool) == value
    if isinstance(value, int | float) and pd.api.types.is_numeric_dtype(column):
        return np.isclose(column.astype(float), float(value), rtol=1e-12, atol=0.0)
    return column.astype(str) == str(value)


def metric_rows(table: pd.DataFrame, metric: MetricSpec | Mapping[str, Any], status: str | None = COMPLETED):
    """The rows of ``metric`` (its source, split, filters and step window), without missing values."""
    spec = as_spec(metric)
    rows = select(
        table, spec.source, status=status, from_step=spec.from_step, to_step=spec.to_step,
        where=spec.where, metric=spec.metric, split=spec.split,
    )  # fmt: skip
    return rows.dropna(subset=["value"]) if not rows.empty else rows


def per_run(
    table: pd.DataFrame, metric: MetricSpec | Mapping[str, Any], status: str | None = COMPLETED
) -> pd.DataFrame:
    """One value per run (columns variant, seed, value): reduce over key columns per step, then over steps.

    Probe rows (a source other than "metrics") default to the median over their key columns, taken at
    the last probed step; rows of the loop's own metrics reduce over steps as ``reduce`` says.
    """
    spec = as_spec(metric)
    rows = metric_rows(table, spec, status)
    if rows.empty:
        return pd.DataFrame(columns=[*RUN_KEYS, "value"])
    over = spec.over or ("median" if spec.source != "metrics" else None)
    if over is not None:
        rows = rows.groupby([*RUN_KEYS, "step"], as_index=False)["value"].agg(over)
    rows = rows.sort_values("step", kind="stable")
    grouped = rows.groupby(RUN_KEYS)["value"]
    if spec.reduce in ("min", "max", "mean"):
        values = grouped.agg(spec.reduce)
    else:
        k = spec.k if spec.reduce == "median_last_k" else 1
        values = grouped.apply(lambda v: v.tail(k).median())
    return values.reset_index()


def curves(
    table: pd.DataFrame,
    metric: MetricSpec | Mapping[str, Any],
    variant: str | None,
    status: str | None = COMPLETED,
) -> pd.DataFrame:
    """A variant's curve as a step x seed frame (reduced over key columns per step); empty if not run.

    ``variant=None`` takes every run the spec's ``where`` selects; runs sharing a seed (an arm chosen by
    config columns may hold several variants) are reduced together, by ``over`` or the mean.
    """
    spec = as_spec(metric)
    rows = metric_rows(table, spec, status)
    if variant is not None and not rows.empty:
        rows = rows[rows["variant"] == variant]
    if rows.empty:
        return pd.DataFrame()
    aggfunc = spec.over or ("median" if spec.source != "metrics" else "mean")
    return rows.pivot_table(index="step", columns="seed", values="value", aggfunc=aggfunc).sort_index()


def first_step_reaching(curve: pd.Series, target: float, sign: float = 1.0) -> float:
    """The first step at least as good as ``target`` (inf if none); sign +1 when lower is better."""
    reached = curve[sign * (target - curve) >= 0]
    return float(reached.index[0]) if not reached.empty else math.inf


def as_bool(value: object) -> bool | None:
    """Read a bool that may have been through a CSV ('True', 'false', 1, nan -> None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "1.0"}:
        return True
    if text in {"false", "0", "no", "0.0"}:
        return False
    return None


def runs(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (variant, seed) with its status; empty (with those columns) for an empty table."""
    if table.empty or "variant" not in table:
        return pd.DataFrame(columns=[*RUN_KEYS, "status"])
    cols = [*RUN_KEYS, "status"] if "status" in table else RUN_KEYS
    out = table[cols].drop_duplicates(RUN_KEYS).copy()
    if "status" not in out:
        out["status"] = COMPLETED
    out["status"] = out["status"].fillna("unknown").astype(str)
    return out.reset_index(drop=True)


def run_columns(table: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """One row per run (variant, seed) with the given columns' first values; a missing column is all NaN."""
    columns = [c for c in dict.fromkeys(columns) if c not in RUN_KEYS]
    if table.empty or "variant" not in table:
        return pd.DataFrame(columns=[*RUN_KEYS, *columns])
    present = [c for c in columns if c in table]
    out = table[[*RUN_KEYS, *present]].drop_duplicates(RUN_KEYS).reset_index(drop=True)
    for column in columns:
        if column not in out:
            out[column] = np.nan
    return out[[*RUN_KEYS, *columns]]


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per variant: n_runs, n_ok (completed) and n_diverged, in natural variant order."""
    r = runs(table)
    grouped = r.groupby("variant")["status"]
    out = pd.DataFrame(
        {
            "n_runs": grouped.size(),
            "n_ok": grouped.apply(lambda s: int((s == COMPLETED).sum())),
            "n_diverged": grouped.apply(lambda s: int((s == DIVERGED).sum())),
        }
    )
    return out.reindex(sorted_variants(out.index)).astype(int)


def final_values(table: pd.DataFrame, split: str, metric: str, source: str = "metrics") -> pd.DataFrame:
    """Per run, every status: the value at its last logged step (variant, seed, status, step, value)."""
    rows = select(table, source, split=split, metric=metric)
    columns = [*RUN_KEYS, "status", "step", "value"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    last = rows.sort_values("step", kind="stable").groupby(RUN_KEYS, as_index=False).tail(1)
    out = last[[*RUN_KEYS, "step", "value"]].merge(runs(table), on=RUN_KEYS, how="left")
    return out[columns].reset_index(drop=True)


def probe_final(table: pd.DataFrame, source: str, metric: str) -> pd.DataFrame:
    """Per run, every status: the rows of a probe metric at the run's last probed step (key columns kept)."""
    rows = select(table, source, metric=metric)
    if rows.empty:
        return rows
    last_step = rows.groupby(RUN_KEYS)["step"].transform("max")
    return rows[rows["step"] == last_step]


def summarize(values: pd.DataFrame) -> pd.DataFrame:
    """Per variant over completed runs: mean, sd (ddof 1), min, max, n_ok; plus n_runs and n_diverged.

    ``values`` has one row per run (variant, seed, value and, optionally, status). Diverged runs are
    counted, never averaged in: the report names them instead.
    """
    columns = ["mean", "sd", "min", "max", "n_ok", "n_diverged", "n_runs"]
    if values.empty:
        return pd.DataFrame(columns=columns)
    if "status" not in values:
        values = values.assign(status=COMPLETED)
    out = {}
    for variant, sub in values.groupby("variant"):
        ok = sub.loc[sub["status"] == COMPLETED, "value"].astype(float)
        ok = ok[np.isfinite(ok)]
        out[variant] = {
            "mean": ok.mean() if len(ok) else np.nan,
            "sd": ok.std(ddof=1) if len(ok) > 1 else np.nan,
            "min": ok.min() if len(ok) else np.nan,
            "max": ok.max() if len(ok) else np.nan,
            "n_ok": len(ok),
            "n_diverged": int((sub["status"] == DIVERGED).sum()),
            "n_runs": len(sub),
        }
    frame = pd.DataFrame.from_dict(out, orient="index", columns=columns)
    return frame.reindex(sorted_variants(frame.index))


def config_value(table: pd.DataFrame, variant: str, column: str) -> Any:
    """The (first) value of a config column for one variant, or None when the table lacks it."""
    if column not in table or "variant" not in table:
        return None
    values = table.loc[table["variant"] == variant, column].dropna()
    if values.empty:
        return None
    value = values.iloc[0]
    return value.item() if hasattr(value, "item") else value


def natural_key(name: object) -> tuple:
    """Sort key that orders embedded numbers numerically ('b2' < 'b16'; 'net20' < 'net110')."""
    parts = re.split(r"(\d+(?:\.\d+)?)", str(name))
    return tuple((0, float(p), "") if i % 2 else (1, 0.0, p.lower()) for i, p in enumerate(parts))


def sorted_variants(names: Iterable[object]) -> list[str]:
    """Unique variant names in natural order."""
    return sorted({str(n) for n in names}, key=natural_key)
