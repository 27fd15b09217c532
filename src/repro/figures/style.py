"""The one plotting style of the report: backend, fonts, palette, figure sizes and saving."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib

# Agg before pyplot is imported anywhere: figures are built headless on clusters and in tests.
matplotlib.use("Agg")
# fontTools logs every table it subsets while a PDF embeds its fonts: kilobytes of noise per figure log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from repro.report.latex import default_mode  # noqa: E402

# Widths of a column and of the full text of a two-column page, in inches; the report scales to fit.
ONE_COLUMN = 3.3
TWO_COLUMN = 6.9
PNG_DPI = 200

# Colour-blind safe, reordered so that neighbours differ strongly (seaborn's orange and vermillion are far
# apart here); the i-th depth of a figure always gets the i-th colour.
PALETTE = [sns.color_palette("colorblind", 10)[i] for i in (0, 1, 2, 4, 5, 9, 3, 7, 8, 6)]
TRAIN_STYLE = {"linestyle": "--", "linewidth": 0.9}
TEST_STYLE = {"linestyle": "-", "linewidth": 1.5}
BAND_ALPHA = 0.18
# Lists that save_figure appends each saved figure to, while a `recorded_figures` block is open.
_RECORDERS: list[list[Figure]] = []

RC = {
    "pdf.fonttype": 42,  # TrueType fonts embed as text, so the PDF stays searchable and editable
    "ps.fonttype": 42,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib, so every machine renders the same glyphs
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "grid.linewidth": 0.4,
    "lines.linewidth": 1.2,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "svg.hashsalt": "repro",
}


def apply_style() -> None:
    """Set the seaborn theme and the rcParams every figure uses."""
    sns.set_theme(context="paper", style="ticks", palette=PALETTE, rc=RC)
    matplotlib.rcParams.update(RC)


def new_figure(
    width: float, height: float, nrows: int = 1, ncols: int = 1, **kwargs
) -> tuple[Figure, object]:
    """A styled figure of ``width`` x ``height`` inches with a grid of axes (as plt.subplots)."""
    apply_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kwargs)
    return fig, axes


def colors_for(keys: Iterable) -> dict:
    """One palette colour per key, in sorted order, so a key keeps its colour across panels."""
    ordered = sorted(set(keys))
    return {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(ordered)}


def no_runs(ax: Axes, text: str = "no runs") -> None:
    """Mark an empty panel so that a missing result is visible rather than silently blank."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.45")
    # Hide rather than remove the ticks: removing them would also strip an axis shared with a full panel.
    ax.tick_params(left=False, bottom=False, labelleft=False, labelbottom=False)
    ax.grid(False)


def thousands_axis(ax: Axes) -> None:
    """Label a long iteration axis in thousands ('32k'), which reads better than a 1e4 offset."""
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x / 1000:g}k" if x else "0"))


def _atomic_savefig(fig: Figure, path: Path, **kwargs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, format=path.suffix.lstrip("."), **kwargs)
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def recorded_figures() -> Iterator[list[Figure]]:
    """Within the block, every figure :func:`save_figure` writes is also kept in the yielded list.

    Tests read the plotted values back from its axes: closing a figure only drops pyplot's reference, so
    the artists stay readable, and the files written are the same as without the block.
    """
    kept: list[Figure] = []
    _RECORDERS.append(kept)
    try:
        yield kept
    finally:
        _RECORDERS.remove(kept)


def save_figure(fig: Figure, out_pdf: Path) -> Path:
    """Write ``out_pdf`` and a PNG beside it, each atomically, then close the figure; returns the PNG path."""
    for kept in _RECORDERS:
        kept.append(fig)
    out_pdf = Path(out_pdf)
    png = out_pdf.with_suffix(".png")
    try:
        # A fixed creation date keeps the PDF byte-stable across rebuilds of identical data.
        _atomic_savefig(fig, out_pdf, metadata={"CreationDate": None, "Creator": "repro"})
        _atomic_savefig(fig, png, dpi=PNG_DPI)
    finally:
        plt.close(fig)
    return png
