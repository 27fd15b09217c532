"""In-training measurements, registered by name and called by the training loop at configured steps.

A probe is a class built with its config ``options``; the loop calls ``probe(context)`` at the steps the
run config asks for, and the probe returns long-form rows (dicts with ``metric`` and ``value`` and any key
columns such as ``layer``). Probes that need extra forward/backward passes work on ``context.snapshot()``
(a deep copy) or restore what they touch, so a probe never changes training. Probes must not draw from the
global RNGs either, so a run gives the same result with or without them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from repro.registry import Registry

Row = dict[str, Any]


@dataclass
class ProbeContext:
    """What a probe may look at: the live model, the current batch, the loss, the optimizer and the data."""

    model: nn.Module
    batch: tuple[torch.Tensor, torch.Tensor] | None
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    optimizer: torch.optim.Optimizer
    step: int
    data: Any  # repro.data.DatasetTensors, already preprocessed (mean subtracted)
    eval_batch_size: int

    def snapshot(self) -> nn.Module:
        """A deep copy of the model to run extra passes on without touching the training state."""
        return copy.deepcopy(self.model)


class Probe:
    """Base class: subclasses set ``name`` and implement ``__call__``."""

    name = ""

    def __call__(self, context: ProbeContext) -> list[Row]:
        raise NotImplementedError


PROBES: Registry[type[Probe]] = Registry("probe")


def build_probe(name: str, options: dict[str, Any]) -> Probe:
    """Instantiate the probe registered as ``name`` with its options."""
    return PROBES.get(name)(**options)


from repro.probes import layer_response, percentiles  # noqa: E402, F401  (registers the probes)
