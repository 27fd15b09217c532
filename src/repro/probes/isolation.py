"""Run code on the live model and optimizer, then put every bit of training state back.

``with isolated(model, optimizer):`` saves, and on exit restores in place: every parameter's value,
gradient and ``requires_grad``; every buffer (BN running statistics and counters); each module's train/eval
mode; the optimizer's per-parameter state (momentum buffers) and param-group hyperparameters; and the global
RNG states (CPU, and CUDA when it is initialised). Inside, code may run forward and backward passes, change
the lr and call ``optimizer.step()``; training afterwards is bit-for-bit what it would have been.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


def _clone(value: Any) -> Any:
    return value.detach().clone() if isinstance(value, torch.Tensor) else copy.deepcopy(value)


class TrainingSnapshot:
    """A copy of everything ``isolated`` restores; ``restore`` writes it back into the same objects."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> None:
        self.modes = [(m, m.training) for m in model.modules()]
        self.params = [
            (
                module,
                name,
                p,
                p.detach().clone(),
                _clone(p.grad) if p.grad is not None else None,
                p.requires_grad,
            )
            for module in model.modules()
            for name, p in module._parameters.items()
            if p is not None
        ]
        self.buffers = [
            (module, name, b, b.detach().clone())
            for module in model.modules()
            for name, b in module._buffers.items()
            if b is not None
        ]
        self.optimizer = optimizer
        if optimizer is not None:
            self.opt_state = {p: {k: _clone(v) for k, v in s.items()} for p, s in optimizer.state.items()}
            self.opt_groups = [
                {k: _clone(v) for k, v in g.items() if k != "params"} for g in optimizer.param_groups
            ]
        self.cpu_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None

    @torch.no_grad()
    def restore(self) -> None:
        """Write the saved state back (the same tensor objects keep their identity where it matters)."""
        for module, mode in self.modes:
            module.training = mode
        for module, name, p, value, grad, requires_grad in self.params:
            module._parameters[name] = p  # undo a replaced Parameter, then its value
            p.copy_(value)
            p.grad = grad
            p.requires_grad_(requires_grad)
        for module, name, b, value in self.buffers:
            module._buffers[name] = b
            b.copy_(value)
        if self.optimizer is not None:
            self.optimizer.state.clear()  # the same (default)dict object the optimizer holds
            self.optimizer.state.update(self.opt_state)
            for group, saved in zip(self.optimizer.param_groups, self.opt_groups, strict=True):
                group.update(saved)
        torch.set_rng_state(self.cpu_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)


@contextmanager
def isolated(model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> Iterator[nn.Module]:
    """Yield ``model``; on exit (even by an exception) restore it, its optimizer and the global RNGs."""
    snapshot = TrainingSnapshot(model, optimizer)
    try:
        yield model
    finally:
        snapshot.restore()
