"""He et al. 2016 Fig. 7: the std of every 3x3 conv's BN output (before ReLU or the addition)."""

from __future__ import annotations

import torch
from torch import nn

from repro.probes.base import PROBES, Probe, ProbeContext, Row


@PROBES.register("layer_response")
class LayerResponse(Probe):
    """Std of each BatchNorm2d output that follows a 3x3 conv, in forward order, eval mode, on the test set.

    The std is taken over all elements of the layer's response (images, channels, positions), pooled over
    the whole test set with running sums so memory stays flat.
    """

    name = "layer_response"

    def __init__(self, split: str = "test", max_images: int | None = None) -> None:
        self.split = split
        self.max_images = max_images

    def __call__(self, context: ProbeContext) -> list[Row]:
        model = context.model
        layers = _bn_after_3x3(model)
        sums = torch.zeros(len(layers), dtype=torch.float64)
        sq_sums = torch.zeros(len(layers), dtype=torch.float64)
        counts = torch.zeros(len(layers), dtype=torch.float64)

        def hook_for(index: int):
            def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
                out = output.detach().double()
                sums[index] += out.sum().cpu()
                sq_sums[index] += (out * out).sum().cpu()
                counts[index] += out.numel()

            return hook

        handles = [bn.register_forward_hook(hook_for(i)) for i, bn in enumerate(layers)]
        was_training = model.training
        model.eval()  # population statistics, and eval mode does not touch BN's running statistics
        try:
            x = context.data.test_x if self.split == "test" else context.data.train_x
            if self.max_images is not None:
                x = x[: self.max_images]
            with torch.inference_mode():
                for start in range(0, len(x), context.eval_batch_size):
                    model(x[start : start + context.eval_batch_size])
        finally:
            for h in handles:
                h.remove()
            model.train(was_training)
        mean = sums / counts
        std = (sq_sums / counts - mean * mean).clamp_min(0).sqrt()
        return [
            {"metric": "response_std", "layer": i + 1, "value": float(s)} for i, s in enumerate(std.tolist())
        ]


def _bn_after_3x3(model: nn.Module) -> list[nn.BatchNorm2d]:
    """BatchNorm2d modules that directly follow a 3x3 conv in module registration (= forward) order."""
    found: list[nn.BatchNorm2d] = []
    previous: nn.Module | None = None
    for module in model.modules():
        follows_3x3 = isinstance(previous, nn.Conv2d) and previous.kernel_size == (3, 3)
        if isinstance(module, nn.BatchNorm2d) and follows_3x3:
            found.append(module)
        if isinstance(module, nn.Conv2d | nn.BatchNorm2d):
            previous = module
    return found
