"""Tidy aggregation: every run directory of an experiment -> one long-form table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

ID_COLUMNS = ["experiment", "variant", "seed", "status"]
VALUE_COLUMNS = ["source", "step", "epoch", "split", "metric", "value"]
# Config columns kept in the tidy table (dotted paths into config.json); enough to plot and label.
CONFIG_COLUMNS = [
    "model.name", "model.depth", "model.width", "model.residual", "data.name", "data.requested",
    "data.train_subset", "train.steps", "train.batch_size", "optim.lr",
    "model.norm", "model.activation", "model.init_std", "model.dropout", "optim.weight_decay",
    "schedule.name", "schedule.decay_every",
]  # fmt: skip


def flatten(nested: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists are kept as JSON text."""
    flat: dict[str, Any] = {}
    for key, value in nested.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = json.dumps(value) if isinstance(value, list) else value
    return flat


def read_run(run_dir: Path) -> pd.DataFrame:
    """One run's metrics and probe rows in long form, labelled with its config and status."""
    config = json.loads((run_dir / "config.json").read_text())
    meta = json.loads((run_dir / "meta.json").read_text())
    flat = flatten(config)
    frames = []
    metrics = pd.read_csv(run_dir / "metrics.csv")
    metrics["source"] = "metrics"
    frames.append(metrics)
    for probe_csv in sorted((run_dir / "probes").glob("*.csv")):
        probe = pd.read_csv(probe_csv)
        probe["source"] = probe_csv.stem
        frames.append(probe)
    table = pd.concat(frames, ignore_index=True)
    labels = {
        "experiment": config["experiment"], "variant": config["variant"], "seed": config["seed"],
        "status": meta["status"], "model.params": meta.get("num_params"),
        "data.source": (meta.get("data_provenance") or {}).get("source"),
        # The dataset actually loaded: differs from data.name when the shipped fallback stood in.
        "data.used": (meta.get("data_provenance") or {}).get("dataset", flat.get("data.name")),
        **{c: flat.get(c) for c in CONFIG_COLUMNS},
    }  # fmt: skip
    for column, value in labels.items():
        table[column] = value
    return table


def aggregate(run_dirs: list[Path]) -> pd.DataFrame:
    """Concatenate runs into the tidy table: ids, config columns, source/step/.../value, probe keys."""
    table = pd.concat([read_run(Path(d)) for d in run_dirs], ignore_index=True)
    config_cols = [c for c in table.columns if "." in c]
    extra = [c for c in table.columns if c not in ID_COLUMNS + VALUE_COLUMNS + config_cols]
    ordered = ID_COLUMNS + sorted(config_cols) + VALUE_COLUMNS + sorted(extra)
    return table[ordered].sort_values(["variant", "seed", "source", "step"], kind="stable")


def write_table(run_dirs: list[Path], out_csv: Path) -> pd.DataFrame:
    """Aggregate ``run_dirs`` and write the table atomically."""
    from repro.runio import atomic_write_bytes

    table = aggregate(run_dirs)
    atomic_write_bytes(Path(out_csv), table.to_csv(index=False).encode())
    return table
