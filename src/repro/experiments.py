"""Experiment files -> runs: base x variants x seeds, with per-scale overrides and workflow-level settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from repro.config import ConfigError, RunConfig, deep_merge, run_config_from_dict

SCALES = ("smoke", "quick", "full")
TOP_LEVEL_KEYS = {
    "name", "paper", "description", "dataset", "base", "variants", "seeds", "scales",
    "reference", "claims", "figures", "tables", "paper_protocol", "dataset_overrides", "macro_prefix",
}  # fmt: skip
SCALE_KEYS = {"base", "variants", "seeds", "resources", "reason"}


@dataclass
class Experiment:
    """A parsed experiment file; ``raw`` keeps the whole document for the report and claims."""

    name: str
    path: Path
    raw: dict[str, Any]
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)

    def scale(self, scale: str) -> dict[str, Any]:
        """The per-scale block (empty when the file has none for ``scale``)."""
        return self.raw.get("scales", {}).get(scale, {}) or {}

    def variant_names(self, scale: str) -> list[str]:
        """Variants that run at ``scale``: the scale's list, or all of them."""
        return list(self.scale(scale).get("variants") or self.variants)

    def seeds(self, scale: str) -> list[int]:
        """Seeds that run at ``scale``."""
        return list(self.scale(scale).get("seeds") or self.raw.get("seeds") or [0])

    def resources(self, scale: str) -> dict[str, Any]:
        """Per-run resource hints for the scale (runtime in minutes, mem_mb)."""
        return dict(self.scale(scale).get("resources") or {})


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file; every variant at every scale must resolve to a valid run config."""
    path = Path(path)
    with path.open() as fh:
        raw = yaml.safe_load(fh) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping")
    unknown = set(raw) - TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(
            f"unknown key '{sorted(unknown)[0]}' in {path}; valid keys: {sorted(TOP_LEVEL_KEYS)}"
        )
    name = raw.get("name") or path.stem
    if name != path.stem:
        raise ConfigError(f"key 'name' in {path} is '{name}' but must match the file name '{path.stem}'")
    variants = raw.get("variants") or {"default": {}}
    if not isinstance(variants, dict):
        raise ConfigError(f"key 'variants' in {path} must be a mapping of name -> overrides")
    experiment = Experiment(name=name, path=path, raw=raw, variants={k: v or {} for k, v in variants.items()})
    for scale in raw.get("scales", {}) or {}:
        if scale not in SCALES:
            raise ConfigError(f"unknown scale 'scales.{scale}' in {path}; valid: {list(SCALES)}")
        extra = set(experiment.scale(scale)) - SCALE_KEYS
        if extra:
            raise ConfigError(
                f"unknown key 'scales.{scale}.{sorted(extra)[0]}' in {path}; valid: {sorted(SCALE_KEYS)}"
            )
        for variant in experiment.variant_names(scale):
            if variant not in experiment.variants:
                raise ConfigError(
                    f"scales.{scale}.variants names '{variant}', which is not a variant in {path}"
                )
    for scale in SCALES:  # fail now, at DAG build time, rather than inside a training job
        for variant in experiment.variant_names(scale):
            resolve_run(experiment, variant, 0, scale)
    return experiment


def resolve_run(
    experiment: Experiment,
    variant: str,
    seed: int,
    scale: str,
    workflow: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
) -> RunConfig:
    """Defaults <- base <- variant <- scale base <- workflow <- dataset overrides <- overrides, checked."""
    if variant not in experiment.variants:
        raise ConfigError(
            f"unknown variant '{variant}' in {experiment.path}; valid: {list(experiment.variants)}"
        )
    raw = deep_merge(experiment.raw.get("base") or {}, experiment.variants[variant])
    raw = deep_merge(raw, experiment.scale(scale).get("base") or {})
    raw = deep_merge(raw, {"experiment": experiment.name, "variant": variant, "seed": seed, "scale": scale})
    raw = deep_merge(raw, workflow_overrides(raw, workflow or {}))
    # Protocol details that depend on the dataset actually used (e.g. pad 2 for 28x28 images).
    raw = deep_merge(raw, (experiment.raw.get("dataset_overrides") or {}).get(raw["data"]["name"]) or {})
    raw = deep_merge(raw, overrides or {})
    return run_config_from_dict(raw, source=str(experiment.path))


def workflow_overrides(raw: dict[str, Any], workflow: dict[str, Any]) -> dict[str, Any]:
    """Settings the workflow config imposes on every run: data root, dataset substitution, device."""
    data = raw.get("data") or {}
    requested = data.get("requested") or data.get("name") or RunConfig().data.name
    substitutions = workflow.get("data", {}).get("substitutions") or {}
    out: dict[str, Any] = {"data": {"requested": requested, "name": substitutions.get(requested, requested)}}
    if workflow.get("data", {}).get("root"):
        out["data"]["root"] = str(workflow["data"]["root"])
    if workflow.get("device"):
        out["train"] = {"device": workflow["device"]}
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


def expand_runs(experiment: Experiment, scale: str, workflow: dict[str, Any] | None = None) -> list[Run]:
    """All runs of ``experiment`` at ``scale``: its variants for that scale times its seeds."""
    return [
        Run(experiment.name, v, s, scale, resolve_run(experiment, v, s, scale, workflow))
        for v in experiment.variant_names(scale)
        for s in experiment.seeds(scale)
    ]
