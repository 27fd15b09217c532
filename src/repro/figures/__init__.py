"""Figures of the report: a registry name -> (function, experiment), each drawn from one tidy table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from repro.figures import he2016, ioffe2015

FigureFunction = Callable[[pd.DataFrame, Path], None]

# name -> (function(table, out_pdf), experiment whose tidy table it reads). A Snakemake rule fig_<name>
# per entry writes results/{scale}/figures/<name>.pdf (+ .png).
FIGURES: dict[str, tuple[FigureFunction, str]] = {
    "he2016_training_curves": (he2016.training_curves, "he2016_depth"),
    "he2016_layer_responses": (he2016.layer_responses, "he2016_depth"),
    "ioffe2015_mnist_accuracy": (ioffe2015.mnist_accuracy, "ioffe2015_mnist"),
    "ioffe2015_mnist_lr": (ioffe2015.mnist_lr, "ioffe2015_mnist"),
    "ioffe2015_mnist_percentiles": (ioffe2015.mnist_percentiles, "ioffe2015_mnist"),
    "ioffe2015_mnist_units": (ioffe2015.mnist_units, "ioffe2015_mnist"),
    "ioffe2015_ablation_curves": (ioffe2015.ablation_curves, "ioffe2015_ablation"),
}


def figure_experiment(name: str) -> str:
    """The experiment whose table the figure ``name`` reads; unknown names list the valid ones."""
    return _lookup(name)[1]


def make_figure(name: str, table_csv: Path, out_pdf: Path) -> None:
    """Draw the registered figure ``name`` from the tidy table at ``table_csv`` into ``out_pdf`` (+ PNG)."""
    function, _ = _lookup(name)
    table_csv = Path(table_csv)
    table = pd.read_csv(table_csv) if table_csv.stat().st_size else pd.DataFrame()
    function(table, Path(out_pdf))


def _lookup(name: str) -> tuple[FigureFunction, str]:
    try:
        return FIGURES[name]
    except KeyError:
        raise KeyError(f"unknown figure '{name}'; valid: {', '.join(sorted(FIGURES))}") from None
