"""Cluster requests sized from the cost forecast: each training job's runtime and memory, with a margin.

Read when the DAG is built. Where ``results/{scale}/forecast.csv`` has no row for a run (no preflight at
that scale yet, or a run added since) the experiment file's per-scale constants stand, as before.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from repro.forecast import read_rows

# Defaults of the `requests` config block. A time limit too short kills the job (its checkpoint and the
# profile's `retries` then resume it, at the cost of a queue wait); too long only waits for a larger slot.
REQUESTS: dict[str, Any] = {
    "basis": "device",  # device: the preflight's measured device; reference_gpu: the assumed GPU's time
    "runtime_safety": 2.0,
    "mem_safety": 1.5,
    "min_runtime": 10,  # minutes: start-up, data loading and the queue's own granularity
    "min_mem_mb": 1000,
}


def load_forecast(path: str | Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Forecast rows keyed by (experiment, variant); empty when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return {}
    return {(row["experiment"], row["variant"]): row for row in read_rows(path)}


def sized(row: dict[str, Any], key: str, settings: dict[str, Any] | None = None) -> int:
    """``runtime`` (minutes) or ``mem_mb`` for one run from its forecast row, with the safety factor."""
    settings = {**REQUESTS, **(settings or {})}
    if key == "runtime":
        seconds = row["gpu_s"] if settings["basis"] == "reference_gpu" else row["device_s"]
        return max(int(settings["min_runtime"]), math.ceil(seconds * settings["runtime_safety"] / 60))
    if key == "mem_mb":
        return max(int(settings["min_mem_mb"]), math.ceil(row["peak_mem_mb"] * settings["mem_safety"]))
    raise KeyError(f"no forecast for resource '{key}'; valid: runtime, mem_mb")


def request(
    forecast: dict[tuple[str, str], dict[str, Any]],
    experiment: str,
    variant: str,
    key: str,
    fallback: int,
    settings: dict[str, Any] | None = None,
) -> int:
    """The run's request from the forecast, or ``fallback`` (the scale's constant) when it has none."""
    row = forecast.get((experiment, variant))
    if row is None or not math.isfinite(row.get("device_s", math.nan)):
        return int(fallback)
    return sized(row, key, settings)


def forecast_notice(
    forecast: dict[tuple[str, str], dict[str, Any]], runs: list[tuple[str, str]], path: str
) -> str:
    """One line for the DAG build: how many of ``runs`` the forecast sizes, and their total hours."""
    known = [forecast[key] for key in runs if key in forecast]
    if not known:
        return ""
    device_h = sum(row["device_s"] for row in known) / 3600
    gpu_h = sum(row["gpu_s"] for row in known) / 3600
    device = known[0].get("device", "device")
    return (
        f"Forecast ({path}): {len(known)} of {len(runs)} training runs sized from the preflight; "
        f"{device_h:,.1f} {device}-hours, {gpu_h:,.1f} reference-GPU-hours (assumed throughput) in total."
    )
