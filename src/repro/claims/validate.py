"""Claims checked when the DAG is built: every key against the check registry, every arm against the runs.

``validate_claims`` is called by ``repro.experiments.load_experiment`` for each experiment file. It
refuses what would make a claim pass vacuously or never be evaluable: an unknown check kind or key (with
the closest valid key), a required key left out (e.g. a ``dominates`` check's non-inferiority margin,
which is fixed at calibration, never picked from the data), a value of the wrong type, a variant the
experiment does not define, a selector or axis naming a config column that no run has or a value that
no run takes. Whether a named variant runs at a given scale is not checked here: a claim about a variant
left out at this scale is reported as not evaluable, with the reason.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

from repro.analysis import as_bool
from repro.claims.arms import Arm
from repro.claims.registry import CHECKS, CheckKind
from repro.errors import ConfigError

CLAIM_KEYS = {
    "id": str, "statement": str, "assert_at": list, "checks": list, "form_of": str, "not_asserted": dict,
}  # fmt: skip
OPTIONAL_CLAIM_KEYS = ("assert_at", "form_of", "not_asserted")  # repro.calibration checks the last two
SCALES = ("smoke", "quick", "full")


def validate_claims(
    raw_experiment: Mapping[str, Any], variants: list[str], config_values: Mapping[str, set], source: str
) -> None:
    """Raise ConfigError naming the claim id, the key and ``source`` for any invalid claim or check.

    ``variants``: every variant name the experiment defines (listed and grid-generated, at any scale).
    ``config_values``: dotted run-config path -> the set of values it takes over the experiment's runs
    (at every scale; lists and mappings as JSON text), as ``repro.experiments.config_values`` builds it.
    """
    claims = raw_experiment.get("claims") or []
    if not isinstance(claims, list):
        raise ConfigError(f"key 'claims' in {source} must be a list of claims")
    seen: set[str] = set()
    for number, claim in enumerate(claims, 1):
        cid = claim.get("id", f"#{number}") if isinstance(claim, Mapping) else f"#{number}"
        where = f"claim '{cid}' in {source}"
        _check_claim_keys(claim, where)
        if cid in seen:
            raise ConfigError(f"{where}: id '{cid}' is used by two claims")
        seen.add(cid)
        for index, check in enumerate(claim["checks"], 1):
            _check_check(check, f"{where}, check {index}", set(variants), config_values)


def _check_claim_keys(claim: Any, where: str) -> None:
    if not isinstance(claim, Mapping):
        raise ConfigError(f"{where}: a claim must be a mapping with keys {list(CLAIM_KEYS)}")
    for key in claim:
        if key not in CLAIM_KEYS:
            raise ConfigError(f"{where}: unknown key '{key}'; valid keys: {list(CLAIM_KEYS)}")
    for key, kind in CLAIM_KEYS.items():
        if key not in OPTIONAL_CLAIM_KEYS and key not in claim:
            raise ConfigError(f"{where}: key '{key}' is missing")
        if key in claim and not isinstance(claim[key], kind):
            raise ConfigError(f"{where}: key '{key}' must be a {kind.__name__}, got {claim[key]!r}")
    if not claim["checks"]:
        raise ConfigError(f"{where}: key 'checks' must list at least one check")
    for scale in claim.get("assert_at") or []:
        if scale not in SCALES:
            raise ConfigError(f"{where}: key 'assert_at' names '{scale}'; valid scales: {list(SCALES)}")


def _check_check(check: Any, where: str, variants: set[str], config_values: Mapping[str, set]) -> None:
    if not isinstance(check, Mapping) or "kind" not in check:
        raise ConfigError(f"{where}: a check must be a mapping with a 'kind'; valid kinds: {CHECKS.names()}")
    if check["kind"] not in CHECKS:
        raise ConfigError(f"{where}: key 'kind' is '{check['kind']}'; valid kinds: {CHECKS.names()}")
    kind: CheckKind = CHECKS.get(check["kind"])
    where = f"{where} ({kind.name})"
    for key, message in kind.problems(check):
        raise ConfigError(f"{where}: key '{key}' {message}")
    for key, arm in kind.arms(check):
        _check_arm(arm, f"{where}: key '{key}'", variants, config_values)
    for key, spec in kind.keys.items():
        if key not in check:
            continue
        if spec.type == "column":
            _check_column(check[key], f"{where}: key '{key}'", config_values, spec.numeric)
        elif spec.type == "where":
            _check_where(check[key], f"{where}: key '{key}'", config_values)


def _check_arm(arm: Arm, where: str, variants: set[str], config_values: Mapping[str, set]) -> None:
    if arm.variant is not None:
        if arm.variant not in variants:
            raise ConfigError(
                f"{where} names variant '{arm.variant}', which the experiment does not define; "
                f"valid: {sorted(variants)}"
            )
        return
    _check_where(dict(arm.where), where, config_values)


def _check_where(where_map: Mapping[str, Any], where: str, config_values: Mapping[str, set]) -> None:
    for column, value in where_map.items():
        if column == "variant":
            continue  # the tidy table's own column; variant names are checked as arms
        known = _known(column, config_values, where)
        if not any(same_value(value, k) for k in known):
            shown = sorted(map(str, known))
            raise ConfigError(f"{where} selects {column} = {value!r}, which no run has; its values: {shown}")


def _check_column(column: str, where: str, config_values: Mapping[str, set], numeric: bool) -> None:
    known = _known(column, config_values, where)
    if len(known) < 2:
        raise ConfigError(
            f"{where}: axis '{column}' takes only the value {sorted(map(str, known))}; a sweep axis "
            "needs at least two"
        )
    if numeric and not all(_is_number(v) for v in known):
        raise ConfigError(f"{where}: axis '{column}' must be numeric; its values: {sorted(map(str, known))}")


def _known(column: str, config_values: Mapping[str, set], where: str) -> set:
    if column not in config_values:
        close = difflib.get_close_matches(column, list(config_values), n=3)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        raise ConfigError(f"{where} names config column '{column}', which no run has{hint}")
    return config_values[column]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same_value(a: Any, b: Any) -> bool:
    """Equality of a selector value and a config value across YAML and CSV (8 vs 8.0, True vs 'true')."""
    if isinstance(a, bool) or isinstance(b, bool):
        x, y = as_bool(a), as_bool(b)
        return x is not None and x == y
    if _is_number(a) and _is_number(b):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return str(a) == str(b)
