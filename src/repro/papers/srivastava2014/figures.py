"""Srivastava et al. 2014 figures from the tidy tables: Fig. 4 (curves), Fig. 9 (rate), 10 (size), 11 (MC).

Each draws the trained floor (a linear classifier on the same training images, repro.baselines), when the
table carries one, as a grey dashed line at its test error; Fig. 10 draws it at each training-set size.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import ScalarFormatter

from repro.analysis import COMPLETED, curves, per_run, select, sorted_variants, status_counts
from repro.figures.common import draw_floor, plot_band, run_label, thin
from repro.figures.style import (
    ONE_COLUMN,
    PALETTE,
    TEST_STYLE,
    TRAIN_STYLE,
    new_figure,
    no_runs,
    save_figure,
    thousands_axis,
)
from repro.papers.registry import variant_configs
from repro.papers.srivastava2014.paper import PAPER, arch_label, keep_of, net_label

TEST_ERROR = {"split": "test", "metric": "error"}
# The training error of the test-time net (probe eval_error), as the paper's Fig. 9 plots it.
TRAIN_ERROR = {"source": "eval_error", "split": "train", "metric": "error"}
DROP_STYLE = {"linestyle": "-", "linewidth": 1.4}
PLAIN_STYLE = {"linestyle": "--", "linewidth": 1.0}


def _configs(table: pd.DataFrame) -> dict[str, dict]:
    return variant_configs(table) if not table.empty else {}


def _dropped(config: dict) -> bool:
    return keep_of(config) < 1.0 or keep_of(config, "model.keep_input") < 1.0


@PAPER.figure("srivastava2014_fig4")
def fig4(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 4 analog: test error against updates, per architecture; dropout solid, no dropout dashed."""
    fig, ax = new_figure(ONE_COLUMN, 2.6)
    configs, counts = _configs(table), status_counts(table) if not table.empty else None
    archs = sorted({arch_label(c) for c in configs.values() if arch_label(c)}, key=lambda a: a)
    colors = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(archs)}
    drawn = False
    for variant in sorted_variants(configs):
        config = configs[variant]
        matrix = thin(curves(table, TEST_ERROR, variant))
        if matrix.empty:
            continue
        style = DROP_STYLE if _dropped(config) else PLAIN_STYLE
        label = run_label(net_label(variant, config), variant, counts)
        plot_band(ax, matrix, colors.get(arch_label(config), "0.3"), style, label)
        drawn = True
    if not drawn:
        no_runs(ax)
    else:
        draw_floor(ax, table, variants=list(configs))
        ax.set_xlabel("number of weight updates")
        ax.set_ylabel("test error (%)")
        if table["step"].max() >= 2000:
            thousands_axis(ax)
        ax.grid(True, alpha=0.5)
        ax.legend(loc="upper right")
    save_figure(fig, out_pdf)


def axis_points(table: pd.DataFrame, metric: dict, axis: str) -> pd.DataFrame:
    """Per run: the axis value (a config column) and the metric's final value; completed runs only."""
    values = per_run(table, metric)
    if values.empty or axis not in table:
        return pd.DataFrame(columns=["variant", "seed", "x", "value"])
    columns = table[["variant", "seed", axis]].drop_duplicates(["variant", "seed"])
    out = values.merge(columns, on=["variant", "seed"]).rename(columns={axis: "x"})
    out["x"] = out["x"].astype(float)
    return out


def draw_points(ax: Axes, points: pd.DataFrame, color, style: dict, label: str) -> bool:
    """Mean over seeds against x as a line with markers, and min-max bars over seeds."""
    if points.empty:
        return False
    stats = points.groupby("x")["value"].agg(["mean", "min", "max", "count"]).sort_index()
    n = int(stats["count"].max())
    ax.plot(
        stats.index, stats["mean"], color=color, marker="o", markersize=3, label=f"{label} (n={n})", **style
    )
    ax.vlines(stats.index, stats["min"], stats["max"], color=color, linewidth=0.8)
    return True


def _rate_figure(table: pd.DataFrame, out_pdf: Path, title: str) -> None:
    """Training (test-time net) and test error against the keep probability p of the hidden units."""
    fig, ax = new_figure(ONE_COLUMN, 2.4)
    drawn = False
    for metric, color, style, name in (
        (TEST_ERROR, PALETTE[0], TEST_STYLE, "test error"),
        (TRAIN_ERROR, PALETTE[1], TRAIN_STYLE, "training error"),
    ):
        drawn |= draw_points(ax, axis_points(table, metric, "model.keep_hidden"), color, style, name)
    if drawn:
        draw_floor(ax, table)
    ax.set_title(title)
    _finish(ax, drawn, "probability of retaining a hidden unit (p)", "error (%)", log_x=False)
    save_figure(fig, out_pdf)


@PAPER.figure("srivastava2014_fig9a")
def fig9a(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 9a analog: error against p with the number of hidden units n fixed."""
    _rate_figure(table, out_pdf, "n fixed")


@PAPER.figure("srivastava2014_fig9b")
def fig9b(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 9b analog: error against p with pn fixed (n = pn / p)."""
    _rate_figure(table, out_pdf, "pn fixed")


@PAPER.figure("srivastava2014_fig10")
def fig10(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 10 analog: final test error against training-set size (log axis), with and without dropout."""
    fig, ax = new_figure(ONE_COLUMN, 2.4)
    points = axis_points(table, TEST_ERROR, "data.train_subset")
    drawn = False
    if not points.empty:
        configs = _configs(table)
        points["dropped"] = points["variant"].map(lambda v: _dropped(configs.get(v, {})))
        for dropped, color, style, name in ((False, PALETTE[1], PLAIN_STYLE, "no dropout"),
                                            (True, PALETTE[0], DROP_STYLE, "dropout")):  # fmt: skip
            drawn |= draw_points(ax, points[points["dropped"] == dropped], color, style, name)
    if drawn:  # one training set per size: the floor at each size the runs trained on
        draw_floor(ax, table, by="train_subset")
    _finish(ax, drawn, "training-set size (images)", "test error (%)", log_x=True)
    save_figure(fig, out_pdf)


@PAPER.figure("srivastava2014_fig11")
def fig11(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 11 analog: test error of k averaged thinned nets against k; weight scaling as a line."""
    fig, ax = new_figure(ONE_COLUMN, 2.4)
    rows = select(table, "mc_dropout", status=COMPLETED, metric="error") if not table.empty else table
    drawn = False
    if not rows.empty and "method" in rows:
        configs = _configs(table)
        for i, variant in enumerate(sorted_variants(rows[rows["method"] == "mc"]["variant"])):
            mine = rows[rows["variant"] == variant]
            mc = mine[mine["method"] == "mc"].groupby("k")["value"].agg(["mean", "std", "count"])
            color = PALETTE[i % len(PALETTE)]
            label = net_label(variant, configs.get(variant, {}))
            n_seeds = mine["seed"].nunique()
            ax.errorbar(
                mc.index, mc["mean"], yerr=mc["std"], color=color, marker="o", markersize=3, linewidth=1.2,
                capsize=2, label=f"MC averaging, {label} (n={n_seeds} seeds)",
            )  # fmt: skip
            scaled = mine[mine["method"] == "weight_scaling"]["value"]
            ax.axhline(
                scaled.mean(), color=color, linestyle="--", linewidth=1.0, label=f"weight scaling, {label}"
            )
            drawn = True
    if drawn:
        # Far above the k-curves, whose differences are tenths of a point: a note, not a stretched axis.
        draw_floor(ax, table, variants=sorted(set(rows["variant"])), note_off_axis=True)
    _finish(ax, drawn, "number of sampled nets averaged (k)", "test error (%)", log_x=True)
    save_figure(fig, out_pdf)


def _finish(ax: Axes, drawn: bool, xlabel: str, ylabel: str, log_x: bool) -> None:
    """Axis labels, grid and legend (a log x-axis with plain numbers if asked), or the "no runs" notice."""
    if not drawn:
        no_runs(ax)
        return
    if log_x:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.5)
    ax.legend(loc="upper right")
