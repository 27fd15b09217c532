"""Helpers the Snakefile calls while it builds the DAG (kept here so they are importable and tested)."""

from __future__ import annotations

import json
from pathlib import Path

from repro.errors import ConfigError
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


def fallback_notices(data_root: str | Path, datasets: list[str]) -> list[str]:
    """One line per dataset whose cache holds the shipped fallback subset instead of the real data."""
    notices = []
    for dataset in datasets:
        prov = provenance_path(data_root, dataset)
        if prov.exists() and json.loads(prov.read_text()).get("source") == "fallback":
            notices.append(
                f"WARNING: {prov.parent} holds the shipped Fashion-MNIST subset standing in for {dataset}; "
                "the report names this substitution. Delete that folder once the real data can be had."
            )
    return notices


def claims_summary(claims_csv: str | Path) -> list[str]:
    """One console line per claim: paper, id, verdict, its evidence, and whether it was asserted here.

    An asserted claim that is not reproduced is flagged loudly; the build still finishes.
    """
    import pandas as pd

    from repro.claims import REPRODUCED

    lines = []
    for row in pd.read_csv(claims_csv).to_dict("records"):
        asserted = str(row.get("asserted")).strip().lower() in {"true", "1", "yes"}
        shown = row.get("evidence") if isinstance(row.get("evidence"), str) else ""
        line = f"  {row['paper']} {row['id']}: {row['result']}" + (f" ({shown})" if shown else "")
        if isinstance(row.get("second_draw"), str):  # the robustness option's second draw
            one_draw = isinstance(row.get("draw_flag"), str) and row["draw_flag"]  # blank cells read as NaN
            line += f"; 2nd draw: {row['second_draw']}" + (" <-- ONE DRAW ONLY" if one_draw else "")
        if asserted:
            failed = row["result"] != REPRODUCED
            line += " <-- ASSERTED at this scale, NOT REPRODUCED" if failed else " (asserted at this scale)"
        lines.append(line)
    return lines


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


def check_macro_prefixes(experiments: dict[str, dict]) -> None:
    """Refuse two experiments whose report macros would share a prefix (e.g. two of one paper)."""
    from repro.report.latex import macro_prefix

    owners: dict[str, str] = {}
    for name, raw in experiments.items():
        prefix = raw.get("macro_prefix") or macro_prefix(name)
        if prefix in owners:
            raise ConfigError(
                f"experiments '{owners[prefix]}' and '{name}' would both define report macros with prefix "
                f"'{prefix}'; give one of them its own 'macro_prefix' in its experiment file"
            )
        owners[prefix] = name


def check_config_files(paths: list[str | Path]) -> None:
    """Refuse a workflow config file that gives a key twice (YAML would silently keep the last one)."""
    from repro.experiments import read_yaml

    for path in paths:
        if Path(path).exists():
            read_yaml(Path(path))
