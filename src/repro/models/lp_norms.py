"""Batch normalisation by an l_p scale instead of the standard deviation (Santurkar et al. 2018, Sec. 4.3).

One entry registers into ``NORMS`` (``repro.models.norms``):

    name       options                       module
    lp_batch   p (1, 2 or "inf"), momentum,  per channel: subtract the batch mean, divide by the batch
               eps                           l_p scale, then gamma/beta (LpBatchNorm)

The paper's l_p normalisation divides the centred activations by their average l_p norm instead of by
their standard deviation. Per channel, over the batch and (for conv maps) the spatial positions, with
d = x - mean(x):

    p = 1:    scale = mean |d|
    p = 2:    scale = (mean d^2)^(1/2)     (the biased standard deviation)
    p = inf:  scale = max |d|

and the output is gamma * d / (scale + eps) + beta. So p = 2 is BN's training-mode transform (which also
uses the biased batch variance, i.e. without Bessel's correction) except that eps is added to the scale,
not under the square root; with eps = 0 the two agree exactly. Like BN, the layer keeps running
statistics (the mean and the scale, exponential averages with weight ``momentum`` on the new batch;
the scale is stored as computed, with no Bessel-style correction) and normalises by them in eval mode.
"""

from __future__ import annotations

import torch
from torch import nn

from repro.models.norms import NORMS

P_VALUES = (1, 2, "inf")


class LpBatchNorm(nn.Module):
    """Per-channel batch centring and division by the batch l_p scale (p = 1, 2 or inf), then gamma/beta."""

    def __init__(self, num_features: int, dims: int, p: int | str, momentum: float, eps: float) -> None:
        super().__init__()
        if p not in P_VALUES:
            raise ValueError(f"lp_batch: p must be one of {P_VALUES}, got {p!r}")
        if not 0.0 <= momentum <= 1.0 or eps < 0:
            raise ValueError(f"lp_batch: need 0 <= momentum <= 1 and eps >= 0, got {momentum}, {eps}")
        self.num_features, self.dims = num_features, dims
        self.p, self.momentum, self.eps = p, momentum, eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_scale", torch.ones(num_features))

    def scale(self, d: torch.Tensor, reduce: list[int]) -> torch.Tensor:
        """The l_p scale of centred activations ``d`` over the dimensions ``reduce``, one per channel."""
        if self.p == "inf":
            return d.abs().amax(dim=reduce)
        if self.p == 1:
            return d.abs().mean(dim=reduce)
        return d.square().mean(dim=reduce).sqrt()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            raise ValueError(f"lp_batch expects (N, C, ...) input, got {x.dim()}-D")
        shape = (1, -1) + (1,) * (x.dim() - 2)  # per channel, broadcast over batch and positions
        if self.training:
            reduce = [0, *range(2, x.dim())]
            mean = x.mean(dim=reduce)
            d = x - mean.view(shape)
            scale = self.scale(d, reduce)
            with torch.no_grad():  # running statistics, as BN keeps them, for eval mode
                self.running_mean.lerp_(mean.detach(), self.momentum)
                self.running_scale.lerp_(scale.detach(), self.momentum)
        else:
            d = x - self.running_mean.view(shape)
            scale = self.running_scale
        return d * (self.weight / (scale + self.eps)).view(shape) + self.bias.view(shape)

    def extra_repr(self) -> str:
        return f"{self.num_features}, p={self.p}, momentum={self.momentum}, eps={self.eps}"


@NORMS.register("lp_batch")
def lp_batch_norm(
    num_features: int, dims: int, *, p: int | str, momentum: float = 0.1, eps: float = 1e-5
) -> nn.Module:
    """Batch norm dividing by the batch l_p scale, p = 1, 2 or "inf" (Santurkar et al. 2018, Sec. 4.3)."""
    return LpBatchNorm(num_features, dims, p, momentum, eps)


def _check_p(options: dict) -> None:
    """Reject a p other than 1, 2 and "inf" when the DAG is built."""
    if options.get("p") not in P_VALUES:
        raise ValueError(f"p must be one of {P_VALUES}, got {options.get('p')!r}")


lp_batch_norm.check_options = _check_p  # type: ignore[attr-defined]
