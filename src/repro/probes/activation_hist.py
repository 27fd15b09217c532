"""The distribution of one layer's pre-activations over training, as the training step sees them.

Percentiles of the input to the ``layer``-th nonlinearity module (forward order; -1 the last) on a fixed
probe set (the first ``n`` images of ``split``), through a copy of the model in training mode: BN uses
the probe set's statistics and any training-time noise (e.g. a noisy norm) is applied, as in a training
step; dropout modules are switched off so that only the network's own transformation is measured. The
copy means the live model, its BN statistics and its noise counters are never touched.

Rows (columns ``unit``, ``q``): for each of ``units`` (channels of a conv map, pooled over positions) and
for ``unit = -1`` (every unit pooled), the ``percentiles`` and the ``mean`` and ``std`` (q empty).
"""

from __future__ import annotations

import torch
from torch import nn

from repro.probes.base import PROBES, Probe, ProbeContext, Row
from repro.probes.percentiles import captured_nonlinearity_input

DEFAULT_QUANTILES = [5.0, 15.0, 25.0, 50.0, 75.0, 85.0, 95.0]
DROPOUTS = (nn.Dropout, nn.Dropout2d, nn.Dropout1d, nn.AlphaDropout)


@PROBES.register("activations")
class Activations(Probe):
    """Percentiles, mean and std of one layer's nonlinearity input in training mode, per unit and pooled."""

    name = "activations"

    def __init__(
        self,
        layer: int = -1,
        units: list[int] | None = None,
        percentiles: list[float] | None = None,
        split: str = "train",
        n: int = 256,
        metric: str = "activation",
    ) -> None:
        if split not in ("train", "test", "val"):
            raise ValueError(f"activations probe: split must be train, test or val, got {split!r}")
        self.layer = layer
        self.units = list(units) if units is not None else [0, 1, 2]
        self.percentiles = [float(p) for p in (percentiles or DEFAULT_QUANTILES)]
        self.split, self.n, self.metric = split, n, metric

    def __call__(self, context: ProbeContext) -> list[Row]:
        x = getattr(context.data, f"{self.split}_x", None)
        if x is None:
            raise ValueError(f"activations probe: split '{self.split}' is not available")
        pre = training_preactivation(context.snapshot(), x[: self.n], self.layer).double()
        q = torch.tensor(self.percentiles, dtype=torch.float64, device=pre.device) / 100.0
        rows: list[Row] = []
        columns = [(unit, pre[:, unit]) for unit in self.units] + [(-1, pre.flatten())]
        for unit, values in columns:
            table = torch.quantile(values, q).cpu().tolist()
            rows += [
                {"unit": unit, "q": p, "metric": self.metric, "value": v}
                for p, v in zip(self.percentiles, table, strict=True)
            ]
            rows.append({"unit": unit, "metric": f"{self.metric}_mean", "value": float(values.mean())})
            rows.append({"unit": unit, "metric": f"{self.metric}_std", "value": float(values.std())})
        return rows


def training_preactivation(model: nn.Module, x: torch.Tensor, layer: int) -> torch.Tensor:
    """Input of the ``layer``-th nonlinearity on ``x`` in training mode (dropout off) as (N*H*W, C)."""
    model.train()
    for m in model.modules():
        if isinstance(m, DROPOUTS):
            m.eval()
    return captured_nonlinearity_input(model, x, layer)
