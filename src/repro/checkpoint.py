"""Checkpoints of a run: saved atomically, loaded with ``weights_only``; unreadable ones are moved aside.

A checkpoint holds only tensors and plain Python values, so ``torch.load(weights_only=True)`` reads it and
a checkpoint file can never run code. The final checkpoint of a run is marked complete: it keeps the final
weights for later analysis, but a forced or changed rerun never resumes from it (it trains afresh).
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections import deque
from pathlib import Path
from typing import Any

import torch

from repro.runio import save_torch

log = logging.getLogger("repro.train")

CHECKPOINT = "checkpoint/last.pt"
KEYS = ("config", "model", "optimizer", "generator", "torch_rng", "cuda_rng", "state")


def save_checkpoint(path: Path, cfg, model, optimizer, generator, state, complete: bool = False) -> None:
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
            "state": {k: _plain(v) for k, v in vars(state).items()},
            "complete": complete,
        },
    )


def _plain(value: Any) -> Any:
    """``value`` with containers and scalars that the weights_only unpickler refuses made plain."""
    if isinstance(value, deque):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if hasattr(value, "item") and not isinstance(value, torch.Tensor):  # numpy scalars
        return value.item()
    return value


def read_checkpoint(path: Path) -> dict[str, Any] | None:
    """The checkpoint at ``path``; None when there is none or it cannot be read (then it is moved aside)."""
    if not path.exists():
        return None
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        missing = [k for k in KEYS if k not in ckpt] if isinstance(ckpt, dict) else list(KEYS)
        if missing:
            raise ValueError(f"it lacks {', '.join(missing)}")
    except Exception as err:  # truncated, garbled, or holding objects that weights_only refuses
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(path, aside)  # kept, not deleted, so nothing is lost if the cause was something else
        if isinstance(err, pickle.UnpicklingError):  # torch's message is a page long; this is what it means
            reason = "it holds objects that a weights_only load refuses, such as the deque of older versions"
        else:
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        log.warning("checkpoint %s cannot be read (%s); moved it to %s; training from scratch", path,
                    reason, aside.name)  # fmt: skip
        return None
    return ckpt


def maybe_resume(path: Path, cfg, model, optimizer, generator, state) -> None:
    """Continue from the checkpoint at ``path`` if it is readable, unfinished and of this exact config."""
    ckpt = read_checkpoint(path)
    if ckpt is None:
        return
    if ckpt.get("config") != cfg.to_dict():
        # The run's config changed since the checkpoint was written (Snakemake reran it for that reason).
        log.warning("ignoring checkpoint %s: it was written for a different config; starting afresh", path)
        path.unlink()
        return
    # Checkpoints written before the mark existed are complete when they reached the last step.
    if ckpt.get("complete", ckpt["state"].get("step", 0) >= cfg.train.steps):
        log.info("checkpoint %s is of a finished run: training afresh (a forced rerun retrains)", path)
        return
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    generator.set_state(ckpt["generator"])
    torch.set_rng_state(ckpt["torch_rng"])
    if ckpt["cuda_rng"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(ckpt["cuda_rng"])
    saved = dict(ckpt["state"])
    window = saved.pop("window")
    vars(state).update(saved)
    state.window.clear()
    state.window.extend(tuple(w) for w in window)  # the deque keeps its maxlen (train_window)
    state.order = state.order.to(generator.device)
    state.resumed_from.append(state.step)
    log.info("resumed from checkpoint at step %d", state.step)
