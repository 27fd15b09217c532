"""Derived settings: lengths in epochs and the linear lr-scaling rule, resolved into the run config.

A sweep over batch sizes keeps a paper's rules ("the same number of epochs for every batch size", "lr 0.1
per 32 images") without hand arithmetic: the experiment file states them, and this module writes the
iteration counts and the learning rate they imply into the run config, next to what was stated, so a
run's config.json is still the whole truth. Resolution is idempotent: applying it to an already resolved
config gives the same config (the train rule re-reads the resolved config).
"""

from __future__ import annotations

import copy
import math
from typing import Any

from repro.errors import ConfigError

# (epochs key in train, the iteration key it sets)
EPOCH_CADENCES = (
    ("epochs", "steps"),
    ("eval_every_epochs", "eval_every"),
    ("log_every_epochs", "log_every"),
    ("checkpoint_every_epochs", "checkpoint_every"),
    ("eval_from_epochs", "eval_from"),
)


def train_size(data: dict[str, Any], source: str) -> int:
    """Training images a run will use (repro.config_checks.known_train_size); an error when unknown."""
    from repro.config import DataConfig, build_section
    from repro.config_checks import known_train_size

    n = known_train_size(build_section(DataConfig, data, "data", source))
    if n is None:
        raise ConfigError(
            f"lengths in epochs need the training-set size, but dataset '{data.get('name', '')}' in {source} "
            "has no known size; set data.train_subset or give lengths in iterations"
        )
    return n


def _steps_per_epoch(raw: dict[str, Any], source: str) -> float:
    batch = (raw.get("train") or {}).get("batch_size", 128)
    if not isinstance(batch, int) or batch < 1:
        raise ConfigError(f"key 'train.batch_size' in {source} must be a positive integer, got {batch!r}")
    return train_size(raw.get("data") or {}, source) / batch


def _positive(value: Any, key: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"key '{key}' in {source} must be a positive number, got {value!r}")
    return float(value)


def resolve_derived(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """A copy of the raw run config with epoch lengths turned into iterations and the lr scaled by batch."""
    raw = copy.deepcopy(raw)
    train = raw.setdefault("train", {})
    schedule = raw.get("schedule") or {}
    uses_epochs = any(train.get(key) is not None for key, _ in EPOCH_CADENCES)
    if uses_epochs or schedule.get("milestone_epochs"):
        per_epoch = _steps_per_epoch(raw, source)
        for key, target in EPOCH_CADENCES:
            if train.get(key) is not None:
                epochs = _positive(train[key], f"train.{key}", source)
                # At least one iteration; rounding up so "1 epoch" never stops short of the last batch.
                train[target] = max(1, math.ceil(epochs * per_epoch - 1e-9))
        if schedule.get("milestone_epochs"):
            marks = schedule["milestone_epochs"]
            if not isinstance(marks, list):
                raise ConfigError(f"key 'schedule.milestone_epochs' in {source} must be a list of numbers")
            schedule["milestones"] = [
                max(1, math.ceil(_positive(m, "schedule.milestone_epochs", source) * per_epoch - 1e-9))
                for m in marks
            ]
    optim = raw.get("optim") or {}
    if optim.get("lr_reference_batch") is not None:
        reference = optim["lr_reference_batch"]
        if isinstance(reference, bool) or not isinstance(reference, int) or reference < 1:
            raise ConfigError(
                f"key 'optim.lr_reference_batch' in {source} must be a positive integer, got {reference!r}"
            )
        base = optim.get("lr_base", optim.get("lr", 0.1))
        base = _positive(base, "optim.lr", source)
        batch = train.get("batch_size", 128)
        optim["lr_base"] = base
        optim["lr"] = base * batch / reference
    return raw
