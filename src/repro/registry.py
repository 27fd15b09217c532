"""A tiny name -> object registry whose lookup errors list the valid names."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to builders; used for models, norms, datasets, optimizers, schedules and probes."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers ``obj`` under ``name``."""

        def decorate(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._items[name] = obj
            return obj

        return decorate

    def get(self, name: str) -> T:
        """Look up ``name``; an unknown name raises KeyError listing the valid ones."""
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(sorted(self._items))
            raise KeyError(f"unknown {self.kind} '{name}'; valid: {valid}") from None

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def check_spec(self, spec: Mapping[str, Any], key: str, source: str, skip: tuple[str, ...] = ()) -> None:
        """Check a ``{name: ..., option: ...}`` spec against the named builder's keyword parameters.

        An unknown or missing name, an option the builder does not take, or a missing required option
        raises ConfigError naming ``key`` and ``source``; parameters in ``skip`` are supplied by the caller.
        """
        from repro.errors import ConfigError

        if not isinstance(spec, Mapping) or "name" not in spec:
            raise ConfigError(f"key '{key}.name' is missing in {source}; valid: {self.names()}")
        if spec["name"] not in self:
            raise ConfigError(
                f"unknown {self.kind} {spec['name']!r} at '{key}.name' in {source}; valid: {self.names()}"
            )
        params = inspect.signature(self.get(spec["name"])).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return  # the builder takes any option
        allowed = [p for p in params if p not in skip]
        for option in spec:
            if option != "name" and option not in allowed:
                raise ConfigError(f"unknown key '{key}.{option}' in {source}; valid keys: {allowed}")
        self._check_types(spec, key, source)
        for name, param in params.items():
            if name not in skip and param.default is inspect.Parameter.empty and name not in spec:
                raise ConfigError(f"key '{key}.{name}' is missing in {source}")

    def _check_types(self, spec: Mapping[str, Any], key: str, source: str) -> None:
        """Reject an option whose value does not fit the builder parameter's type hint."""
        from repro.errors import ConfigError
        from repro.typehints import hint_name, value_fits

        builder: Any = self.get(spec["name"])
        try:  # a class declares its options on __init__
            hints = typing.get_type_hints(builder.__init__ if inspect.isclass(builder) else builder)
        except (NameError, TypeError):  # an annotation that cannot be resolved: left to the builder
            return
        for option, value in spec.items():
            hint = hints.get(option)
            if option != "name" and hint is not None and not value_fits(value, hint):
                raise ConfigError(f"key '{key}.{option}' in {source} is {value!r}; valid: {hint_name(hint)}")
