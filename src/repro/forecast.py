"""The cost forecast: each run's total work and time from its preflight row, and per-paper totals.

On the preflight's own device the time is measured arithmetic: setup + steps x step time + evaluations x
evaluation time + each probe's calls x its call time + checkpoints x checkpoint time. On a reference GPU it
is an assumption, not a measurement: total FLOPs over an assumed sustained throughput per model family,
plus an assumed fixed cost per step (kernel launches and the loop's per-step bookkeeping).
"""

from __future__ import annotations

import csv
import heapq
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# Defaults of the `forecast.reference_gpu` config block (configs/config.yaml restates them). Assumptions,
# never measured here: NVIDIA A100's FP32 peak without TF32 is 19.5 TFLOP/s (its datasheet; the papers
# trained in float32 and `gpu.allow_tf32` is off); small CIFAR conv nets are taken to sustain about a
# third of it and the small MLPs, whose matmuls are a few hundred rows, a tenth.
REFERENCE_GPU: dict[str, Any] = {
    "name": "NVIDIA A100, FP32 (assumed)",
    "peak_tflops": 19.5,
    "efficiency": {"default": 0.3, "mlp": 0.1, "linear_deep": 0.1, "autoencoder": 0.1},
    "step_overhead_ms": 1.0,
}
COLUMNS = (
    "experiment", "variant", "paper", "seeds", "model", "device", "steps", "params", "run_tflop",
    "device_s", "gpu_s", "peak_mem_mb",
)  # fmt: skip
NUMERIC = {
    "seeds", "threads", "batch_size", "steps", "evaluations", "checkpoints", "params", "train_flops",
    "eval_flops", "peak_mem_mb", "setup_s", "step_s", "eval_s", "checkpoint_s", "wall_s", "run_tflop",
    "device_s", "gpu_s",
}  # fmt: skip


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """A preflight or forecast CSV as dict rows, numbers as floats."""
    with Path(path).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for key in NUMERIC & row.keys():
            row[key] = float(row[key]) if row[key] not in ("", None) else math.nan
    return rows


def probe_totals(row: dict[str, Any]) -> tuple[float, float]:
    """(seconds, FLOPs) of all the run's probe calls: each probe's calls x its measured call."""
    calls, costs = json.loads(row["probe_calls"] or "{}"), json.loads(row["probe_costs"] or "{}")
    seconds = sum(n * costs[name]["s"] for name, n in calls.items() if name in costs)
    flops = sum(n * costs[name]["flops"] for name, n in calls.items() if name in costs)
    return seconds, flops


def run_flops(row: dict[str, Any]) -> float:
    """FLOPs of one whole run: steps x step FLOPs + evaluations x evaluation FLOPs + its probe calls."""
    return row["steps"] * row["train_flops"] + row["evaluations"] * row["eval_flops"] + probe_totals(row)[1]


def device_seconds(row: dict[str, Any]) -> float:
    """One run's wall time on the preflight's device, from the measured times and the run's counts."""
    return (
        row["setup_s"]
        + row["steps"] * row["step_s"]
        + row["evaluations"] * row["eval_s"]
        + row["checkpoints"] * row["checkpoint_s"]
        + probe_totals(row)[0]
    )


def gpu_seconds(row: dict[str, Any], gpu: dict[str, Any] | None = None) -> float:
    """One run's time on the reference GPU: FLOPs over the assumed throughput, plus a cost per step."""
    gpu = {**REFERENCE_GPU, **(gpu or {})}
    efficiency = {**REFERENCE_GPU["efficiency"], **(gpu.get("efficiency") or {})}
    rate = gpu["peak_tflops"] * 1e12 * efficiency.get(row["model"], efficiency["default"])
    return run_flops(row) / rate + row["steps"] * gpu["step_overhead_ms"] / 1000.0


def forecast_rows(
    preflight: Iterable[dict[str, Any]], gpu: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One forecast row per preflight row that passed (times per run, for one seed)."""
    return [
        {
            **{k: row[k] for k in ("experiment", "variant", "paper", "seeds", "model", "device", "steps")},
            "params": row["params"],
            "run_tflop": run_flops(row) / 1e12,
            "device_s": device_seconds(row),
            "gpu_s": gpu_seconds(row, gpu),
            "peak_mem_mb": row["peak_mem_mb"],
        }
        for row in preflight
        if row["status"] == "ok"
    ]


def makespan(durations: Sequence[float], workers: int) -> float:
    """Wall time of independent jobs on ``workers`` (longest first onto the least loaded worker)."""
    loads = [0.0] * max(1, workers)
    for duration in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + duration)
    return max(loads)


def summarize(rows: Sequence[dict[str, Any]], gpus: Sequence[int]) -> list[dict[str, Any]]:
    """Per paper and in total: runs (seeds counted), device hours, GPU-hours, and wall hours at N GPUs."""
    papers = sorted({row["paper"] for row in rows})
    out = []
    for paper in [*papers, "total"]:
        chosen = [r for r in rows if paper in ("total", r["paper"])]
        gpu_runs = [r["gpu_s"] for r in chosen for _ in range(int(r["seeds"]))]
        entry = {
            "paper": paper,
            "runs": len(gpu_runs),
            "device_h": sum(r["device_s"] * r["seeds"] for r in chosen) / 3600,
            "gpu_h": sum(gpu_runs) / 3600,
        }
        entry |= {f"wall_h_{n}gpu": makespan(gpu_runs, n) / 3600 for n in gpus}
        out.append(entry)
    return out


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:.2g}" if value < 0.1 else f"{value:.2f}"
    return str(value)


def _gpus(key: str) -> str | None:
    """``wall_h_8gpu`` -> ``8 GPUs`` (``1 GPU``); None for a column that is not a wall time."""
    if not key.startswith("wall_h_"):
        return None
    n = key.removeprefix("wall_h_").removesuffix("gpu")
    return f"{n} GPU{'s' * (n != '1')}"


def _heading(key: str, device: str) -> str:
    """A summary column's heading: ``wall_h_8gpu`` -> ``wall hours at 8 GPUs``."""
    gpus = _gpus(key)
    if gpus is not None:
        return f"wall hours at {gpus}"
    return {"device_h": f"{device} hours", "gpu_h": "GPU-hours"}.get(key, key)


def markdown(summary: Sequence[dict[str, Any]], device: str) -> str:
    """The per-paper summary as a markdown table (device hours on the preflight's ``device``)."""
    keys = list(summary[0])
    heads = [_heading(k, device) for k in keys]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_cell(row[k]) for k in keys) + " |" for row in summary]
    return "\n".join(lines) + "\n"


def latex(summary: Sequence[dict[str, Any]], device: str, gpu_name: str) -> str:
    """The per-paper summary as a booktabs tabular for the report's appendix (the total row set apart)."""
    from repro.report.booktabs import MIDRULE, tabular
    from repro.report.latex import latex_escape

    keys = list(summary[0])
    head = ["Paper", "Runs", f"{device} h", "GPU-h"] + [f"wall h, {g}" for k in keys if (g := _gpus(k))]
    rows = [[latex_escape(_cell(row[k])) for k in keys] for row in summary]
    return tabular(
        "l" + "r" * (len(keys) - 1),
        [[latex_escape(h) for h in head]],
        [*rows[:-1], MIDRULE, rows[-1]],
        comment=(
            f"% GPU-hours on the reference GPU ({gpu_name}) are an assumption; {device} hours are measured."
        ),
    )
