"""Deep linear networks: ``depth`` linear maps with no nonlinearity, for regression (Santurkar et al. 2018).

The net computes W_depth ... W_2 W_1 x on the flattened input: depth - 1 hidden maps to ``width`` units, each
optionally followed by a norm (the layer then has no bias: the norm's beta replaces it), and an output map to
``out_features`` units (default: the dataset's num_classes). Biases only with ``bias: true``; the product
of matrices is what a DLN studies, so there are none by default. ``init``: any init spec (models/init.py);
"fan_in" (N(0, 1/fan_in)) keeps the output variance of a deep product near the input's.

Parameters (no bias, norm none) = sum of d_in * d_out over the maps:

    paper (Santurkar et al. 2018, App. A)     config                                    this file
    25 layers, every W_i 10x10 = 2,500         depth 25, width 10, 10 inputs, out 10     2,500
"""

from __future__ import annotations

import torch
from torch import nn

from repro.models.base import MODELS
from repro.models.init import init_weights_
from repro.models.norms import has_bias, make_norm
from repro.models.specs import Spec


class LinearUnit(nn.Module):
    """A linear map and its optional norm; no nonlinearity."""

    def __init__(self, fan_in: int, width: int, norm: Spec, bias: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, width, bias=bias and has_bias(norm))
        self.norm = make_norm(norm, width, dims=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.linear(x))


class LinearDeep(nn.Module):
    """Flatten, depth - 1 hidden LinearUnits of one width, a linear output map."""

    def __init__(
        self, in_features: int, depth: int, width: int, out_features: int, norm: Spec, bias: bool, init: Spec
    ) -> None:
        super().__init__()
        units, fan_in = [], in_features
        for _ in range(depth - 1):
            units.append(LinearUnit(fan_in, width, norm, bias))
            fan_in = width
        self.hidden = nn.Sequential(*units)
        self.out = nn.Linear(fan_in, out_features, bias=bias)
        init_weights_(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.hidden(x.flatten(1)))


@MODELS.register("linear_deep")
def linear_deep(
    in_channels: int,
    num_classes: int,
    image_size: int,
    depth: int = 25,
    width: int = 10,
    norm: Spec = "none",
    out_features: int | None = None,
    bias: bool = False,
    init: Spec = "fan_in",
) -> nn.Module:
    """Deep linear net of ``depth`` maps (hidden ones ``width`` wide), optional norm, no nonlinearity."""
    if depth < 1 or width < 1:
        raise ValueError(f"linear_deep needs depth >= 1 and width >= 1, got depth={depth}, width={width}")
    outputs = num_classes if out_features is None else out_features
    in_features = in_channels * image_size * image_size
    return LinearDeep(in_features, depth, width, outputs, norm, bias, init)
