"""Ioffe & Szegedy 2015 figures: Fig. 1(a) accuracy, its lr/init sensitivity, Fig. 1(b, c) percentiles, proxy.

Test accuracy is 100 minus the logged test error. The accuracy figures draw the trained floor (a linear
classifier on the same training images, repro.baselines), when the table carries one, as a grey dashed line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from repro.analysis import COMPLETED, DIVERGED, curves, select, status_counts
from repro.figures.common import draw_floor, plot_band, plot_diverged, run_label, thin
from repro.figures.style import (
    BAND_ALPHA,
    ONE_COLUMN,
    PALETTE,
    TEST_STYLE,
    TWO_COLUMN,
    new_figure,
    no_runs,
    save_figure,
    thousands_axis,
)
from repro.papers.ioffe2015.paper import ARMS, LABELS, PAPER

MAIN = ("nobn", "bn")
SHORT = {"nobn": "no BN", "bn": "BN"}
ARM_COLORS = dict(zip(ARMS, PALETTE, strict=False))
PAIR_COLORS = {"nobn": PALETTE[1], "bn": PALETTE[0]}
TEST_ERROR = {"split": "test", "metric": "error"}


def _label(variant: str, counts: pd.DataFrame) -> str:
    return run_label(LABELS.get(variant, variant), variant, counts)


def _steps_axis(ax: Axes, table: pd.DataFrame) -> None:
    ax.set_xlabel("training steps")
    if table["step"].max() >= 2000:
        thousands_axis(ax)
    ax.grid(True, alpha=0.5)


def accuracy_panel(ax: Axes, table: pd.DataFrame, variants: list[str], colors: dict) -> bool:
    """Test accuracy against steps for ``variants`` (mean line, min-max band; diverged runs faint)."""
    counts = status_counts(table)
    drawn = False
    for variant in variants:
        if select(table, "metrics", variant=variant, **TEST_ERROR).empty:
            continue
        color = colors.get(variant, "0.3")
        matrix = thin(100.0 - curves(table, TEST_ERROR, variant))
        if matrix.empty:
            ax.plot([], [], color=color, label=_label(variant, counts), **TEST_STYLE)
        plot_band(ax, matrix, color, TEST_STYLE, _label(variant, counts) if not matrix.empty else None)
        plot_diverged(ax, 100.0 - curves(table, TEST_ERROR, variant, status=DIVERGED), color, TEST_STYLE)
        drawn = True
    return drawn


@PAPER.figure("ioffe2015_mnist_accuracy")
def mnist_accuracy(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 1(a) analog: test accuracy against steps, BN vs baseline, mean over seeds with min-max band."""
    fig, ax = new_figure(ONE_COLUMN, 2.3)
    if table.empty or not accuracy_panel(ax, table, list(MAIN), PAIR_COLORS):
        no_runs(ax)
    else:
        draw_floor(ax, table, accuracy=True, variants=list(MAIN))
        _steps_axis(ax, table)
        ax.set_ylabel("test accuracy (%)")
        ax.legend(loc="lower right")
    save_figure(fig, out_pdf)


def bn_pairs(table: pd.DataFrame, key: str, fixed: str) -> dict[object, tuple[str, str]]:
    """{value of ``key``: (no-BN variant, BN variant)} among variants whose ``fixed`` column matches bn's."""
    needed = {"variant", "model.norm", key, fixed}
    if table.empty or not needed <= set(table.columns):
        return {}
    info = table[list(needed)].drop_duplicates("variant").set_index("variant")
    if "bn" not in info.index:
        return {}
    same = info[info[fixed].astype(str) == str(info.loc["bn", fixed])]
    pairs = {}
    for value, group in same.groupby(same[key].astype(str)):
        by_norm = {norm: v for v, norm in group["model.norm"].items()}
        if {"none", "batch"} <= set(by_norm):
            pairs[value] = (by_norm["none"], by_norm["batch"])
    return pairs


def gap_matrix(table: pd.DataFrame, nobn: str, bn: str) -> pd.DataFrame:
    """BN minus no-BN test accuracy (points) per step x seed, over seeds where both runs completed."""
    a, b = curves(table, TEST_ERROR, bn), curves(table, TEST_ERROR, nobn)
    if a.empty or b.empty:
        return pd.DataFrame()
    seeds = a.columns.intersection(b.columns)
    steps = a.index.intersection(b.index)
    return (b.loc[steps, seeds] - a.loc[steps, seeds]) if len(seeds) else pd.DataFrame()


@PAPER.figure("ioffe2015_mnist_lr")
def mnist_lr(table: pd.DataFrame, out_pdf: Path) -> None:
    """Sensitivity: BN minus baseline test accuracy against steps, per lr (left) and per init std (right)."""
    fig, axes = new_figure(TWO_COLUMN, 2.4, 1, 2, sharey=True)
    panels = (("optim.lr", "model.init_std", "lr"), ("model.init_std", "optim.lr", "init std"))
    for ax, (key, fixed, name) in zip(axes, panels, strict=True):
        pairs = bn_pairs(table, key, fixed)
        drawn = False
        for i, (value, (nobn, bn)) in enumerate(sorted(pairs.items(), key=lambda kv: _num(kv[0]))):
            matrix = thin(gap_matrix(table, nobn, bn))
            if matrix.empty:
                continue
            main = bn == "bn"
            style = {**TEST_STYLE, "linewidth": 2.0 if main else 1.1}
            label = f"{name} {value} (n={matrix.shape[1]})" + (" [main]" if main else "")
            plot_band(ax, matrix, PALETTE[i % len(PALETTE)], style, label)
            drawn = True
        ax.set_title(f"BN minus baseline, by {name}")
        if not drawn:
            no_runs(ax)
            continue
        ax.axhline(0.0, color="0.2", linewidth=0.7)
        _steps_axis(ax, table)
        ax.legend(loc="best")
    axes[0].set_ylabel("test accuracy gap (points)")
    save_figure(fig, out_pdf)


def _num(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.inf  # 'fan_in' after the numbers


def percentile_series(table: pd.DataFrame, variant: str) -> tuple[pd.DataFrame, int | None]:
    """A variant's percentile rows as (unit, step) x q for its lowest completed seed, and that seed."""
    rows = select(table, "percentiles", status=COMPLETED, variant=variant)
    if rows.empty:
        return pd.DataFrame(), None
    seed = int(rows["seed"].min())
    rows = select(rows, "percentiles", seed=seed)
    return rows.pivot_table(index=["unit", "step"], columns="q", values="value"), seed


def draw_percentiles(ax: Axes, series: pd.DataFrame, color) -> None:
    """15th and 85th percentiles as thin lines with the band between them shaded, and the median bold."""
    x = series.index.to_numpy(dtype=float)
    for q in (15.0, 85.0):
        ax.plot(x, series[q], color=color, linewidth=0.8, linestyle="--")
    ax.fill_between(x, series[15.0], series[85.0], color=color, alpha=BAND_ALPHA, lw=0)
    ax.plot(x, series[50.0], color=color, linewidth=1.5)


def _percentile_grid(table: pd.DataFrame, out_pdf: Path, all_units: bool) -> None:
    """Rows: baseline and BN; columns: the first unit (Fig. 1b, c) or every probed unit."""
    data = {v: percentile_series(table, v) for v in MAIN}
    units = sorted({u for s, _ in data.values() if not s.empty for u in s.index.get_level_values(0)})
    units = units if all_units else units[:1]
    if not units:
        fig, ax = new_figure(ONE_COLUMN, 2.0)
        no_runs(ax, "no percentile probe rows")
        save_figure(fig, out_pdf)
        return
    if all_units:
        fig, axes = new_figure(TWO_COLUMN, 3.2, 2, len(units), sharex=True, sharey=True, squeeze=False)
    else:
        fig, axes = new_figure(TWO_COLUMN, 2.3, 1, 2, sharey=True, squeeze=False)
        axes = axes.reshape(2, 1)
    for row, variant in enumerate(MAIN):
        series, seed = data[variant]
        for col, unit in enumerate(units):
            ax = axes[row, col]
            name = SHORT[variant] if all_units else LABELS[variant]
            ax.set_title(f"{name}, unit {int(unit)}" + (f", seed {seed}" if seed is not None else ""))
            if series.empty or unit not in series.index.get_level_values(0):
                no_runs(ax)
                continue
            draw_percentiles(ax, series.loc[unit], PAIR_COLORS[variant])
            _steps_axis(ax, table)
            if all_units and row == 0:
                ax.set_xlabel("")
            ax.set_ylabel("input to sigmoid" if col == 0 else "")
    save_figure(fig, out_pdf)


@PAPER.figure("ioffe2015_mnist_percentiles")
def mnist_percentiles(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 1(b, c) analog: 15th, 50th and 85th percentile of one last-layer sigmoid's input over training."""
    _percentile_grid(table, out_pdf, all_units=False)


@PAPER.figure("ioffe2015_mnist_units")
def mnist_units(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 1(b, c) for every probed unit: baseline (top row) and BN (bottom row), one column per unit."""
    _percentile_grid(table, out_pdf, all_units=True)


@PAPER.figure("ioffe2015_ablation_curves")
def ablation_curves(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 2 analog for the proxy: test accuracy against steps for every arm; diverged runs drawn faint."""
    fig, ax = new_figure(TWO_COLUMN, 2.8)
    variants = [v for v in ARM_COLORS if "variant" in table and v in set(table["variant"])]
    others = sorted(set(table["variant"]) - set(variants)) if "variant" in table else []
    colors = {**ARM_COLORS, **{v: PALETTE[(7 + i) % len(PALETTE)] for i, v in enumerate(others)}}
    if table.empty or not accuracy_panel(ax, table, variants + others, colors):
        no_runs(ax)
    else:
        draw_floor(ax, table, accuracy=True, variants=variants + others)
        _steps_axis(ax, table)
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(0, 100)
        fig.legend(loc="outside lower center", ncol=4)
    save_figure(fig, out_pdf)
