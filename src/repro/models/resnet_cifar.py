"""CIFAR ResNets and their plain counterparts (He et al. 2016, Sec. 4.2), depth 6n+2, option-A shortcuts.

Parameter counts at width 16 on 3-channel 32x32 input, 10 classes (checked in tests/test_models.py):

    depth  n    paper    this file
    20     3    0.27M    0.270M
    32     5    0.46M    0.464M
    44     7    0.66M    0.659M
    56     9    0.85M    0.853M
    110    18   1.7M     1.728M

Plain nets are the same stacks without shortcuts. Option A (identity shortcut; when the shape changes,
stride-2 subsampling and zero-padded channels) adds no parameters, so plain and residual nets of one
depth have exactly equal parameter counts.

Options beyond the paper (defaults reproduce it): ``norm`` any norm spec (models/norms.py; "batch" as in the
paper), ``init`` any init spec (models/init.py; "he" as in the paper), ``zero_init_residual`` sets gamma to 0
in the second norm of every residual block (as the GN paper, Wu & He 2018, initialises its ResNets).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from repro.models.base import MODELS
from repro.models.init import init_weights_, zero_gamma_last_
from repro.models.norms import has_bias, make_norm
from repro.models.specs import Spec


class ZeroPadShortcut(nn.Module):
    """Option-A shortcut: subsample spatially by ``stride`` and zero-pad the new channels."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.extra = out_channels - in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if self.extra > 0:
            # Split the padding over both sides of the channel axis, as the reference implementations do.
            x = F.pad(x, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))
        return x


class BasicBlock(nn.Module):
    """Two 3x3 conv-norm layers; the ReLU after the second comes after the shortcut addition."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, residual: bool, norm: Spec) -> None:
        super().__init__()
        bias = has_bias(norm)
        # The names bn1/bn2 are kept for every norm so state_dicts of the paper's nets stay as they were.
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=bias)
        self.bn1 = make_norm(norm, out_channels, dims=2)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=bias)
        self.bn2 = make_norm(norm, out_channels, dims=2)
        self.shortcut = ZeroPadShortcut(in_channels, out_channels, stride) if residual else None

    def residual_norm(self) -> nn.Module | None:
        """The norm whose output meets the shortcut (None in a plain block): zero_gamma_last_ zeroes it."""
        return self.bn2 if self.shortcut is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


class CifarResNet(nn.Module):
    """A 3x3 stem, three stages of n blocks at widths (w, 2w, 4w), global average pool and a linear layer."""

    def __init__(
        self,
        depth: int,
        width: int,
        residual: bool,
        in_channels: int,
        num_classes: int,
        norm: Spec = "batch",
        init: Spec = "he",
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        if (depth - 2) % 6 != 0 or depth < 8:
            raise ValueError(f"depth must be 6n+2 with n >= 1 (20, 32, 44, 56, 110, ...), got {depth}")
        n = (depth - 2) // 6
        self.stem = nn.Conv2d(in_channels, width, 3, 1, 1, bias=has_bias(norm))
        self.stem_bn = make_norm(norm, width, dims=2)
        blocks: list[nn.Module] = []
        channels = width
        for stage, stage_width in enumerate((width, 2 * width, 4 * width)):
            for i in range(n):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(channels, stage_width, stride, residual, norm))
                channels = stage_width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(channels, num_classes)
        init_weights_(self, init)
        if zero_init_residual:
            zero_gamma_last_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.stem_bn(self.stem(x)))
        out = self.blocks(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


@MODELS.register("resnet_cifar")
def resnet_cifar(
    in_channels: int,
    num_classes: int,
    image_size: int,
    depth: int = 20,
    width: int = 16,
    residual: bool = True,
    norm: Spec = "batch",
    init: Spec = "he",
    zero_init_residual: bool = False,
) -> nn.Module:
    """CIFAR ResNet (``residual=True``) or plain net (``residual=False``) of depth 6n+2 and base width."""
    del image_size  # global average pooling makes the net size-agnostic (28x28 and 32x32 both work)
    return CifarResNet(depth, width, residual, in_channels, num_classes, norm, init, zero_init_residual)
