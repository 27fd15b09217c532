"""Srivastava et al. 2014 Figs. 7-8 from the autoencoder runs: filter grids and activation histograms.

Fig. 7 reads the ``filters`` probe's image arrays from each run directory (artifacts are files, not rows);
the run directory follows from the figure's own path (results/<scale>/figures/<name>.pdf) and the path
grammar of repro.paths. Fig. 8 reads the ``activation_stats`` histogram rows from the tidy table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from repro import paths
from repro.analysis import COMPLETED, select, sorted_variants
from repro.figures.style import PALETTE, TWO_COLUMN, new_figure, no_runs, save_figure
from repro.papers.registry import variant_configs
from repro.papers.srivastava2014.paper import PAPER, keep_of, net_label

FILTERS_SHOWN = 64


def run_directory(out_pdf: Path, experiment: str, variant: str, seed: int) -> Path:
    """The run directory of a run, from a figure path results/<scale>/figures/<figure>.pdf."""
    out_pdf = Path(out_pdf).resolve()
    return paths.run_dir(out_pdf.parents[1].name, experiment, variant, seed, out_pdf.parents[2])


def _ordered(table: pd.DataFrame) -> list[str]:
    configs = variant_configs(table)
    return sorted(sorted_variants(configs), key=lambda v: keep_of(configs[v]) < 1.0)  # no dropout first


@PAPER.figure("srivastava2014_fig7")
def fig7(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 7 analog: the first filters of the encoder, without (left) and with dropout (right), seed 0."""
    # Imported here: the probes package loads torch, which the plug-in's other exhibits do not need.
    import torch

    from repro.probes.artifacts import read_artifacts
    from repro.probes.filters import image_grid

    fig, axes = new_figure(TWO_COLUMN, 3.4, 1, 2, squeeze=False)
    variants = _ordered(table) if not table.empty else []
    configs = variant_configs(table) if not table.empty else {}
    for ax, variant in zip(axes[0], variants + [None] * (2 - len(variants)), strict=False):
        ax.set_xticks([])
        ax.set_yticks([])
        if variant is None:
            no_runs(ax)
            continue
        runs = table[(table["variant"] == variant) & (table["status"] == COMPLETED)]
        seed = int(runs["seed"].min()) if not runs.empty else None
        files = {}
        if seed is not None:
            run = run_directory(out_pdf, str(runs["experiment"].iloc[0]), variant, seed)
            files = read_artifacts(run, "filters", "filters.npy")
        ax.set_title(
            f"{net_label(variant, configs.get(variant, {}))}" + (f", seed {seed}" if seed is not None else "")
        )
        if not files:
            no_runs(ax, "no filter images")
            continue
        images = np.load(files[max(files)])[:FILTERS_SHOWN]

        ax.imshow(image_grid(torch.from_numpy(images)).numpy(), cmap="gray", vmin=0, vmax=1)
    save_figure(fig, out_pdf)


def _histogram(ax, table: pd.DataFrame, metric: str, variants: list[str]) -> bool:
    configs = variant_configs(table)
    drawn = False
    for i, variant in enumerate(variants):
        rows = select(table, "activation_stats", status=COMPLETED, variant=variant, metric=metric)
        if rows.empty:
            continue
        mean = rows.groupby("bin")[["bin_lo", "bin_hi", "value"]].mean().sort_index()
        edges = np.append(mean["bin_lo"].to_numpy(), mean["bin_hi"].to_numpy()[-1])
        n = rows["seed"].nunique()
        ax.stairs(mean["value"].to_numpy(), edges, color=PALETTE[i % len(PALETTE)], linewidth=1.2,
                  label=f"{net_label(variant, configs.get(variant, {}))} (n={n})")  # fmt: skip
        drawn = True
    return drawn


@PAPER.figure("srivastava2014_fig8")
def fig8(table: pd.DataFrame, out_pdf: Path) -> None:
    """Fig. 8 analog: histograms of each code unit's mean activation (left) and of activations (right)."""
    fig, axes = new_figure(TWO_COLUMN, 2.4, 1, 2, squeeze=False)
    variants = _ordered(table) if not table.empty else []
    panels = (("unit_mean_hist", "mean activation of a unit"), ("activation_hist", "activation (test batch)"))
    for ax, (metric, xlabel) in zip(axes[0], panels, strict=True):
        if table.empty or not _histogram(ax, table, metric, variants):
            no_runs(ax)
            continue
        ax.set_xlabel(xlabel)
        ax.set_ylabel("fraction")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.5)
        ax.legend(loc="upper right")
    save_figure(fig, out_pdf)
