"""Specs in model configs: a registry name (``"batch"``) or a mapping (``{name: group, groups: 8}``)

A builder's keyword-only parameters are its options; their type hints are what a config value is checked
against, so a new registry entry declares its options once, in its signature.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

from repro.errors import ConfigError
from repro.registry import Registry
from repro.typehints import hint_name, value_fits

Spec = str | Mapping[str, Any]


def split_spec(spec: Spec) -> tuple[str, dict[str, Any]]:
    """The (name, options) of a spec; a plain string has no options."""
    if isinstance(spec, str):
        return spec, {}
    options = dict(spec)
    return options.pop("name"), options


def builder_options(builder: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    """The builder's keyword-only parameters: the options a spec may set."""
    params = inspect.signature(builder).parameters.values()
    return {p.name: p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}


def check_spec(registry: Registry[Any], spec: Any, key: str, where: str) -> None:
    """Raise ConfigError naming ``key`` (e.g. ``model.norm.groups``) and ``where`` for a bad spec."""
    if isinstance(spec, str):
        name, options = spec, {}
    elif isinstance(spec, Mapping):
        if "name" not in spec:
            raise ConfigError(f"key '{key}.name' is missing in {where}")
        name, options = split_spec(spec)
        if not isinstance(name, str):
            raise ConfigError(f"'{key}.name' must be a string in {where}, got {name!r}")
    else:
        raise ConfigError(
            f"'{key}' must be a {registry.kind} name or a mapping with 'name' in {where}, "
            f"got {type(spec).__name__} ({spec!r})"
        )
    if name not in registry:
        raise ConfigError(
            f"unknown {registry.kind} '{name}' at '{key}' in {where}; valid: {registry.names()}"
        )
    builder = registry.get(name)
    allowed = builder_options(builder)
    hints = typing.get_type_hints(builder)
    for option, value in options.items():
        if option not in allowed:
            raise ConfigError(
                f"unknown option '{key}.{option}' for {registry.kind} '{name}' in {where}; "
                f"valid options: {sorted(allowed)}"
            )
        hint = hints.get(option)
        if hint is not None and not value_fits(value, hint):
            raise ConfigError(
                f"'{key}.{option}' must be {hint_name(hint)} in {where}, "
                f"got {type(value).__name__} ({value!r})"
            )
    for option, param in allowed.items():
        if param.default is inspect.Parameter.empty and option not in options:
            raise ConfigError(f"key '{key}.{option}' is required for {registry.kind} '{name}' in {where}")
    # A builder whose options depend on each other (one of two, not both) checks them itself.
    check_options = getattr(builder, "check_options", None)
    if check_options is not None:
        try:
            check_options(options)
        except ValueError as err:
            raise ConfigError(f"'{key}' ({registry.kind} '{name}') in {where}: {err}") from None


def check_name(registry: Registry[Any], name: Any, key: str, where: str) -> None:
    """Raise ConfigError naming ``key`` and ``where`` unless ``name`` is registered."""
    if not isinstance(name, str) or name not in registry:
        raise ConfigError(
            f"unknown {registry.kind} {name!r} at '{key}' in {where}; valid: {registry.names()}"
        )
