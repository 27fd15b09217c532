"""Probe basics: the context a probe sees, its result, its base class, and the registry of probes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from repro.registry import Registry

Row = dict[str, Any]
PHASES = ("after_step", "before_step")


@dataclass
class ProbeContext:
    """What a probe may look at: the live model, the current batch, the loss, the optimizer and the data."""

    model: nn.Module
    batch: tuple[torch.Tensor, torch.Tensor] | None  # None in the call before training
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # the run's training loss (batch mean)
    optimizer: torch.optim.Optimizer
    step: int
    data: Any  # repro.data.DatasetTensors, already preprocessed (mean subtracted)
    eval_batch_size: int
    phase: str = "after_step"
    loss: torch.Tensor | None = None  # the batch's training loss (detached), when there is a batch
    output: torch.Tensor | None = None  # the model's output on the batch (detached)
    generator: torch.Generator | None = None  # this call's own RNG, on the data's device
    seed: int = 0  # the run seed

    def snapshot(self) -> nn.Module:
        """A deep copy of the model to run extra passes on without touching the training state."""
        return copy.deepcopy(self.model)

    def gradients(self) -> dict[str, torch.Tensor]:
        """Copies of the parameters' current gradients by name (the batch's, in the before_step phase)."""
        return {
            name: p.grad.detach().clone() for name, p in self.model.named_parameters() if p.grad is not None
        }

    def isolated(self) -> AbstractContextManager[nn.Module]:
        """``with context.isolated():`` restores model, gradients, optimizer and RNGs on exit."""
        from repro.probes.isolation import isolated

        return isolated(self.model, self.optimizer)


@dataclass
class ProbeResult:
    """Rows plus artifacts: file name (its suffix picks the format: .pt, .npy, .png, .json) -> object."""

    rows: list[Row] = field(default_factory=list)
    artifacts: dict[str, Any] = field(default_factory=dict)


class Probe:
    """Base class: subclasses set ``name`` and implement ``__call__``."""

    name = ""

    def __call__(self, context: ProbeContext) -> list[Row] | ProbeResult:
        raise NotImplementedError


PROBES: Registry[type[Probe]] = Registry("probe")


def build_probe(name: str, options: dict[str, Any]) -> Probe:
    """Instantiate the probe registered as ``name`` with its options."""
    return PROBES.get(name)(**options)
