"""The one training loop: ``run(config, out_dir)``; ``python -m repro.train`` runs one run by hand."""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from dataclasses import dataclass
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
from repro.hooks import DTYPES, Constraint, apply_constraints, build_constraints, set_hyperparameters
from repro.losses import Loss, evaluate, get_loss
from repro.models import build_model, count_parameters
from repro.optim import build_optimizer, learning_rate, momentum_at
from repro.probes import ProbeContext
from repro.probes.runner import ProbeRunner
from repro.runio import write_json, write_rows
from repro.runmeta import run_meta
from repro.runrecord import log_progress, record_heldout, record_training
from repro.runstate import PhaseClock, RunState

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


@dataclass
class Training:
    """One run in progress: what :func:`_setup` builds, :func:`_step` advances and :func:`_finish` writes."""

    cfg: RunConfig
    out_dir: Path
    threads: int | None
    started: float
    clock: PhaseClock
    device: torch.device
    cuda_settings: dict[str, bool] | None
    loss_spec: Loss
    data: DatasetTensors
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    constraints: list[Constraint]
    probes: ProbeRunner
    generator: torch.Generator
    state: RunState
    context: ProbeContext
    before_step_probes: bool = False
    progress: tuple[int, float] = (0, 0.0)  # (step, time) of the last progress line
    lr: float = math.nan  # the last step's lr and momentum: a diverged run's final training rows show them
    momentum: float | None = None
    diverged_at: int | None = None

    def save(self, complete: bool = False) -> None:
        """Checkpoint the run (``complete``: the final one, which a rerun does not resume from)."""
        path, cfg, state = self.out_dir / CHECKPOINT, self.cfg, self.state
        _save_checkpoint(path, cfg, self.model, self.optimizer, self.generator, state, complete=complete)


def _train(
    cfg: RunConfig, out_dir: Path, threads: int | None, device_name: str, allow_tf32: bool
) -> dict[str, Any]:
    job = _setup(cfg, out_dir, threads, device_name, allow_tf32)
    while job.state.step < cfg.train.steps and job.diverged_at is None:
        _step(job)
    return _finish(job)


def _setup(
    cfg: RunConfig, out_dir: Path, threads: int | None, device_name: str, allow_tf32: bool
) -> Training:
    """Seed, load the data, build the model, optimizer and probes, resume if possible; run step 0's probes."""
    started, clock = time.time(), PhaseClock()
    out_dir.mkdir(parents=True, exist_ok=True)
    if threads:
        torch.set_num_threads(threads)
    device = select_device(device_name)
    cuda_settings = configure_cuda(allow_tf32) if device.type == "cuda" else None
    write_json(out_dir / "config.json", cfg.to_dict())
    # The order below fixes what each RNG draw is used for: changing it changes every run.
    torch.manual_seed(cfg.seed)
    dtype, loss_spec = DTYPES[cfg.train.dtype], get_loss(cfg.train.loss)
    data = prepare_data(cfg, device, dtype)
    # Also checked at DAG build where the size is known; here it is known always (e.g. after a substitution).
    check_batch_fits(cfg, len(data.train_x), str(out_dir / "config.json"), f"dataset '{cfg.data.name}'")
    model = _build_model(cfg, data, device, dtype)
    optimizer = build_optimizer(model.parameters(), cfg.optim)
    constraints = build_constraints(cfg.constraints, model)
    probes = ProbeRunner(cfg.probes, cfg.train.steps, cfg.seed, out_dir)
    generator = torch.Generator(device=device)
    generator.manual_seed(cfg.seed)
    state = RunState(len(data.train_x), cfg.train.train_window)
    if cfg.schedule.warmup_lr is None:
        state.warming_up = False
    _maybe_resume(out_dir / CHECKPOINT, cfg, model, optimizer, generator, state)
    model.train()
    context = ProbeContext(
        model, None, loss_spec.mean, optimizer, state.step, data, cfg.train.eval_batch_size, seed=cfg.seed
    )
    job = Training(
        cfg, out_dir, threads, started, clock, device, cuda_settings, loss_spec, data, model, optimizer,
        constraints, probes, generator, state, context,
    )  # fmt: skip
    clock.lap("setup")
    if state.step == 0:
        probes.run("after_step", context, 0, state.probe_rows)
        clock.lap("probes")
    job.before_step_probes, job.progress = probes.has("before_step"), (state.step, time.time())
    return job


def _build_model(
    cfg: RunConfig, data: DatasetTensors, device: torch.device, dtype: torch.dtype
) -> torch.nn.Module:
    """The run's model on ``device`` in ``dtype``; channels-last also lays out the test images so."""
    model = build_model(cfg.model, data.channels, data.num_classes, data.size).to(device)
    if dtype != torch.float32:
        model = model.to(dtype)
    if cfg.train.channels_last:
        model = model.to(memory_format=torch.channels_last)
        data.test_x = data.test_x.contiguous(memory_format=torch.channels_last)
    return model


def _step(job: Training) -> None:
    """One step: set lr and momentum, forward, stop if the loss is not finite, backward, update, record."""
    cfg, state, clock = job.cfg, job.state, job.clock
    job.lr = learning_rate(cfg.schedule, cfg.optim.lr, state.step, state.warming_up)
    job.momentum = momentum_at(cfg.schedule, state.step)
    set_hyperparameters(job.optimizer, job.lr, job.momentum)
    x, y = _next_batch(job.data, state, cfg, job.generator)
    output = job.model(x)
    loss = job.loss_spec.mean(output, job.loss_spec.target(x, y))
    if not math.isfinite(loss.item()):
        job.diverged_at = state.step
        log.warning("loss is %s at step %d: recording the run as diverged", loss.item(), state.step)
        return
    job.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if job.before_step_probes:  # the batch's loss and gradients in hand, before the update
        clock.lap("train")
        job.context.batch, job.context.loss, job.context.output = (x, y), loss.detach(), output.detach()
        job.probes.run("before_step", job.context, state.step, state.probe_rows)
        clock.lap("probes")
    job.optimizer.step()
    if job.constraints:
        apply_constraints(job.constraints)
    state.step += 1
    _track_window(job, y, loss, output)
    _after_step(job, (x, y), loss, output)


def _track_window(job: Training, y: torch.Tensor, loss: torch.Tensor, output: torch.Tensor) -> None:
    """Add the step's batch to the running training window; end the warm-up once its error is low enough."""
    state, schedule, loss_spec = job.state, job.cfg.schedule, job.loss_spec
    wrong = loss_spec.wrong(output, y) if loss_spec.wrong is not None else 0
    state.window.append((wrong, loss.item() * len(y), len(y)))
    if (
        state.warming_up
        and len(state.window) > 0
        and state.train_error()[0] < schedule.warmup_until_train_error
    ):
        state.warming_up, state.warmup_ended_at = False, state.step
        log.info(
            "warm-up ended at step %d (training error below %.0f%%)",
            state.step,
            schedule.warmup_until_train_error,
        )


def _after_step(
    job: Training, batch: tuple[torch.Tensor, torch.Tensor], loss: torch.Tensor, output: torch.Tensor
) -> None:
    """At their cadences: the training rows and progress line, held-out evaluation, probes, a checkpoint."""
    cfg, state, clock = job.cfg, job.state, job.clock
    last = state.step == cfg.train.steps
    if state.step % cfg.train.log_every == 0 or last:
        record_training(job.data, state, cfg, job.lr, job.momentum, job.loss_spec)
        job.progress = log_progress(state, cfg, job.lr, job.loss_spec, job.progress)
    clock.lap("train")
    if (state.step % cfg.train.eval_every == 0 and state.step >= cfg.train.eval_from) or last:
        record_heldout(job.model, job.data, state, cfg, job.loss_spec)
        write_rows(job.out_dir / PARTIAL_METRICS, state.metrics, METRIC_COLUMNS)
        clock.lap("eval")
    job.context.batch, job.context.loss, job.context.output = batch, loss.detach(), output.detach()
    if job.probes.run("after_step", job.context, state.step, state.probe_rows):
        clock.lap("probes")
    if state.step % cfg.train.checkpoint_every == 0 and state.step < cfg.train.steps:
        job.save()
        clock.lap("checkpoint")


def _finish(job: Training) -> dict[str, Any]:
    """Write out a diverged run's last rows, the final checkpoint, probes, metrics, then meta.json."""
    cfg, state, clock, out_dir = job.cfg, job.state, job.clock, job.out_dir
    clock.lap("train")
    if job.diverged_at is not None:
        record_training(job.data, state, cfg, job.lr, job.momentum, job.loss_spec, loss_override=float("nan"))
        record_heldout(job.model, job.data, state, cfg, job.loss_spec)
        clock.lap("eval")
    job.save(complete=True)
    clock.lap("checkpoint")
    for name, rows in state.probe_rows.items():
        columns = [
            "step",
            *sorted({k for r in rows for k in r} - {"step", "metric", "value"}),
            "metric",
            "value",
        ]
        write_rows(out_dir / "probes" / f"{name}.csv", rows, columns)
    write_rows(out_dir / "metrics.csv", state.metrics, METRIC_COLUMNS)
    status = "completed" if job.diverged_at is None else "diverged"
    meta = run_meta(
        cfg, job.device, job.threads, job.started, state, status, job.diverged_at,
        count_parameters(job.model), job.data,
    )  # fmt: skip
    if job.cuda_settings is not None:
        meta["cuda"] = job.cuda_settings | {"visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", "all")}
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


def main(argv: list[str] | None = None) -> int:
    """``python -m repro.train EXPERIMENT.yaml --variant V --seed S --scale quick [key=value ...]``."""
    from repro.cli import train_main

    return train_main(argv if argv is not None else sys.argv[1:], run)


if __name__ == "__main__":
    sys.exit(main())
