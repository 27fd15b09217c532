"""The ICS probe (Santurkar et al. 2018, Def. 2.1): G' by hand on a small linear net; no side effects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from repro.config import run_config_from_dict
from repro.probes import ProbeContext, build_probe
from repro.train import CHECKPOINT, run

from .test_probes_landscape import bn_run_config


def linear_context(lr: float = 0.5) -> tuple[ProbeContext, torch.Tensor, torch.Tensor]:
    """Three bias-free linear maps, MSE loss, gradients of one batch in place (before_step)."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(3, 4, bias=False), nn.Linear(4, 4, bias=False), nn.Linear(4, 2, bias=False)
    )
    model.double()
    x, y = torch.randn(8, 3, dtype=torch.float64), torch.randn(8, 2, dtype=torch.float64)
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    context = ProbeContext(
        model, (x, y), nn.functional.mse_loss, optimizer, 0, None, 8, "before_step", loss.detach()
    )
    return context, x, y


def by_hand(context: ProbeContext, x: torch.Tensor, y: torch.Tensor, layer: int, lr: float) -> torch.Tensor:
    """G' of ``layer`` (1-based): the layers before it moved by -lr * their gradient, the rest unchanged."""
    weights = [m.weight.detach().clone() for m in context.model]
    grads = [m.weight.grad.detach().clone() for m in context.model]
    moved = [
        w - lr * g if i < layer - 1 else w.clone()
        for i, (w, g) in enumerate(zip(weights, grads, strict=True))
    ]
    moved[layer - 1].requires_grad_(True)
    out = x
    for w in moved:
        out = out @ w.T
    nn.functional.mse_loss(out, y).backward()
    return moved[layer - 1].grad


def test_shifted_gradient_matches_the_definition() -> None:
    lr = 0.5
    context, x, y = linear_context(lr)
    before = [m.weight.detach().clone() for m in context.model]
    rows = build_probe("ics", {"layers": [1, 2, -1]})(context)
    table = pd.DataFrame(rows).pivot_table(index="layer", columns="metric", values="value")
    assert list(table.index) == [1, 2, 3]
    # Layer 1 has no layer before it: G' = G, no shift at all.
    assert table.loc[1, "ics_l2"] == pytest.approx(0.0, abs=1e-15)
    assert table.loc[1, "ics_cos"] == pytest.approx(1.0)
    for layer in (2, 3):
        g = context.model[layer - 1].weight.grad.flatten()
        g2 = by_hand(context, x, y, layer, lr).flatten()
        assert table.loc[layer, "ics_l2"] == pytest.approx(float((g - g2).norm()), rel=1e-10)
        assert table.loc[layer, "ics_cos"] == pytest.approx(float(g @ g2 / (g.norm() * g2.norm())), rel=1e-10)
        assert table.loc[layer, "grad_norm"] == pytest.approx(float(g.norm()), rel=1e-12)
        assert table.loc[layer, "ics_l2"] > 1e-6  # the shift is real at this lr
    # The live model is untouched.
    for m, w in zip(context.model, before, strict=True):
        assert torch.equal(m.weight.detach(), w)
    with pytest.raises(ValueError, match="out of range"):
        build_probe("ics", {"layers": [4]})(context)
    with pytest.raises(ValueError, match="1-based"):
        build_probe("ics", {"layers": [0]})


@pytest.mark.parametrize("norm", ["batch", "noise"])
def test_training_is_bit_identical_with_and_without_the_probe(
    tiny_data_root: Path, tmp_path: Path, norm: str
) -> None:
    probe = {"name": "ics", "phase": "before_step", "every": 2, "options": {"layers": [2, 3]}}
    acts = {"name": "activations", "every": 2, "options": {"layer": 1, "units": [0, 1], "n": 16}}
    states = {}
    for name, probes in (("plain", []), ("probed", [probe, acts])):
        out = tmp_path / name
        run(run_config_from_dict(bn_run_config(tiny_data_root, probes, norm)), out, threads=1)
        states[name] = torch.load(out / CHECKPOINT, weights_only=False)["model"]
        states[name + "_metrics"] = (out / "metrics.csv").read_bytes()
    assert states["plain_metrics"] == states["probed_metrics"]
    for key, value in states["plain"].items():
        assert torch.equal(value, states["probed"][key]), key
    ics = pd.read_csv(tmp_path / "probed" / "probes" / "ics.csv")
    assert sorted(ics["step"].unique()) == [0, 2, 4, 5] and set(ics["layer"]) == {2, 3}
    act = pd.read_csv(tmp_path / "probed" / "probes" / "activations.csv")
    assert set(act["unit"]) == {0, 1, -1} and {"activation", "activation_mean"} <= set(act["metric"])
