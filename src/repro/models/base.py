"""The model registry and what every family shares: building from a spec, checking options, counting."""

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
    """Reject unknown option keys and bad norm, init and activation specs, naming the key and the source.

    Runs when the DAG is built, so a typo in ``model.norm.groups`` fails before any job starts.
    """
    from repro.errors import ConfigError
    from repro.models.init import check_init_spec
    from repro.models.norms import check_activation, check_norm_spec

    params = inspect.signature(MODELS.get(name)).parameters
    allowed = [p for p in params if p not in DATA_ARGS]
    for key, value in options.items():
        if key not in allowed:
            raise ConfigError(
                f"unknown key 'model.{key}' for model '{name}' in {source}; valid keys: {allowed}"
            )
        if value is None and params[key].default is None:
            continue  # None is the builder's "derive it" default (e.g. vgg's head_norm: same as norm)
        # Norms may appear under `norm` or as a per-part `<part>_norm` (e.g. vgg's head_norm).
        if key == "norm" or key.endswith("_norm"):
            check_norm_spec(value, source, f"model.{key}")
        elif key == "activation":
            check_activation(value, source, f"model.{key}")
        elif key == "init":
            check_init_spec(value, source, f"model.{key}")


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
