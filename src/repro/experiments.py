"""Experiment files -> runs: base x (variants + grid) x seeds, per-scale overrides, workflow settings."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from repro.calibration import check_calibration, scale_seeds
from repro.config import ConfigError, RunConfig, deep_merge, run_config_from_dict
from repro.derived import resolve_derived
from repro.sweeps import NAME_PATTERN, expand_grid

SCALES = ("smoke", "quick", "full")
SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "experiment.schema.yaml"


@dataclass
class Experiment:
    """A parsed experiment file; ``raw`` keeps the whole document for the report and claims.

    ``variants`` maps every variant name (those the file lists and those its ``grid`` generates) to the
    override layers merged, in order, onto ``base``.
    """

    name: str
    path: Path
    raw: dict[str, Any]
    variants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def scale(self, scale: str) -> dict[str, Any]:
        """The per-scale block (empty when the file has none for ``scale``)."""
        return self.raw.get("scales", {}).get(scale, {}) or {}

    def variant_names(self, scale: str, extras: bool = False) -> list[str]:
        """Variants that run at ``scale``: the scale's list (or all but its extras), then its
        ``extra_variants`` when ``extras`` is set."""
        left_out = self.extra_variant_names(scale)
        core = self.scale(scale).get("variants") or [v for v in self.variants if v not in left_out]
        return list(core) + (left_out if extras else [])

    def extra_variant_names(self, scale: str) -> list[str]:
        """Reported-only variants that run at ``scale`` only with the workflow's ``extra_exhibits``."""
        return list(self.scale(scale).get("extra_variants") or [])

    def seeds(self, scale: str) -> list[int]:
        """Seeds that run at ``scale`` (every seed of the variants that its asserted claims compare)."""
        return scale_seeds(self.raw, scale)

    def asserted_variants(self, scale: str, extras: bool = False) -> list[str]:
        """The variants the claims asserted at ``scale`` compare (all of them if one selects by ``where``),
        among those that run there (with the scale's extras when ``extras`` is set)."""
        from repro.claims.robustness import draw_variants

        return draw_variants(self.raw.get("claims") or [], scale, self.variant_names(scale, extras))

    def seeds_for(self, variant: str, scale: str) -> list[int]:
        """Seeds ``variant`` runs at ``scale``: the scale's ``reported_seeds`` when no claim asserted there
        compares it (reported-only arms may run fewer seeds), else all of the scale's seeds."""
        reported = self.scale(scale).get("reported_seeds")
        if reported is None or variant in self.asserted_variants(scale):
            return self.seeds(scale)
        return list(reported)

    def resources(self, scale: str) -> dict[str, Any]:
        """Per-run resource hints for the scale (runtime in minutes, mem_mb)."""
        return dict(self.scale(scale).get("resources") or {})


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (YAML would keep the last silently)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor`: merged keys may be overridden
            continue
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise ConfigError(f"key '{key}' is given twice in one mapping of {loader.name} (line {line})")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, refusing duplicate keys; a missing file is a ConfigError naming it."""
    if not path.exists():
        raise ConfigError(f"experiment file {path} does not exist")
    with path.open() as fh:
        loader = _UniqueKeyLoader(fh)
        loader.name = str(path)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()


@functools.cache
def _schema_validator() -> Any:
    """The experiment schema's validator, read once per process."""
    import jsonschema

    return jsonschema.Draft202012Validator(yaml.safe_load(SCHEMA.read_text()))


def check_schema(raw: dict[str, Any], path: Path) -> None:
    """Validate the file's structure against workflow/schemas/experiment.schema.yaml, naming the key."""
    import jsonschema

    if not SCHEMA.exists():  # an installed package without the workflow: the run configs are still checked
        return
    error = jsonschema.exceptions.best_match(_schema_validator().iter_errors(raw))
    if error is not None:
        raise ConfigError(f"{error.message} (at '{schema_error_key(error)}' in {path})")


def schema_error_key(error: Any) -> str:
    """The dotted key a schema error is about: the offending key itself for an unexpected or missing one.

    ``absolute_path``, not ``path``: best_match may return an error from inside a ``oneOf`` (the grid's
    forms), whose ``path`` is relative to that ``oneOf`` and is empty at its top.
    """
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties") or {}
        parts.append(next((str(k) for k in error.instance if k not in known), ""))
    elif error.validator == "required" and isinstance(error.instance, dict):
        parts.append(next((str(k) for k in error.validator_value if k not in error.instance), ""))
    return ".".join(p for p in parts if p) or "the top level"


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file; every variant at every scale must resolve to a valid run config."""
    path = Path(path)
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping")
    check_schema(raw, path)
    check_calibration(raw, str(path))
    name = raw.get("name") or path.stem
    if name != path.stem:
        raise ConfigError(f"key 'name' in {path} is '{name}' but must match the file name '{path.stem}'")
    listed = raw.get("variants") or ({} if raw.get("grid") else {"default": {}})
    for variant in listed:
        if not NAME_PATTERN.match(str(variant)):
            raise ConfigError(f"variant name '{variant}' in {path} must match {NAME_PATTERN.pattern}")
    variants = {str(k): [v or {}] for k, v in listed.items()}
    origins: dict[str, str] = {}
    generated = expand_grid(raw.get("grid"), variants, str(path), origins)
    experiment = Experiment(name=name, path=path, raw=raw, variants={**variants, **generated})
    for scale in raw.get("scales", {}) or {}:
        for variant in experiment.variant_names(scale, extras=True):
            if variant not in experiment.variants:
                key = "extra_variants" if variant in experiment.extra_variant_names(scale) else "variants"
                raise ConfigError(
                    f"scales.{scale}.{key} names '{variant}', which is not a variant in {path}; "
                    f"valid: {list(experiment.variants)}"
                )
        check_extra_variants(experiment, scale)
        reported, seeds = experiment.scale(scale).get("reported_seeds"), experiment.seeds(scale)
        if reported is not None and not set(reported) <= set(seeds):
            raise ConfigError(
                f"scales.{scale}.reported_seeds {reported} in {path} must be a subset of that scale's "
                f"seeds {seeds}"
            )
    configs = []  # fail now, at DAG build time, rather than inside a training job
    for scale in SCALES:
        for variant in experiment.variant_names(scale, extras=True):
            try:
                configs.append(resolve_run(experiment, variant, 0, scale).to_dict())
            except ConfigError as err:
                if variant not in origins:
                    raise
                # A generated variant's settings come from the grid: name the block and the axis values.
                raise ConfigError(f"{err} [variant '{variant}' from {origins[variant]}]") from None
    from repro.claims import validate_claims

    validate_claims(raw, list(experiment.variants), config_values(configs), str(path))
    return experiment


def check_extra_variants(experiment: Experiment, scale: str) -> None:
    """A scale's ``extra_variants`` are reported-only: none is also in its ``variants``, and no claim
    asserted at that scale compares one (the default run would otherwise judge it without its arms)."""
    extras = experiment.extra_variant_names(scale)
    where = f"scales.{scale}.extra_variants in {experiment.path}"
    doubled = sorted(set(extras) & set(experiment.scale(scale).get("variants") or []))
    if doubled:
        raise ConfigError(f"{where} names {doubled}, which scales.{scale}.variants also lists")
    asserted = set(extras) & set(experiment.asserted_variants(scale, extras=True))
    if asserted:
        raise ConfigError(
            f"{where} names {sorted(asserted)}, which a claim asserted at {scale} compares; an asserted "
            "claim's arms run in the default run"
        )


def config_values(configs: list[dict[str, Any]]) -> dict[str, set]:
    """Every config column the tidy table can carry for these runs -> the set of values it takes.

    Flattened exactly as repro.tables flattens a run's config.json, so a claim's selector is checked
    against the columns it will later select on.
    """
    from repro.tables import flatten

    values: dict[str, set] = {}
    for config in configs:
        for key, value in flatten(config).items():
            values.setdefault(key, set()).add(json.dumps(value) if isinstance(value, dict) else value)
    return values


def resolve_run(
    experiment: Experiment,
    variant: str,
    seed: int,
    scale: str,
    workflow: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
) -> RunConfig:
    """Defaults <- base <- variant <- scale base <- workflow <- dataset overrides (file, scale) <- CLI."""
    if variant not in experiment.variants:
        raise ConfigError(
            f"unknown variant '{variant}' in {experiment.path}; valid: {list(experiment.variants)}"
        )
    raw = experiment.raw.get("base") or {}
    for layer in experiment.variants[variant]:
        raw = deep_merge(raw, layer)
    raw = deep_merge(raw, experiment.scale(scale).get("base") or {})
    raw = deep_merge(raw, {"experiment": experiment.name, "variant": variant, "seed": seed, "scale": scale})
    raw = deep_merge(raw, workflow_overrides(raw, workflow or {}))
    # Protocol details that depend on the dataset actually used (e.g. pad 2 for 28x28 images).
    dataset = raw["data"]["name"]
    raw = deep_merge(raw, (experiment.raw.get("dataset_overrides") or {}).get(dataset) or {})
    # A scale that changes the image size (data.downsample) restates what depends on it for its own images.
    raw = deep_merge(raw, (experiment.scale(scale).get("dataset_overrides") or {}).get(dataset) or {})
    raw = deep_merge(raw, overrides or {})
    raw = resolve_derived(raw, str(experiment.path))
    return run_config_from_dict(raw, source=str(experiment.path))


def workflow_overrides(raw: dict[str, Any], workflow: dict[str, Any]) -> dict[str, Any]:
    """Settings the workflow config imposes on every run's identity: data root and dataset substitution.

    The device is not one of them: it changes how a run is computed, not what it is, so the train rule
    passes it at run time (``repro.train.run(..., device=...)``).
    """
    data = raw.get("data") or {}
    requested = data.get("requested") or data.get("name") or RunConfig().data.name
    substitutions = workflow.get("data", {}).get("substitutions") or {}
    out: dict[str, Any] = {"data": {"requested": requested, "name": substitutions.get(requested, requested)}}
    if workflow.get("data", {}).get("root"):
        out["data"]["root"] = str(workflow["data"]["root"])
    return out


@dataclass(frozen=True)
class Run:
    """One row of the run table."""

    experiment: str
    variant: str
    seed: int
    scale: str
    config: RunConfig

    @property
    def dataset(self) -> str:
        """The dataset this run loads."""
        return self.config.data.name


def second_draw_runs(
    experiment: Experiment,
    scale: str,
    workflow: dict[str, Any] | None,
    variants: list[str],
    name: str,
    seed_offset: int,
    subset_seed: int,
) -> list[Run]:
    """The robustness check's runs: ``variants`` on other seeds and another training subset, as ``name``."""

    def seeds(variant: str) -> list[int]:
        return [s + seed_offset for s in experiment.seeds_for(variant, scale)]

    return _runs(experiment, name, scale, workflow, variants, seeds, {"data": {"subset_seed": subset_seed}})


def expand_runs(experiment: Experiment, scale: str, workflow: dict[str, Any] | None = None) -> list[Run]:
    """All runs of ``experiment`` at ``scale``: each of its variants for that scale x that variant's seeds."""

    def seeds(variant: str) -> list[int]:
        return experiment.seeds_for(variant, scale)

    extras = bool((workflow or {}).get("extra_exhibits", False))
    return _runs(experiment, experiment.name, scale, workflow, experiment.variant_names(scale, extras), seeds)


def _runs(
    experiment: Experiment,
    name: str,
    scale: str,
    workflow: dict[str, Any] | None,
    variants: list[str],
    seeds: Callable[[str], list[int]],
    overrides: dict[str, Any] | None = None,
) -> list[Run]:
    """Each variant x its ``seeds(variant)``, resolved with ``overrides``, as ``name`` in the run table."""
    return [
        Run(name, v, s, scale, resolve_run(experiment, v, s, scale, workflow, overrides))
        for v in variants
        for s in seeds(v)
    ]
