"""He et al. 2016 figures: Fig. 6 (training curves of plain nets and ResNets) and Fig. 7 (layer responses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from repro.figures.common import plot_band, plot_diverged, run_label, seed_matrix, thin
from repro.figures.style import (
    ONE_COLUMN,
    TEST_STYLE,
    TRAIN_STYLE,
    TWO_COLUMN,
    colors_for,
    new_figure,
    no_runs,
    save_figure,
    thousands_axis,
)
from repro.report.results import COMPLETED, probe_final, select, status_counts, variant_info

PANELS = ((False, "plain networks"), (True, "ResNets"))
PLAIN_STYLE = {"linestyle": "--", "linewidth": 1.0}
RESIDUAL_STYLE = {"linestyle": "-", "linewidth": 1.3}


def _with_status(table: pd.DataFrame) -> pd.DataFrame:
    if "status" in table or table.empty:
        return table
    return table.assign(status=COMPLETED)


def _depth_colors(info: pd.DataFrame) -> dict:
    return colors_for(d for d in info["depth"] if d is not None)


def training_curves(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 6 analog: train (dashed) and test (solid) error against iterations; plain left, ResNet right."""
    table = _with_status(table)
    info = variant_info(table)
    counts = status_counts(table)
    colors = _depth_colors(info)
    fig, axes = new_figure(TWO_COLUMN, 2.5, 1, 2, sharey=True)
    tops, drawn_panels = [], []
    for ax, (residual, title) in zip(axes, PANELS, strict=True):
        ax.set_title(title)
        variants = [v for v in info.index if info.loc[v, "residual"] == residual]
        drawn = False
        for variant in variants:
            color = colors.get(info.loc[variant, "depth"], "0.3")
            for split, style in (("train", TRAIN_STYLE), ("test", TEST_STYLE)):
                rows = select(table, "metrics", variant=variant, split=split, metric="error")
                matrix = thin(seed_matrix(rows, "step"))
                # The legend entry rides on the test curve, or on an empty line if no run completed.
                label = run_label(variant, counts) if split == "test" else None
                if matrix.empty and label and not rows.empty:
                    ax.plot([], [], color=color, label=label, **style)
                plot_band(ax, matrix, color, style, label)
                plot_diverged(ax, rows, "step", color, style)
                drawn = drawn or not rows.empty
                if not matrix.empty:
                    tops.append(_settled_max(matrix))
        drawn_panels.append(drawn)
        if not drawn:
            no_runs(ax)
            continue
        ax.set_xlabel("iterations")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
        if table["step"].max() >= 2000:
            thousands_axis(ax)
        ax.grid(True, alpha=0.5)
        handles, labels = ax.get_legend_handles_labels()
        handles += [Line2D([], [], color="0.3", **TRAIN_STYLE), Line2D([], [], color="0.3", **TEST_STYLE)]
        labels += ["train error", "test error"]
        # Below the panel: curves fill the top of the plot early in training, wherever a legend goes.
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    # With a shared y-axis only the left panel carries tick labels; if it is empty the right one must.
    labelled = axes[1] if drawn_panels == [False, True] else axes[0]
    labelled.tick_params(left=True, labelleft=True)
    labelled.set_ylabel("error (%)")
    # Error is a percentage: never below 0 or above 100, and not scaled by the first steps' errors.
    top = min(100.0, 1.15 * max(tops)) if tops else min(100.0, axes[0].get_ylim()[1])
    axes[0].set_ylim(0, top)
    save_figure(fig, out_pdf)


def _settled_max(matrix: pd.DataFrame) -> float:
    """Largest mean error after the first 10% of training, so the y-range is not set by the first steps."""
    steps = matrix.index.to_numpy(dtype=float)
    late = matrix[steps >= steps.min() + 0.1 * (steps.max() - steps.min())]
    mean = late.mean(axis=1).to_numpy(dtype=float)
    finite = mean[np.isfinite(mean)]
    return float(finite.max()) if finite.size else 0.0


def layer_responses(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 7 analog: std of each 3x3 conv's response in layer order (top) and sorted (bottom)."""
    table = _with_status(table)
    rows = probe_final(table, "layer_response", "response_std")
    info = variant_info(table)
    counts = status_counts(table)
    colors = _depth_colors(info)
    fig, (top, bottom) = new_figure(ONE_COLUMN, 4.3, 2, 1)
    entries: dict[bool, list[tuple[Line2D, str]]] = {False: [], True: []}
    for variant in info.index:
        residual = bool(info.loc[variant, "residual"])
        style = RESIDUAL_STYLE if residual else PLAIN_STYLE
        color = colors.get(info.loc[variant, "depth"], "0.3")
        sub = rows[rows["variant"] == variant] if not rows.empty else rows
        by_layer = seed_matrix(sub, "layer") if not sub.empty else pd.DataFrame()
        label = run_label(variant, counts)
        if by_layer.empty:
            if counts.loc[variant, "n_diverged"]:  # all runs diverged: still say so in the legend
                entries[residual].append((Line2D([], [], color=color, **style), label))
            continue
        entries[residual].append((plot_band(top, by_layer, color, style), label))
        # Sort each seed's responses before averaging: the paper's sorted curve is per network.
        ranked = pd.DataFrame(
            {seed: np.sort(by_layer[seed].dropna().to_numpy())[::-1] for seed in by_layer.columns}
        )
        ranked.index = np.arange(1, len(ranked) + 1)
        plot_band(bottom, ranked, color, style)
    if not rows.empty and not rows[rows["status"] == COMPLETED].empty:
        top.set_xlabel("layer index (original order)")
        bottom.set_xlabel("layer index (sorted by magnitude)")
        for ax in (top, bottom):
            ax.set_ylabel("std")
            ax.grid(True, alpha=0.5)
            ax.set_xlim(left=0.5)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
            ax.set_ylim(bottom=0)
    else:
        text = "no completed runs" if entries[False] or entries[True] else "no runs"
        no_runs(top, text)
        no_runs(bottom, text)
    if entries[False] or entries[True]:
        handles, labels = _columns(entries[False], entries[True])
        fig.legend(handles, labels, loc="outside lower center", ncol=2)
    save_figure(fig, out_pdf)


def _columns(left: list[tuple[Line2D, str]], right: list[tuple[Line2D, str]]) -> tuple[list, list[str]]:
    """Legend entries for ncol=2 with ``left`` (plain nets) in the first column, ``right`` in the second."""
    rows = max(len(left), len(right))
    blank = (Line2D([], [], alpha=0), "")
    padded = [*left, *[blank] * (rows - len(left)), *right, *[blank] * (rows - len(right))]
    return [h for h, _ in padded], [lab for _, lab in padded]
