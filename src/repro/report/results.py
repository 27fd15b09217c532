"""Read the tidy experiment table: run status, final values per run and their summaries over seeds."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from repro.report.names import sorted_variants

COMPLETED = "completed"
DIVERGED = "diverged"
RUN_KEYS = ["variant", "seed"]


def as_bool(value: object) -> bool | None:
    """Read a bool that may have been through a CSV ('True', 'false', 1, nan -> None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
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


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per variant: n_runs, n_ok (completed) and n_diverged."""
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


def variant_info(table: pd.DataFrame) -> pd.DataFrame:
    """Per variant: depth, residual and params, from config columns or, failing those, from the name."""
    rows = []
    for variant in sorted_variants(table["variant"]) if "variant" in table else []:
        sub = table[table["variant"] == variant]
        depth = _first(sub, "model.depth")
        if depth is None:
            digits = re.findall(r"\d+", variant)
            depth = int(digits[-1]) if digits else None
        residual = as_bool(_first(sub, "model.residual"))
        if residual is None:
            residual = "res" in variant.lower()
        rows.append(
            {"variant": variant, "depth": depth, "residual": residual, "params": _first(sub, "model.params")}
        )
    return pd.DataFrame(rows, columns=["variant", "depth", "residual", "params"]).set_index("variant")


def _first(sub: pd.DataFrame, column: str):
    if column not in sub:
        return None
    values = sub[column].dropna()
    if values.empty:
        return None
    value = values.iloc[0]
    return value.item() if hasattr(value, "item") else value


def select(table: pd.DataFrame, source: str = "metrics", **equal) -> pd.DataFrame:
    """Rows of one source whose columns equal the given values (e.g. split='test', metric='error')."""
    if table.empty or "source" not in table:
        return table.iloc[0:0]
    mask = table["source"] == source
    for column, value in equal.items():
        if column not in table:
            return table.iloc[0:0]
        mask &= table[column] == value
    return table[mask]


def final_values(table: pd.DataFrame, split: str, metric: str, source: str = "metrics") -> pd.DataFrame:
    """Per run: the value at the run's last logged step (columns variant, seed, status, step, value)."""
    rows = select(table, source, split=split, metric=metric)
    columns = [*RUN_KEYS, "status", "step", "value"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    last = rows.sort_values("step").groupby(RUN_KEYS, as_index=False).tail(1)
    out = last[[*RUN_KEYS, "step", "value"]].merge(runs(table), on=RUN_KEYS, how="left")
    return out[columns].reset_index(drop=True)


def probe_final(table: pd.DataFrame, source: str, metric: str) -> pd.DataFrame:
    """Per run: the rows of a probe metric at the run's last probed step (all key columns kept)."""
    rows = select(table, source, metric=metric)
    if rows.empty:
        return rows
    last_step = rows.groupby(RUN_KEYS)["step"].transform("max")
    return rows[rows["step"] == last_step]


def summarize(final: pd.DataFrame) -> pd.DataFrame:
    """Per variant over completed runs: mean, sd (ddof 1), min, max, n_ok; plus n_runs and n_diverged.

    Diverged runs are counted, never averaged in: the report names them instead.
    """
    columns = ["mean", "sd", "min", "max", "n_ok", "n_diverged", "n_runs"]
    if final.empty:
        return pd.DataFrame(columns=columns)
    out = {}
    for variant, sub in final.groupby("variant"):
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
