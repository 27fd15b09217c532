"""Sweeps: the `grid:` of an experiment file, expanded into named variants.

A grid block crosses axes (dotted run-config paths) with each other and, optionally, with named variants::

    grid:
      - variants: [small]                 # crossed with these; leave out to stand alone (from `base`)
        axes:
          model.norm.name: [batch, group]
          train.batch_size: {label: b, values: [32, 16, 8, 4, 2]}

which yields ``small_batch_b32``, ``small_batch_b16``, ... ``small_group_b2``. A name is the
crossed variant's name (if any) and one part per axis, joined by ``_``. A part is the axis label followed by
the value's name: numbers print in their shortest form (0.1, 1e-05, 32), strings as they are, and a mapping
of ``{name: value}`` names its values itself (``{values: {plain: none, normed: batch}}``). The label
defaults to the path's last component for numbers and to nothing for strings and named values. Names
depend only on the grid's text, never on its order of expansion, so adding a value adds runs without
renaming others.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from repro.errors import ConfigError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
AXIS_KEYS = {"label", "values"}
BLOCK_KEYS = {"axes", "variants"}


def dotted_to_nested(path: str, value: Any) -> dict[str, Any]:
    """'optim.lr', 0.1 -> {'optim': {'lr': 0.1}}."""
    node: Any = value
    for part in reversed(path.split(".")):
        node = {part: node}
    return node


def value_name(value: Any) -> str:
    """The text a value contributes to a variant name: 0.1 -> '0.1', 1.0 -> '1', True -> 'true'."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    raise ConfigError(f"grid value {value!r} needs a name: give the axis values as a mapping name -> value")


def _axis(path: str, spec: Any, where: str, source: str) -> list[tuple[str, Any]]:
    """(name part, value) for every value of one axis; errors name the block and axis (``where``)."""
    label: str | None = None
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - AXIS_KEYS)
        if unknown:
            raise ConfigError(
                f"unknown key '{where}.{unknown[0]}' in {source}; valid keys: {sorted(AXIS_KEYS)}"
            )
        if "values" not in spec:
            raise ConfigError(f"key '{where}.values' is missing in {source}")
        label, spec = spec.get("label"), spec["values"]
        if label is not None and not isinstance(label, str):
            raise ConfigError(f"key '{where}.label' in {source} must be a string, got {label!r}")
    if isinstance(spec, Mapping):  # values named by the file: {plain: none, normed: batch}
        pairs = [(str(k), v) for k, v in spec.items()]
        default_label = ""
    elif isinstance(spec, list):
        try:
            pairs = [(value_name(v), v) for v in spec]
        except ConfigError as err:
            raise ConfigError(f"'{where}' in {source}: {err}") from None
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in spec)
        default_label = path.split(".")[-1] if numeric else ""
    else:
        raise ConfigError(f"'{where}' in {source} must be a list of values or a mapping name -> value")
    if not pairs:
        raise ConfigError(f"'{where}' in {source} has no values")
    prefix = default_label if label is None else label
    return [(f"{prefix}{name}", value) for name, value in pairs]


def _blocks(grid: Any, source: str) -> list[dict[str, Any]]:
    if grid is None:
        return []
    blocks = grid if isinstance(grid, list) else [grid]
    for i, block in enumerate(blocks):
        if not isinstance(block, Mapping):
            raise ConfigError(f"'grid[{i}]' in {source} must be a mapping with 'axes' (and 'variants')")
        unknown = sorted(set(block) - BLOCK_KEYS)
        if unknown:
            valid = sorted(BLOCK_KEYS)
            raise ConfigError(f"unknown key 'grid[{i}].{unknown[0]}' in {source}; valid: {valid}")
        if not isinstance(block.get("axes"), Mapping) or not block["axes"]:
            raise ConfigError(f"'grid[{i}].axes' in {source} must map dotted config paths to values")
    return list(blocks)


def expand_grid(
    grid: Any,
    variants: Mapping[str, list[dict[str, Any]]],
    source: str,
    origins: dict[str, str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The variants the grid blocks generate: name -> override layers.

    The layers of a generated variant are the crossed variant's layers followed by one mapping per axis
    value, merged in that order onto the experiment's base. ``origins``, when given, receives for each
    generated name the block and axis values it comes from (``grid[0] axes model.norm.groups=3``), so an
    error in its run config can name them.
    """
    generated: dict[str, list[dict[str, Any]]] = {}
    for i, block in enumerate(_blocks(grid, source)):
        crossed = block.get("variants")
        if crossed is not None and not isinstance(crossed, list):
            raise ConfigError(f"'grid[{i}].variants' in {source} must be a list of variant names")
        for name in crossed or []:
            if name not in variants:
                raise ConfigError(
                    f"'grid[{i}].variants' in {source} names '{name}', which is not a variant; "
                    f"valid: {list(variants)}"
                )
        axes = [
            [(path, part, value) for part, value in _axis(path, spec, f"grid[{i}].axes.{path}", source)]
            for path, spec in block["axes"].items()
        ]
        for combo in itertools.product(*axes):
            settings = {path: value for path, _, value in combo}
            parts = [part for _, part, _ in combo if part]
            for base_name in crossed or [None]:
                name = "_".join([base_name, *parts] if base_name else parts)
                if not NAME_PATTERN.match(name or ""):
                    raise ConfigError(f"grid[{i}] in {source} generates the bad variant name '{name}'")
                if name in variants or name in generated:
                    raise ConfigError(
                        f"grid[{i}] in {source} generates variant '{name}', which already exists; "
                        "give the axis a label or name its values"
                    )
                layers = list(variants[base_name]) if base_name else []
                layers += [dotted_to_nested(path, value) for path, value in settings.items()]
                generated[name] = layers
                if origins is not None:
                    values = ", ".join(f"{path}={value!r}" for path, value in settings.items())
                    origins[name] = f"grid[{i}] axes {values}" + (
                        f" x variant '{base_name}'" if base_name else ""
                    )
    return generated
