"""What a run records as it trains: training and held-out metric rows, and the progress line in the log."""

from __future__ import annotations

import logging
import time
from typing import Any

import torch

from repro.config import RunConfig
from repro.data import DatasetTensors
from repro.losses import Loss, evaluate
from repro.runstate import RunState

log = logging.getLogger("repro.train")  # the training loop's logger: one stream in the rule log


def record_training(
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
        state.metrics.append(metric_row(state, cfg, data, "train", metric, value))


def record_heldout(
    model: torch.nn.Module, data: DatasetTensors, state: RunState, cfg: RunConfig, loss_spec: Loss
) -> None:
    """Append error (if the task has one) and loss on the test split (and validation split, if any)."""
    splits = [("test", data.test_x, data.test_y)]
    if data.val_x is not None:
        splits.append(("val", data.val_x, data.val_y))
    for split, x, y in splits:
        error, loss = evaluate(model, x, y, cfg.train.eval_batch_size, loss_spec)
        if error is not None:
            state.metrics.append(metric_row(state, cfg, data, split, "error", error))
        state.metrics.append(metric_row(state, cfg, data, split, "loss", loss))


def log_progress(
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


def metric_row(
    state: RunState, cfg: RunConfig, data: DatasetTensors, split: str, metric: str, value: float
) -> dict[str, Any]:
    """One long-form metrics row at the current step (its epoch as a fraction of the training set)."""
    epoch = state.step * cfg.train.batch_size / len(data.train_x)
    return {"step": state.step, "epoch": round(epoch, 4), "split": split, "metric": metric, "value": value}
