"""First-layer filters as images: a layer's incoming weight vectors, reshaped, saved as artifacts.

The probe takes the weight of one Linear or Conv2d module (``module``: its qualified name), keeps the
first ``n`` units, reshapes each unit's incoming weights to an image (``shape``, default: a square, or
the conv kernel) and writes ``filters.npy`` (units x H x W, raw weights) and ``filters.png`` (a grid,
each filter scaled to its own min-max so that its structure shows). Rows: the mean L2 norm of the kept
filters (``filter_norm``), so the run's table records that the probe ran.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from repro.probes.base import PROBES, Probe, ProbeContext, ProbeResult


def filter_images(weight: torch.Tensor, n: int, shape: list[int] | None = None) -> torch.Tensor:
    """The first ``n`` units' incoming weights as (n, H, W) images (summed over input channels of a conv)."""
    w = weight.detach().float().cpu()[:n]
    if w.dim() == 4:  # conv: out x in x kh x kw; the channels sum to one image per filter
        return w.sum(1)
    h, wd = shape or [math.isqrt(w.shape[1])] * 2
    if h * wd != w.shape[1]:
        raise ValueError(f"filters: {w.shape[1]} weights per unit do not fit an image of {h}x{wd}")
    return w.reshape(len(w), h, wd)


def image_grid(images: torch.Tensor, columns: int | None = None, pad: int = 1) -> torch.Tensor:
    """A (H', W') grid of images, each scaled to [0, 1] by its own min and max, on a white background."""
    n, h, w = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = torch.ones(rows * (h + pad) + pad, columns * (w + pad) + pad)
    low = images.flatten(1).min(1).values.view(-1, 1, 1)
    span = (images.flatten(1).max(1).values.view(-1, 1, 1) - low).clamp_min(1e-12)
    scaled = (images - low) / span
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        grid[top : top + h, left : left + w] = scaled[i]
    return grid


@PROBES.register("filters")
class Filters(Probe):
    """The first ``n`` filters of one layer as an image grid (png) and an array (npy)."""

    name = "filters"

    def __init__(self, module: str, n: int = 64, shape: list[int] | None = None) -> None:
        self.module, self.n, self.shape = module, n, shape

    def __call__(self, context: ProbeContext) -> ProbeResult:
        target = dict(context.model.named_modules()).get(self.module)
        if not isinstance(target, nn.Linear | nn.Conv2d):
            raise ValueError(f"filters: module '{self.module}' is not a Linear or Conv2d layer")
        images = filter_images(target.weight, self.n, self.shape)
        norm = float(images.flatten(1).norm(dim=1).mean())
        artifacts = {"filters.npy": images, "filters.png": image_grid(images)}
        return ProbeResult(rows=[{"metric": "filter_norm", "value": norm}], artifacts=artifacts)
