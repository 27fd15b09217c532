"""The batch gradient and the loss along the coming update: a before_step probe (Santurkar et al. 2018 style).

Before each configured optimizer step it reports the norm of the batch gradient, the batch loss, and the loss
on the same batch after a trial step of the run's optimizer with the lr scaled by each of ``multipliers``,
every trial from the same state (``context.isolated()``); the real step that follows is untouched. With
``save_gradients`` the gradients are also written as an artifact (``gradients.pt``: name -> tensor).
"""

from __future__ import annotations

import torch

from repro.probes.base import PROBES, Probe, ProbeContext, ProbeResult


@PROBES.register("gradient_step")
class GradientStep(Probe):
    """Rows: grad_norm, batch_loss, and trial_loss / loss_change for each lr multiplier."""

    name = "gradient_step"

    def __init__(self, multipliers: list[float] | None = None, save_gradients: bool = False) -> None:
        self.multipliers = [float(m) for m in (multipliers if multipliers is not None else [1.0])]
        self.save_gradients = save_gradients

    def __call__(self, context: ProbeContext) -> ProbeResult:
        if context.batch is None or context.loss is None:
            return ProbeResult()  # the call before training has no batch
        grads = context.gradients()
        norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads.values())) if grads else torch.zeros(())
        loss = float(context.loss)
        rows = [{"metric": "grad_norm", "value": float(norm)}, {"metric": "batch_loss", "value": loss}]
        x, y = context.batch
        for multiplier in self.multipliers:
            with context.isolated():
                for group in context.optimizer.param_groups:
                    group["lr"] = group["lr"] * multiplier
                context.optimizer.step()
                with torch.no_grad():
                    trial = float(context.loss_fn(context.model(x), y))  # train mode, as the real step
            rows.append({"multiplier": multiplier, "metric": "trial_loss", "value": trial})
            rows.append({"multiplier": multiplier, "metric": "loss_change", "value": trial - loss})
        artifacts = {"gradients.pt": grads} if self.save_gradients else {}
        return ProbeResult(rows, artifacts)
