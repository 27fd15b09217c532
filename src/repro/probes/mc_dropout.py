"""Monte-Carlo model averaging against weight scaling: the error of averaging k sampled thinned nets.

At the probed step the net is evaluated two ways on the first ``n`` images of a split: the weight-scaled
net (eval mode: with inverted dropout that is the net every kept unit was trained for, scaled by p), and
the average of the softmax outputs of k nets drawn by sampling a dropout mask per image for every dropout
module, for each k in ``ks`` (the samples for k are the first k of one sequence of ``max(ks)`` draws, so
one sequence gives the whole curve). ``repeats`` sequences give error bars. Masks come from the probe's
own generator (``context.generator``), never the global RNG, so the probe leaves training untouched.

Rows: ``error`` with ``method`` mc (keys ``k``, ``repeat``) or weight_scaling; ``excess_error`` per ``k``:
the mean over repeats of the MC error minus the weight-scaled error (percentage points). A net without
dropout gets the weight_scaling row only (there is nothing to sample).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from repro.probes.base import PROBES, Probe, ProbeContext, Row

# Channel-wise dropout modules: one mask entry per (image, channel), shared over positions.
CHANNEL_DROPOUT = (nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)


def dropout_modules(model: nn.Module) -> list[nn.Module]:
    """The (element-wise and channel-wise) dropout modules of ``model`` that drop anything (p > 0)."""
    kinds = (nn.Dropout, *CHANNEL_DROPOUT)
    return [m for m in model.modules() if isinstance(m, kinds) and m.p > 0]


def _mask(module: nn.Module, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A keep mask scaled by 1/keep (inverted dropout) with the module's shape convention."""
    keep = 1.0 - module.p
    shape = x.shape[:2] + (1,) * (x.dim() - 2) if isinstance(module, CHANNEL_DROPOUT) else x.shape
    draw = torch.rand(shape, generator=generator, device=x.device, dtype=x.dtype)
    return (draw < keep).to(x.dtype) / keep


@contextmanager
def sampled_masks(model: nn.Module, generator: torch.Generator) -> Iterator[None]:
    """Inside: every dropout module of the eval-mode ``model`` applies a mask drawn from ``generator``."""

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> torch.Tensor:
        return inputs[0] * _mask(module, inputs[0], generator)

    handles = [m.register_forward_hook(hook) for m in dropout_modules(model)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _probabilities(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    return torch.cat([F.softmax(model(x[i : i + batch_size]), dim=1) for i in range(0, len(x), batch_size)])


def _error(probabilities: torch.Tensor, y: torch.Tensor) -> float:
    return 100.0 * (probabilities.argmax(1) != y).double().mean().item()


@PROBES.register("mc_dropout")
class MonteCarloDropout(Probe):
    """Test error of the average of k sampled thinned nets (k in ``ks``) and of the weight-scaled net."""

    name = "mc_dropout"

    def __init__(
        self, ks: list[int] | None = None, repeats: int = 5, split: str = "test", n: int | None = None
    ) -> None:
        self.ks = sorted(set(ks or [1, 2, 5, 10, 20, 50, 100]))
        if self.ks[0] < 1 or repeats < 1:
            raise ValueError(f"mc_dropout: ks must be >= 1 and repeats >= 1, got {self.ks}, {repeats}")
        if split not in ("test", "train"):
            raise ValueError(f"mc_dropout: split must be 'test' or 'train', got {split!r}")
        self.repeats, self.split, self.n = repeats, split, n

    def __call__(self, context: ProbeContext) -> list[Row]:
        data = context.data
        x, y = (data.test_x, data.test_y) if self.split == "test" else (data.train_x, data.train_y)
        x, y = x[: self.n], y[: self.n]
        model, size = context.model, context.eval_batch_size
        model.eval()
        rows: list[Row] = []
        with torch.inference_mode():
            scaled_probabilities = _probabilities(model, x, size)
            scaled = _error(scaled_probabilities, y)
            rows.append({"method": "weight_scaling", "metric": "error", "value": scaled})
            if not dropout_modules(model):  # a net without dropout: every sample is the scaled net
                return rows
            sums = {k: 0.0 for k in self.ks}
            with sampled_masks(model, context.generator):
                for repeat in range(self.repeats):
                    total = torch.zeros_like(scaled_probabilities)
                    for k in range(1, self.ks[-1] + 1):
                        total += _probabilities(model, x, size)
                        if k in sums:
                            error = _error(total, y)
                            sums[k] += error
                            rows.append({"method": "mc", "k": k, "repeat": repeat, "metric": "error",
                                         "value": error})  # fmt: skip
        rows += [
            {"k": k, "metric": "excess_error", "value": s / self.repeats - scaled} for k, s in sums.items()
        ]
        return rows
