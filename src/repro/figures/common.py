"""Helpers shared by the papers' figures: seed matrices, mean lines with min-max bands, legend labels,
and the trained floor (a linear classifier on the same training images) as a reference line.

Rows are selected with :mod:`repro.analysis` (``select``, ``curves``); these helpers only pivot and draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from repro.baselines.floor import LABEL, linear_floor, variants_of
from repro.figures.style import BAND_ALPHA

MAX_POINTS = 600  # curves are thinned to about this many x positions so PDFs stay small
FLOOR_LABEL = f"{LABEL} (test)"  # "linear classifier (test)"
# Grey and finely dashed, behind the curves: a reference, not one of the compared arms.
FLOOR_STYLE = {"color": "0.4", "linestyle": (0, (5, 2.5)), "linewidth": 0.9, "zorder": 1.5}


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


def floor_rows(table: pd.DataFrame, variants: list[str] | None = None) -> pd.DataFrame:
    """The floor rows attached to ``table`` (repro.baselines.attach_floor), those covering ``variants``
    when given; empty when the table has no floor (a hand call, a test, an experiment without one)."""
    floor = linear_floor(table)
    if floor is None or floor.empty:
        return pd.DataFrame()
    if variants is not None:
        wanted = {str(v) for v in variants}
        floor = floor[[bool(wanted & set(variants_of(row))) for _, row in floor.iterrows()]]
    return floor[np.isfinite(floor["test_error"].astype(float))]


def draw_floor(
    ax: Axes,
    table: pd.DataFrame,
    accuracy: bool = False,
    variants: list[str] | None = None,
    by: str | None = None,
    label: str | None = FLOOR_LABEL,
    note_off_axis: bool = False,
) -> list[float]:
    """The floor's test error (100 minus it with ``accuracy``) as a grey dashed reference; its y values.

    Without ``by``: a horizontal line per distinct training set (labelled once). With ``by`` (a floor
    column, e.g. ``train_subset`` for a sweep over training-set size): a dashed line through one point
    per training set at x = that column. ``note_off_axis``: a level outside the panel's current y-range
    is written as a note at its edge instead of stretching the axis (for panels that resolve fine
    differences). Nothing is drawn, and [] returned, when there is no floor.
    """
    rows = floor_rows(table, variants)
    if rows.empty:
        return []
    values = rows["test_error"].astype(float)
    ys = (100.0 - values) if accuracy else values
    if by is None:
        levels = sorted(set(ys.round(6)))
        low, high = ax.get_ylim()
        for i, y in enumerate(levels):
            if note_off_axis and not low <= y <= high:
                _floor_note(ax, y, above=y > high, accuracy=accuracy, label=label)
                continue
            ax.axhline(y, label=label if i == 0 else None, **FLOOR_STYLE)
        return [float(y) for y in levels]
    xs = rows[by].fillna(rows["n_train"]).astype(float) if by == "train_subset" else rows[by].astype(float)
    points = pd.Series(ys.to_numpy(), index=xs.to_numpy()).groupby(level=0).mean().sort_index()
    ax.plot(points.index, points.to_numpy(), marker="x", markersize=3.5, label=label, **FLOOR_STYLE)
    return [float(y) for y in points]


def _floor_note(ax: Axes, y: float, above: bool, accuracy: bool, label: str | None) -> None:
    """'linear classifier (test): 12.3% error, above the axis' at the top (or bottom) edge of ``ax``."""
    what = "accuracy" if accuracy else "error"
    text = f"{label or 'floor'}: {y:.1f}% {what}, {'above' if above else 'below'} the axis"
    ax.text(0.99, 0.97 if above else 0.03, text, transform=ax.transAxes, ha="right",
            va="top" if above else "bottom", color=FLOOR_STYLE["color"], fontsize=6.5)  # fmt: skip
