"""Models: forward shapes for every registry entry, parameter counts against He et al. 2016, option A."""

from __future__ import annotations

import pytest
import torch

from repro.config import ConfigError
from repro.models import MODELS, build_model, count_parameters
from repro.models.resnet_cifar import ZeroPadShortcut

# Table 6 of He et al. 2016 (millions of parameters, rounded as printed).
PAPER_PARAMS = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}


@pytest.mark.parametrize("depth", sorted(PAPER_PARAMS))
def test_resnet_parameter_counts_match_the_paper(depth: int) -> None:
    resnet = build_model({"name": "resnet_cifar", "depth": depth}, 3, 10, 32)
    plain = build_model({"name": "resnet_cifar", "depth": depth, "residual": False}, 3, 10, 32)
    millions = count_parameters(resnet) / 1e6
    digits = 1 if depth == 110 else 2
    assert round(millions, digits) == PAPER_PARAMS[depth]
    # Option-A shortcuts add no parameters: plain and residual nets are the same size.
    assert count_parameters(plain) == count_parameters(resnet)


@pytest.mark.parametrize("name", MODELS.names())
@pytest.mark.parametrize(("channels", "size"), [(3, 32), (1, 28)])
def test_every_model_gives_logits_for_rgb_and_grayscale(name: str, channels: int, size: int) -> None:
    model = build_model({"name": name}, channels, 10, size)
    assert model(torch.randn(2, channels, size, size)).shape == (2, 10)


def test_shortcut_subsamples_and_zero_pads_channels() -> None:
    x = torch.arange(2 * 4 * 4 * 4, dtype=torch.float32).view(2, 4, 4, 4)
    out = ZeroPadShortcut(4, 8, stride=2)(x)
    assert out.shape == (2, 8, 2, 2)
    assert torch.equal(out[:, 2:6], x[:, :, ::2, ::2])
    assert out[:, :2].abs().sum() == 0 and out[:, 6:].abs().sum() == 0


def test_plain_net_has_no_shortcuts_and_resnet_does() -> None:
    plain = build_model({"name": "resnet_cifar", "depth": 20, "residual": False}, 3, 10, 32)
    resnet = build_model({"name": "resnet_cifar", "depth": 20}, 3, 10, 32)
    assert not any(isinstance(m, ZeroPadShortcut) for m in plain.modules())
    assert sum(isinstance(m, ZeroPadShortcut) for m in resnet.modules()) == 9


def test_bad_depth_and_unknown_option_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="6n\\+2"):
        build_model({"name": "resnet_cifar", "depth": 21}, 3, 10, 32)
    with pytest.raises(ConfigError, match="model.wdith"):
        build_model({"name": "resnet_cifar", "wdith": 8}, 3, 10, 32)
    with pytest.raises(KeyError, match="valid: .*resnet_cifar"):
        build_model({"name": "resnet_imagenet"}, 3, 10, 32)
