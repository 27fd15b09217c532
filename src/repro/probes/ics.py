"""Internal covariate shift as Santurkar et al. 2018 define it (Definition 2.1): a before_step probe.

For each chosen layer i (1-based among the model's conv and linear maps in forward order; negative
counts from the end), at step t on the step's own batch:

- G = the gradient of layer i's weight, as the step computed it (``context.gradients()``);
- G' = the gradient of the same weight after only the layers before it took their step-t update: the
  run's optimizer steps every parameter, then every parameter from layer i's weight on (its own and
  all later ones, in registration order, which is forward order for the sequential nets here) is put
  back to its step-t value, and the loss and gradient are recomputed in training mode.

Rows (column ``layer``): ``ics_l2`` = ||G - G'||_2, ``ics_cos`` = cos(G, G'), ``grad_norm`` = ||G||_2
and ``ics_rel`` = ||G - G'|| / ||G||. Everything runs inside ``context.isolated()``, so training is
unchanged. With momentum the "update" is the optimizer's (momentum included); the paper used plain SGD.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from repro.probes.base import PROBES, Probe, ProbeContext, Row


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """The model's conv and linear maps in registration (= forward) order."""
    return [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


@PROBES.register("ics")
class InternalCovariateShift(Probe):
    """||G - G'|| and cos(G, G') for chosen layers (Definition 2.1 of Santurkar et al. 2018)."""

    name = "ics"

    def __init__(self, layers: list[int] | None = None) -> None:
        self.layers = [int(i) for i in (layers if layers is not None else [1])]
        if not self.layers or 0 in self.layers:
            raise ValueError(f"ics: layers are 1-based (negative from the end), got {self.layers}")

    def __call__(self, context: ProbeContext) -> list[Row]:
        if context.batch is None or context.loss is None:
            return []
        model = context.model
        maps = weight_layers(model)
        order = [name for name, _ in model.named_parameters()]
        name_of = {id(p): name for name, p in model.named_parameters()}
        grads = context.gradients()
        rows: list[Row] = []
        for layer in self.layers:
            if not -len(maps) <= layer <= len(maps):
                raise ValueError(f"ics: layer {layer} out of range; the model has {len(maps)} weight layers")
            index = layer - 1 if layer > 0 else len(maps) + layer
            weight = maps[index].weight
            name = name_of[id(weight)]
            g = grads[name]
            g2 = self._shifted_gradient(context, order[order.index(name) :], weight)
            rows += self._rows(index + 1, g, g2)
        return rows

    @staticmethod
    def _shifted_gradient(context: ProbeContext, kept: list[str], weight: nn.Parameter) -> torch.Tensor:
        """G': the weight's gradient once only the parameters before ``kept`` took the step's update."""
        model = context.model
        x, y = context.batch
        with context.isolated():
            named = dict(model.named_parameters())
            saved = {name: named[name].detach().clone() for name in kept}
            context.optimizer.step()
            with torch.no_grad():
                for name, value in saved.items():
                    named[name].copy_(value)
            model.zero_grad(set_to_none=True)
            context.loss_fn(model(x), y).backward()
            return weight.grad.detach().clone() if weight.grad is not None else torch.zeros_like(weight)

    @staticmethod
    def _rows(layer: int, g: torch.Tensor, g2: torch.Tensor) -> list[Row]:
        g, g2 = g.double().flatten(), g2.double().flatten()
        norm, norm2 = float(g.norm()), float(g2.norm())
        l2 = float((g - g2).norm())
        cos = float(g @ g2) / (norm * norm2) if norm > 0 and norm2 > 0 else math.nan
        rel = l2 / norm if norm > 0 else math.nan
        return [
            {"layer": layer, "metric": "ics_l2", "value": l2},
            {"layer": layer, "metric": "ics_cos", "value": cos},
            {"layer": layer, "metric": "grad_norm", "value": norm},
            {"layer": layer, "metric": "ics_rel", "value": rel},
        ]
