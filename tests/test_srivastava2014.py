"""Srivastava et al. 2014: keep-probability convention, the (1 - m) update, MC averaging, probes, models."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from repro.claims import CHECKS
from repro.experiments import load_experiment
from repro.losses import evaluate, get_loss
from repro.models import build_model, count_parameters
from repro.optim import DampedSGD
from repro.probes import ProbeContext, build_probe
from repro.probes.artifacts import read_artifacts, write_artifacts
from repro.probes.filters import filter_images, image_grid
from repro.probes.mc_dropout import dropout_modules, sampled_masks

REPO = Path(__file__).resolve().parents[1]


def test_keep_probabilities_are_the_papers_p_the_chance_of_keeping_a_unit() -> None:
    net = build_model(
        {"name": "mlp", "hidden": [8, 8], "keep_input": 0.8, "keep_hidden": [0.5, 0.25]}, 1, 10, 4
    )
    assert net.drop_input.p == pytest.approx(0.2)
    assert [layer.drop.p for layer in net.hidden] == [0.5, 0.75]
    plain = build_model({"name": "mlp", "hidden": [8, 8], "keep_input": 1.0, "keep_hidden": 1.0}, 1, 10, 4)
    assert not dropout_modules(plain)  # keep 1.0 adds no module
    for bad in (0.0, 1.5, True):
        with pytest.raises(ValueError, match="probability of keeping"):
            build_model({"name": "mlp", "keep_hidden": bad}, 1, 10, 4)
    # In training mode about p of the units survive, scaled by 1/p (inverted dropout).
    drop = nn.Sequential(
        build_model({"name": "mlp", "hidden": [4], "keep_input": 0.8}, 1, 10, 100).drop_input
    )
    torch.manual_seed(0)
    out = drop(torch.ones(200, 10_000))
    assert (out > 0).float().mean().item() == pytest.approx(0.8, abs=0.01)
    assert out.max().item() == pytest.approx(1 / 0.8)


def test_conv_fc_keeps_per_layer_and_parameter_counts_match_the_docstring() -> None:
    assert count_parameters(build_model({"name": "conv_fc"}, 3, 10, 32)) == 13_741_578
    small = {"name": "conv_fc", "convs": [8, 16, 32], "fc": [128, 128]}
    assert count_parameters(build_model(small, 1, 10, 28)) == 99_722
    keep = [0.9, 0.75, 0.75, 0.5, 0.5, 0.5]
    net = build_model({**small, "keep": keep, "spatial": True}, 1, 10, 28)
    drops = [m for m in net.net if isinstance(m, nn.Dropout | nn.Dropout2d)]
    assert [round(m.p, 6) for m in drops] == [0.1, 0.25, 0.25, 0.5, 0.5, 0.5]
    assert [type(m) for m in drops] == [nn.Dropout] + [nn.Dropout2d] * 3 + [nn.Dropout] * 2
    assert net(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="6 layers"):
        build_model({**small, "keep": [0.5, 0.5]}, 1, 10, 28)


def test_autoencoder_reconstructs_its_input_with_the_reconstruction_loss() -> None:
    ae = build_model({"name": "autoencoder", "keep_hidden": 0.5}, 1, 10, 28)
    assert count_parameters(ae) == 402_448
    x = torch.rand(5, 1, 28, 28)
    loss = get_loss("reconstruction_bce")
    assert loss.target(x, torch.zeros(5)) is x and not loss.has_error
    logits = torch.logit(x.flatten(1).clamp(0.01, 0.99))
    assert loss.total(logits, x) < loss.total(torch.zeros_like(logits), x)
    error, mean = evaluate(ae, x, torch.zeros(5, dtype=torch.long), 2, loss)
    assert error is None and mean > 0


def test_damped_sgd_is_pytorch_sgd_with_lr_times_one_minus_m() -> None:
    torch.manual_seed(0)
    a, b = torch.randn(6, requires_grad=True), None
    b = a.detach().clone().requires_grad_(True)
    m, lr = 0.9, 2.0
    ours, theirs = (
        DampedSGD([a], lr=lr, momentum=m, weight_decay=0.0),
        torch.optim.SGD([b], lr=lr * (1 - m), momentum=m),
    )
    for step in range(20):
        target = torch.full((6,), float(step % 3))
        for p, opt in ((a, ours), (b, theirs)):
            opt.zero_grad()
            ((p - target) ** 2).sum().backward()
            opt.step()
    assert torch.allclose(a, b, atol=1e-5)
    # The steady-state step is lr * g: a constant gradient g moves the weights lr * g per step at the end.
    w = torch.zeros(1, requires_grad=True)
    opt = DampedSGD([w], lr=0.5, momentum=0.99, weight_decay=0.0)
    for _ in range(3000):
        opt.zero_grad()
        (-w).sum().backward()  # gradient -1
        before = w.item()
        opt.step()
    assert w.item() - before == pytest.approx(0.5, rel=1e-3)


def _context(model: nn.Module, x: torch.Tensor, y: torch.Tensor, seed: int = 0) -> ProbeContext:
    data = SimpleNamespace(train_x=x, train_y=y, test_x=x, test_y=y)
    generator = torch.Generator().manual_seed(seed)
    return ProbeContext(model, None, nn.functional.cross_entropy, None, 0, data, 256, generator=generator)


def test_mc_average_of_a_linear_dropout_net_converges_to_weight_scaling() -> None:
    torch.manual_seed(1)
    net = nn.Sequential(nn.Dropout(0.5), nn.Linear(20, 3))  # linear: E[mask] scaling is exact
    x = torch.randn(64, 20)
    net.eval()
    scaled = net(x)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad(), sampled_masks(net, generator):
        samples = torch.stack([net(x) for _ in range(4000)])
    assert not torch.allclose(samples[0], scaled)  # each sample is a thinned net
    assert torch.allclose(samples.mean(0), scaled, atol=0.1)
    assert torch.equal(net(x), scaled)  # hooks removed on exit


def test_mc_dropout_probe_rows_are_reproducible_and_leave_the_global_rng_alone() -> None:
    torch.manual_seed(2)
    net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 4))
    x, y = torch.randn(300, 10), torch.randint(0, 4, (300,))
    probe = build_probe("mc_dropout", {"ks": [1, 5, 20], "repeats": 2})
    state = torch.get_rng_state()
    rows = probe(_context(net, x, y))
    assert torch.equal(state, torch.get_rng_state())
    assert rows == probe(_context(net, x, y))  # same generator seed, same masks
    scaled = [r for r in rows if r.get("method") == "weight_scaling"]
    mc = [r for r in rows if r.get("method") == "mc"]
    excess = {r["k"]: r["value"] for r in rows if r["metric"] == "excess_error"}
    assert len(scaled) == 1 and len(mc) == 3 * 2 and set(excess) == {1, 5, 20}
    no_dropout = nn.Sequential(nn.Linear(10, 4))
    assert [r["method"] for r in probe(_context(no_dropout, x, y))] == ["weight_scaling"]


def test_activation_stats_histograms_and_sparsity_on_a_known_code() -> None:
    net = nn.Sequential(nn.Identity(), nn.ReLU())
    x = torch.tensor([[-1.0, 0.0, 1.0, 3.0]] * 10)
    rows = build_probe("activation_stats", {"module": "1", "n": 10, "batch": 5, "bins": 3})(
        _context(net, x, torch.zeros(10, dtype=torch.long))
    )
    value = {r["metric"]: r["value"] for r in rows if "bin" not in r}
    assert value["mean_activation"] == pytest.approx(1.0)  # unit means 0, 0, 1, 3
    assert value["zero_fraction"] == pytest.approx(0.5) and value["near_zero_fraction"] == pytest.approx(0.5)
    for metric in ("unit_mean_hist", "activation_hist"):
        bins = [r for r in rows if r["metric"] == metric]
        assert len(bins) == 3 and sum(r["value"] for r in bins) == pytest.approx(1.0)
        assert bins[0]["bin_lo"] == 0.0 and bins[-1]["bin_hi"] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="no module 'nope'"):
        build_probe("activation_stats", {"module": "nope"})(_context(net, x, torch.zeros(10)))


def test_filters_probe_writes_an_image_grid_and_the_raw_filters(tmp_path: Path) -> None:
    ae = build_model({"name": "autoencoder", "hidden": 12}, 1, 10, 28)
    images = filter_images(ae.encoder.weight, 9)
    assert images.shape == (9, 28, 28) and torch.equal(images[3].flatten(), ae.encoder.weight[3].detach())
    grid = image_grid(images)
    assert grid.shape == (3 * 29 + 1, 3 * 29 + 1) and grid.min() >= 0 and grid.max() <= 1
    result = build_probe("filters", {"module": "encoder", "n": 9})(
        _context(ae, torch.rand(2, 1, 28, 28), None)
    )
    write_artifacts(tmp_path, "filters", 7, result.artifacts)
    saved = read_artifacts(tmp_path, "filters", "filters.npy")
    assert list(saved) == [7] and np.load(saved[7]).shape == (9, 28, 28)
    assert list(read_artifacts(tmp_path, "filters", "filters.png")) == [7]
    assert result.rows[0]["metric"] == "filter_norm"


def test_every_experiment_file_validates_and_quick_keeps_the_asserted_arms() -> None:
    files = sorted((REPO / "configs" / "experiments").glob("srivastava2014_*.yaml"))
    assert len(files) == 7
    for path in files:
        experiment = load_experiment(path)
        for claim in experiment.raw["claims"]:
            if "quick" not in (claim.get("assert_at") or []):
                continue
            names = named_arms(claim["checks"])
            assert names <= set(experiment.variant_names("quick")), (path.name, claim["id"])


def named_arms(checks: list[dict]) -> set[str]:
    """The variants a claim's checks name, by each check kind's arm keys (pair, pairs, order, variants...)."""
    return {arm.variant for c in checks for _, arm in CHECKS.get(c["kind"]).arms(c) if arm.variant}


def test_named_arms_reads_every_arm_key() -> None:
    checks = [
        {"kind": "within", "pair": ["a", "b"], "tolerance": 1.0},
        {"kind": "ordering", "order": ["c", "d", "e"]},
        {"kind": "pairwise_less", "pairs": [["f", "g"]]},
        {"kind": "bound", "variants": ["h"], "min": 1.0},
        {"kind": "pairwise_less", "pairs": [[{"where": {"model.keep_hidden": 0.5}}, "i"]]},
    ]
    assert named_arms(checks) == set("abcdefghi")
