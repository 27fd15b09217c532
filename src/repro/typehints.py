"""Whether a config value fits a parameter's type hint: shared by the registries and the model builders.

Standard library only, so ``repro.registry`` (which every component package imports) can use it without
importing any of them.
"""

from __future__ import annotations

import types
import typing
from typing import Any

__all__ = ["hint_name", "value_fits"]


def hint_name(hint: Any) -> str:
    """'int' for int and for int | None (None means "not given", so it is not worth naming)."""
    arms = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    return " or ".join(getattr(a, "__name__", str(a)) for a in arms)


def value_fits(value: Any, hint: Any) -> bool:
    """Whether a config value fits a builder parameter's type hint (composite hints: lists; others pass)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return any(value_fits(value, arm) for arm in typing.get_args(hint))
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(value_fits(v, item) for v in value)
    if hint is type(None):
        return value is None
    # bool is an int subclass, but `groups: true` is a typo, not a count.
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True  # unannotated or composite: left to the builder
