"""Where a run's time goes: per-experiment totals, per-job start-up, and the engine's cost over a bare loop.

Run from anywhere with the project's interpreter, e.g. ``.venv/bin/python benchmarks/bench.py all``;
``benchmarks/README.md`` describes the subcommands and their columns. Nothing here asserts a time: the
numbers are for reading, on a machine whose load is noted next to them.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
RESULTS_OUT = REPO / "benchmarks" / "results"
PHASES = ("setup", "train", "eval", "probes", "checkpoint", "write")
# Offline: the cached Fashion-MNIST tensors stand in for MNIST and CIFAR-10, as configs/offline.yaml does.
OFFLINE_WORKFLOW: dict[str, Any] = {
    "data": {
        "root": str(REPO / "data"),
        "substitutions": {"cifar10": "fashion_mnist", "mnist": "fashion_mnist"},
    }
}
# A small run that the CLI can start today: what one pipeline job pays besides its training.
STARTUP_RUN = (
    "configs/experiments/srivastava2014_rate.yaml",
    "--variant",
    "keepn_p1",
    "--seed",
    "0",
    "--scale",
    "quick",
    "train.steps=1",
    "data.name=fashion_mnist",
)
# One run of each kind of model the papers train: a ResNet, BN MLPs, a GroupNorm ResNet, a VGG, a dropout MLP.
ALL_CASES = (
    ("he2016_depth", "resnet20"),
    ("ioffe2015_mnist", "bn"),
    ("wu2018_groupnorm", "gn_b8"),
    ("santurkar2018_vgg", "bn"),
    ("srivastava2014_mlp", "h2x512_drop"),
)
ALL_STEPS = 200  # the five overhead cases, start-up included, take ~3 minutes on one shared core
OVERHEAD_TARGET_PCT = 10.0


# ----------------------------------------------------------------------------------------------- output


def format_value(value: Any) -> str:
    """A table cell: blank for None, floats to about three significant figures."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if magnitude >= 0.01 or value == 0 else f"{value:.2g}"
    return str(value)


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as a GitHub markdown table with ``columns`` in that order."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(format_value(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def write_csv(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Write ``rows`` to ``path`` (parents created); None becomes an empty cell, floats are rounded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: ("" if row.get(c) is None else _rounded(row.get(c))) for c in columns})


def _rounded(value: Any) -> Any:
    # Six significant figures keep the CSVs small and diff-able without losing anything a timing can carry.
    return float(f"{value:.6g}") if isinstance(value, float) and math.isfinite(value) else value


def report(title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str], out: Path) -> None:
    """Write the CSV and print the markdown table under a heading naming the CSV."""
    write_csv(out, rows, columns)
    print(f"\n### {title}\n")
    print(markdown_table(rows, columns))
    print(f"\n(written to {_shown(out)}; load average {load_average()})")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them (the machine may be shared)."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


# ------------------------------------------------------------------------------------------------- runs

RUNS_COLUMNS = (
    "experiment",
    "runs",
    "timed",
    "total_min",
    "mean_s",
    "images_per_s",
    *(f"{p}_%" for p in PHASES),
    "startup_s",
)


def collect_runs(results: Path, scale: str) -> list[dict[str, Any]]:
    """One record per finished run under ``results/{scale}/runs``: wall, steps, batch size, phase times."""
    records = []
    for meta_path in sorted((results / scale / "runs").glob("*/*/seed*/meta.json")):
        meta = json.loads(meta_path.read_text())
        config_path = meta_path.with_name("config.json")
        config = json.loads(config_path.read_text()) if config_path.exists() else {}
        records.append(
            {
                "experiment": meta_path.parts[-4],
                "wall_s": float(meta.get("wall_time_s") or 0.0),
                "steps": int(meta.get("steps_completed") or 0),
                "batch_size": (config.get("train") or {}).get("batch_size"),
                "timing_s": meta.get("timing_s"),  # absent in runs made before it existed
            }
        )
    return records


def summarize_runs(records: Iterable[dict[str, Any]], startup_s: float | None = None) -> list[dict[str, Any]]:
    """Per-experiment rows (sorted by name) and a TOTAL row; see RUNS_COLUMNS and the README."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["experiment"], []).append(record)
    rows = [_summary_row(name, group, startup_s) for name, group in sorted(groups.items())]
    everything = [r for group in groups.values() for r in group]
    rows.append(_summary_row("TOTAL", everything, startup_s))
    return rows


def _summary_row(name: str, records: list[dict[str, Any]], startup_s: float | None) -> dict[str, Any]:
    wall = sum(r["wall_s"] for r in records)
    images, seconds = 0, 0.0
    for r in records:
        if r["batch_size"] is None:
            continue  # no config.json: the images it trained on are unknown
        images += r["steps"] * int(r["batch_size"])
        seconds += float(r["timing_s"].get("train", 0.0)) if r["timing_s"] else r["wall_s"]
    timed = [r["timing_s"] for r in records if r["timing_s"]]
    # Shares of the phases' own sum, so they add up to 100% whatever the wall clock left outside them.
    phase_total = sum(float(v) for t in timed for v in t.values())
    row: dict[str, Any] = {
        "experiment": name,
        "runs": len(records),
        "timed": len(timed),
        "total_min": wall / 60.0,
        "mean_s": wall / len(records) if records else None,
        "images_per_s": images / seconds if seconds > 0 else None,
        "startup_s": len(records) * startup_s if startup_s is not None else None,
    }
    for phase in PHASES:
        spent = sum(float(t.get(phase, 0.0)) for t in timed)
        row[f"{phase}_%"] = 100.0 * spent / phase_total if phase_total > 0 else None
    return row


def cmd_runs(args: argparse.Namespace) -> None:
    """The ``runs`` subcommand."""
    rows = summarize_runs(collect_runs(args.results, args.scale), args.startup)
    out = args.out or RESULTS_OUT / f"runs_{args.scale}.csv"
    report(f"Finished runs under {args.results}/{args.scale}/runs", rows, RUNS_COLUMNS, out)


# ---------------------------------------------------------------------------------------------- startup

STARTUP_COLUMNS = ("measure", "median_s", "min_s", "max_s", "repeats")


def time_import(repeats: int, python: str = sys.executable) -> list[float]:
    """Seconds for a fresh interpreter to ``import repro.train`` and exit, ``repeats`` times."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([python, "-c", "import repro.train"], cwd=REPO, check=True)
        times.append(time.perf_counter() - start)
    return times


def time_cli_run(repeats: int, python: str = sys.executable) -> list[tuple[float, float]]:
    """(process wall, the run's own wall_time_s) of a fresh ``python -m repro.train`` 1-step run."""
    pairs = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for i in range(repeats):
            out = Path(tmp) / f"run{i}"  # a fresh directory each time: no resume from the last one
            start = time.perf_counter()
            subprocess.run(
                [python, "-m", "repro.train", *STARTUP_RUN, "--out", str(out)],
                cwd=REPO,
                check=True,
                capture_output=True,  # its INFO log lines would bury the table
            )
            wall = time.perf_counter() - start
            pairs.append((wall, float(json.loads((out / "meta.json").read_text())["wall_time_s"])))
    return pairs


def startup_rows(repeats: int) -> list[dict[str, Any]]:
    """The start-up measurements as table rows; the last row is the per-job start-up."""

    def row(measure: str, values: list[float]) -> dict[str, Any]:
        return {
            "measure": measure,
            "median_s": statistics.median(values),
            "min_s": min(values),
            "max_s": max(values),
            "repeats": len(values),
        }

    imports = time_import(repeats)
    pairs = time_cli_run(repeats)
    return [
        row("python -c 'import repro.train'", imports),
        row("CLI 1-step run, whole process", [w for w, _ in pairs]),
        row("CLI 1-step run, its wall_time_s", [r for _, r in pairs]),
        row("per-job start-up (process - wall_time_s)", [w - r for w, r in pairs]),
    ]


def cmd_startup(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The ``startup`` subcommand; returns its rows."""
    rows = startup_rows(args.repeats)
    report("Per-job start-up", rows, STARTUP_COLUMNS, args.out or RESULTS_OUT / "startup.csv")
    return rows


# --------------------------------------------------------------------------------------------- overhead

OVERHEAD_COLUMNS = (
    "experiment",
    "variant",
    "steps",
    "evals",
    "ckpts",
    "threads",
    "bare_s",
    "engine_s",
    "overhead_%",
    "train_s",
    "bare_train_s",
    "eval_s",
    "bare_eval_s",
    "checkpoint_s",
    "write_s",
    "augment_s",
    "setup_s",
    "bare_setup_s",
    "probes_s",
    "mflop_step",
    "gflop_s",
    "bare_gflop_s",
    "peak_gflop_s",
    "peak_%",
)


def count_evaluations(steps: int, every: int, start: int = 0) -> int:
    """Held-out evaluations the loop makes: at multiples of ``every`` from ``start`` on, and at the end."""
    return sum(1 for s in range(1, steps + 1) if (s % every == 0 and s >= start) or s == steps)


def count_checkpoints(steps: int, every: int) -> int:
    """Checkpoints the loop writes: at multiples of ``every`` before the end, and the final one."""
    return (steps - 1) // every + 1 if steps > 0 else 1


def scaled_every(events: int, steps: int) -> int:
    """A cadence giving about ``events`` events (at least one) in ``steps`` steps, the last step included."""
    return max(1, math.ceil(steps / max(1, events)))


def bench_config(protocol: Any, steps: int) -> Any:
    """The protocol's run config shortened to ``steps``, with as many evaluations and checkpoints per step.

    Fields are set on a copy of the resolved config (not passed as overrides), so lengths given in epochs
    are not derived again from the new length.
    """
    cfg = copy.deepcopy(protocol)
    old = protocol.train
    evals = count_evaluations(old.steps, old.eval_every, old.eval_from)
    ckpts = count_checkpoints(old.steps, old.checkpoint_every)
    cfg.train.steps = steps
    cfg.train.eval_from = 0  # the evaluations are spread over the short run instead of bunched at its end
    cfg.train.eval_every = scaled_every(round(evals * steps / old.steps), steps)
    mid = round((ckpts - 1) * steps / old.steps)  # checkpoints before the final one
    cfg.train.checkpoint_every = scaled_every(mid + 1, steps) if mid > 0 else steps
    return cfg


def train_step_flops(
    model: torch.nn.Module, loss_fn: Callable[..., torch.Tensor], x: torch.Tensor, y: Any
) -> int:
    """FLOPs of one training step (forward and backward) of ``model`` on the batch ``x, y``.

    Counted on a copy, so the caller's model keeps its gradients and normalization statistics.
    """
    from torch.utils.flop_counter import FlopCounterMode

    clone = copy.deepcopy(model)
    clone.train()
    with FlopCounterMode(display=False) as counter:
        loss_fn(clone(x), y).backward()
    return int(counter.get_total_flops())


def matmul_peak_flops(threads: int, size: int = 1024, repeats: int = 7) -> float:
    """FLOP/s of a float32 ``size`` x ``size`` matmul on ``threads`` threads (median of ``repeats``)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # the first call pays the library's one-time set-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2.0 * size**3 / statistics.median(times)


def bare_loop(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    batch_size: int,
    steps: int,
    generator: torch.Generator | None = None,
    channels_last: bool = False,
    after_step: Callable[[], None] | None = None,
    target_is_input: bool = False,
) -> int:
    """``steps`` plain SGD steps on random-index batches of the tensors; returns the steps taken.

    ``after_step`` is the run's constraints (max-norm), part of the arithmetic; ``target_is_input`` for a
    reconstruction loss. No augmentation, schedule, logging or error bookkeeping: what the engine adds.
    """
    n = len(train_x)
    for _ in range(steps):
        index = torch.randint(0, n, (batch_size,), generator=generator, device=train_x.device)
        x, y = train_x[index], train_y[index]
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        loss = loss_fn(model(x), x if target_is_input else y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if after_step is not None:
            after_step()
    return steps


class _Sync:
    """Waits for a CUDA device before a clock is read (a no-op on the CPU)."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def __call__(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()


def _bare_model(
    cfg: Any, data: Any, device: torch.device
) -> tuple[torch.nn.Module, torch.optim.Optimizer, Any]:
    """The run's model, optimizer and constraints, built as the engine builds them."""
    from repro.hooks import DTYPES, build_constraints
    from repro.models import build_model
    from repro.optim import build_optimizer

    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, data.channels, data.num_classes, data.size).to(device)
    if DTYPES[cfg.train.dtype] != torch.float32:
        model = model.to(DTYPES[cfg.train.dtype])
    if cfg.train.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(model.parameters(), cfg.optim)
    return model, optimizer, build_constraints(cfg.constraints, model)


def bare_pass(cfg: Any, data: Any, device: torch.device, steps: int, evals: int) -> dict[str, Any]:
    """One timed bare run: a fresh model, ``steps`` bare steps, then ``evals`` full held-out evaluations."""
    from repro.hooks import apply_constraints
    from repro.losses import evaluate, get_loss

    clock = _Sync(device)
    loss_spec = get_loss(cfg.train.loss)
    start = clock()
    model, optimizer, constraints = _bare_model(cfg, data, device)
    generator = torch.Generator(device=device)
    generator.manual_seed(cfg.seed)
    model.train()
    built = clock()
    bare_loop(
        model,
        optimizer,
        loss_spec.mean,
        data.train_x,
        data.train_y,
        cfg.train.batch_size,
        steps,
        generator,
        cfg.train.channels_last,
        (lambda: apply_constraints(constraints)) if constraints else None,
        loss_spec.reconstructs,
    )
    trained = clock()
    splits = [(data.test_x, data.test_y)] + ([(data.val_x, data.val_y)] if data.val_x is not None else [])
    for _ in range(evals):
        for x, y in splits:
            evaluate(model, x, y, cfg.train.eval_batch_size, loss_spec)
    done = clock()
    return {"build_s": built - start, "train_s": trained - built, "eval_s": done - trained, "model": model}


def _bare_data(cfg: Any, device: torch.device) -> tuple[Any, float]:
    """The run's data tensors as the engine prepares them, and the seconds that took."""
    from repro.data import prepare_data
    from repro.hooks import DTYPES

    start = time.perf_counter()
    data = prepare_data(cfg, device, DTYPES[cfg.train.dtype])
    if cfg.train.channels_last:
        data.test_x = data.test_x.contiguous(memory_format=torch.channels_last)
        if data.val_x is not None:
            data.val_x = data.val_x.contiguous(memory_format=torch.channels_last)
    return data, time.perf_counter() - start


def _augment_seconds(cfg: Any, data: Any, device: torch.device, steps: int) -> float | None:
    """Seconds for ``steps`` of the engine's batch augmentation alone (None when the run has none)."""
    from repro.data import augment_batch

    if cfg.data.pad <= 0 and not cfg.data.flip:
        return None
    clock, generator = _Sync(device), torch.Generator(device=device)
    generator.manual_seed(cfg.seed)
    index = torch.randint(0, len(data.train_x), (cfg.train.batch_size,), generator=generator, device=device)
    batch = data.train_x[index]
    augment_batch(batch, cfg.data.pad, cfg.data.flip, generator)  # first call outside the clock
    start = clock()
    for _ in range(steps):
        augment_batch(batch, cfg.data.pad, cfg.data.flip, generator)
    return clock() - start


def overhead(
    experiment: Path,
    variant: str,
    scale: str,
    steps: int = 100,
    threads: int = 1,
    device_name: str = "cpu",
    warmup: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Engine vs bare loop for one run shortened to ``steps`` (see the README for the columns)."""
    from repro.experiments import load_experiment, resolve_run
    from repro.losses import get_loss
    from repro.train import run

    torch.set_num_threads(threads)
    device = torch.device(device_name)
    protocol = resolve_run(load_experiment(experiment), variant, seed, scale, OFFLINE_WORKFLOW)
    cfg = bench_config(protocol, steps)
    evals = count_evaluations(steps, cfg.train.eval_every, cfg.train.eval_from)
    data, data_s = _bare_data(cfg, device)

    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        # Warm-up: both sides' first calls (kernel selection, allocator growth) happen before any clock.
        bare_pass(cfg, data, device, warmup, 1)
        quiet = bench_config(protocol, warmup)
        quiet.probes = []
        run(quiet, Path(tmp) / "warmup", threads=threads, device=device_name)

        first = bare_pass(cfg, data, device, steps, evals)
        start = _Sync(device)()
        meta = run(cfg, Path(tmp) / "engine", threads=threads, device=device_name)
        engine_wall = _Sync(device)() - start
        second = bare_pass(cfg, data, device, steps, evals)
    bare = min((first, second), key=lambda b: b["train_s"] + b["eval_s"])  # a noisy machine only slows
    timing = meta["timing_s"]
    # Probes are measurements, not training: excluded from the engine side (the bare side has none).
    engine_s = engine_wall - timing.get("setup", 0.0) - timing.get("probes", 0.0)
    bare_s = bare["train_s"] + bare["eval_s"]

    loss_spec = get_loss(cfg.train.loss)
    x = data.train_x[: cfg.train.batch_size]
    if cfg.train.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    target = x if loss_spec.reconstructs else data.train_y[: cfg.train.batch_size]
    flops = train_step_flops(bare["model"], loss_spec.mean, x, target)
    peak = matmul_peak_flops(threads)
    engine_rate = flops * meta["steps_completed"] / timing["train"] if timing.get("train") else None
    if meta["steps_completed"] != steps:
        print(
            f"warning: the engine stopped at step {meta['steps_completed']} ({meta['status']})",
            file=sys.stderr,
        )
    return {
        "experiment": protocol.experiment,
        "variant": variant,
        "steps": steps,
        "evals": evals,
        "ckpts": count_checkpoints(steps, cfg.train.checkpoint_every),
        "threads": threads,
        "bare_s": bare_s,
        "engine_s": engine_s,
        "overhead_%": 100.0 * (engine_s - bare_s) / bare_s,
        "train_s": timing.get("train"),
        "bare_train_s": bare["train_s"],
        "eval_s": timing.get("eval"),
        "bare_eval_s": bare["eval_s"],
        "checkpoint_s": timing.get("checkpoint"),
        "write_s": timing.get("write"),
        "augment_s": _augment_seconds(cfg, data, device, steps),
        "setup_s": timing.get("setup"),
        "bare_setup_s": data_s + bare["build_s"],
        "probes_s": timing.get("probes"),
        "mflop_step": flops / 1e6,
        "gflop_s": engine_rate / 1e9 if engine_rate is not None else None,
        "bare_gflop_s": flops * steps / bare["train_s"] / 1e9,
        "peak_gflop_s": peak / 1e9,
        "peak_%": 100.0 * engine_rate / peak if engine_rate is not None else None,
    }


def cmd_overhead(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The ``overhead`` subcommand; returns its one row."""
    row = overhead(
        args.experiment, args.variant, args.scale, args.steps, args.threads, args.device, args.warmup
    )
    out = args.out or RESULTS_OUT / f"overhead_{row['experiment']}-{args.variant}_{args.scale}.csv"
    report("Engine overhead over a bare loop", [row], OVERHEAD_COLUMNS, out)
    _flag([row])
    return [row]


def _flag(rows: Sequence[dict[str, Any]]) -> None:
    """Name the runs whose engine overhead is above the target."""
    over = [f"{r['experiment']}/{r['variant']} ({r['overhead_%']:.0f}%)" for r in rows
            if r["overhead_%"] > OVERHEAD_TARGET_PCT]  # fmt: skip
    if over:
        print(f"above the {OVERHEAD_TARGET_PCT:.0f}% target: {', '.join(over)}")


# -------------------------------------------------------------------------------------------------- all


def cmd_all(args: argparse.Namespace) -> None:
    """The ``all`` subcommand: start-up, then overhead for each of ALL_CASES."""
    started = time.perf_counter()
    startup = startup_rows(args.repeats)
    report("Per-job start-up", startup, STARTUP_COLUMNS, RESULTS_OUT / "startup.csv")
    rows = []
    for name, variant in ALL_CASES:
        experiment = REPO / "configs" / "experiments" / f"{name}.yaml"
        print(f"overhead: {name} {variant} ({args.steps} steps)...", file=sys.stderr, flush=True)
        rows.append(
            overhead(experiment, variant, args.scale, args.steps, args.threads, args.device, args.warmup)
        )
    report(
        "Engine overhead over a bare loop", rows, OVERHEAD_COLUMNS, RESULTS_OUT / f"overhead_{args.scale}.csv"
    )
    _flag(rows)
    print(f"\n(all took {time.perf_counter() - started:.0f} s)")


# --------------------------------------------------------------------------------------------- forecast

FORECAST_COLUMNS = ("experiment", "runs", "configs", "measured_min", "forecast_min", "ratio", "within_25%")


def measured_groups(results: Path, scale: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Finished runs grouped by (experiment, variant): their config (seed aside) and measured wall times."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for meta_path in sorted((results / scale / "runs").glob("*/*/seed*/meta.json")):
        meta = json.loads(meta_path.read_text())
        config_path = meta_path.with_name("config.json")
        if meta.get("status") != "completed" or not config_path.exists():
            continue
        key = (meta_path.parts[-4], meta_path.parts[-3])
        group = groups.setdefault(key, {"config": json.loads(config_path.read_text()), "walls": []})
        group["walls"].append(float(meta["wall_time_s"]))
        group.setdefault("threads", int(meta.get("threads") or 1))
    return groups


def compare_forecast(
    groups: dict[tuple[str, str], dict[str, Any]], forecast_s: dict[tuple[str, str], float]
) -> list[dict[str, Any]]:
    """Per experiment and in total: measured minutes, forecast minutes (each config x its runs), ratio."""
    per: dict[str, list[tuple[float, float, int]]] = {}
    for key, group in groups.items():
        if key in forecast_s:
            walls = group["walls"]
            per.setdefault(key[0], []).append((sum(walls), forecast_s[key] * len(walls), len(walls)))
    rows = []
    for name, parts in [*sorted(per.items()), ("TOTAL", [p for v in per.values() for p in v])]:
        measured, predicted = sum(p[0] for p in parts) / 60, sum(p[1] for p in parts) / 60
        ratio = predicted / measured if measured > 0 else None
        rows.append(
            {
                "experiment": name,
                "runs": sum(p[2] for p in parts),
                "configs": len(parts),
                "measured_min": measured,
                "forecast_min": predicted,
                "ratio": ratio,
                "within_25%": "yes" if ratio is not None and abs(ratio - 1) <= 0.25 else "no",
            }
        )
    return rows


def cmd_forecast(args: argparse.Namespace) -> None:
    """The ``forecast`` subcommand: preflight each measured config, forecast it, set it beside the runs."""
    from repro.forecast import device_seconds
    from repro.preflight import Entry, failures, preflight

    groups = measured_groups(args.results, args.scale)
    entries = [Entry(e, v, (), "", g["config"]) for (e, v), g in groups.items()]
    threads = max((g["threads"] for g in groups.values()), default=1)
    rows = preflight(entries, threads=threads, device=args.device, steps=args.steps)
    for failure in failures(rows):
        print(f"preflight failed: {failure}", file=sys.stderr)
    forecast_s = {(r["experiment"], r["variant"]): device_seconds(r) for r in rows if r["status"] == "ok"}
    out = args.out or RESULTS_OUT / f"forecast_{args.scale}.csv"
    title = f"Forecast against the measured runs under {args.results}/{args.scale}/runs"
    report(title, compare_forecast(groups, forecast_s), FORECAST_COLUMNS, out)


# ------------------------------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmarks/bench.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    runs = sub.add_parser("runs", help="per-experiment time of the finished runs under results/")
    runs.add_argument("--results", type=Path, default=REPO / "results")
    runs.add_argument("--scale", default="quick")
    runs.add_argument("--startup", type=float, help="measured per-job start-up (s), for the startup_s column")
    runs.add_argument("--out", type=Path, help="CSV (default: benchmarks/results/runs_{scale}.csv)")
    runs.set_defaults(func=cmd_runs)

    startup = sub.add_parser("startup", help="fresh-process import and per-job start-up time")
    startup.add_argument("--repeats", type=int, default=3)
    startup.add_argument("--out", type=Path, help="CSV (default: benchmarks/results/startup.csv)")
    startup.set_defaults(func=cmd_startup)

    def engine_options(p: argparse.ArgumentParser, steps: int) -> None:
        p.add_argument("--scale", default="quick")
        p.add_argument("--steps", type=int, default=steps)
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--device", default="cpu")
        p.add_argument("--warmup", type=int, default=5, help="untimed steps on each side first")

    over = sub.add_parser("overhead", help="the training engine against a bare loop, in one process")
    over.add_argument(
        "--experiment", type=Path, default=REPO / "configs" / "experiments" / "he2016_depth.yaml"
    )
    over.add_argument("--variant", default="resnet20")
    engine_options(over, 100)
    over.add_argument(
        "--out", type=Path, help="CSV (default: benchmarks/results/overhead_{exp}-{variant}_{scale}.csv)"
    )
    over.set_defaults(func=cmd_overhead)

    fore = sub.add_parser("forecast", help="the preflight's forecast against the measured runs' wall times")
    fore.add_argument("--results", type=Path, default=REPO / "results")
    fore.add_argument("--scale", default="quick")
    fore.add_argument("--steps", type=int, default=2, help="preflight steps per config (the first untimed)")
    fore.add_argument("--device", default="cpu")
    fore.add_argument("--out", type=Path, help="CSV (default: benchmarks/results/forecast_{scale}.csv)")
    fore.set_defaults(func=cmd_forecast)

    everything = sub.add_parser("all", help="startup, then overhead for five representative runs")
    engine_options(everything, ALL_STEPS)
    everything.add_argument("--repeats", type=int, default=3)
    everything.set_defaults(func=cmd_all)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the subcommand and run it."""
    args = _parser().parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
