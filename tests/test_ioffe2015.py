"""Ioffe & Szegedy 2015: the BN MLP and the conv proxy, the percentile probe, the exponential schedule."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from repro.config import ConfigError, run_config_from_dict
from repro.models import build_model, count_parameters
from repro.optim import learning_rate
from repro.probes import ProbeContext, build_probe


def test_bn_mlp_puts_bn_on_wu_before_the_sigmoid_and_drops_the_bias() -> None:
    model = build_model({"name": "mlp", "norm": "batch"}, 1, 10, 28)
    layers = list(model.hidden)
    assert len(layers) == 3
    for layer in layers:
        assert layer.linear.bias is None  # beta replaces b
        assert isinstance(layer.norm, nn.BatchNorm1d) and isinstance(layer.act, nn.Sigmoid)
    # The sigmoid's input is exactly BN(Wu): hook both and compare.
    seen: dict[str, torch.Tensor] = {}
    last = layers[-1]
    last.norm.register_forward_hook(lambda _m, _i, out: seen.__setitem__("bn", out))
    last.act.register_forward_pre_hook(lambda _m, inputs: seen.__setitem__("act", inputs[0]))
    model(torch.rand(8, 1, 28, 28))
    assert torch.equal(seen["bn"], seen["act"])


def test_mlp_parameter_counts_and_init() -> None:
    plain = build_model({"name": "mlp"}, 1, 10, 28)
    bn = build_model({"name": "mlp", "norm": "batch"}, 1, 10, 28)
    assert count_parameters(plain) == 784 * 100 + 100 * 100 * 2 + 100 * 10 + 310 == 99_710
    assert count_parameters(bn) == 99_710 - 300 + 600 == 100_010
    assert all(layer.linear.bias is not None for layer in plain.hidden)
    assert plain.hidden[0].linear.weight.std().item() == pytest.approx(0.1, rel=0.02)
    fan_in = build_model({"name": "mlp", "init_std": "fan_in"}, 1, 10, 28)
    assert fan_in.hidden[0].linear.weight.std().item() == pytest.approx(1 / 28, rel=0.02)
    relu = build_model({"name": "mlp", "activation": "relu", "hidden": [50, 20]}, 3, 10, 32)
    assert relu(torch.rand(2, 3, 32, 32)).shape == (2, 10) and isinstance(relu.hidden[1].act, nn.ReLU)
    with pytest.raises(ValueError, match="init_std"):
        build_model({"name": "mlp", "init_std": -1.0}, 1, 10, 28)
    with pytest.raises(ConfigError, match=r"unknown norm 'bacth' at 'model\.norm'.*valid: .*'batch'"):
        build_model({"name": "mlp", "norm": "bacth"}, 1, 10, 28)


@pytest.mark.parametrize(("channels", "size"), [(1, 28), (3, 32)])
def test_convnet_shapes_depth_and_counts(channels: int, size: int) -> None:
    for norm in ("none", "batch"):
        model = build_model({"name": "convnet", "norm": norm, "dropout": 0.4}, channels, 10, size)
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
        assert len(convs) == 8
        assert all((c.bias is None) == (norm == "batch") for c in convs)
        assert model(torch.rand(2, channels, size, size)).shape == (2, 10)
    quick = {"name": "convnet", "stages": [[16], [32, 32], [64, 64, 64, 64, 64]]}
    assert count_parameters(build_model(quick, 1, 10, 28)) == 180_906  # as in the docstring
    assert count_parameters(build_model({**quick, "norm": "batch"}, 1, 10, 28)) == 181_306
    assert count_parameters(build_model({"name": "convnet"}, 3, 10, 32)) == 583_466
    narrow = {"name": "convnet", "stages": [[8], [16, 16], [32] * 5]}
    assert count_parameters(build_model(narrow, 1, 10, 28)) == 45_530
    sigmoid = build_model({"name": "convnet", "activation": "sigmoid", "norm": "batch"}, 1, 10, 28)
    units = [m for m in sigmoid.modules() if hasattr(m, "act")]
    assert all(isinstance(u.norm, nn.BatchNorm2d) and isinstance(u.act, nn.Sigmoid) for u in units)


def toy_context(model: nn.Module, x: torch.Tensor) -> ProbeContext:
    """A probe context whose test split is ``x``."""
    data = SimpleNamespace(test_x=x, train_x=x, val_x=None)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return ProbeContext(model, None, nn.functional.cross_entropy, optimizer, 0, data, 64)


def identity_mlp(norm: str) -> nn.Module:
    """A 4-3-2 MLP whose hidden pre-activation j is input pixel j (before BN, if any)."""
    model = build_model({"name": "mlp", "hidden": [3], "norm": norm}, 1, 2, 2)
    with torch.no_grad():
        model.hidden[0].linear.weight.copy_(torch.eye(3, 4))
        if model.hidden[0].linear.bias is not None:
            model.hidden[0].linear.bias.zero_()
    return model


def test_percentile_probe_is_exact_on_known_preactivations() -> None:
    x = torch.randn(500, 1, 2, 2, generator=torch.Generator().manual_seed(0)) * 3 + 1
    probe = build_probe("percentiles", {"units": [0, 2], "n": 400})
    rows = probe(toy_context(identity_mlp("none"), x))
    assert len(rows) == 2 * 19 and {r["metric"] for r in rows} == {"sigmoid_input"}
    pixels = x[:400].flatten(1).numpy()
    for row in rows:
        expected = np.percentile(pixels[:, row["unit"]], row["q"])
        assert row["value"] == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_percentile_probe_uses_batch_statistics_and_leaves_running_stats_alone() -> None:
    x = torch.randn(300, 1, 2, 2, generator=torch.Generator().manual_seed(1)) * 2 + 5
    model = identity_mlp("batch")
    bn = model.hidden[0].norm
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([2.0, 1.0, 0.5]))
        bn.bias.copy_(torch.tensor([0.3, -1.0, 0.0]))
    model.train()
    before = {k: v.clone() for k, v in bn.state_dict().items()}
    rows = build_probe("percentiles", {"units": [0, 1, 2], "percentiles": [15, 50, 85]})(
        toy_context(model, x)
    )
    after = bn.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # running mean/var and count untouched
    assert model.training  # the live model's mode is untouched too
    pixels = x.flatten(1)[:, :3].double()
    normed = (pixels - pixels.mean(0)) / torch.sqrt(pixels.var(0, unbiased=False) + bn.eps)
    expected = normed * bn.weight.detach().double() + bn.bias.detach().double()
    for row in rows:
        value = np.percentile(expected[:, row["unit"]].numpy(), row["q"])
        assert row["value"] == pytest.approx(value, rel=1e-5, abs=1e-5)
    # With population statistics instead (fresh running stats: mean 0, var 1) the values differ.
    eval_rows = build_probe("percentiles", {"units": [0], "batch_stats": False})(toy_context(model, x))
    assert eval_rows[9]["value"] == pytest.approx(
        np.median(pixels[:, 0].numpy()) * 2 / np.sqrt(1 + bn.eps) + 0.3
    )


def test_percentile_probe_on_a_conv_net_pools_positions() -> None:
    model = build_model({"name": "convnet", "norm": "batch", "stages": [[4], [4]]}, 1, 10, 8)
    rows = build_probe("percentiles", {"units": [0, 3], "layer": 0})(
        toy_context(model, torch.rand(20, 1, 8, 8))
    )
    assert len(rows) == 38 and all(np.isfinite(r["value"]) for r in rows)


def test_exponential_schedule_and_config_compatibility() -> None:
    cfg = run_config_from_dict(
        {"schedule": {"name": "exponential", "decay_every": 100, "decay_rate": 0.5, "decay_speedup": 2.0}}
    )
    assert learning_rate(cfg.schedule, 1.0, 0, False) == 1.0
    assert learning_rate(cfg.schedule, 1.0, 100, False) == pytest.approx(0.25)  # 2x faster: two halvings
    assert learning_rate(cfg.schedule, 0.4, 25, False) == pytest.approx(0.4 * 0.5**0.5)
    # Fields added for this schedule are left out of the config while at their defaults, so the resolved
    # configs (Snakemake params, checkpoint identity) of runs made before them do not change.
    plain = run_config_from_dict({}).to_dict()["schedule"]
    assert not {"decay_every", "decay_rate", "decay_speedup"} & set(plain)
    assert cfg.to_dict()["schedule"]["decay_speedup"] == 2.0
    assert run_config_from_dict(cfg.to_dict()).to_dict() == cfg.to_dict()
