"""Optimizer, learning-rate and value schedule registries. Schedules are pure functions of the iteration.

``SCHEDULES`` give the lr (``schedule.name``). ``VALUE_SCHEDULES`` give any other hyperparameter from a spec
``{name: ..., **options}``; ``schedule.momentum`` uses them to set the optimizer's momentum every step:

- ``constant {value}``
- ``linear {start, end, steps, begin: 0}``: ``start`` until ``begin``, then linearly to ``end`` at
  ``begin + steps``, and ``end`` after (Srivastava et al. 2014: momentum 0.5 -> 0.99).
- ``piecewise {values, milestones}``: ``values[i]`` from ``milestones[i-1]`` on (len(values) = len(m) + 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import torch

from repro.registry import Registry


# What the builders read of a run's sections (repro.config's OptimConfig and ScheduleConfig have these
# fields). Declared here rather than imported: repro.config imports this module's registries to check names.
class OptimSettings(Protocol):
    """The fields of a run's ``optim`` section that the optimizer builders read."""

    name: str
    lr: float
    momentum: float
    weight_decay: float
    nesterov: bool


class ScheduleSettings(Protocol):
    """The fields of a run's ``schedule`` section that the schedules read."""

    name: str
    milestones: list[int]
    gamma: float
    warmup_lr: float | None
    decay_every: int
    decay_rate: float
    decay_speedup: float
    momentum: dict[str, Any]


OPTIMIZERS: Registry[Callable[[Iterable[torch.nn.Parameter], OptimSettings], torch.optim.Optimizer]] = (
    Registry("optimizer")
)
SCHEDULES: Registry[Callable[[ScheduleSettings, float, int], float]] = Registry("schedule")
VALUE_SCHEDULES: Registry[Callable[..., float]] = Registry("value schedule")


@OPTIMIZERS.register("sgd")
def sgd(params: Iterable[torch.nn.Parameter], cfg: OptimSettings) -> torch.optim.Optimizer:
    """SGD with (optionally Nesterov) momentum and L2 weight decay."""
    return torch.optim.SGD(
        params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, nesterov=cfg.nesterov
    )


class DampedSGD(torch.optim.Optimizer):
    """SGD whose velocity averages the gradients: v = m v + (1 - m) g, w -= lr v (v starts at 0).

    The convention of Hinton et al. 2012 and Srivastava et al. 2014's recipe (dw = m dw - (1 - m) lr g):
    under a constant gradient g a step settles at lr * g, where PyTorch's SGD (v = m v + g) settles at
    lr * g / (1 - m). For a constant m this is PyTorch's SGD at lr * (1 - m): their "lr 10 at momentum
    0.99" is PyTorch's lr 0.1, and copying 10 into PyTorch diverges.
    ``momentum`` may change every step (a momentum schedule), and the (1 - m) factor follows it.
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, momentum: float, weight_decay: float):
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            m, lr, wd = group["momentum"], group["lr"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.add(p, alpha=wd) if wd else p.grad
                state = self.state[p]
                if "velocity" not in state:
                    state["velocity"] = torch.zeros_like(p)
                velocity = state["velocity"]
                velocity.mul_(m).add_(grad, alpha=1.0 - m)
                p.add_(velocity, alpha=-lr)
        return loss


@OPTIMIZERS.register("sgd_damped")
def sgd_damped(params: Iterable[torch.nn.Parameter], cfg: OptimSettings) -> torch.optim.Optimizer:
    """SGD with the velocity as a (1 - m)-weighted average of gradients (see DampedSGD); no Nesterov."""
    if cfg.nesterov:
        raise ValueError("optimizer sgd_damped has no Nesterov variant")
    return DampedSGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


@SCHEDULES.register("multistep")
def multistep(cfg: ScheduleSettings, base_lr: float, step: int) -> float:
    """``base_lr`` times ``gamma`` for every milestone already passed."""
    return base_lr * cfg.gamma ** sum(step >= m for m in cfg.milestones)


@SCHEDULES.register("constant")
def constant(cfg: ScheduleSettings, base_lr: float, step: int) -> float:
    """The base learning rate throughout."""
    return base_lr


@SCHEDULES.register("exponential")
def exponential(cfg: ScheduleSettings, base_lr: float, step: int) -> float:
    """``base_lr * decay_rate ** (step * decay_speedup / decay_every)``; speedup 6 decays 6x faster."""
    return base_lr * cfg.decay_rate ** (step * cfg.decay_speedup / cfg.decay_every)


def build_optimizer(params: Iterable[torch.nn.Parameter], cfg: OptimSettings) -> torch.optim.Optimizer:
    """The optimizer named by ``cfg.name``."""
    return OPTIMIZERS.get(cfg.name)(params, cfg)


def learning_rate(cfg: ScheduleSettings, base_lr: float, step: int, warming_up: bool) -> float:
    """The lr for ``step``; during warm-up the warm-up lr, then the schedule's value set explicitly.

    Setting the scheduled value explicitly after warm-up avoids the bug where a chained scheduler
    never raises the lr back from 0.01 to 0.1 (akamaster/pytorch_resnet_cifar10 issue #21).
    """
    if warming_up and cfg.warmup_lr is not None:
        return cfg.warmup_lr
    return SCHEDULES.get(cfg.name)(cfg, base_lr, step)


@VALUE_SCHEDULES.register("constant")
def constant_value(step: int, value: float) -> float:
    """``value`` throughout."""
    return float(value)


@VALUE_SCHEDULES.register("linear")
def linear_value(step: int, start: float, end: float, steps: int, begin: int = 0) -> float:
    """``start`` until ``begin``, linear to ``end`` over ``steps`` iterations, then ``end``."""
    if steps <= 0:
        return float(end) if step >= begin else float(start)
    t = min(max((step - begin) / steps, 0.0), 1.0)
    return float(start + (end - start) * t)


@VALUE_SCHEDULES.register("piecewise")
def piecewise_value(step: int, values: list[float], milestones: list[int]) -> float:
    """``values[k]`` where ``k`` is the number of milestones already passed."""
    return float(values[sum(step >= m for m in milestones)])


def scheduled_value(spec: dict[str, Any], step: int) -> float:
    """The value of the schedule ``spec`` (``{name, **options}``) at ``step``."""
    options = {k: v for k, v in spec.items() if k != "name"}
    return VALUE_SCHEDULES.get(spec["name"])(step, **options)


def momentum_at(cfg: ScheduleSettings, step: int) -> float | None:
    """The scheduled momentum at ``step``, or None when ``schedule.momentum`` is not set (optim.momentum)."""
    return scheduled_value(cfg.momentum, step) if cfg.momentum else None


def check_value_schedule(spec: dict[str, Any], key: str, source: str) -> None:
    """Reject an unknown schedule name, unknown or missing options, naming ``key`` and ``source``."""
    from repro.errors import ConfigError

    VALUE_SCHEDULES.check_spec(spec, key, source, skip=("step",))
    if spec["name"] == "piecewise" and len(spec["values"]) != len(spec["milestones"]) + 1:
        raise ConfigError(f"'{key}.values' must have one more entry than '{key}.milestones' in {source}")
