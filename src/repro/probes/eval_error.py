"""Error of the test-time (eval-mode) net on a split: the training error without dropout noise.

The loop's own training error is a running window over training batches, so with dropout it measures the
thinned nets. This probe measures the eval-mode net (with inverted dropout, the weight-scaled net) on the
first ``n`` images of ``split``, as the papers' "training error" curves do.
"""

from __future__ import annotations

from repro.losses import evaluate
from repro.probes.base import PROBES, Probe, ProbeContext, Row


@PROBES.register("eval_error")
class EvalError(Probe):
    """Error (%) and mean loss of the eval-mode net on the first ``n`` images of the train or test split."""

    name = "eval_error"

    def __init__(self, split: str = "train", n: int | None = None) -> None:
        if split not in ("test", "train"):
            raise ValueError(f"eval_error: split must be 'test' or 'train', got {split!r}")
        self.split, self.n = split, n

    def __call__(self, context: ProbeContext) -> list[Row]:
        data = context.data
        x, y = (data.train_x, data.train_y) if self.split == "train" else (data.test_x, data.test_y)
        error, loss = evaluate(context.model, x[: self.n], y[: self.n], context.eval_batch_size)
        return [
            {"split": self.split, "metric": "error", "value": error},
            {"split": self.split, "metric": "loss", "value": loss},
        ]
