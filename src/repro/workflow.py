"""Helpers the Snakefile calls while it builds the DAG (kept here so they are importable and tested)."""

from __future__ import annotations

import json
from pathlib import Path

from repro.config import ConfigError
from repro.paths import provenance_path


def experiment_file(basedir: str | Path, name: str) -> Path:
    """configs/experiments/{name}.yaml under the workflow's base directory; a missing one is a clear error."""
    path = Path(basedir) / "configs" / "experiments" / f"{name}.yaml"
    if not path.exists():
        available = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise ConfigError(
            f"experiment '{name}' in key 'experiments' has no file {path}; available: {available}"
        )
    return path


def check_full_scale_data(scale: str, data_root: str | Path, datasets: list[str]) -> None:
    """At full scale refuse a data cache that holds the shipped fallback subset, before anything trains."""
    if scale != "full":
        return
    for dataset in datasets:
        prov = provenance_path(data_root, dataset)
        if prov.exists() and json.loads(prov.read_text()).get("source") == "fallback":
            raise ConfigError(
                f"{prov} says {dataset} is the shipped fallback subset, which is only for smoke and quick "
                f"scale. For full scale: delete {prov.parent} and give the real data through a mirror "
                f"(data.mirrors.{dataset} in configs/config.yaml), the network, or substitute a dataset "
                "you have with --configfile configs/offline.yaml."
            )
