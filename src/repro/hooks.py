"""Step hooks: hyperparameters set before each step (lr, momentum) and constraints applied after it.

A run config lists constraints as ``constraints: [{name: max_norm, c: 3.0, types: [Linear]}]``; each entry
names a builder in ``CONSTRAINTS``, the other keys are its options. The loop builds them once for the model
and calls every one, in order, right after each ``optimizer.step()`` (and never when the list is empty, so
runs without constraints do exactly what they did before).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from repro.registry import Registry

Constraint = Callable[[], None]
CONSTRAINTS: Registry[Callable[..., Constraint]] = Registry("constraint")
DTYPES = {"float32": torch.float32, "float64": torch.float64}

# Modules whose weight is (out_units, fan_in, ...): one unit's incoming weights are one row after flatten(1).
UNIT_MODULES: dict[str, type[nn.Module]] = {
    "Linear": nn.Linear,
    "Conv1d": nn.Conv1d,
    "Conv2d": nn.Conv2d,
    "Conv3d": nn.Conv3d,
}


# Dropout modules whose drop probability sets the keep probability of the next unit module's input.
DROPOUT_MODULES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)


def input_keep_probabilities(model: nn.Module) -> dict[str, float]:
    """Each unit module's name -> the keep probability of its input (1.0 when no dropout feeds it).

    Walks the modules in registration order, which is the forward order of the feed-forward nets that
    use dropout here (MLP, ConvFC): a dropout module sets the keep probability of the next unit module's
    input, and a unit module's own output starts undropped.
    """
    keeps: dict[str, float] = {}
    keep = 1.0
    for name, module in model.named_modules():
        if isinstance(module, DROPOUT_MODULES):
            keep = 1.0 - float(module.p)
        elif isinstance(module, tuple(UNIT_MODULES.values())):
            keeps[name] = keep
            keep = 1.0
    return keeps


@CONSTRAINTS.register("max_norm")
def max_norm(
    model: nn.Module, c: float, types: list[str] | None = None, names: list[str] | None = None
) -> Constraint:
    """Keep each unit's incoming weight vector at L2 norm at most ``c`` in the paper's weight scale.

    Srivastava et al. (2014) constrain the weights of the net trained with plain dropout, whose test-time
    net multiplies them by the keep probability p of their input. Training here uses inverted dropout
    (kept units scaled by 1/p), whose weights are p times the paper's, so a unit fed by dropout with keep
    probability p is held at c * p (c where no dropout feeds it): the eval-mode net then equals the
    paper's constrained, weight-scaled net. A unit is a row of a Linear weight or one output filter of a
    conv weight; biases are not constrained. ``types`` restricts it to those module classes (default all
    of UNIT_MODULES), ``names`` to modules whose qualified name matches a shell-style pattern.
    """
    unknown = sorted(set(types or []) - set(UNIT_MODULES))
    if unknown:
        raise ValueError(f"max_norm: unknown module type {unknown[0]!r}; valid: {sorted(UNIT_MODULES)}")
    kinds = tuple(UNIT_MODULES[t] for t in (types or UNIT_MODULES))
    keeps = input_keep_probabilities(model)
    bounds = [
        (module.weight, c * keeps[name])
        for name, module in model.named_modules()
        if isinstance(module, kinds) and (names is None or any(fnmatch.fnmatch(name, p) for p in names))
    ]
    if not bounds:
        raise ValueError(f"max_norm: no module of types {types or sorted(UNIT_MODULES)} matches {names}")

    @torch.no_grad()
    def apply() -> None:
        for weight, bound in bounds:
            rows = weight.flatten(1)
            norm = rows.norm(dim=1, keepdim=True)
            # Only rows longer than the bound change; the others keep their exact bits.
            scale = torch.where(norm > bound, bound / norm.clamp_min(1e-12), torch.ones_like(norm))
            weight.mul_(scale.view(-1, *([1] * (weight.dim() - 1))))

    return apply


def build_constraints(specs: list[dict[str, Any]], model: nn.Module) -> list[Constraint]:
    """The constraints named in ``specs``, bound to ``model``'s parameters."""
    return [
        CONSTRAINTS.get(spec["name"])(model, **{k: v for k, v in spec.items() if k != "name"})
        for spec in specs
    ]


def apply_constraints(constraints: list[Constraint]) -> None:
    """Apply every constraint in order (after an optimizer step)."""
    for constraint in constraints:
        constraint()


def set_hyperparameters(optimizer: torch.optim.Optimizer, lr: float, momentum: float | None) -> None:
    """Set lr (and the momentum, when it is scheduled) on every param group before a step."""
    for group in optimizer.param_groups:
        group["lr"] = lr
        if momentum is not None:
            group["momentum"] = momentum


def check_step_options(cfg: Any, source: str) -> None:
    """Check constraints, the momentum schedule, loss and dtype of a RunConfig, naming the bad key."""
    from repro.errors import ConfigError
    from repro.losses import LOSSES
    from repro.optim import check_value_schedule

    for i, spec in enumerate(cfg.constraints):
        key = f"constraints[{i}]"
        CONSTRAINTS.check_spec(spec, key, source, skip=("model",))
    if cfg.schedule.momentum:
        check_value_schedule(cfg.schedule.momentum, "schedule.momentum", source)
    if cfg.train.loss not in LOSSES:
        raise ConfigError(
            f"unknown value '{cfg.train.loss}' at 'train.loss' in {source}; valid: {LOSSES.names()}"
        )
    if not LOSSES.get(cfg.train.loss).has_error and cfg.schedule.warmup_lr is not None:
        raise ConfigError(
            f"'schedule.warmup_lr' in {source} ends on a training error, which loss '{cfg.train.loss}' lacks"
        )
    if cfg.train.dtype not in DTYPES:
        raise ConfigError(
            f"unknown value '{cfg.train.dtype}' at 'train.dtype' in {source}; valid: {sorted(DTYPES)}"
        )
