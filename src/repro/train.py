"""The one training loop: ``run(config, out_dir)``; ``python -m repro.train`` runs one run by hand."""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import torch

from repro.checkpoint import CHECKPOINT
from repro.checkpoint import maybe_resume as _maybe_resume
from repro.checkpoint import save_checkpoint as _save_checkpoint
from repro.config import ConfigError, RunConfig
from repro.config_checks import check_batch_fits
from repro.data import DatasetTensors, DataUnavailableError, augment_batch, prepare_data
from repro.data.tensors import DataCorruptError
from repro.gpus import configure_cuda
from repro.hooks import DTYPES, apply_constraints, build_constraints, set_hyperparameters
from repro.losses import Loss, evaluate, get_loss
from repro.models import build_model, count_parameters
from repro.optim import build_optimizer, learning_rate, momentum_at
from repro.probes import ProbeContext
from repro.probes.runner import ProbeRunner
from repro.runio import write_json, write_rows
from repro.runmeta import run_meta

log = logging.getLogger("repro.train")

METRIC_COLUMNS = ("step", "epoch", "split", "metric", "value")
PARTIAL_METRICS = "metrics.partial.csv"  # the metrics so far, rewritten at each evaluation; gone at the end
# Errors whose message says all there is to say: logged as one line, not a traceback.
USER_ERRORS = (ConfigError, DataCorruptError, DataUnavailableError)
# evaluate (repro.losses) and prepare_data (repro.data) are re-exported for callers of the loop.
__all__ = ["CHECKPOINT", "evaluate", "prepare_data", "run", "select_device"]


def select_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class PhaseClock:
    """Wall time split by phase (setup, train, eval, probes, checkpoint, write), for meta.json's timing_s."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.mark = time.perf_counter()

    def lap(self, phase: str) -> float:
        """Charge the time since the last lap to ``phase``; returns that time."""
        now = time.perf_counter()
        elapsed, self.mark = now - self.mark, now
        self.spent[phase] = self.spent.get(phase, 0.0) + elapsed
        return elapsed

    def totals(self) -> dict[str, float]:
        """Seconds per phase of this process (a resumed run counts only its last segment), rounded."""
        return {phase: round(seconds, 3) for phase, seconds in self.spent.items()}


class RunState:
    """Everything that must survive a restart, beyond the model and optimizer."""

    def __init__(self, n_train: int, window: int) -> None:
        self.step = 0
        self.metrics: list[dict[str, Any]] = []
        self.probe_rows: dict[str, list[dict[str, Any]]] = {}
        self.window: deque[tuple[int, float, int]] = deque(maxlen=window)  # (wrong, loss sum, count)
        self.warming_up = True
        self.warmup_ended_at: int | None = None
        self.order = torch.empty(0, dtype=torch.long)
        self.position = n_train  # forces a fresh permutation on the first step
        self.resumed_from: list[int] = []

    def train_error(self) -> tuple[float, float]:
        """(error %, loss) over the running window of augmented training batches."""
        wrong = sum(w for w, _, _ in self.window)
        loss = sum(s for _, s, _ in self.window)
        count = sum(c for _, _, c in self.window)
        return 100.0 * wrong / max(count, 1), loss / max(count, 1)


def run(
    cfg: RunConfig,
    out_dir: Path,
    threads: int | None = None,
    device: str | None = None,
    allow_tf32: bool = False,
) -> dict[str, Any]:
    """Train one run into ``out_dir``, resuming from its checkpoint if there is one; returns its meta.

    ``device`` (the workflow's setting) takes the place of ``cfg.train.device`` and ``allow_tf32`` lets a
    CUDA run use TF32: how a run is computed, not what it is, so neither is part of the run's config.
    """
    try:
        return _train(cfg, Path(out_dir), threads, device or cfg.train.device, allow_tf32)
    except USER_ERRORS as err:
        log.error("%s", err)  # the message names the culprit; a traceback would only bury it
        raise
    except KeyboardInterrupt:
        log.error("run %s interrupted at the user's request; rerun to resume from its checkpoint", out_dir)
        raise
    except BaseException:
        # Logged here so that a Snakemake job's traceback lands in its rule log, not only on the console.
        log.exception("run %s failed", out_dir)
        raise


def _train(
    cfg: RunConfig, out_dir: Path, threads: int | None, device_name: str, allow_tf32: bool
) -> dict[str, Any]:
    started, clock = time.time(), PhaseClock()
    out_dir.mkdir(parents=True, exist_ok=True)
    if threads:
        torch.set_num_threads(threads)
    device = select_device(device_name)
    cuda_settings = configure_cuda(allow_tf32) if device.type == "cuda" else None
    write_json(out_dir / "config.json", cfg.to_dict())
    torch.manual_seed(cfg.seed)
    dtype, loss_spec = DTYPES[cfg.train.dtype], get_loss(cfg.train.loss)
    data = prepare_data(cfg, device, dtype)
    # Also checked at DAG build where the size is known; here it is known always (e.g. after a substitution).
    check_batch_fits(cfg, len(data.train_x), str(out_dir / "config.json"), f"dataset '{cfg.data.name}'")
    model = build_model(cfg.model, data.channels, data.num_classes, data.size).to(device)
    if dtype != torch.float32:
        model = model.to(dtype)
    if cfg.train.channels_last:
        model = model.to(memory_format=torch.channels_last)
        data.test_x = data.test_x.contiguous(memory_format=torch.channels_last)
    optimizer = build_optimizer(model.parameters(), cfg.optim)
    constraints = build_constraints(cfg.constraints, model)
    probes = ProbeRunner(cfg.probes, cfg.train.steps, cfg.seed, out_dir)
    generator = torch.Generator(device=device)
    generator.manual_seed(cfg.seed)
    state = RunState(len(data.train_x), cfg.train.train_window)
    if cfg.schedule.warmup_lr is None:
        state.warming_up = False
    _maybe_resume(out_dir / CHECKPOINT, cfg, model, optimizer, generator, state)

    status, diverged_at = "completed", None
    model.train()
    context = ProbeContext(
        model, None, loss_spec.mean, optimizer, state.step, data, cfg.train.eval_batch_size, seed=cfg.seed
    )
    clock.lap("setup")
    if state.step == 0:
        probes.run("after_step", context, 0, state.probe_rows)
        clock.lap("probes")
    before_step_probes, progress = probes.has("before_step"), (state.step, time.time())
    while state.step < cfg.train.steps:
        lr = learning_rate(cfg.schedule, cfg.optim.lr, state.step, state.warming_up)
        momentum = momentum_at(cfg.schedule, state.step)
        set_hyperparameters(optimizer, lr, momentum)
        x, y = _next_batch(data, state, cfg, generator)
        output = model(x)
        loss = loss_spec.mean(output, loss_spec.target(x, y))
        if not math.isfinite(loss.item()):
            status, diverged_at = "diverged", state.step
            log.warning("loss is %s at step %d: recording the run as diverged", loss.item(), state.step)
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if before_step_probes:  # the batch's loss and gradients in hand, before the update
            clock.lap("train")
            context.batch, context.loss, context.output = (x, y), loss.detach(), output.detach()
            probes.run("before_step", context, state.step, state.probe_rows)
            clock.lap("probes")
        optimizer.step()
        if constraints:
            apply_constraints(constraints)
        state.step += 1
        wrong = loss_spec.wrong(output, y) if loss_spec.wrong is not None else 0
        state.window.append((wrong, loss.item() * len(y), len(y)))
        if (
            state.warming_up
            and len(state.window) > 0
            and state.train_error()[0] < cfg.schedule.warmup_until_train_error
        ):
            state.warming_up, state.warmup_ended_at = False, state.step
            log.info(
                "warm-up ended at step %d (training error below %.0f%%)",
                state.step,
                cfg.schedule.warmup_until_train_error,
            )
        last = state.step == cfg.train.steps
        if state.step % cfg.train.log_every == 0 or last:
            _record_training(data, state, cfg, lr, momentum, loss_spec)
            progress = _log_progress(state, cfg, lr, loss_spec, progress)
        clock.lap("train")
        if (state.step % cfg.train.eval_every == 0 and state.step >= cfg.train.eval_from) or last:
            _record_heldout(model, data, state, cfg, loss_spec)
            write_rows(out_dir / PARTIAL_METRICS, state.metrics, METRIC_COLUMNS)
            clock.lap("eval")
        context.batch, context.loss, context.output = (x, y), loss.detach(), output.detach()
        if probes.run("after_step", context, state.step, state.probe_rows):
            clock.lap("probes")
        if state.step % cfg.train.checkpoint_every == 0 and state.step < cfg.train.steps:
            _save_checkpoint(out_dir / CHECKPOINT, cfg, model, optimizer, generator, state)
            clock.lap("checkpoint")

    clock.lap("train")
    if status == "diverged":
        _record_training(data, state, cfg, lr, momentum, loss_spec, loss_override=float("nan"))
        _record_heldout(model, data, state, cfg, loss_spec)
        clock.lap("eval")
    _save_checkpoint(out_dir / CHECKPOINT, cfg, model, optimizer, generator, state, complete=True)
    clock.lap("checkpoint")
    for name, rows in state.probe_rows.items():
        columns = (
            ["step"]
            + sorted({k for r in rows for k in r} - {"step", "metric", "value"})
            + ["metric", "value"]
        )
        write_rows(out_dir / "probes" / f"{name}.csv", rows, columns)
    write_rows(out_dir / "metrics.csv", state.metrics, METRIC_COLUMNS)
    meta = run_meta(cfg, device, threads, started, state, status, diverged_at, count_parameters(model), data)
    if cuda_settings is not None:
        meta["cuda"] = cuda_settings | {"visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", "all")}
    clock.lap("write")
    meta["timing_s"] = clock.totals()
    write_json(out_dir / "meta.json", meta)  # written last: its presence marks a finished run
    (out_dir / PARTIAL_METRICS).unlink(missing_ok=True)
    return meta


def _next_batch(
    data: DatasetTensors, state: RunState, cfg: RunConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """The next augmented batch from an epoch-wise random permutation (reshuffled each epoch)."""
    n, bs = len(data.train_x), cfg.train.batch_size
    if state.position + bs > n:
        state.order = torch.randperm(n, generator=generator, device=generator.device)
        state.position = 0
    index = state.order[state.position : state.position + bs]
    state.position += bs
    x = augment_batch(data.train_x[index], cfg.data.pad, cfg.data.flip, generator)
    if cfg.train.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, data.train_y[index]


def _record_training(
    data: DatasetTensors,
    state: RunState,
    cfg: RunConfig,
    lr: float,
    momentum: float | None,
    loss_spec: Loss,
    loss_override: float | None = None,
) -> None:
    """Append the running-window training error (if the task has one) and loss, the lr (and momentum)."""
    error, loss = state.train_error()
    if loss_override is not None:
        loss = loss_override
    values = [("error", error)] if loss_spec.has_error else []
    values += [("loss", loss), ("lr", lr)] + ([("momentum", momentum)] if momentum is not None else [])
    for metric, value in values:
        state.metrics.append(_metric_row(state, cfg, data, "train", metric, value))


def _record_heldout(
    model: torch.nn.Module, data: DatasetTensors, state: RunState, cfg: RunConfig, loss_spec: Loss
) -> None:
    """Append error (if the task has one) and loss on the test split (and validation split, if any)."""
    splits = [("test", data.test_x, data.test_y)]
    if data.val_x is not None:
        splits.append(("val", data.val_x, data.val_y))
    for split, x, y in splits:
        error, loss = evaluate(model, x, y, cfg.train.eval_batch_size, loss_spec)
        if error is not None:
            state.metrics.append(_metric_row(state, cfg, data, split, "error", error))
        state.metrics.append(_metric_row(state, cfg, data, split, "loss", loss))


def _log_progress(
    state: RunState, cfg: RunConfig, lr: float, loss_spec: Loss, since: tuple[int, float]
) -> tuple[int, float]:
    """One INFO line: step/steps, lr, running loss and error, images/s since the last line, and the ETA."""
    now, (step0, t0) = time.time(), since
    rate = (state.step - step0) / max(now - t0, 1e-9)  # steps per second
    error, loss = state.train_error()
    eta = (cfg.train.steps - state.step) / max(rate, 1e-9)
    log.info(
        "step %d/%d  lr %.4g  loss %.4f%s  %.0f images/s  ETA %s",
        state.step, cfg.train.steps, lr, loss,
        f"  train error {error:.2f}%" if loss_spec.has_error else "", rate * cfg.train.batch_size,
        time.strftime("%H:%M:%S", time.gmtime(eta)) if eta < 86400 else f"{eta / 3600:.0f} h",
    )  # fmt: skip
    return state.step, now


def _metric_row(state: RunState, cfg: RunConfig, data: DatasetTensors, split: str, metric: str, value: float):
    epoch = state.step * cfg.train.batch_size / len(data.train_x)
    return {"step": state.step, "epoch": round(epoch, 4), "split": split, "metric": metric, "value": value}


def main(argv: list[str] | None = None) -> int:
    """``python -m repro.train EXPERIMENT.yaml --variant V --seed S --scale quick [key=value ...]``."""
    from repro.cli import train_main

    return train_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
