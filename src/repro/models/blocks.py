"""Pieces the conv families share: the conv-norm-nonlinearity unit and a stack built from a layer list."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from repro.models.norms import has_bias, make_activation, make_norm
from repro.models.specs import Spec

POOL = "M"  # a 2x2 max pool in a layer list; ints are conv widths


class ConvUnit(nn.Module):
    """k x k conv (stride 1, same padding), norm, nonlinearity: the nonlinearity's input is norm(conv(x))."""

    def __init__(self, in_channels: int, out_channels: int, norm: Spec, act: str, kernel: int = 3) -> None:
        super().__init__()
        if kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"kernel must be an odd size so padding keeps the map size, got {kernel}")
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, 1, kernel // 2, bias=has_bias(norm))
        self.norm = make_norm(norm, out_channels, dims=2)
        self.act = make_activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


def feature_dropout(p: float, spatial: bool) -> nn.Module:
    """Dropout for conv maps: whole channels (Dropout2d, Tompson et al. 2015) when ``spatial``, else units."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {p}")
    return nn.Dropout2d(p) if spatial else nn.Dropout(p)


def conv_stack(
    in_channels: int,
    layers: Sequence[int | str],
    norm: Spec,
    act: str,
    kernel: int = 3,
    dropout: float = 0.0,
    spatial: bool = False,
    ceil_pool: bool = False,
) -> tuple[nn.Sequential, int]:
    """Conv units and max pools from a layer list such as [64, "M", 128, "M"], and the output width.

    With ``dropout`` > 0 a dropout module follows every stage (a run of convs and the pool ending it, or the
    final run); at 0 none is added, so stacks without dropout keep their module indices. ``ceil_pool`` rounds
    pooled sizes up (7 -> 4), so five pools still fit a 28x28 input.
    """
    modules: list[nn.Module] = []
    channels = in_channels
    for i, item in enumerate(layers):
        if item == POOL:
            modules.append(nn.MaxPool2d(2, ceil_mode=ceil_pool))
        elif isinstance(item, int) and not isinstance(item, bool) and item > 0:
            modules.append(ConvUnit(channels, item, norm, act, kernel))
            channels = item
        else:
            raise ValueError(f"layer {i}: expected a positive conv width or {POOL!r}, got {item!r}")
        stage_ends = item == POOL or i == len(layers) - 1
        if dropout > 0 and stage_ends:
            modules.append(feature_dropout(dropout, spatial))
    return nn.Sequential(*modules), channels
