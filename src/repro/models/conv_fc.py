"""Conv layers with max pooling, then fully connected layers: the conv net of Srivastava et al. 2014.

Sec. 6.1.3 / Appendix B.3 (CIFAR-10, SVHN): three k x k conv layers (96, 128, 256 filters, 5x5, stride 1,
same padding), each followed by the nonlinearity and a 3x3 max pool of stride 2 (padding 1, so 32 -> 16
-> 8 -> 4 and 28 -> 14 -> 7 -> 4), then two fully connected layers of 2048 units and the linear
classifier; ReLU throughout. Dropout is set per layer by the probability of KEEPING a unit, the paper's
p: ``keep`` lists one value for the input and one after every conv layer (after its pool) and every
fully connected layer, e.g. the paper's (0.9, 0.75, 0.75, 0.5, 0.5, 0.5); 1.0 adds no module. With
``spatial`` the conv layers (not the input) drop whole channels (``nn.Dropout2d``, Tompson et al. 2015)
instead of units. Inverted dropout, so the eval-mode net is the weight-scaled test-time net. ``init``:
any init spec of models/init.py; ``norm`` (default none) any norm spec, before each nonlinearity.

Parameter counts, 10 classes (checked in tests/test_srivastava2014.py):

    convs           fc            input      this file
    96, 128, 256    2048, 2048    32x32x3    13,741,578   (the paper's net)
    16, 32, 64      256, 256      28x28x1    395,274
    8, 16, 32       128, 128      28x28x1    99,722       (the quick-scale net)
"""

from __future__ import annotations

import torch
from torch import nn

from repro.models.base import MODELS
from repro.models.blocks import feature_dropout
from repro.models.init import init_weights_
from repro.models.mlp import drop_probability, per_layer
from repro.models.norms import has_bias, make_activation, make_norm
from repro.models.specs import Spec


def _pooled(size: int, pools: int) -> int:
    """The map size after ``pools`` 3x3 max pools of stride 2 with padding 1."""
    for _ in range(pools):
        size = (size + 2 - 3) // 2 + 1
    return size


class ConvFC(nn.Module):
    """Dropout, (conv, nonlinearity, 3x3/2 max pool, dropout) x n, (linear, nonlinearity, dropout) x m."""

    def __init__(
        self, in_channels: int, image_size: int, convs: list[int], fc: list[int], num_classes: int,
        act: str, kernel: int, keep: list[float], spatial: bool, init: Spec, norm: Spec = "none",
    ) -> None:  # fmt: skip
        super().__init__()
        drops = [drop_probability(k, "keep") for k in per_layer(keep, 1 + len(convs) + len(fc), "keep")]
        layers: list[nn.Module] = [nn.Dropout(drops[0])] if drops[0] > 0 else []
        channels = in_channels
        for width, p in zip(convs, drops[1 : 1 + len(convs)], strict=True):
            conv = nn.Conv2d(channels, width, kernel, 1, kernel // 2, bias=has_bias(norm))
            layers += [conv, make_norm(norm, width, dims=2), make_activation(act)]
            layers.append(nn.MaxPool2d(3, stride=2, padding=1))
            if p > 0:
                layers.append(feature_dropout(p, spatial))
            channels = width
        layers.append(nn.Flatten())
        features = channels * _pooled(image_size, len(convs)) ** 2
        for width, p in zip(fc, drops[1 + len(convs) :], strict=True):
            linear = nn.Linear(features, width, bias=has_bias(norm))
            layers += [linear, make_norm(norm, width, dims=1), make_activation(act)]
            if p > 0:
                layers.append(nn.Dropout(p))
            features = width
        self.net = nn.Sequential(*layers)
        self.fc = nn.Linear(features, num_classes)
        init_weights_(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.net(x))


@MODELS.register("conv_fc")
def conv_fc(
    in_channels: int,
    num_classes: int,
    image_size: int,
    convs: list[int] | None = None,
    fc: list[int] | None = None,
    activation: str = "relu",
    kernel: int = 5,
    keep: float | list[float] = 1.0,
    spatial: bool = False,
    init: Spec = "he",
    norm: Spec = "none",
) -> nn.Module:
    """Conv (default 96-128-256, 5x5) with 3x3/2 max pools, FC (default 2048-2048); per-layer keep p."""
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"kernel must be an odd size so padding keeps the map size, got {kernel}")
    convs = list(convs) if convs is not None else [96, 128, 256]
    fc = list(fc) if fc is not None else [2048, 2048]
    keeps = keep if isinstance(keep, list) else [keep] * (1 + len(convs) + len(fc))
    parts = (convs, fc, num_classes, activation, kernel, keeps, spatial, init, norm)
    return ConvFC(in_channels, image_size, *parts)
