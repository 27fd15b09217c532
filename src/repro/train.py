"""The one training loop: ``run(config, out_dir)``; ``python -m repro.train`` runs one run by hand."""

from __future__ import annotations

import logging
import math
import platform
import socket
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

import repro
from repro.config import RunConfig
from repro.data import (
    DatasetTensors,
    augment_batch,
    load_tensors,
    per_pixel_mean,
    split_validation,
    take_subset,
)
from repro.models import build_model, count_parameters
from repro.optim import build_optimizer, learning_rate
from repro.paths import tensors_path
from repro.probes import ProbeContext, build_probe
from repro.runio import save_torch, write_json, write_rows

log = logging.getLogger("repro.train")

METRIC_COLUMNS = ("step", "epoch", "split", "metric", "value")
CHECKPOINT = "checkpoint/last.pt"


def select_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def prepare_data(cfg: RunConfig, device: torch.device) -> DatasetTensors:
    """Load the dataset to ``device``, take the subset and validation split, subtract the per-pixel mean."""
    data = load_tensors(tensors_path(cfg.data.root, cfg.data.name), device)
    if cfg.data.train_subset is not None:
        data.train_x, data.train_y = take_subset(
            data.train_x, data.train_y, cfg.data.train_subset, cfg.data.subset_seed
        )
    if cfg.data.val_size:
        data = split_validation(data, cfg.data.val_size, cfg.data.subset_seed)
    if cfg.data.normalize == "per_pixel_mean":
        mean = per_pixel_mean(data.train_x)  # from the training images only
        data.train_x = data.train_x - mean
        data.test_x = data.test_x - mean
        if data.val_x is not None:
            data.val_x = data.val_x - mean
    elif cfg.data.normalize != "none":
        raise ValueError(f"unknown data.normalize '{cfg.data.normalize}'; valid: per_pixel_mean, none")
    return data


@torch.inference_mode()
def evaluate(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int
) -> tuple[float, float]:
    """(error %, mean loss) of ``model`` in eval mode on ``x, y``."""
    was_training = model.training
    model.eval()
    wrong, loss_sum = 0, 0.0
    for start in range(0, len(x), batch_size):
        logits = model(x[start : start + batch_size])
        target = y[start : start + batch_size]
        loss_sum += F.cross_entropy(logits, target, reduction="sum").item()
        wrong += (logits.argmax(1) != target).sum().item()
    model.train(was_training)
    return 100.0 * wrong / len(x), loss_sum / len(x)


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


def run(cfg: RunConfig, out_dir: Path, threads: int | None = None) -> dict[str, Any]:
    """Train one run into ``out_dir``, resuming from its checkpoint if there is one; returns its meta."""
    started = time.time()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if threads:
        torch.set_num_threads(threads)
    device = select_device(cfg.train.device)
    write_json(out_dir / "config.json", cfg.to_dict())
    torch.manual_seed(cfg.seed)
    data = prepare_data(cfg, device)
    model = build_model(cfg.model, data.channels, data.num_classes, data.size).to(device)
    if cfg.train.channels_last:
        model = model.to(memory_format=torch.channels_last)
        data.test_x = data.test_x.contiguous(memory_format=torch.channels_last)
    optimizer = build_optimizer(model.parameters(), cfg.optim)
    probes = [(p, build_probe(p.name, p.options)) for p in cfg.probes]
    generator = torch.Generator(device=device)
    generator.manual_seed(cfg.seed)
    state = RunState(len(data.train_x), cfg.train.train_window)
    if cfg.schedule.warmup_lr is None:
        state.warming_up = False
    _maybe_resume(out_dir / CHECKPOINT, cfg, model, optimizer, generator, state)

    status, diverged_at = "completed", None
    model.train()
    context = ProbeContext(
        model, None, F.cross_entropy, optimizer, state.step, data, cfg.train.eval_batch_size
    )
    if state.step == 0:
        _run_probes(probes, context, state, at_end=False)
    while state.step < cfg.train.steps:
        lr = learning_rate(cfg.schedule, cfg.optim.lr, state.step, state.warming_up)
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = _next_batch(data, state, cfg, generator)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        if not math.isfinite(loss.item()):
            status, diverged_at = "diverged", state.step
            log.warning("loss is %s at step %d: recording the run as diverged", loss.item(), state.step)
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        state.step += 1
        state.window.append(((logits.argmax(1) != y).sum().item(), loss.item() * len(y), len(y)))
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
            _record_training(data, state, cfg, lr)
        if state.step % cfg.train.eval_every == 0 or last:
            _record_heldout(model, data, state, cfg)
        context.batch, context.step = (x, y), state.step
        _run_probes(probes, context, state, at_end=state.step == cfg.train.steps)
        if state.step % cfg.train.checkpoint_every == 0 and state.step < cfg.train.steps:
            _save_checkpoint(out_dir / CHECKPOINT, cfg, model, optimizer, generator, state)

    if status == "diverged":
        _record_training(data, state, cfg, lr, loss_override=float("nan"))
        _record_heldout(model, data, state, cfg)
    _save_checkpoint(out_dir / CHECKPOINT, cfg, model, optimizer, generator, state)
    for name, rows in state.probe_rows.items():
        columns = (
            ["step"]
            + sorted({k for r in rows for k in r} - {"step", "metric", "value"})
            + ["metric", "value"]
        )
        write_rows(out_dir / "probes" / f"{name}.csv", rows, columns)
    write_rows(out_dir / "metrics.csv", state.metrics, METRIC_COLUMNS)
    meta = _meta(cfg, device, threads, started, state, status, diverged_at, count_parameters(model), data)
    write_json(out_dir / "meta.json", meta)  # written last: its presence marks a finished run
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
    data: DatasetTensors, state: RunState, cfg: RunConfig, lr: float, loss_override: float | None = None
) -> None:
    """Append the running-window training error and loss, and the lr, at the current step."""
    error, loss = state.train_error()
    if loss_override is not None:
        loss = loss_override
    for metric, value in (("error", error), ("loss", loss), ("lr", lr)):
        state.metrics.append(_metric_row(state, cfg, data, "train", metric, value))


def _record_heldout(model: torch.nn.Module, data: DatasetTensors, state: RunState, cfg: RunConfig) -> None:
    """Append error and loss on the test split (and the validation split, if any) at the current step."""
    splits = [("test", data.test_x, data.test_y)]
    if data.val_x is not None:
        splits.append(("val", data.val_x, data.val_y))
    for split, x, y in splits:
        error, loss = evaluate(model, x, y, cfg.train.eval_batch_size)
        state.metrics.append(_metric_row(state, cfg, data, split, "error", error))
        state.metrics.append(_metric_row(state, cfg, data, split, "loss", loss))


def _metric_row(state: RunState, cfg: RunConfig, data: DatasetTensors, split: str, metric: str, value: float):
    epoch = state.step * cfg.train.batch_size / len(data.train_x)
    return {"step": state.step, "epoch": round(epoch, 4), "split": split, "metric": metric, "value": value}


def _run_probes(probes: list, context: ProbeContext, state: RunState, at_end: bool) -> None:
    """Call every probe whose cadence matches this step; rows are kept in the (checkpointed) run state."""
    for probe_cfg, probe in probes:
        due = (probe_cfg.every and context.step % probe_cfg.every == 0) or (at_end and probe_cfg.at_end)
        if due:
            rows = probe(context)
            state.probe_rows.setdefault(probe_cfg.name, []).extend({"step": context.step, **r} for r in rows)


def _save_checkpoint(path: Path, cfg: RunConfig, model, optimizer, generator, state: RunState) -> None:
    """Everything needed to continue bit-for-bit: weights, optimizer, RNG states and loop state."""
    save_torch(
        path,
        {
            "config": cfg.to_dict(),
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "generator": generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "state": {k: v for k, v in vars(state).items()},
        },
    )


def _maybe_resume(path: Path, cfg: RunConfig, model, optimizer, generator, state: RunState) -> None:
    """Continue from the checkpoint at ``path`` if there is one and it belongs to this exact config."""
    if not path.exists():
        return
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    if ckpt.get("config") != cfg.to_dict():
        # The run's config changed since the checkpoint was written (Snakemake reran it for that reason).
        log.warning("ignoring checkpoint %s: it was written for a different config; starting afresh", path)
        path.unlink()
        return
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    generator.set_state(ckpt["generator"])
    torch.set_rng_state(ckpt["torch_rng"])
    if ckpt["cuda_rng"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(ckpt["cuda_rng"])
    vars(state).update(ckpt["state"])
    state.order = state.order.to(generator.device)
    state.resumed_from.append(state.step)
    log.info("resumed from checkpoint at step %d", state.step)


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)  # fmt: skip
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _meta(cfg, device, threads, started, state, status, diverged_at, n_params, data) -> dict[str, Any]:
    import torchvision

    return {
        "status": status,
        "diverged_at_step": diverged_at,
        "steps_completed": state.step,
        "resumed_from_step": state.resumed_from,
        "warmup_ended_at_step": state.warmup_ended_at,
        "num_params": n_params,
        "n_train": len(data.train_x),
        "n_test": len(data.test_x),
        "data_provenance": data.provenance,
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "threads": threads or torch.get_num_threads(),
        "wall_time_s": round(time.time() - started, 2),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": socket.gethostname(),
        "git_commit": _git_commit(),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "repro": repro.__version__,
        },  # fmt: skip
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m repro.train EXPERIMENT.yaml --variant V --seed S --scale quick [key=value ...]``."""
    from repro.cli import train_main

    return train_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
