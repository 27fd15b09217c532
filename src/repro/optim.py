"""Optimizer and learning-rate schedule registries. Schedules are pure functions of the iteration."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

from repro.config import OptimConfig, ScheduleConfig
from repro.registry import Registry

OPTIMIZERS: Registry[Callable[[Iterable[torch.nn.Parameter], OptimConfig], torch.optim.Optimizer]] = Registry(
    "optimizer"
)
SCHEDULES: Registry[Callable[[ScheduleConfig, float, int], float]] = Registry("schedule")


@OPTIMIZERS.register("sgd")
def sgd(params: Iterable[torch.nn.Parameter], cfg: OptimConfig) -> torch.optim.Optimizer:
    """SGD with (optionally Nesterov) momentum and L2 weight decay."""
    return torch.optim.SGD(
        params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, nesterov=cfg.nesterov
    )


@SCHEDULES.register("multistep")
def multistep(cfg: ScheduleConfig, base_lr: float, step: int) -> float:
    """``base_lr`` times ``gamma`` for every milestone already passed."""
    return base_lr * cfg.gamma ** sum(step >= m for m in cfg.milestones)


@SCHEDULES.register("constant")
def constant(cfg: ScheduleConfig, base_lr: float, step: int) -> float:
    """The base learning rate throughout."""
    return base_lr


@SCHEDULES.register("exponential")
def exponential(cfg: ScheduleConfig, base_lr: float, step: int) -> float:
    """``base_lr * decay_rate ** (step * decay_speedup / decay_every)``; speedup 6 decays 6x faster."""
    return base_lr * cfg.decay_rate ** (step * cfg.decay_speedup / cfg.decay_every)


def build_optimizer(params: Iterable[torch.nn.Parameter], cfg: OptimConfig) -> torch.optim.Optimizer:
    """The optimizer named by ``cfg.name``."""
    return OPTIMIZERS.get(cfg.name)(params, cfg)


def learning_rate(cfg: ScheduleConfig, base_lr: float, step: int, warming_up: bool) -> float:
    """The lr for ``step``; during warm-up the warm-up lr, then the schedule's value set explicitly.

    Setting the scheduled value explicitly after warm-up avoids the bug where a chained scheduler
    never raises the lr back from 0.01 to 0.1 (akamaster/pytorch_resnet_cifar10 issue #21).
    """
    if warming_up and cfg.warmup_lr is not None:
        return cfg.warmup_lr
    return SCHEDULES.get(cfg.name)(cfg, base_lr, step)
