"""The check registry: every kind of claim check with the keys it takes (required or optional, typed).

The registry is the one description of the claims syntax. ``validate_claims`` checks every check of an
experiment file against it when the DAG is built, and the experiment JSON Schema lists no check kinds
(it defers to this module), so the two cannot drift apart.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from repro.analysis import MetricSpec, SpecError
from repro.claims.arms import Arm, parse_arm
from repro.claims.verdicts import Outcome
from repro.registry import Registry

CheckFunction = Callable[[Mapping[str, Any], pd.DataFrame], Outcome]
ARM_TYPES = ("arm", "arms", "arm_list", "pair", "pairs", "reference", "target")


@dataclass(frozen=True)
class Key:
    """One key a check takes: its type (see TYPES), whether it is required, and the allowed choices."""

    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    numeric: bool = False  # a column key: every value the runs take must be a number (an ordered axis)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not of this key's type (None when it is)."""
        if self.type == "choice":
            return None if value in self.choices else f"must be one of {list(self.choices)}, got {value!r}"
        return TYPES[self.type](value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _arm_problem(value: Any) -> str | None:
    try:
        parse_arm(value)
    except ValueError as error:
        return str(error)
    return None


def _arms_problem(value: Any, low: int, high: int | None = None) -> str | None:
    if not isinstance(value, list) or len(value) < low or (high is not None and len(value) > high):
        size = f"exactly {low}" if high == low else f"at least {low}"
        return f"must be a list of {size} arms (variant names or {{where: ...}} mappings), got {value!r}"
    return next((p for p in map(_arm_problem, value) if p), None)


def _metric_problem(value: Any) -> str | None:
    try:
        MetricSpec.from_dict(value, "metric")
    except SpecError as error:
        return str(error)
    return None


def _interval_problem(value: Any) -> str | None:
    ok = isinstance(value, list) and len(value) == 2 and all(map(_number, value)) and value[0] <= value[1]
    return None if ok else f"must be [low, high] with low <= high, got {value!r}"


def _where_problem(value: Any) -> str | None:
    ok = (
        isinstance(value, Mapping)
        and value
        and all(not isinstance(v, Mapping | list) for v in value.values())
    )
    return None if ok else f"must be a non-empty mapping of config column -> value, got {value!r}"


def _reference_problem(value: Any) -> str | None:
    if isinstance(value, Mapping) and value and all(_number(v) for v in value.values()):
        return None
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, Mapping) and set(v) == {"arm", "value"} and _number(v["value"]) for v in value)
    ):
        return next((p for p in (_arm_problem(v["arm"]) for v in value) if p), None)
    return f"must map variant -> paper number, or list {{arm: ..., value: ...}} items, got {value!r}"


def _target_problem(value: Any) -> str | None:
    if _number(value) or (isinstance(value, Mapping) and set(value) == {"variant"}):
        return None
    return f"must be a number or {{variant: name}}, got {value!r}"


TYPES: dict[str, Callable[[Any], str | None]] = {
    "number": lambda v: None if _number(v) else f"must be a number, got {v!r}",
    "nonnegative": lambda v: None if _number(v) and v >= 0 else f"must be a number >= 0, got {v!r}",
    "fraction": lambda v: None if _number(v) and 0 <= v <= 1 else f"must be a number in [0, 1], got {v!r}",
    "integer": lambda v: (
        None if isinstance(v, int) and not isinstance(v, bool) else f"must be an integer, got {v!r}"
    ),
    "count": lambda v: (
        None
        if isinstance(v, int) and not isinstance(v, bool) and v >= 2
        else f"must be an integer >= 2, got {v!r}"
    ),
    "bool": lambda v: None if isinstance(v, bool) else f"must be true or false, got {v!r}",
    "column": lambda v: None if isinstance(v, str) and v else f"must be a config column name, got {v!r}",
    "metric": _metric_problem,
    "arm": _arm_problem,
    "arms": lambda v: _arms_problem(v, 2),
    "arm_list": lambda v: _arms_problem(v, 1),
    "pair": lambda v: _arms_problem(v, 2, 2),
    "pairs": lambda v: (
        f"must be a non-empty list of [arm, arm] pairs, got {v!r}"
        if not isinstance(v, list) or not v
        else next((p for p in (_arms_problem(x, 2, 2) for x in v) if p), None)
    ),
    "interval": _interval_problem,
    "where": _where_problem,
    "reference": _reference_problem,
    "target": _target_problem,
}


@dataclass(frozen=True)
class CheckKind:
    """A registered check: its function, the keys it takes, and an optional rule across keys."""

    name: str
    function: CheckFunction
    keys: Mapping[str, Key]
    rule: Callable[[Mapping[str, Any]], str | None] | None = None
    doc: str = field(default="", compare=False)

    def __call__(self, check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
        return self.function(check, table)

    def problems(self, check: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        """(key, message) for every unknown, missing or mistyped key of ``check``."""
        valid = ["kind", *self.keys]
        for key in check:
            if key not in valid:
                close = difflib.get_close_matches(str(key), valid, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                yield str(key), f"is not a key of the '{self.name}' check{hint}; valid keys: {valid}"
        for key, spec in self.keys.items():
            if key not in check:
                if spec.required:
                    yield key, f"is required by a '{self.name}' check"
                continue
            message = spec.problem(check[key])
            if message:
                yield key, message
        message = self.rule(check) if self.rule else None
        if message:
            yield "kind", message

    def arms(self, check: Mapping[str, Any]) -> Iterator[tuple[str, Arm]]:
        """(key, arm) for every arm the check names (pairs, orders, references, targets)."""
        for key, spec in self.keys.items():
            if spec.type in ARM_TYPES and key in check:
                yield from ((key, arm) for arm in _arms_in(spec.type, check[key]))


def _arms_in(kind: str, value: Any) -> list[Arm]:
    if kind == "arm":
        return [parse_arm(value)]
    if kind in ("arms", "arm_list", "pair"):
        return [parse_arm(v) for v in value]
    if kind == "pairs":
        return [parse_arm(v) for pair in value for v in pair]
    if kind == "reference":
        return (
            [parse_arm(v) for v in value]
            if isinstance(value, Mapping)
            else [parse_arm(v["arm"]) for v in value]
        )
    return [parse_arm(value["variant"])] if isinstance(value, Mapping) else []


CHECKS: Registry[CheckKind] = Registry("claim check")
METRIC = Key("metric", required=True)
BETTER = Key("choice", choices=("lower", "higher"))


def register(
    name: str, rule: Callable[[Mapping[str, Any]], str | None] | None = None, **keys: Key
) -> Callable[[CheckFunction], CheckFunction]:
    """Decorator: register a check function under ``name`` with the keys it takes."""

    def decorate(function: CheckFunction) -> CheckFunction:
        CHECKS.register(name)(CheckKind(name, function, keys, rule, (function.__doc__ or "").strip()))
        return function

    return decorate
