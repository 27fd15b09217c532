"""Weight-initialisation registry shared by the model families: name -> in-place initializer.

An init spec is a name (``"he"``) or a mapping with options (``{name: normal, std: 0.01}``). Every entry
draws the weights of convolutions and linear maps, zeroes their biases and resets affine norms to the
identity (gamma 1, beta 0):

    name      options      weights
    he        -            convs N(0, 2/fan_in) (He et al. 2015, ReLU gain), linears N(0, 1/fan_in)
    glorot    -            U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)
    normal    std=0.01     N(0, std^2)
    fan_in    -            N(0, 1/fan_in) for every layer

``zero_gamma_last_`` sets gamma to 0 in the last norm of each residual block (the GN paper's init; Goyal et
al. 2017), so each block starts as the identity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from torch import nn

from repro.models.specs import Spec, check_spec, split_spec
from repro.registry import Registry

INITS: Registry[Callable[..., None]] = Registry("init")

# Norms whose affine weight is gamma; GroupNorm covers the layer and instance entries on conv maps.
AFFINE_NORMS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm)


def _weighted(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def _reset_biases_and_norms(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)
        elif isinstance(m, AFFINE_NORMS) and getattr(m, "weight", None) is not None:
            nn.init.ones_(m.weight)  # the norm starts as the identity
            nn.init.zeros_(m.bias)


@INITS.register("he")
def he_init_(model: nn.Module) -> None:
    """He et al. 2015 init for the forward pass: convs N(0, 2/fan_in), linears N(0, 1/fan_in), zero biases."""
    for m in _weighted(model):
        gain = "relu" if isinstance(m, nn.Conv2d) else "linear"
        nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity=gain)
    _reset_biases_and_norms(model)


@INITS.register("glorot")
def glorot_init_(model: nn.Module) -> None:
    """Glorot & Bengio 2010 normalised init, U(+-sqrt(6 / (fan_in + fan_out))), zero biases."""
    for m in _weighted(model):
        nn.init.xavier_uniform_(m.weight)
    _reset_biases_and_norms(model)


@INITS.register("normal")
def normal_init_(model: nn.Module, *, std: float = 0.01) -> None:
    """Every weight from N(0, std^2), zero biases."""
    if std <= 0:
        raise ValueError(f"init normal: std must be positive, got {std}")
    for m in _weighted(model):
        nn.init.normal_(m.weight, 0.0, std)
    _reset_biases_and_norms(model)


@INITS.register("fan_in")
def fan_in_init_(model: nn.Module) -> None:
    """Every weight from N(0, 1/fan_in) (LeCun's variance-preserving init for linear units), zero biases."""
    for m in _weighted(model):
        fan_in = m.weight[0].numel()  # in_features, or in_channels * kernel area
        nn.init.normal_(m.weight, 0.0, 1.0 / math.sqrt(fan_in))
    _reset_biases_and_norms(model)


def check_init_spec(spec: Any, where: str, key: str = "model.init") -> None:
    """Raise ConfigError naming ``key`` (``model.init.std``) and ``where`` for a bad init spec."""
    check_spec(INITS, spec, key, where)


def init_weights_(model: nn.Module, spec: Spec) -> None:
    """Initialise ``model`` in place with the initializer a spec names."""
    check_init_spec(spec, "the model builder")
    name, options = split_spec(spec)
    INITS.get(name)(model, **options)


def zero_gamma_last_(model: nn.Module) -> int:
    """Zero gamma in the last norm of every residual block; returns how many were zeroed.

    Blocks declare that norm with a ``residual_norm()`` method (None for a block without a shortcut, where a
    zero gamma would cut the signal instead of making the block the identity).
    """
    count = 0
    for m in model.modules():
        finder = getattr(m, "residual_norm", None)
        norm = finder() if callable(finder) else None
        if norm is None:
            continue
        weight = getattr(norm, "weight", None)
        if not isinstance(weight, nn.Parameter):
            raise ValueError(
                f"zero_init_residual needs a norm with an affine weight (gamma); the block's norm is {norm}"
            )
        nn.init.zeros_(weight)
        count += 1
    return count
