"""In-training measurements, registered by name and called by the training loop at configured steps.

A probe is a class built with its config ``options``; the loop calls ``probe(context)`` at the steps its
cadence names (``every``, ``steps``, ``log_spaced``, ``at_end``: see ``repro.probes.cadence``) in its
``phase``:

- ``after_step`` (default): after the optimizer step of step s (and once before training, at step 0); the
  context's batch, output and loss are those of the batch just trained on.
- ``before_step``: at step s = 0 .. steps-1, with the model after s updates, once the loss and gradients of
  the batch of update s+1 are computed (they sit in ``param.grad``; ``context.gradients()`` copies them)
  and before its ``optimizer.step()``; ``at_end`` means the last batch (s = steps-1).

Either way the loop calls the probe inside ``isolated(model, optimizer)`` (``repro.probes.isolation``): a
probe may run extra forward/backward passes and even optimizer steps on the live model, and afterwards
parameters, gradients, optimizer state, all buffers (BN running statistics), train/eval modes and the
global RNG states are restored exactly. Probes nest ``context.isolated()`` themselves to try several things
from the same state. For randomness a probe uses ``context.generator``, its own torch.Generator seeded from
the run seed, the step, the phase and the probe's name, never the global RNGs.

A probe returns long-form rows (dicts with ``metric`` and ``value`` and any key columns such as ``layer``),
or a ``ProbeResult`` with rows and artifacts (files for figures: see ``repro.probes.artifacts``).
"""

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


from repro.probes import (  # noqa: E402, F401  (registers them)
    activation_hist,
    activation_stats,
    eval_error,
    filters,
    gradient_step,
    ics,
    landscape,
    layer_response,
    mc_dropout,
    percentiles,
)
