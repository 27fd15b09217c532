"""Loss (task) registry: the training loss, its summed form for evaluation, and a task's error if it has one.

``train.loss`` names the entry; training and evaluation use the same one.

- ``cross_entropy`` (default): classification; targets are int64 class labels. Metrics ``loss`` (mean
  cross-entropy) and ``error`` (% of examples whose arg-max output is not the label).
- ``reconstruction_bce``: an autoencoder's task; the target is the input itself (pixels in [0, 1]), the
  output its reconstruction as logits of the same size. The loss of one example is the binary
  cross-entropy summed over pixels; no ``error`` metric.
- ``sum_squared_error``: regression; targets are float vectors shaped like the output. The loss of one
  example is its squared error summed over the output dimensions; the training loss is its mean over the
  batch and the reported ``loss`` its mean over the split. Regression has no error rate, so no ``error``
  metric is written (and the error-threshold warm-up cannot be used). Papers that sum the loss over the
  batch as well (full-batch deep linear nets) get the same dynamics with lr multiplied by the batch size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from repro.registry import Registry


@dataclass(frozen=True)
class Loss:
    """A task's loss: ``mean`` (training), ``total`` (summed over examples) and ``wrong`` (evaluation)."""

    name: str
    mean: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    total: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    wrong: Callable[[torch.Tensor, torch.Tensor], int] | None  # misclassified examples; None: no error
    reconstructs: bool = False  # the target is the input batch (an autoencoder), not the labels

    def target(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What the output is compared with: the labels ``y``, or the input ``x`` for a reconstruction."""
        return x if self.reconstructs else y

    @property
    def has_error(self) -> bool:
        """Whether the task has an error rate (classification) to report."""
        return self.wrong is not None


LOSSES: Registry[Loss] = Registry("loss")


def _wrong_labels(output: torch.Tensor, target: torch.Tensor) -> int:
    return (output.argmax(1) != target).sum().item()


def _squared_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-example squared error summed over the output dimensions."""
    return (output - target.view_as(output)).pow(2).flatten(1).sum(1)


LOSSES.register("cross_entropy")(
    Loss(
        "cross_entropy",
        mean=F.cross_entropy,
        total=lambda output, target: F.cross_entropy(output, target, reduction="sum"),
        wrong=_wrong_labels,
    )
)


def _bce_per_example(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-example binary cross-entropy of logits against [0, 1] targets, summed over the pixels."""
    flat = output.flatten(1)
    return F.binary_cross_entropy_with_logits(flat, target.reshape(flat.shape), reduction="none").sum(1)


def _summed_over_examples(name: str, per_example, reconstructs: bool = False) -> Loss:
    """A loss without an error rate, from its per-example values: their mean trains, their sum totals."""
    return Loss(
        name,
        mean=lambda output, target: per_example(output, target).mean(),
        total=lambda output, target: per_example(output, target).sum(),
        wrong=None,
        reconstructs=reconstructs,
    )


LOSSES.register("reconstruction_bce")(
    _summed_over_examples("reconstruction_bce", _bce_per_example, reconstructs=True)
)
LOSSES.register("sum_squared_error")(_summed_over_examples("sum_squared_error", _squared_error))


def get_loss(name: str) -> Loss:
    """The loss registered as ``name``."""
    return LOSSES.get(name)


@torch.inference_mode()
def evaluate(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, loss: Loss | None = None
) -> tuple[float | None, float]:
    """(error % or None when the task has none, mean loss) of ``model`` in eval mode on ``x, y``."""
    loss = loss or LOSSES.get("cross_entropy")
    was_training = model.training
    model.eval()
    wrong, loss_sum = 0, 0.0
    for start in range(0, len(x), batch_size):
        output = model(x[start : start + batch_size])
        target = loss.target(x[start : start + batch_size], y[start : start + batch_size])
        loss_sum += loss.total(output, target).item()
        if loss.wrong is not None:
            wrong += loss.wrong(output, target)
    model.train(was_training)
    error = 100.0 * wrong / len(x) if loss.has_error else None
    return error, loss_sum / len(x)
