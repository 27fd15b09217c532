"""The landscape probe: known answers on a quadratic loss, and training untouched bit for bit."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch import nn

from repro.config import run_config_from_dict
from repro.probes import ProbeContext, build_probe
from repro.probes.landscape import log_multipliers
from repro.train import CHECKPOINT, run

from .test_train import tiny_config


class Vector(nn.Module):
    """A model that is one parameter vector: its output is w, whatever the input."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w


def quadratic_context(a: torch.Tensor, w: torch.Tensor, lr: float) -> ProbeContext:
    """A before_step context for L(w) = w^T A w / 2 with its gradient A w in w.grad."""
    model = Vector(w)
    loss_fn = lambda out, _y: 0.5 * out @ a @ out  # noqa: E731
    loss = loss_fn(model(None), None)
    loss.backward()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    batch = (torch.zeros(4, 1), torch.zeros(4))
    return ProbeContext(model, batch, loss_fn, optimizer, 0, None, 1, "before_step", loss.detach())


def values(rows: list[dict], metric: str) -> list[float]:
    """The values of one metric, in row order."""
    return [r["value"] for r in rows if r["metric"] == metric]


def test_quadratic_beta_is_the_curvature_along_the_gradient() -> None:
    # Along an eigenvector of A the gradient changes by eta * lambda * ||g||: beta = lambda exactly.
    a = torch.diag(torch.tensor([4.0, 1.0, 0.25], dtype=torch.float64))
    w = torch.tensor([1.5, 0.0, 0.0], dtype=torch.float64)
    lr, multipliers = 0.1, [0.5, 1.0, 2.0]
    rows = build_probe("landscape", {"multipliers": multipliers})(quadratic_context(a, w, lr)).rows
    g = a @ w
    for beta in values(rows, "beta"):
        assert beta == pytest.approx(4.0, rel=1e-12)
    assert values(rows, "beta_smoothness") == [pytest.approx(4.0, rel=1e-12)]
    expected = [0.5 * float((w - m * lr * g) @ a @ (w - m * lr * g)) for m in multipliers]
    assert values(rows, "loss") == pytest.approx(expected, rel=1e-12)
    assert values(rows, "grad_change") == pytest.approx([m * lr * 4.0 * 6.0 for m in multipliers])
    assert values(rows, "loss_range") == [pytest.approx(max(expected) - min(expected))]
    assert values(rows, "grad_norm") == [pytest.approx(float(g.norm()))]


def test_quadratic_mixed_direction_and_summed_reduction() -> None:
    # Off an eigenvector, beta = ||A g|| / ||g|| (the same for every eta on a quadratic).
    a = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    w = torch.tensor([1.0, -2.0], dtype=torch.float64)
    g = a @ w
    context = quadratic_context(a, w, 0.01)
    probe = build_probe("landscape", {"eta_range": [0.5, 4.0], "num": 4})
    assert probe.multipliers == pytest.approx([0.5, 1.0, 2.0, 4.0])
    rows = probe(context).rows
    assert values(rows, "beta_smoothness")[0] == pytest.approx(float((a @ g).norm() / g.norm()), rel=1e-12)
    summed = build_probe("landscape", {"multipliers": [1.0], "reduction": "sum"})(context).rows
    mean = build_probe("landscape", {"multipliers": [1.0]})(context).rows
    for metric in ("loss", "grad_change", "beta", "grad_norm"):
        assert values(summed, metric)[0] == pytest.approx(4 * values(mean, metric)[0])  # batch of 4
    # The probe left the parameter and its gradient where they were.
    assert torch.equal(context.model.w.detach(), w) and torch.equal(context.model.w.grad, g)


def test_options_are_checked() -> None:
    assert log_multipliers(0.01, 30.0, 3) == pytest.approx([0.01, math.sqrt(0.3), 30.0])
    for bad in ({}, {"multipliers": [1.0], "eta_range": [1, 2]}, {"multipliers": [0.0]},
                {"multipliers": [1.0], "reduction": "max"}):  # fmt: skip
        with pytest.raises(ValueError, match="landscape"):
            build_probe("landscape", bad)


def bn_run_config(data_root: Path, probes: list[dict], norm: str = "batch") -> dict:
    """A few steps of plain SGD on a tiny VGG-style net with ``norm`` on the synthetic dataset."""
    raw = tiny_config(data_root, steps=6, log_every=2, eval_every=3, checkpoint_every=100)
    raw["data"].update(pad=0, flip=False)
    raw["model"] = {"name": "vgg", "layers": [4, "M", 8, "M"], "head": [8], "norm": norm, "dropout": 0.0,
                    "init": "glorot"}  # fmt: skip
    raw["optim"] = {"name": "sgd", "lr": 0.1, "momentum": 0.0, "weight_decay": 0.0}
    raw["schedule"] = {"name": "constant"}
    raw["probes"] = probes
    return raw


@pytest.mark.parametrize("norm", ["batch", "noisy_batch"])
def test_training_is_bit_identical_with_and_without_the_probe(
    tiny_data_root: Path, tmp_path: Path, norm: str
) -> None:
    probe = {"name": "landscape", "phase": "before_step", "every": 1,
             "options": {"multipliers": [0.5, 4.0]}}  # fmt: skip
    states = []
    for name, probes in (("plain", []), ("probed", [probe])):
        cfg = run_config_from_dict(bn_run_config(tiny_data_root, probes, norm))
        out = tmp_path / name
        run(cfg, out, threads=1)
        states.append(torch.load(out / CHECKPOINT, weights_only=False)["model"])
        metrics = (out / "metrics.csv").read_text()
        states[-1]["_metrics"] = metrics
    plain, probed = states
    assert plain["_metrics"] == probed["_metrics"]
    for key, value in plain.items():
        if key != "_metrics":
            assert torch.equal(value, probed[key]), key  # parameters and BN buffers alike
    rows = (tmp_path / "probed" / "probes" / "landscape.csv").read_text().splitlines()
    assert len([r for r in rows if ",beta_smoothness," in r]) == 6
