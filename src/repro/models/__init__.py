"""Model registry: name -> builder. Builders take explicit arguments and never read global config."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from torch import nn

from repro.registry import Registry

MODELS: Registry[Callable[..., nn.Module]] = Registry("model")

# Arguments every builder receives from the dataset rather than from the config.
DATA_ARGS = ("in_channels", "num_classes", "image_size")


def build_model(spec: dict[str, Any], in_channels: int, num_classes: int, image_size: int) -> nn.Module:
    """Build the model named by ``spec['name']`` with the remaining keys as builder arguments."""
    options = {k: v for k, v in spec.items() if k != "name"}
    builder = MODELS.get(spec["name"])
    check_model_options(spec["name"], options)
    return builder(in_channels=in_channels, num_classes=num_classes, image_size=image_size, **options)


def check_model_options(name: str, options: dict[str, Any], source: str = "config") -> None:
    """Reject option keys the builder does not accept, naming the key and where it came from."""
    from repro.config import ConfigError

    params = inspect.signature(MODELS.get(name)).parameters
    allowed = [p for p in params if p not in DATA_ARGS]
    for key in options:
        if key not in allowed:
            raise ConfigError(
                f"unknown key 'model.{key}' for model '{name}' in {source}; valid keys: {allowed}"
            )


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# Importing the families registers them.
from repro.models import convnet, mlp, resnet_cifar  # noqa: E402, F401
