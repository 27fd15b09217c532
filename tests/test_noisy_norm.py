"""Noisy BN and the noise-only norm (Santurkar et al. 2018, Algorithm 1): distribution, placement, RNG."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from repro.config import ConfigError
from repro.models import build_model, count_parameters
from repro.models.noisy_norms import DistributionNoise, NoisyNorm
from repro.models.norms import make_norm

VGG = {"name": "vgg", "layers": [8, "M", 16, "M"], "head": [16], "dropout": 0.0, "init": "glorot"}


def draw(noise: DistributionNoise, a: torch.Tensor, step: int) -> torch.Tensor:
    """The noise module's output on ``a`` at training step ``step``."""
    noise.noise_step.fill_(step)
    return noise(a)


def test_noise_follows_algorithm_1() -> None:
    torch.manual_seed(0)
    noise = DistributionNoise(64).train()
    shape = (32, 64, 8, 8)
    m = draw(noise, torch.zeros(shape), 5)  # a = 0: the additive part alone
    s = draw(noise, torch.ones(shape), 5) - m  # same step, same draws: the multiplicative part
    per_channel = m.transpose(0, 1).flatten(1)
    centre = (per_channel.max(1).values + per_channel.min(1).values) / 2
    assert (per_channel.max(1).values - per_channel.min(1).values).max() <= 0.2 + 1e-6  # U(mu +- 0.1)
    assert centre.abs().max() <= 0.5 + 1e-3 and centre.std() > 0.15  # mu ~ U(-0.5, 0.5) per channel
    scales = s.transpose(0, 1).flatten(1)
    assert scales.mean(1).min() > 0.98 and scales.mean(1).max() < 1.27  # sigma ~ U(1, 1.25)
    assert scales.std(1).mean() == pytest.approx(0.1, rel=0.05)  # s ~ N(sigma, 0.1^2)
    # Per channel, not per element: the centres differ between channels, not within one.
    assert per_channel.std(1).max() < 0.07


def test_resampled_every_step_off_in_eval_and_reproducible() -> None:
    torch.manual_seed(1)
    norm = make_norm("noisy_batch", 4, dims=2).train()
    x = torch.randn(8, 4, 5, 5)
    rng = torch.get_rng_state()
    first, second = norm(x), norm(x)
    assert torch.equal(torch.get_rng_state(), rng)  # the global RNG is never drawn from
    assert not torch.allclose(first, second) and int(norm.noise.noise_step) == 2
    bn = norm.inner
    norm.eval()
    assert torch.equal(norm(x), bn(x)) and int(norm.noise.noise_step) == 2  # eval: exactly BN
    # A module rebuilt from the state dict (a resumed run) draws the same noise.
    torch.manual_seed(99)
    copy = make_norm("noisy_batch", 4, dims=2)
    copy.load_state_dict(norm.state_dict())
    norm.train(), copy.train()
    assert torch.equal(norm(x), copy(x))
    # Built under the same global seed, two nets' layers draw alike; different layers draw differently.
    torch.manual_seed(2)
    a = build_model({**VGG, "norm": "noisy_batch"}, 1, 10, 16)
    torch.manual_seed(2)
    b = build_model({**VGG, "norm": "noisy_batch"}, 1, 10, 16)
    seeds = [int(m.noise_seed) for m in a.modules() if isinstance(m, DistributionNoise)]
    assert seeds == [int(m.noise_seed) for m in b.modules() if isinstance(m, DistributionNoise)]
    assert len(set(seeds)) == len(seeds) == 3  # two convs and one hidden linear map


def test_placement_and_parameters() -> None:
    noisy = build_model({**VGG, "norm": "noisy_batch"}, 1, 10, 16)
    unit = noisy.features[0]
    assert isinstance(unit.norm, NoisyNorm) and isinstance(unit.norm.inner, nn.BatchNorm2d)
    assert unit.conv.bias is None  # BN's beta replaces it; the noise sits after gamma/beta, before ReLU
    standard = build_model({**VGG, "norm": "none"}, 1, 10, 16)
    with_noise = build_model({**VGG, "norm": "noise"}, 1, 10, 16)
    assert count_parameters(with_noise) == count_parameters(standard)  # the bias moved into the norm
    assert count_parameters(noisy) == count_parameters(build_model({**VGG, "norm": "batch"}, 1, 10, 16))
    # Without its noise, the noise-only net computes the standard net's function.
    torch.manual_seed(3)
    quiet = {"name": "noise", "mean_range": 0.0, "scale_max": 1.0, "mean_jitter": 0.0, "scale_jitter": 0.0}
    a = build_model({**VGG, "norm": quiet}, 1, 10, 16).train()
    torch.manual_seed(3)
    b = build_model({**VGG, "norm": "none"}, 1, 10, 16).train()
    b.load_state_dict({k: v for k, v in a.state_dict().items() if "noise" not in k}, strict=False)
    for ua, ub in zip(a.features, b.features, strict=True):
        if hasattr(ua, "conv"):
            ub.conv.weight.data.copy_(ua.conv.weight.data)
            ub.conv.bias.data.copy_(ua.norm.inner.bias.data)
    x = torch.randn(2, 1, 16, 16)
    assert torch.allclose(a.features(x), b.features(x), atol=1e-6)
    with pytest.raises(ConfigError, match="scale_jiter"):
        build_model({**VGG, "norm": {"name": "noise", "scale_jiter": 0.1}}, 1, 10, 16)
    with pytest.raises(ValueError, match="scale_max >= 1"):
        make_norm({"name": "noise", "scale_max": 0.5}, 4, dims=1)
