"""Sparsity of a layer's code: mean activation per unit and histograms, measured on the test-time net.

The probe hooks one module (``module``: its qualified name, e.g. ``encoder.act``), passes the first ``n``
images of a split through the net in eval mode (with inverted dropout, the test-time net), and reports:

- ``mean_activation``: the mean over units of each unit's mean activation over the images;
- ``zero_fraction``: the fraction of activations that are exactly 0 (inactive ReLUs);
- ``near_zero_fraction``: the fraction at most ``threshold`` (near-zero activations);
- ``unit_mean_hist`` and ``activation_hist``: histograms (``bins`` equal bins from 0 to the largest
  value; keys ``bin``, ``bin_lo``, ``bin_hi``; value: the fraction of units or of activations in the bin)
  of the per-unit means and of the activations on the first ``batch`` images (a test mini-batch).
"""

from __future__ import annotations

import torch
from torch import nn

from repro.probes.base import PROBES, Probe, ProbeContext, Row


def layer_output(model: nn.Module, module: str, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """The output of ``model``'s submodule ``module`` on ``x`` (flattened to images x units), eval mode."""
    target = dict(model.named_modules()).get(module)
    if target is None:
        names = [n for n, _ in model.named_modules() if n]
        raise ValueError(f"activation probe: no module '{module}' in the model; modules: {names}")
    outputs: list[torch.Tensor] = []
    handle = target.register_forward_hook(lambda _m, _i, out: outputs.append(out.detach().flatten(1)))
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(x), batch_size):
                model(x[start : start + batch_size])
    finally:
        handle.remove()
        model.train(was_training)
    return torch.cat(outputs)


def histogram_rows(values: torch.Tensor, bins: int, metric: str) -> list[Row]:
    """Rows of a ``bins``-bin histogram of ``values`` from 0 to their maximum, as fractions."""
    values = values.double().flatten().cpu()
    top = max(float(values.max()), 1e-12)
    counts = torch.histc(values.clamp(0.0, top), bins=bins, min=0.0, max=top)
    width = top / bins
    return [
        {"bin": i, "bin_lo": i * width, "bin_hi": (i + 1) * width, "metric": metric,
         "value": float(c) / len(values)}
        for i, c in enumerate(counts.tolist())
    ]  # fmt: skip


@PROBES.register("activation_stats")
class ActivationStats(Probe):
    """Mean activation, near-zero fractions and histograms of one module's output on the test-time net."""

    name = "activation_stats"

    def __init__(
        self,
        module: str,
        split: str = "test",
        n: int | None = 1000,
        batch: int = 100,
        bins: int = 40,
        threshold: float = 0.1,
    ) -> None:
        if split not in ("test", "train"):
            raise ValueError(f"activation_stats: split must be 'test' or 'train', got {split!r}")
        self.module, self.split, self.n, self.batch = module, split, n, batch
        self.bins, self.threshold = bins, threshold

    def __call__(self, context: ProbeContext) -> list[Row]:
        data = context.data
        x = (data.test_x if self.split == "test" else data.train_x)[: self.n]
        acts = layer_output(context.model, self.module, x, context.eval_batch_size).double()
        unit_means = acts.mean(0)
        rows: list[Row] = [
            {"metric": "mean_activation", "value": float(unit_means.mean())},
            {"metric": "zero_fraction", "value": float((acts <= 0).double().mean())},
            {"metric": "near_zero_fraction", "value": float((acts <= self.threshold).double().mean())},
        ]
        rows += histogram_rows(unit_means, self.bins, "unit_mean_hist")
        rows += histogram_rows(acts[: self.batch], self.bins, "activation_hist")
        return rows
