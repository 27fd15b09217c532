"""The l_p batch norm: p = 2 is BN's training transform, p = 1 and inf normalise as defined, eval as BN."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from repro.errors import ConfigError
from repro.models.norms import check_norm_spec, has_bias, make_norm


def conv_input() -> torch.Tensor:
    return torch.randn(16, 3, 5, 5, generator=torch.Generator().manual_seed(0)) * 2.5 + 1.0


@pytest.mark.parametrize(("dims", "x"), [(2, conv_input()), (1, conv_input()[:, :, 0, 0])])
def test_p2_equals_batch_norm_training_output_up_to_eps(dims: int, x: torch.Tensor) -> None:
    lp, bn = make_norm({"name": "lp_batch", "p": 2, "eps": 0.0}, 3, dims), make_norm("batch", 3, dims)
    with torch.no_grad():
        for m in (lp, bn):
            m.weight.copy_(torch.tensor([0.5, 1.0, 2.0]))
            m.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    torch.testing.assert_close(lp(x), bn(x), atol=1e-5, rtol=1e-4)  # BN's eps=1e-5 under the sqrt
    torch.testing.assert_close(lp.running_mean, bn.running_mean)
    with_eps = make_norm({"name": "lp_batch", "p": 2}, 3, dims)
    torch.testing.assert_close(with_eps(x), make_norm("batch", 3, dims)(x), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("p", [1, 2, "inf"])
def test_each_channel_is_centred_and_has_unit_lp_scale(p: int | str) -> None:
    x = conv_input()
    y = make_norm({"name": "lp_batch", "p": p, "eps": 0.0}, 3, 2)(x)
    per_channel = y.transpose(0, 1).reshape(3, -1)
    torch.testing.assert_close(per_channel.mean(dim=1), torch.zeros(3), atol=1e-5, rtol=0)
    scale = {1: per_channel.abs().mean(dim=1), 2: per_channel.square().mean(dim=1).sqrt(),
             "inf": per_channel.abs().amax(dim=1)}[p]  # fmt: skip
    torch.testing.assert_close(scale, torch.ones(3))


def test_p1_and_inf_divide_by_the_mean_and_max_absolute_deviation() -> None:
    x = torch.tensor([[1.0], [2.0], [3.0], [6.0]])  # mean 3, |d| = 2, 1, 0, 3
    for p, scale in ((1, 1.5), ("inf", 3.0)):
        y = make_norm({"name": "lp_batch", "p": p, "eps": 0.0}, 1, 1)(x)
        torch.testing.assert_close(y, (x - 3.0) / scale)


def test_eval_uses_the_running_mean_and_scale() -> None:
    norm = make_norm({"name": "lp_batch", "p": 1, "momentum": 0.1}, 3, 2)
    x = conv_input()
    norm(x)
    d = x - x.mean(dim=(0, 2, 3), keepdim=True)
    mean, scale = x.mean(dim=(0, 2, 3)), d.abs().mean(dim=(0, 2, 3))
    torch.testing.assert_close(norm.running_mean, 0.1 * mean)
    torch.testing.assert_close(norm.running_scale, 0.9 + 0.1 * scale)
    norm.eval()
    z = torch.randn(2, 3, 5, 5)
    expected = (z - norm.running_mean.view(1, 3, 1, 1)) / (norm.running_scale.view(1, 3, 1, 1) + 1e-5)
    torch.testing.assert_close(norm(z), expected)
    before = norm.running_mean.clone()
    norm(z)  # eval never updates the statistics
    torch.testing.assert_close(norm.running_mean, before)


def test_gradients_flow_and_options_are_checked() -> None:
    norm = make_norm({"name": "lp_batch", "p": "inf"}, 3, 2)
    x = conv_input().requires_grad_()
    norm(x).square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and norm.weight.grad is not None
    assert not has_bias({"name": "lp_batch", "p": 1})
    assert isinstance(norm, nn.Module) and "p=inf" in repr(norm)
    for bad in ({"name": "lp_batch", "p": 3}, {"name": "lp_batch"}, {"name": "lp_batch", "p": 1, "q": 2}):
        with pytest.raises(ConfigError):
            check_norm_spec(bad, "test")


def test_float64_models_keep_float64_buffers() -> None:
    norm = make_norm({"name": "lp_batch", "p": 1}, 4, 1).to(torch.float64)
    y = norm(torch.randn(8, 4, dtype=torch.float64))
    assert y.dtype == norm.running_scale.dtype == torch.float64
