"""The trained floor's one recipe: multinomial logistic regression on flattened images, fit by L-BFGS.

One fixed recipe for every experiment, so a floor is a property of the training set alone: weights and
biases start at zero, the loss is the mean cross-entropy plus ``WEIGHT_DECAY / 2 * ||W||^2`` (biases are
not penalised, as weight decay in the papers' SGD), and L-BFGS with a strong-Wolfe line search runs full
batch for ``ITERATIONS`` iterations. It is deterministic on a given machine and takes seconds on a CPU.
"""

from __future__ import annotations

import time
from typing import Any

import torch
import torch.nn.functional as F

from repro.baselines.recipe import HISTORY, ITERATIONS, WEIGHT_DECAY


def flatten(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) images -> (N, C*H*W) float32 feature rows."""
    return x.reshape(len(x), -1).to(torch.float32)


def error_percent(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Top-1 error in percent (the tidy tables' ``error`` metric is in percent)."""
    if len(y) == 0:
        return float("nan")
    wrong = int((logits.argmax(dim=1) != y).sum().item())  # counted exactly, not as a float32 mean
    return 100.0 * wrong / len(y)


def fit_linear_classifier(
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    num_classes: int,
    weight_decay: float = WEIGHT_DECAY,
    iterations: int = ITERATIONS,
) -> dict[str, Any]:
    """Fit the recipe on (train_x, train_y), test on (test_x, test_y); errors in percent, with timings."""
    start = time.perf_counter()
    x, y = flatten(train_x), train_y.to(torch.int64)
    weight = torch.zeros(num_classes, x.shape[1], device=x.device, requires_grad=True)
    bias = torch.zeros(num_classes, device=x.device, requires_grad=True)
    # Tolerances of zero: the fit runs its fixed number of iterations unless the line search can no
    # longer move (converged to float precision), so the recipe does not depend on the data's scale.
    optimizer = torch.optim.LBFGS(
        [weight, bias], lr=1.0, max_iter=iterations, max_eval=2 * iterations, history_size=HISTORY,
        tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe",
    )  # fmt: skip

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(x @ weight.T + bias, y) + 0.5 * weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    state = optimizer.state[weight]
    with torch.no_grad():
        logits = x @ weight.T + bias
        loss = F.cross_entropy(logits, y) + 0.5 * weight_decay * weight.pow(2).sum()
        train_error = error_percent(logits, y)
        test_error = error_percent(flatten(test_x) @ weight.T + bias, test_y.to(torch.int64))
    return {
        "train_error": train_error,
        "test_error": test_error,
        "n_train": len(train_y),
        "n_test": len(test_y),
        "loss": float(loss),
        "iterations": int(state.get("n_iter", 0)),
        "evaluations": int(state.get("func_evals", 0)),
        # Wall time of fit and test; a process's first fit also pays torch's lazy optimizer imports (~2 s).
        "seconds": time.perf_counter() - start,
    }
