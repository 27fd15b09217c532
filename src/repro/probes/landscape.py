"""The loss landscape along the gradient (Santurkar et al. 2018, Sec. 3.2): a before_step probe.

At a training step with batch gradient g (the one the step is about to apply, ``context.gradients()``)
the probe moves every parameter to w - eta * g for each eta = multiplier * lr (lr: the optimizer's
current rate) and evaluates, on the same batch and with the model in its training mode (BN normalises
with the batch's statistics, as in the step), the loss L(w - eta g) and its gradient. Each eta starts
from the same state (``context.isolated()``), so parameters, gradients, BN running statistics and any
step counters are restored afterwards and training is untouched. Rows:

- per multiplier (column ``multiplier``): ``loss`` = L(w - eta g), ``grad_change`` =
  ||grad L(w) - grad L(w - eta g)||_2 and ``beta`` = grad_change / ||eta g||_2;
- per call: ``grad_norm`` = ||g||, ``batch_loss`` = L(w), and the three measures of the paper:
  ``loss_min``/``loss_max``/``loss_range`` (the loss band over eta), ``grad_change_min``/
  ``grad_change_max`` (the gradient-predictiveness band) and ``beta_smoothness`` (the effective
  beta-smoothness, the max over eta of ``beta``).

``multipliers`` lists the eta / lr values, or ``eta_range: [low, high]`` with ``num`` gives ``num``
log-spaced ones. ``reduction: sum`` reports the loss summed over the batch (the loss times the batch
size, and the gradient measures likewise) for papers whose loss is a sum while the run trains on the
mean with lr scaled by the batch size; the points w - eta g are the same either way. A gradient the
loss does not reach counts as zero. The norms are taken in float64.
"""

from __future__ import annotations

import math

import torch

from repro.probes.base import PROBES, Probe, ProbeContext, ProbeResult, Row


def log_multipliers(low: float, high: float, num: int) -> list[float]:
    """``num`` values from ``low`` to ``high`` (both included) evenly spaced in log space."""
    if not 0 < low <= high or num < 1:
        raise ValueError(f"landscape: need 0 < low <= high and num >= 1, got {low}, {high}, {num}")
    if num == 1:
        return [float(low)]
    ratio = math.log(high / low)
    return [float(low * math.exp(ratio * i / (num - 1))) for i in range(num)]


def squared_norm(tensors: list[torch.Tensor]) -> float:
    """Sum of squares of every element, in float64."""
    return float(sum((t.double() ** 2).sum() for t in tensors)) if tensors else 0.0


@PROBES.register("landscape")
class Landscape(Probe):
    """Loss, gradient change and effective beta-smoothness along the step's gradient, for several etas."""

    name = "landscape"

    def __init__(
        self,
        multipliers: list[float] | None = None,
        eta_range: list[float] | None = None,
        num: int = 8,
        reduction: str = "mean",
    ) -> None:
        if (multipliers is None) == (eta_range is None):
            raise ValueError("landscape: give exactly one of multipliers and eta_range")
        if reduction not in ("mean", "sum"):
            raise ValueError(f"landscape: reduction must be mean or sum, got {reduction!r}")
        if eta_range is not None:
            if len(eta_range) != 2:
                raise ValueError(f"landscape: eta_range must be [low, high], got {eta_range!r}")
            multipliers = log_multipliers(float(eta_range[0]), float(eta_range[1]), num)
        self.multipliers = [float(m) for m in multipliers]
        if not self.multipliers or min(self.multipliers) <= 0:
            raise ValueError(f"landscape: multipliers must be positive, got {self.multipliers}")
        self.reduction = reduction

    def __call__(self, context: ProbeContext) -> ProbeResult:
        if context.batch is None or context.loss is None:
            return ProbeResult()
        grads = context.gradients()
        named = [(name, p) for name, p in context.model.named_parameters() if name in grads]
        g_norm = math.sqrt(squared_norm(list(grads.values())))
        x, y = context.batch
        scale = float(len(y)) if self.reduction == "sum" else 1.0
        lr = float(context.optimizer.param_groups[0]["lr"])
        rows: list[Row] = [
            {"metric": "grad_norm", "value": g_norm * scale},
            {"metric": "batch_loss", "value": float(context.loss) * scale},
        ]
        losses, changes, betas = [], [], []
        for multiplier in self.multipliers:
            eta = multiplier * lr
            loss, change = self._along(context, named, grads, eta, x, y)
            beta = change / (eta * g_norm) if eta * g_norm > 0 else math.nan
            losses.append(loss * scale)
            changes.append(change * scale)
            betas.append(beta * scale)
            rows += [
                {"multiplier": multiplier, "metric": "loss", "value": losses[-1]},
                {"multiplier": multiplier, "metric": "grad_change", "value": changes[-1]},
                {"multiplier": multiplier, "metric": "beta", "value": betas[-1]},
            ]
        rows += [
            {"metric": "loss_min", "value": min(losses)},
            {"metric": "loss_max", "value": max(losses)},
            {"metric": "loss_range", "value": max(losses) - min(losses)},
            {"metric": "grad_change_min", "value": min(changes)},
            {"metric": "grad_change_max", "value": max(changes)},
            {"metric": "beta_smoothness", "value": max(betas)},
        ]
        return ProbeResult(rows)

    @staticmethod
    def _along(
        context: ProbeContext,
        named: list[tuple[str, torch.nn.Parameter]],
        grads: dict[str, torch.Tensor],
        eta: float,
        x: torch.Tensor,
        y: torch.Tensor,
    ) -> tuple[float, float]:
        """(L(w - eta g), ||grad L(w) - grad L(w - eta g)||) on the batch, from the probe's state."""
        with context.isolated():
            with torch.no_grad():
                for name, p in named:
                    p.sub_(grads[name], alpha=eta)
            context.model.zero_grad(set_to_none=True)
            loss = context.loss_fn(context.model(x), y)
            loss.backward()
            diffs = [
                (p.grad if p.grad is not None else torch.zeros_like(p)) - grads[name] for name, p in named
            ]
            return float(loss.detach()), math.sqrt(squared_norm(diffs))
