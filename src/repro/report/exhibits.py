"""Report exhibits: a paper plug-in's registered tables, and the per-experiment generated parts.

Which tables an experiment builds is declared in its file (``tables:``); the functions that write them are
registered by its paper's plug-in (:mod:`repro.papers`). Macros and the setup table are built here for
every experiment alike, with the plug-in's variant labels, setup rows and value texts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from repro.analysis import RUN_KEYS, select
from repro.baselines.floor import attach_floor, read_floor
from repro.papers import find, table_function, variant_labels
from repro.report.macros import write_macros
from repro.report.setup import setup_table_tex
from repro.tables import read_table


def _paper_key(experiment: Mapping[str, Any]) -> str | None:
    return (experiment.get("paper") or {}).get("key")


def make_table(
    name: str,
    table_csv: Path,
    experiment: Mapping[str, Any],
    out_tex: Path,
    floor_csv: Path | None = None,
) -> Path:
    """Write the table ``name`` of the experiment's paper from a tidy table and the parsed experiment file.

    The paper's plug-in must be loaded (built-ins are imported here; an external one by the caller, with
    :func:`repro.papers.load`). An unknown name lists the paper's valid tables. ``floor_csv``, the
    experiment's trained floor, rides on the table as ``table.attrs['linear_floor']``.
    """
    function = table_function(name, _paper_key(experiment))
    table = read_table(table_csv)
    attach_floor(table, read_floor(Path(floor_csv)) if floor_csv else None)
    return function(table, experiment, Path(out_tex))


def experiment_parts(
    experiment: Mapping[str, Any], table_csv: Path, run_configs: list[Path | Mapping], gen_dir: Path
) -> list[Path]:
    """Write macros/<experiment>.tex and tables/<experiment>_setup.tex into ``gen_dir``.

    ``experiment`` is the parsed experiment file (its name, paper key, macro_prefix, reference and
    paper_protocol); ``run_configs`` are the runs' config.json paths or already-loaded dicts.
    """
    name = experiment["name"]
    gen_dir = Path(gen_dir)
    table = read_table(table_csv)
    key = _paper_key(experiment)
    paper = find(key) if key else None
    macros = gen_dir / "macros" / f"{name}.tex"
    labels = variant_labels(paper, table, experiment)
    # Two experiments of one paper need distinct prefixes: the file may set one (default: leading letters).
    write_macros(
        name, table, experiment.get("reference") or {}, macros, experiment.get("macro_prefix"), labels
    )
    configs = [c if isinstance(c, Mapping) else json.loads(Path(c).read_text()) for c in run_configs]
    configs = [_with_data_used(c, table) for c in configs]
    setup = setup_table_tex(
        configs,
        experiment.get("paper_protocol") or {},
        gen_dir / "tables" / f"{name}_setup.tex",
        rows=paper.setup_rows if paper else None,
        value_text=paper.value_texts if paper else None,
    )
    return [macros, setup]


def _with_data_used(config: Mapping, table: pd.DataFrame) -> dict:
    """The run config plus what its run really loaded (data.used, data.source), taken from the table."""
    config = {**config, "data": dict(config.get("data") or {})}
    if {"data.used", "data.source", *RUN_KEYS} <= set(table.columns):
        rows = select(table, "metrics", variant=config.get("variant"), seed=config.get("seed"))
        if not rows.empty:
            config["data"]["used"] = rows["data.used"].iloc[0]
            config["data"]["source"] = rows["data.source"].iloc[0]
    return config
