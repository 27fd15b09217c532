"""Weight initialisation shared by the conv families."""

from __future__ import annotations

from torch import nn


def he_init_(model: nn.Module) -> None:
    """He et al. 2015 init for the forward pass: convs N(0, 2/fan_in), linears N(0, 1/fan_in), zero biases."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
        elif isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="linear")
        elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
            nn.init.ones_(m.weight)  # BN starts as the identity
            nn.init.zeros_(m.bias)
        if isinstance(m, nn.Conv2d | nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)
