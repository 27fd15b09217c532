"""Helpers shared by the papers' figures: seed matrices, mean lines with min-max bands, legend labels.

Rows are selected with :mod:`repro.analysis` (``select``, ``curves``); these helpers only pivot and draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from repro.figures.style import BAND_ALPHA

MAX_POINTS = 600  # curves are thinned to about this many x positions so PDFs stay small


def run_label(label: str, variant: str, counts: pd.DataFrame) -> str:
    """Legend text: a variant's display ``label`` and its seeds, e.g. 'plain-56 (n=2, diverged 1/3)'."""
    if variant not in counts.index:
        return f"{label} (no runs)"
    row = counts.loc[variant]
    if row["n_diverged"]:
        return f"{label} (n={row['n_ok']}, diverged {row['n_diverged']}/{row['n_runs']})"
    return f"{label} (n={row['n_ok']})"


def seed_matrix(rows: pd.DataFrame, index: str) -> pd.DataFrame:
    """Already selected rows pivoted to ``index`` x seed (mean of duplicates); empty if there are none."""
    if rows.empty:
        return pd.DataFrame()
    return rows.pivot_table(index=index, columns="seed", values="value", aggfunc="mean").sort_index()


def thin(matrix: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """Keep about ``max_points`` evenly spaced rows, always including the last one."""
    if len(matrix) <= max_points:
        return matrix
    keep = np.unique(np.linspace(0, len(matrix) - 1, max_points).round().astype(int))
    return matrix.iloc[keep]


def plot_band(ax: Axes, matrix: pd.DataFrame, color, style: dict, label: str | None = None) -> Line2D | None:
    """Mean over seeds (columns) as a line and the min-max over seeds as a shaded band; returns the line."""
    if matrix.empty:
        return None
    x = matrix.index.to_numpy(dtype=float)
    values = matrix.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(values, axis=1)
    (line,) = ax.plot(x, mean, color=color, label=label, **style)
    if values.shape[1] > 1:
        ax.fill_between(
            x, np.nanmin(values, axis=1), np.nanmax(values, axis=1), color=color, alpha=BAND_ALPHA, lw=0
        )
    return line


def plot_diverged(ax: Axes, matrix: pd.DataFrame, color, style: dict) -> None:
    """Each diverged run (a column of ``matrix``) as its own faint line, up to where it stops being finite."""
    thinned = thin(matrix)
    for seed in thinned.columns:
        series = thinned[seed].replace([np.inf, -np.inf], np.nan).dropna()
        ax.plot(series.index, series.to_numpy(), color=color, alpha=0.45, **{**style, "linewidth": 0.7})
