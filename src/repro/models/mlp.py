"""The fully connected net of Ioffe & Szegedy 2015, Sec. 4.1: 784-100-100-100-10, with or without BN.

Each hidden layer computes g(BN(Wu)) with batch normalisation (BN's beta takes the place of the bias b, so the
linear map has no bias) or g(Wu + b) without it; g is the sigmoid in the paper. The output layer is a plain
affine map to the logits. Weights are drawn from N(0, init_std^2) ("small random Gaussian values"; the
paper gives no std), or with std 1/sqrt(fan_in) when ``init_std`` is "fan_in"; biases start at 0, BN's
gamma at 1 and beta at 0. ``norm`` takes any norm spec (models/norms.py). Dropout (Srivastava et al. 2014) is
set by the probability of KEEPING a unit, the paper's p: ``keep_input`` on the input pixels (0.8 in the
paper), ``keep_hidden`` after every hidden nonlinearity (0.5; one number for all layers or a list, one per
layer). Training uses inverted dropout (kept units scaled by 1/p), so the eval-mode net is the paper's
weight-scaled test-time net. At 1.0 no module is added, so nets without dropout keep their structure and
state_dict.

Parameter counts on 28x28x1 input, 10 classes (checked in tests/test_ioffe2015.py):

    hidden          norm    this file
    100-100-100     none    99,710   (784*100 + 100*100*2 + 100*10 weights, 310 biases)
    100-100-100     batch   100,010  (the 300 hidden biases replaced by 300 betas and 300 gammas)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from repro.models.base import MODELS
from repro.models.norms import has_bias, make_activation, make_norm
from repro.models.specs import Spec


def dropout_or_none(p: float) -> nn.Dropout | None:
    """``nn.Dropout(p)`` for a drop probability p in (0, 1); None at 0, so no module is added."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {p}")
    return nn.Dropout(p) if p > 0 else None


def drop_probability(keep: float, key: str = "keep") -> float:
    """The drop probability 1 - p of a keep probability p in (0, 1] (the paper's convention: p keeps)."""
    if isinstance(keep, bool) or not isinstance(keep, int | float) or not 0.0 < keep <= 1.0:
        raise ValueError(f"{key} is the probability of keeping a unit, in (0, 1]; got {keep!r}")
    return 1.0 - float(keep)


def per_layer(value: float | list[float], n: int, key: str) -> list[float]:
    """One value per layer: a number repeated ``n`` times, or a list of exactly ``n`` numbers."""
    values = list(value) if isinstance(value, list | tuple) else [value] * n
    if len(values) != n:
        raise ValueError(f"{key} lists {len(values)} values for {n} layers")
    return values


def check_init_std(init_std: object) -> None:
    """Raise ValueError unless ``init_std`` is a positive number or "fan_in"."""
    if not (init_std == "fan_in" or (isinstance(init_std, int | float) and init_std > 0)):
        raise ValueError(f"init_std must be a positive number or 'fan_in', got {init_std!r}")


def gaussian_init_(model: nn.Module, init_std: float | str) -> None:
    """Every linear map's weights ~ N(0, init_std^2) (std 1/sqrt(fan_in) for "fan_in"), biases 0."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            std = 1.0 / math.sqrt(m.in_features) if init_std == "fan_in" else float(init_std)
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class HiddenLayer(nn.Module):
    """Linear map, optional norm, nonlinearity, optional dropout; the nonlinearity sees norm(linear(u))."""

    def __init__(self, fan_in: int, width: int, norm: Spec, act: str, dropout: float = 0.0) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, width, bias=has_bias(norm))
        self.norm = make_norm(norm, width, dims=1)
        self.act = make_activation(act)
        self.drop = dropout_or_none(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.norm(self.linear(x)))
        return out if self.drop is None else self.drop(out)


class MLP(nn.Module):
    """Flatten, hidden layers of the given widths, and a linear output layer."""

    def __init__(
        self,
        in_features: int,
        hidden: list[int],
        num_classes: int,
        norm: Spec,
        act: str,
        init_std: float | str,
        keep_input: float = 1.0,
        keep_hidden: float | list[float] = 1.0,
    ) -> None:
        super().__init__()
        self.drop_input = dropout_or_none(drop_probability(keep_input, "keep_input"))
        keeps = per_layer(keep_hidden, len(hidden), "keep_hidden")
        layers, fan_in = [], in_features
        for width, keep in zip(hidden, keeps, strict=True):
            layers.append(HiddenLayer(fan_in, width, norm, act, drop_probability(keep, "keep_hidden")))
            fan_in = width
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Linear(fan_in, num_classes)
        gaussian_init_(self, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        if self.drop_input is not None:
            x = self.drop_input(x)
        return self.out(self.hidden(x))


@MODELS.register("mlp")
def mlp(
    in_channels: int,
    num_classes: int,
    image_size: int,
    hidden: list[int] | None = None,
    activation: str = "sigmoid",
    norm: Spec = "none",
    init_std: float | str = 0.1,
    keep_input: float = 1.0,
    keep_hidden: float | list[float] = 1.0,
) -> nn.Module:
    """784-100-100-100-10 (for 28x28x1) MLP; any norm spec before the nonlinearity; keep probabilities."""
    check_init_std(init_std)
    widths = list(hidden) if hidden is not None else [100, 100, 100]
    in_features = in_channels * image_size * image_size
    return MLP(in_features, widths, num_classes, norm, activation, init_std, keep_input, keep_hidden)
