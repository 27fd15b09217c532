"""Preflight: build every distinct run config of the DAG and step it, measuring what its full run will cost.

Each run goes through the training loop's own ``_setup`` and ``_step`` (repro.train), so a config that a
real job could not build or step fails here, in seconds, before anyone books a GPU. Each is measured in a
forked child: its peak memory is its own, and a crash (or an out-of-memory kill) fails that run only.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch

from repro.config import RunConfig, run_config_from_dict
from repro.costs import run_events

log = logging.getLogger("repro.preflight")

COLUMNS = (
    "experiment", "variant", "seeds", "paper", "model", "dataset", "status", "error", "device", "threads",
    "batch_size", "steps", "evaluations", "checkpoints", "params", "train_flops", "eval_flops",
    "peak_mem_mb", "setup_s", "step_s", "eval_s", "checkpoint_s", "probe_calls", "probe_costs", "wall_s",
)  # fmt: skip
NEVER = 1 << 62  # a cadence no measured step reaches: the preflight times evaluations and probes apart


class PreflightError(RuntimeError):
    """One or more runs failed to build or step; the message names each with its error."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """One distinct run config of the DAG: its experiment, variant, seeds (collapsed) and paper."""

    experiment: str
    variant: str
    seeds: tuple[int, ...]
    paper: str
    config: dict[str, Any]


def _flops(fn: Callable[[], Any]) -> tuple[Any, int]:
    """``fn()``'s result and the FLOPs it ran (matmuls and convolutions, as FlopCounterMode counts them)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        result = fn()
    return result, int(counter.get_total_flops())


def _timed(fn: Callable[[], Any], device: torch.device) -> float:
    """Seconds ``fn()`` takes: wall time on a GPU (synchronised); on the CPU, the process's CPU time.

    CPU time per thread is what a job alone on its cores would take as wall time, and other jobs on the
    machine do not inflate it (a preflight at low priority beside busy jobs measures the same).
    """
    if device.type == "cuda":
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        return time.perf_counter() - start
    start = time.process_time()
    fn()
    return (time.process_time() - start) / torch.get_num_threads()


def _counted_and_timed(fn: Callable[[], Any], device: torch.device) -> tuple[int, float]:
    """(FLOPs, seconds) of one call of ``fn``."""
    result: list[int] = []
    seconds = _timed(lambda: result.append(_flops(fn)[1]), device)
    return result[0], seconds


def _peak_mem_mb(device: torch.device) -> float:
    """Peak memory so far: allocated CUDA memory on a GPU, this process's resident set on the CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kilobytes


def measure_run(
    cfg: RunConfig, out_dir: Path, threads: int, device: str = "auto", steps: int = 2
) -> dict[str, Any]:
    """Set up ``cfg`` as a real run would, take ``steps`` steps, evaluate one batch, call each probe once.

    The first step is counted (FLOPs) and warms up; the others are timed. Evaluations, checkpoints and
    probes are timed apart from the steps, so that each can be multiplied by its own count in the forecast.
    """
    from repro.losses import evaluate
    from repro.probes.runner import ProbeRunner
    from repro.train import _setup, _step

    holder: list[Any] = []
    setup_s = _timed(
        lambda: holder.append(_setup(cfg, Path(out_dir), threads, device, False)), torch.device("cpu")
    )
    job = holder[0]
    # _setup also makes the step-0 probe calls, which the forecast counts among the probe calls.
    spent = job.clock.spent
    setup_s *= spent.get("setup", 0.0) / max(spent.get("setup", 0.0) + spent.get("probes", 0.0), 1e-9)
    runner = job.probes
    # Steps alone: no evaluation, checkpoint or probe falls due inside the measured steps.
    job.cfg = dataclasses.replace(
        cfg, train=dataclasses.replace(cfg.train, steps=NEVER, eval_every=NEVER, checkpoint_every=NEVER)
    )
    job.probes, job.before_step_probes = ProbeRunner([], NEVER, cfg.seed, Path(out_dir)), False
    _, train_flops = _flops(lambda: _step(job))
    timed = max(1, steps - 1)
    step_s = _timed(lambda: [_step(job) for _ in range(timed)], job.device) / timed
    if job.diverged_at is not None:
        raise RuntimeError(f"the loss is not finite at step {job.diverged_at} of the preflight")
    data, bs = job.data, cfg.train.eval_batch_size
    x, y = data.test_x[:bs], data.test_y[:bs]
    # One batch, counted and timed at once: a second would cost a training step's time on the largest nets.
    batch_flops, batch_s = _counted_and_timed(
        lambda: evaluate(job.model, x, y, bs, job.loss_spec), job.device
    )
    images = len(data.test_x) + (len(data.val_x) if data.val_x is not None else 0)
    checkpoint_s = _timed(job.save, job.device)
    events = run_events(cfg)
    return {
        "device": str(job.device),
        "threads": threads,
        "batch_size": cfg.train.batch_size,
        "steps": events["steps"],
        "evaluations": events["evaluations"],
        "checkpoints": events["checkpoints"],
        "params": sum(p.numel() for p in job.model.parameters()),
        "train_flops": train_flops,
        "eval_flops": round(batch_flops * images / len(x)),  # a whole evaluation: test (and val) split
        "setup_s": setup_s,
        "step_s": step_s,
        "eval_s": batch_s * images / len(x),
        "checkpoint_s": checkpoint_s,
        "probe_calls": json.dumps(events["probe_calls"]),
        "probe_costs": json.dumps(_probe_costs(job, runner)),
        "peak_mem_mb": _peak_mem_mb(job.device),
    }


def _truncated(data: Any, fraction: float) -> Any:
    """``data`` with every split cut to its first ``fraction`` (at least one image)."""
    cut = dataclasses.replace(data)
    for name in ("train_x", "train_y", "test_x", "test_y", "val_x", "val_y"):
        split = getattr(data, name)
        if split is not None:
            setattr(cut, name, split[: max(1, round(fraction * len(split)))])
    return cut


def probe_fractions(data: Any, batch_size: int) -> tuple[float, ...]:
    """The data fractions a probe is measured on: one (the whole data) when its largest split fits in a
    batch, else the fraction giving about one batch of the largest split, twice and four times that."""
    largest = max(len(data.train_x), len(data.test_x), len(data.val_x) if data.val_x is not None else 0)
    small = batch_size / largest
    if small >= 0.5:
        return (1.0,)
    return (small, 2 * small, 4 * small) if 4 * small < 1.0 else (small, 2 * small)


def extrapolate(fractions: tuple[float, ...], values: list[float]) -> float:
    """The value at fraction 1 of a line through the last two (fraction, value) points; never below the
    largest point.

    A probe that passes over a split costs a fixed part plus a part proportional to the images it sees:
    measurements on small fractions give both, where one call on the whole data could take minutes. A
    probe that caps its own sample (``n`` images) stops growing once a fraction holds them: the last two
    points then agree and the line is flat, where a line through the first two would overshoot.
    """
    if len(fractions) == 1:
        return values[0]
    (f1, f2), (v1, v2) = fractions[-2:], values[-2:]
    return max(*values, v1 + (v2 - v1) / (f2 - f1) * (1.0 - f1))


def _probe_costs(job: Any, runner: Any) -> dict[str, dict[str, float]]:
    """Seconds and FLOPs of one call of each probe on the whole data, on the state after the steps."""
    from repro.probes.isolation import isolated

    whole, costs = job.context.data, {}
    fractions = probe_fractions(whole, job.cfg.train.eval_batch_size)
    for cfg, probe, _ in runner.entries:
        job.context.phase, job.context.step = cfg.phase, job.state.step

        def call(probe: Any = probe) -> None:
            job.context.generator = torch.Generator(device=whole.train_x.device)
            with isolated(job.context.model, job.context.optimizer):
                probe(job.context)

        seconds: list[float] = []
        flops: list[float] = []
        for fraction in fractions:
            job.context.data = _truncated(whole, fraction) if fraction < 1.0 else whole
            # Counted once (which also warms up), then timed on a second call without the counter: the
            # counter's Python dispatch per op would inflate probes made of many small ops (the deep linear
            # net's landscape probe timed ~6x its real cost under it).
            flops.append(_flops(call)[1])
            seconds.append(_timed(call, job.device))
        job.context.data = whole
        costs[cfg.name] = {"s": extrapolate(fractions, seconds), "flops": extrapolate(fractions, flops)}
    return costs


def _child(entry: Entry, threads: int, device: str, steps: int) -> dict[str, Any]:
    """Measure one entry in this (forked) process; an error becomes the row's status and message."""
    row: dict[str, Any] = {"status": "ok", "error": ""}
    start = time.perf_counter()
    try:
        cfg = run_config_from_dict(dict(entry.config), source=f"{entry.experiment}/{entry.variant}")
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        with tempfile.TemporaryDirectory(prefix="preflight-") as tmp:
            row |= measure_run(cfg, Path(tmp), threads, device, steps)
    except Exception as err:  # noqa: BLE001 (any failure is the finding: it is reported, not raised)
        row |= {"status": "failed", "error": f"{type(err).__name__}: {err}".replace("\n", " ")}
    row["wall_s"] = time.perf_counter() - start
    return row


def _base(entry: Entry) -> dict[str, Any]:
    return {
        "experiment": entry.experiment,
        "variant": entry.variant,
        "seeds": len(entry.seeds),
        "paper": entry.paper,
        "model": entry.config.get("model", {}).get("name", ""),
        "dataset": entry.config.get("data", {}).get("name", ""),
    }


def _child_to_pipe(conn: Any, entry: Entry, threads: int, device: str, steps: int) -> None:
    conn.send(_child(entry, threads, device, steps))
    conn.close()


def _in_child(entry: Entry, threads: int, device: str, steps: int) -> dict[str, Any]:
    """Measure ``entry`` in a forked child: it inherits the imported torch and engine, and its peak
    memory and any crash are its own."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child_to_pipe, args=(send, entry, threads, device, steps))
    child.start()
    send.close()
    try:
        measured = receive.recv()
    except EOFError:  # the child died before answering: killed, out of memory, a crash
        measured = None
    child.join()
    if measured is None:
        measured = {"status": "failed", "error": f"the preflight process died (exit code {child.exitcode})"}
    return measured


def preflight(
    entries: Iterable[Entry],
    threads: int = 1,
    device: str = "auto",
    steps: int = 2,
    on_row: Callable[[list[dict[str, Any]]], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per entry, each measured in its own forked child, one at a time (timings undisturbed).

    ``on_row`` gets the rows so far after each one (e.g. to keep a partial CSV that outlives a killed job).
    """
    rows = []
    for entry in entries:
        row = _base(entry) | _in_child(entry, threads, device, steps)
        log.info("%s/%s: %s %s", entry.experiment, entry.variant, row["status"], row.get("error", ""))
        rows.append(row)
        if on_row is not None:
            on_row(rows)
    return rows


def failures(rows: Iterable[dict[str, Any]]) -> list[str]:
    """``experiment/variant: error`` for every failed row."""
    return [f"{r['experiment']}/{r['variant']}: {r['error']}" for r in rows if r["status"] != "ok"]


def check(rows: list[dict[str, Any]], csv_path: str) -> None:
    """Raise PreflightError naming every run that failed to build or step."""
    failed = failures(rows)
    if failed:
        raise PreflightError(
            f"{len(failed)} of {len(rows)} runs failed the preflight (all rows in {csv_path}):\n  "
            + "\n  ".join(failed)
        )


def entries_from_runs(runs: Iterable[Any], papers: dict[str, str]) -> list[Entry]:
    """Collapse the run table's seeds: one Entry per (experiment, variant), with its seeds listed.

    ``papers`` maps each run's experiment name (second draws included) to its paper key.
    """
    grouped: dict[tuple[str, str], list[Any]] = {}
    for run in runs:
        grouped.setdefault((run.experiment, run.variant), []).append(run)
    entries = []
    for (experiment, variant), group in grouped.items():
        config = group[0].config.to_dict()
        seeds = tuple(sorted(r.seed for r in group))
        entries.append(Entry(experiment, variant, seeds, papers.get(experiment, ""), config))
    return entries
