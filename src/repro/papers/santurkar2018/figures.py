"""Santurkar et al. 2018 figures: accuracy (Fig. 1/2), activations (Fig. 2 right), ICS (Fig. 3), landscape
(Fig. 4 for the VGG, Fig. 10 for the deep linear net), l_p normalisation (Fig. 5). Lines are means over
completed seeds, bands min-max over seeds (or, for the landscape, the band over eta of the mean over
seeds); n in the legends. The VGG accuracy figures draw the trained floor (a linear classifier on the
same training images, repro.baselines), when the table carries one, as a grey dashed line.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes

from repro.analysis import COMPLETED, curves, select, status_counts
from repro.figures.common import draw_floor, plot_band, run_label
from repro.figures.style import (
    BAND_ALPHA,
    PALETTE,
    TEST_STYLE,
    TRAIN_STYLE,
    TWO_COLUMN,
    new_figure,
    no_runs,
    save_figure,
)
from repro.papers.santurkar2018.paper import DLN_LABELS, LABELS, PAPER

COLORS = {"nobn": PALETTE[1], "bn": PALETTE[0], "noisy_bn": PALETTE[2], "nobn_noise": PALETTE[3],
          "nobn_lr0.5": PALETTE[1], "bn_lr0.5": PALETTE[0],
          "nobn_lr1e-7": PALETTE[4], "bn_lr1e-7": PALETTE[5],
          "lp1": PALETTE[3], "lp2": PALETTE[7], "lpinf": PALETTE[8]}  # fmt: skip
DASHED = {"nobn_lr0.5", "bn_lr0.5"}
VGG_BASE = ["nobn", "bn", "noisy_bn", "nobn_noise"]
VGG_LR = ["nobn", "bn", "nobn_lr0.5", "bn_lr0.5"]
PAIRS = ["nobn", "bn", "nobn_lr1e-7", "bn_lr1e-7"]
LP_ARMS = ["nobn", "bn", "lp1", "lp2", "lpinf"]  # Fig. 5: the l_p norms beside BN and the standard net


def _present(table: pd.DataFrame, variants: list[str], source: str = "metrics") -> list[str]:
    found = set(table.loc[table["source"] == source, "variant"]) if not table.empty else set()
    return [v for v in variants if v in found]


def _style(variant: str, base: dict) -> dict:
    return {**base, "linestyle": ":"} if variant in DASHED and base.get("linestyle") == "-" else base


def _label(variant: str, counts: pd.DataFrame, labels: dict[str, str] = LABELS) -> str:
    return run_label(labels.get(variant, variant), variant, counts)


def accuracy_panel(ax: Axes, table: pd.DataFrame, variants: list[str]) -> bool:
    """Training (dashed, running window) and test (solid) accuracy against steps."""
    counts, drawn = status_counts(table), False
    for variant in _present(table, variants):
        color = COLORS.get(variant, "0.3")
        for split, style in (("train", TRAIN_STYLE), ("test", TEST_STYLE)):
            matrix = 100.0 - curves(table, {"split": split, "metric": "error"}, variant)
            label = _label(variant, counts) if split == "test" else None
            line_style = {**style, "linestyle": ":"} if variant in DASHED and split == "test" else style
            if plot_band(ax, matrix, color, line_style, label) is not None:
                drawn = True
    return drawn


@PAPER.figure("santurkar2018_vgg_accuracy")
def vgg_accuracy(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 1/2 analog: accuracy of standard, BN, noisy BN and standard + noise (left); lr 0.5 (right)."""
    fig, axes = new_figure(TWO_COLUMN, 2.6, 1, 2, sharey=True)
    for ax, variants, title in ((axes[0], VGG_BASE, "lr 0.1: BN, noisy BN, noise"),
                                (axes[1], VGG_LR, "lr 0.1 (solid) and 0.5 (dotted)")):  # fmt: skip
        ax.set_title(title)
        if table.empty or not accuracy_panel(ax, table, variants):
            no_runs(ax)
            continue
        draw_floor(ax, table, accuracy=True, variants=variants)
        ax.set_xlabel("training steps")
        ax.grid(True, alpha=0.5)
        ax.legend(loc="lower right")
    axes[0].set_ylabel("accuracy (%): train dashed, test solid")
    axes[0].set_ylim(0, 100)
    save_figure(fig, out_pdf)


def activation_series(table: pd.DataFrame, variant: str, unit: int) -> tuple[pd.DataFrame, int | None]:
    """Percentiles (step x q) of one channel (unit -1: all pooled) of a variant's lowest completed seed."""
    rows = select(table, "activations", status=COMPLETED, variant=variant, metric="activation")
    if rows.empty:
        return pd.DataFrame(), None
    rows = rows[rows["unit"].astype(float) == unit]
    if rows.empty:
        return pd.DataFrame(), None
    seed = int(rows["seed"].min())
    rows = rows[rows["seed"] == seed]
    return rows.pivot_table(index="step", columns="q", values="value"), seed


@PAPER.figure("santurkar2018_vgg_activations")
def vgg_activations(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 2 right analog: percentile bands and median of one layer's pre-activations over training.

    Top row: one channel (the noise shifts a channel as a whole); bottom row: all channels pooled.
    """
    variants = ["nobn", "bn", "noisy_bn"]
    fig, axes = new_figure(TWO_COLUMN, 3.8, 2, 3, sharex=True, sharey="row")
    for row, (unit, where) in enumerate(((0, "channel 0"), (-1, "all channels"))):
        for ax, variant in zip(axes[row], variants, strict=True):
            found = activation_series(table, variant, unit) if not table.empty else (pd.DataFrame(), None)
            series, seed = found
            ax.set_title(f"{LABELS[variant]}, {where}" + (f", seed {seed}" if seed is not None else ""))
            if series.empty:
                no_runs(ax)
                continue
            x, color = series.index.to_numpy(dtype=float), COLORS[variant]
            for low, high in ((5.0, 95.0), (15.0, 85.0), (25.0, 75.0)):
                if low in series and high in series:
                    ax.fill_between(x, series[low], series[high], color=color, alpha=BAND_ALPHA + 0.1, lw=0)
            if 50.0 in series:
                ax.plot(x, series[50.0], color=color, linewidth=1.4)
            ax.grid(True, alpha=0.5)
            if row == 1:
                ax.set_xlabel("training steps")
        axes[row, 0].set_ylabel("input to the ReLU")
    save_figure(fig, out_pdf)


def ics_grid(table: pd.DataFrame, out_pdf: Path, variants: list[str], labels: dict[str, str]) -> None:
    """Rows: ||G - G'|| (log) and cos(G, G'); columns: the probed layers; one line per arm."""
    rows = select(table, "ics", status=COMPLETED) if not table.empty else pd.DataFrame()
    layers = sorted(rows["layer"].dropna().astype(int).unique()) if not rows.empty else []
    if not layers:
        fig, ax = new_figure(TWO_COLUMN, 2.0)
        no_runs(ax, "no ICS probe rows")
        save_figure(fig, out_pdf)
        return
    fig, axes = new_figure(TWO_COLUMN, 3.6, 2, len(layers), sharex=True, squeeze=False)
    counts = status_counts(table)
    for col, layer in enumerate(layers):
        for row, (metric, name) in enumerate((("ics_l2", "$\\|G - G'\\|_2$"), ("ics_cos", "$\\cos(G, G')$"))):
            ax = axes[row, col]
            for variant in _present(table, variants, "ics"):
                spec = {"source": "ics", "metric": metric, "where": {"layer": int(layer)}}
                label = _label(variant, counts, labels) if row == 0 and col == 0 else None
                plot_band(ax, curves(table, spec, variant), COLORS.get(variant, "0.3"), TEST_STYLE, label)
            if metric == "ics_l2":
                ax.set_yscale("log")
                ax.set_title(f"layer #{layer}")
            ax.set_ylabel(name if col == 0 else "")
            ax.grid(True, alpha=0.5)
            if row == 1:
                ax.set_xlabel("training steps")
    fig.legend(loc="outside lower center", ncol=4)
    save_figure(fig, out_pdf)


LANDSCAPE = (
    ("loss", "loss_min", "loss_max", "loss along the gradient"),
    ("grad_change", "grad_change_min", "grad_change_max", "$\\|\\nabla L(w) - \\nabla L(w - \\eta g)\\|$"),
    ("beta_smoothness", None, None, "effective $\\beta$-smoothness"),
)


def landscape_row(
    table: pd.DataFrame, out_pdf: Path, variants: list[str], labels: dict[str, str], title: str
) -> None:
    """Fig. 4 / Fig. 10 analog: loss band, gradient-predictiveness band, effective beta-smoothness (log y)."""
    fig, axes = new_figure(TWO_COLUMN, 2.6, 1, 3)
    present = _present(table, variants, "landscape") if not table.empty else []
    counts = status_counts(table) if present else None
    for ax, (name, low, high, ylabel) in zip(axes, LANDSCAPE, strict=True):
        ax.set_title(ylabel)
        if not present:
            no_runs(ax)
            continue
        for variant in present:
            color = COLORS.get(variant, "0.3")
            label = _label(variant, counts, labels) if name == "loss" else None
            if low is None:
                plot_band(ax, curves(table, {"source": "landscape", "metric": name}, variant), color,
                          TEST_STYLE, label)  # fmt: skip
                continue
            lo = curves(table, {"source": "landscape", "metric": low}, variant).mean(axis=1)
            hi = curves(table, {"source": "landscape", "metric": high}, variant).mean(axis=1)
            x = lo.index.to_numpy(dtype=float)
            ax.fill_between(x, lo, hi, color=color, alpha=BAND_ALPHA + 0.15, lw=0, label=label)
            ax.plot(x, lo, color=color, linewidth=0.6)
            ax.plot(x, hi, color=color, linewidth=0.6)
        ax.set_yscale("log")
        _step_axis(ax)
    _finish_row(fig, present, 4, title, out_pdf)


@PAPER.figure("santurkar2018_vgg_ics")
def vgg_ics(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 3 upper analog: ICS of the VGG (standard vs BN) at layers #5 and #10."""
    ics_grid(table, out_pdf, ["nobn", "bn"], LABELS)


@PAPER.figure("santurkar2018_vgg_landscape")
def vgg_landscape(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 4 analog: the VGG's landscape along the gradient, eta in [1/2, 4] x lr."""
    landscape_row(table, out_pdf, ["nobn", "bn"], LABELS, "VGG, eta in [1/2, 4] x lr")


@PAPER.figure("santurkar2018_dln_ics")
def dln_ics(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 3 lower analog: ICS of the deep linear nets at layers #9 and #17, both learning rates."""
    ics_grid(table, out_pdf, PAIRS, DLN_LABELS)


@PAPER.figure("santurkar2018_dln_landscape")
def dln_landscape(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 10 analog: the deep linear nets' landscape along the gradient, eta in [1/100, 30] x lr."""
    landscape_row(table, out_pdf, PAIRS, DLN_LABELS, "deep linear net, eta in [1/100, 30] x lr (summed loss)")


def lp_panels(
    table: pd.DataFrame,
    out_pdf: Path,
    panels: list[tuple[dict, str, bool]],
    labels: dict[str, str],
    title: str,
) -> None:
    """Fig. 5 analog: one panel per (metric spec, y label, log y), a line per arm of LP_ARMS found."""
    fig, axes = new_figure(TWO_COLUMN, 2.6, 1, len(panels), squeeze=False)
    present = _present(table, LP_ARMS)
    counts = status_counts(table) if present else None
    for col, (ax, (spec, ylabel, log)) in enumerate(zip(axes[0], panels, strict=True)):
        ax.set_title(ylabel)
        if not present:
            no_runs(ax)
            continue
        for variant in present:
            matrix = curves(table, spec, variant)
            if spec.get("metric") == "error":
                matrix = 100.0 - matrix  # accuracy, as the paper plots it
            label = _label(variant, counts, labels) if col == 0 else None
            # l2 is BN up to eps, so its line would hide BN's: draw it dashed on top.
            style = {**TEST_STYLE, "linestyle": "--"} if variant == "lp2" else TEST_STYLE
            plot_band(ax, matrix, COLORS.get(variant, "0.3"), style, label)
        if spec.get("metric") == "error" and spec.get("split") == "test":
            draw_floor(ax, table, accuracy=True, variants=present)  # the floor's test accuracy
        if log:
            ax.set_yscale("log")
        _step_axis(ax)
    _finish_row(fig, present, 5, title, out_pdf)


def _step_axis(ax) -> None:
    """Training steps on x, with a light grid."""
    ax.set_xlabel("training steps")
    ax.grid(True, alpha=0.5)


def _finish_row(fig, present: list[str], ncol: int, title: str, out_pdf: Path) -> None:
    """A row of panels: one legend below (when any arm ran), the title, and the PDF/PNG pair."""
    if present:
        fig.legend(loc="outside lower center", ncol=ncol)
    fig.suptitle(title)
    save_figure(fig, out_pdf)


@PAPER.figure("santurkar2018_vgg_lp")
def vgg_lp(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 5 analog (VGG): training and test accuracy of the l_p-normalised nets beside BN and standard."""
    panels = [({"split": "train", "metric": "error"}, "training accuracy (%, running window)", False),
              ({"split": "test", "metric": "error"}, "test accuracy (%)", False)]  # fmt: skip
    lp_panels(table, out_pdf, panels, LABELS, "VGG, lr 0.1: l_p normalisation in place of BN")


@PAPER.figure("santurkar2018_dln_lp")
def dln_lp(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 5 analog (deep linear net): training and test loss of the l_p-normalised nets, BN and standard."""
    panels = [({"split": "train", "metric": "loss"}, "training loss (per-sample mean)", True),
              ({"split": "test", "metric": "loss"}, "test loss (per-sample mean)", True)]  # fmt: skip
    lp_panels(
        table, out_pdf, panels, DLN_LABELS, "deep linear net, lr 1e-6: l_p normalisation in place of BN"
    )
