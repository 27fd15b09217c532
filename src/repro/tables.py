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


# Top-level run-config keys that are id columns already, or the same for every run by construction.
RUN_ID_KEYS = {"experiment", "variant", "seed", "scale"}


def flatten(nested: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists are kept as JSON text.

    A component spec below the top level (``model.norm: {name: group, groups: 8}``) also gives its name
    under its own key (``model.norm: group``), so a table selects by ``model.norm`` whatever form it took.
    """
    flat: dict[str, Any] = {}
    for key, value in nested.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            if prefix and isinstance(value.get("name"), str):
                flat[path] = value["name"]
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = json.dumps(value) if isinstance(value, list) else value
    return flat


def config_columns(configs: list[dict[str, Any]]) -> list[str]:
    """The config columns of an experiment's tidy table: the core set plus every key that varies over runs."""
    flats = [flatten(c) for c in configs]
    keys = sorted({k for flat in flats for k in flat} - RUN_ID_KEYS)
    varying = [k for k in keys if len({json.dumps(f.get(k), sort_keys=True, default=str) for f in flats}) > 1]
    # A core key given as a mapping spec also gets its name column (model.norm.name beside model.norm).
    names = [f"{c}.name" for c in CONFIG_COLUMNS if any(f"{c}.name" in flat for flat in flats)]
    return list(dict.fromkeys([*CONFIG_COLUMNS, *names, *varying]))


def _spec_names(flat: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """``key.name`` for a spec given as a plain string, where another run gave it as a mapping."""
    return {c: flat[c[: -len(".name")]] for c in columns if c.endswith(".name") and c not in flat
            and isinstance(flat.get(c[: -len(".name")]), str)}  # fmt: skip


def read_run(
    run_dir: Path, columns: list[str] | None = None, config: dict[str, Any] | None = None
) -> pd.DataFrame:
    """One run's metrics and probe rows in long form, labelled with its config (``columns``) and status.

    ``config`` is the run's config.json when the caller has already read it.
    """
    config = config if config is not None else json.loads((run_dir / "config.json").read_text())
    meta = json.loads((run_dir / "meta.json").read_text())
    flat = flatten(config)
    flat.update(_spec_names(flat, columns or CONFIG_COLUMNS))
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
        **{c: flat.get(c) for c in columns or CONFIG_COLUMNS},
    }  # fmt: skip
    for column, value in labels.items():
        table[column] = value
    return table


def aggregate(run_dirs: list[Path]) -> pd.DataFrame:
    """Concatenate runs into the tidy table: ids, config columns, source/step/.../value, probe keys.

    Config columns are the core set (CONFIG_COLUMNS) plus every run-config key whose value differs between
    the runs (a sweep's axes), so figures and claims select runs by those values, never by variant names.
    """
    run_dirs = [Path(d) for d in run_dirs]
    configs = [json.loads((d / "config.json").read_text()) for d in run_dirs]
    columns = config_columns(configs)
    table = pd.concat(
        [read_run(d, columns, c) for d, c in zip(run_dirs, configs, strict=True)], ignore_index=True
    )
    config_cols = [c for c in table.columns if "." in c or c in columns]
    extra = [c for c in table.columns if c not in ID_COLUMNS + VALUE_COLUMNS + config_cols]
    ordered = ID_COLUMNS + sorted(config_cols) + VALUE_COLUMNS + sorted(extra)
    return table[ordered].sort_values(["variant", "seed", "source", "step"], kind="stable")


def read_table(table_csv: Path) -> pd.DataFrame:
    """The tidy table at ``table_csv``; an empty file gives an empty frame."""
    table_csv = Path(table_csv)
    return pd.read_csv(table_csv) if table_csv.stat().st_size else pd.DataFrame()


def write_table(run_dirs: list[Path], out_csv: Path) -> pd.DataFrame:
    """Aggregate ``run_dirs`` and write the table atomically."""
    from repro.runio import atomic_write_bytes

    table = aggregate(run_dirs)
    atomic_write_bytes(Path(out_csv), table.to_csv(index=False).encode())
    return table
