"""Ioffe & Szegedy 2015 Fig. 1(b, c): percentiles of the input to a layer's nonlinearity over training."""

from __future__ import annotations

import torch
from torch import nn

from repro.models.norms import ACTIVATIONS
from repro.probes.base import PROBES, Probe, ProbeContext, Row

DEFAULT_PERCENTILES = [float(p) for p in range(5, 100, 5)]


@PROBES.register("percentiles")
class Percentiles(Probe):
    """Percentiles over a fixed probe set of the input to one layer's nonlinearity, for several units.

    ``layer`` indexes the nonlinearity modules in forward order (-1: the last hidden layer's); ``units``
    are its units (channels for a conv layer, pooled over positions). The probe set is the first ``n``
    images of ``split``, passed as ONE batch through a copy of the model, so the live model and its BN
    running statistics are never touched. With ``batch_stats`` BN normalises with the probe set's own
    statistics, as the paper's training-mode BN does; otherwise with the population statistics. Dropout is
    off either way. Rows: {unit, q, metric, value}.
    """

    name = "percentiles"

    def __init__(
        self,
        layer: int = -1,
        units: list[int] | None = None,
        percentiles: list[float] | None = None,
        split: str = "test",
        n: int = 1000,
        batch_stats: bool = True,
        metric: str = "sigmoid_input",
    ) -> None:
        self.layer = layer
        self.units = list(units) if units is not None else [0, 1, 2, 3, 4]
        self.percentiles = [float(p) for p in (percentiles or DEFAULT_PERCENTILES)]
        self.split = split
        self.n = n
        self.batch_stats = batch_stats
        self.metric = metric

    def __call__(self, context: ProbeContext) -> list[Row]:
        pre = nonlinearity_input(context.snapshot(), self._images(context), self.layer, self.batch_stats)
        values = pre[:, self.units].double()
        q = torch.tensor(self.percentiles, dtype=torch.float64, device=values.device) / 100.0
        table = torch.quantile(values, q, dim=0).cpu()  # (percentiles, units); linear interpolation
        return [
            {"unit": unit, "q": p, "metric": self.metric, "value": float(table[i, j])}
            for j, unit in enumerate(self.units)
            for i, p in enumerate(self.percentiles)
        ]

    def _images(self, context: ProbeContext) -> torch.Tensor:
        x = {"test": context.data.test_x, "train": context.data.train_x}.get(self.split)
        if self.split == "val":
            x = context.data.val_x
        if x is None:
            raise ValueError(
                f"percentiles probe: split '{self.split}' is not available; use test, train or val"
            )
        return x[: self.n]


def nonlinearity_input(model: nn.Module, x: torch.Tensor, layer: int, batch_stats: bool) -> torch.Tensor:
    """Input of the ``layer``-th nonlinearity module on ``x`` as (N, units); conv maps give (N*H*W, C).

    Runs ``model`` (a copy: its BN running statistics change when ``batch_stats``) in eval mode with its BN
    layers in training mode when ``batch_stats``.
    """
    model.eval()
    if batch_stats:
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.train()
    return captured_nonlinearity_input(model, x, layer)


def captured_nonlinearity_input(model: nn.Module, x: torch.Tensor, layer: int) -> torch.Tensor:
    """Input of the ``layer``-th nonlinearity module on ``x``, in the modes ``model``'s modules are in."""
    kinds = tuple(ACTIVATIONS.get(name) for name in ACTIVATIONS.names())
    acts = [m for m in model.modules() if isinstance(m, kinds)]
    if not acts:
        raise ValueError("the model has no nonlinearity modules to probe")
    captured: list[torch.Tensor] = []
    handle = acts[layer].register_forward_pre_hook(lambda _m, inputs: captured.append(inputs[0].detach()))
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    pre = captured[0]
    if pre.dim() > 2:  # (N, C, H, W) -> (N*H*W, C): a channel's values at every position
        pre = pre.transpose(0, 1).flatten(1).T
    return pre
