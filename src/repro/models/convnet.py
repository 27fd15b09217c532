"""A small VGG-style conv net: the stand-in for BN-Inception in the Ioffe & Szegedy 2015 ablations (Sec. 4.2).

Stages of 3x3 convolutions (stride 1, padding 1), each followed by the norm and then the nonlinearity, as
the paper places BN before every nonlinearity; a 2x2 max pool ends every stage but the last, which ends in
global average pooling, optional dropout and a linear classifier. With norm "batch" the convolutions have
no bias (BN's beta replaces it). Conv weights: He et al. 2015 normal init, std sqrt(2 / fan_in), for every
activation (one rule for all arms); the classifier: std 1/sqrt(fan_in); biases 0. ``norm`` takes any norm
spec (models/norms.py), ``init`` any init spec (models/init.py); ``dropout_conv`` adds dropout after every
stage (channel-wise ``Dropout2d`` when ``spatial``), ``dropout`` before the classifier.

Parameter counts, 10 classes (checked in tests/test_ioffe2015.py):

    stages                                  input      norm    this file
    [[32, 32], [64, 64], [128]*4] (default) 32x32x3    none    583,466
    [[32, 32], [64, 64], [128]*4] (default) 32x32x3    batch   584,170
    [[16], [32, 32], [64, 64, 64, 64, 64]]  28x28x1    none    180,906
    [[8], [16, 16], [32, 32, 32, 32, 32]]   28x28x1    none    45,530    (the quick-scale proxy)
    [[8], [16, 16], [32, 32, 32, 32, 32]]   28x28x1    batch   45,730
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from repro.models.base import MODELS
from repro.models.blocks import POOL, ConvUnit, conv_stack
from repro.models.init import init_weights_
from repro.models.specs import Spec

__all__ = ["ConvNet", "ConvUnit", "convnet"]


def stages_to_layers(stages: list[list[int]]) -> list[int | str]:
    """The layer list of stages: a max pool between consecutive stages, none after the last."""
    layers: list[int | str] = []
    for i, stage in enumerate(stages):
        layers.extend(stage)
        if i < len(stages) - 1:
            layers.append(POOL)
    return layers


class ConvNet(nn.Module):
    """Stages of ConvUnits with max pooling between them, global average pooling, dropout, linear."""

    def __init__(
        self,
        in_channels: int,
        stages: list[list[int]],
        num_classes: int,
        norm: Spec,
        act: str,
        dropout: float,
        dropout_conv: float = 0.0,
        spatial: bool = False,
        init: Spec = "he",
    ) -> None:
        super().__init__()
        layers = stages_to_layers(stages)
        self.features, channels = conv_stack(
            in_channels, layers, norm, act, dropout=dropout_conv, spatial=spatial
        )
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(channels, num_classes)
        init_weights_(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return self.fc(self.dropout(out))


@MODELS.register("convnet")
def convnet(
    in_channels: int,
    num_classes: int,
    image_size: int,
    stages: list[list[int]] | None = None,
    norm: Spec = "none",
    activation: str = "relu",
    dropout: float = 0.0,
    dropout_conv: float = 0.0,
    spatial: bool = False,
    init: Spec = "he",
) -> nn.Module:
    """VGG-style net of 3x3 convs (default 8: 32-32 / 64-64 / 128 x4); any norm spec before the activation."""
    stages = [list(s) for s in stages] if stages is not None else [[32, 32], [64, 64], [128] * 4]
    pools = len(stages) - 1
    if image_size < 2**pools:
        raise ValueError(f"{pools} max pools need images of at least {2**pools} pixels, got {image_size}")
    return ConvNet(in_channels, stages, num_classes, norm, activation, dropout, dropout_conv, spatial, init)
