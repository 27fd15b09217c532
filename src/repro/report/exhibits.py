"""Registered report tables (name -> builder, experiment) and the per-experiment generated parts."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from repro.report.booktabs import table6_tex
from repro.report.fig3 import fig3_tex
from repro.report.macros import write_macros
from repro.report.setup import setup_table_tex

TableFunction = Callable[[pd.DataFrame, Mapping, Path], Path]


def _he2016_table6(table: pd.DataFrame, experiment: Mapping, out_tex: Path) -> Path:
    return table6_tex(table, experiment.get("reference") or {}, out_tex)


def _ioffe2015_fig3(table: pd.DataFrame, experiment: Mapping, out_tex: Path) -> Path:
    return fig3_tex(table, experiment.get("reference") or {}, out_tex)


# name -> (function(table, experiment file dict, out_tex), experiment). The experiment file's `tables:`
# list names them; each is written to results/{scale}/paper/tables/<name>.tex.
TABLES: dict[str, tuple[TableFunction, str]] = {
    "he2016_table6": (_he2016_table6, "he2016_depth"),
    "ioffe2015_fig3": (_ioffe2015_fig3, "ioffe2015_ablation"),
}


def read_table(table_csv: Path) -> pd.DataFrame:
    """The tidy table at ``table_csv``; an empty file gives an empty frame."""
    table_csv = Path(table_csv)
    return pd.read_csv(table_csv) if table_csv.stat().st_size else pd.DataFrame()


def make_table(name: str, table_csv: Path, experiment: Mapping, out_tex: Path) -> Path:
    """Write the registered table ``name`` from a tidy table and the parsed experiment file."""
    try:
        function, _ = TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table '{name}'; valid: {', '.join(sorted(TABLES))}") from None
    return function(read_table(table_csv), experiment, Path(out_tex))


def experiment_parts(
    experiment: Mapping, table_csv: Path, run_configs: list[Path | Mapping], gen_dir: Path
) -> list[Path]:
    """Write macros/<experiment>.tex and tables/<experiment>_setup.tex into ``gen_dir``.

    ``experiment`` is the parsed experiment file (its name, macro_prefix, reference and paper_protocol);
    ``run_configs`` are the runs' config.json paths or already-loaded dicts.
    """
    name = experiment["name"]
    gen_dir = Path(gen_dir)
    table = read_table(table_csv)
    macros = gen_dir / "macros" / f"{name}.tex"
    # Two experiments of one paper need distinct prefixes: the file may set one (default: leading letters).
    write_macros(name, table, experiment.get("reference") or {}, macros, experiment.get("macro_prefix"))
    configs = [c if isinstance(c, Mapping) else json.loads(Path(c).read_text()) for c in run_configs]
    configs = [_with_data_used(c, table) for c in configs]
    setup = setup_table_tex(
        configs, experiment.get("paper_protocol") or {}, gen_dir / "tables" / f"{name}_setup.tex"
    )
    return [macros, setup]


def _with_data_used(config: Mapping, table: pd.DataFrame) -> dict:
    """The run config plus what its run really loaded (data.used, data.source), taken from the table."""
    config = {**config, "data": dict(config.get("data") or {})}
    if {"data.used", "data.source", "variant", "seed"} <= set(table.columns):
        rows = table[(table["variant"] == config.get("variant")) & (table["seed"] == config.get("seed"))]
        if not rows.empty:
            config["data"]["used"] = rows["data.used"].iloc[0]
            config["data"]["source"] = rows["data.source"].iloc[0]
    return config
