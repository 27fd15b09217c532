"""Read a figure's plotted data back: the figure a plug-in saved, its labelled series and its notices.

Figure tests check values through these helpers, not file sizes: a "no runs" placeholder is a valid PDF
larger than 1,000 bytes, so only the plotted numbers tell a right figure from a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.container import Container
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from repro.figures.style import recorded_figures

Series = tuple[np.ndarray, np.ndarray]


def draw(function: Callable[..., Any], *args: Any) -> Figure:
    """Call ``function(*args)`` (a figure function, or make_figure) and return the one figure it saved."""
    with recorded_figures() as kept:
        function(*args)
    assert len(kept) == 1, f"expected one saved figure, got {len(kept)}"
    return kept[0]


def xy(handle: Any) -> Series:
    """The (x, y) data of a legend handle: a line, or the data line of an error-bar container."""
    line = handle.lines[0] if isinstance(handle, Container) else handle
    assert isinstance(line, Line2D), f"not a line: {handle!r}"
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)


def series(ax: Axes) -> dict[str, Series]:
    """Legend label -> (x, y) of every labelled line or error-bar series drawn in ``ax``."""
    handles, labels = ax.get_legend_handles_labels()
    return {
        label: xy(h) for h, label in zip(handles, labels, strict=True) if isinstance(h, Line2D | Container)
    }


def figure_legend_series(fig: Figure, ax: Axes) -> dict[str, Series]:
    """Label -> (x, y) of the line in ``ax`` drawn as each entry of the figure-level legend.

    A legend draws copies of its handles, so each entry is matched to the line of ``ax`` with its colour
    and line style (blank padding entries are left out).
    """
    assert fig.legends, "the figure has no figure-level legend"
    legend = fig.legends[0]
    out = {}
    for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
        if not text.get_text():
            continue
        style = (to_rgba(handle.get_color()), handle.get_linestyle())
        found = [line for line in ax.lines if (to_rgba(line.get_color()), line.get_linestyle()) == style]
        if found:
            assert len(found) == 1, f"{len(found)} lines of {ax.get_title()!r} look like {text.get_text()!r}"
            out[text.get_text()] = xy(found[0])
    return out


def has_data(ax: Axes) -> bool:
    """Whether ``ax`` shows any data: a line with points, a filled band, markers, bars or an image."""
    lines = any(len(line.get_xdata()) for line in ax.lines)
    collections = any(len(c.get_paths()) or len(c.get_offsets()) for c in ax.collections)
    return lines or collections or bool(ax.patches) or bool(ax.images)


def notices(ax: Axes) -> list[str]:
    """The texts written inside ``ax`` (a placeholder says 'no runs' or why it is empty)."""
    return [t.get_text() for t in ax.texts]


def is_placeholder(ax: Axes) -> bool:
    """Whether ``ax`` is an empty panel marked as such: no data, and a notice saying so."""
    return not has_data(ax) and any(text.startswith("no ") for text in notices(ax))
