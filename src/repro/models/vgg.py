"""VGG nets (Simonyan & Zisserman 2015) for small images, from a layer list such as [64, "M", 128, "M", ...].

Ints are k x k conv widths (stride 1, same padding), each conv followed by the norm and then the
nonlinearity; "M" is a 2x2 max pool. Pools round sizes up (ceil mode), so the five pools of the VGG layer
lists take 32x32 to 1x1 and 28x28 to 1x1 (28-14-7-4-2-1) alike. The conv stack ends in global average
pooling (a no-op at 1x1: the same as flattening there), then the ``head``: fully connected hidden layers
(linear, ``head_norm``, nonlinearity, dropout, as the paper's FC-ReLU-dropout), then the linear classifier.
With a norm, the layer before it has no bias (the norm's beta replaces it). ``init``: any init spec of
models/init.py (the paper drew N(0, 0.01) and noted Glorot's init works as well; "he" is the default here).

Presets (``layers: <name>``). The conv stacks are the paper's (their parameters do not depend on the input
size); the paper's totals include a 4096-4096 head on 7x7x512 maps and 1000 classes, so only the conv
column compares. This file: 32x32x3 input, head [512, 512], 10 classes, norm none (checked in
tests/test_models.py):

    preset          paper config      convs   paper total   conv stack   this file
    vgg11           A                 8       133M          9,220,480    9,750,922
    vgg13           B                 10      133M          9,404,992    9,935,434
    vgg16           D                 13      138M          14,714,688   15,245,130
    vgg19           E                 16      144M          20,024,384   20,554,826
    vgg11_quarter   A at 1/4 width    8       -             577,120      910,954

``vgg11_quarter`` with head [128, 128] is the CPU proxy for Santurkar et al. 2018 (8 conv + 3 FC weight
layers, about 9.9M multiply-adds per 32x32 image): 611,434 parameters, 612,378 with norm batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from repro.models.base import MODELS
from repro.models.blocks import conv_stack
from repro.models.init import init_weights_
from repro.models.mlp import HiddenLayer
from repro.models.specs import Spec

M = "M"
PRESETS: dict[str, list[int | str]] = {
    "vgg11": [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M],
    "vgg13": [64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M],
    "vgg16": [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M],
    "vgg19": [64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M],
    # A quarter of vgg11's widths: about 10M multiply-adds per 32x32 image, trainable on a CPU.
    "vgg11_quarter": [16, M, 32, M, 64, 64, M, 128, 128, M, 128, 128, M],
}


def resolve_layers(layers: list[int | str] | str) -> list[int | str]:
    """The layer list of a preset name, or a copy of an explicit list."""
    if isinstance(layers, str):
        if layers not in PRESETS:
            raise ValueError(f"unknown vgg preset '{layers}'; valid: {sorted(PRESETS)}")
        return list(PRESETS[layers])
    return list(layers)


class VGG(nn.Module):
    """Conv stack, global average pool, fully connected head, linear classifier."""

    def __init__(
        self,
        in_channels: int,
        layers: list[int | str],
        head: list[int],
        num_classes: int,
        norm: Spec,
        head_norm: Spec,
        act: str,
        kernel: int,
        dropout: float,
        dropout_conv: float,
        spatial: bool,
        init: Spec,
    ) -> None:
        super().__init__()
        self.features, channels = conv_stack(
            in_channels, layers, norm, act, kernel, dropout_conv, spatial, ceil_pool=True
        )
        hidden = []
        for width in head:
            hidden.append(HiddenLayer(channels, width, head_norm, act, dropout))
            channels = width
        self.head = nn.Sequential(*hidden)
        self.fc = nn.Linear(channels, num_classes)
        init_weights_(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return self.fc(self.head(out))


@MODELS.register("vgg")
def vgg(
    in_channels: int,
    num_classes: int,
    image_size: int,
    layers: list[int | str] | str = "vgg11",
    head: list[int] | None = None,
    norm: Spec = "none",
    head_norm: Spec | None = None,
    activation: str = "relu",
    kernel: int = 3,
    dropout: float = 0.5,
    dropout_conv: float = 0.0,
    spatial: bool = False,
    init: Spec = "he",
) -> nn.Module:
    """VGG net from a layer list or preset; ``head``: hidden widths (default [512, 512]); head_norm: norm."""
    del image_size  # ceil-mode pools and global average pooling fit any input size
    widths = list(head) if head is not None else [512, 512]
    head_norm = norm if head_norm is None else head_norm
    parts = (resolve_layers(layers), widths, num_classes, norm, head_norm, activation, kernel)
    return VGG(in_channels, *parts, dropout, dropout_conv, spatial, init)
