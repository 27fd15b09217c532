"""Models: forward shapes for every registry entry and norm, parameter counts against the papers, identity of
the paper nets' initial parameters, the init registry, dropout options."""

from __future__ import annotations

import hashlib
import math

import pytest
import torch
from torch import nn

from repro.config import ConfigError
from repro.models import MODELS, build_model, count_parameters
from repro.models.init import INITS, init_weights_, zero_gamma_last_
from repro.models.resnet_cifar import BasicBlock, ZeroPadShortcut

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
    # An autoencoder's output is its reconstruction of the input, not logits.
    expected = (2, channels * size * size) if getattr(model, "reconstructs", False) else (2, 10)
    assert model(torch.randn(2, channels, size, size)).shape == expected


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


def state_digest(model: nn.Module) -> str:
    """sha256 over every state_dict entry's name, dtype, shape and bytes, in order."""
    h = hashlib.sha256()
    for key, value in model.state_dict().items():
        h.update(f"{key}:{value.dtype}:{tuple(value.shape)}".encode())
        h.update(value.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def state_fingerprint(model: nn.Module) -> float:
    """A float summary of the state_dict that moves by O(1) if any draw lands in another tensor or place."""
    total = 0.0
    for i, value in enumerate(model.state_dict().values(), 1):
        x = value.detach().double().flatten()
        total += i * float((x * torch.cos(torch.arange(x.numel(), dtype=torch.float64))).sum())
    return total


# Obtained by running state_digest and state_fingerprint under torch.manual_seed(0) on the code before the
# norm and init registries existed (commit 582d35d, nn.BatchNorm hard-coded, he_init_ only), torch 2.14.1 on
# an AVX512 CPU. The digest pins bit identity; torch's CPU normal kernel differs by CPU capability in the last
# bits, so where RNG_PROBE differs only the fingerprint (to float32 rounding) is compared.
RNG_PROBE = "e1275a785936ab2f402174ff3c60fb3b7367f0d6ee9dfce7a6ea1f8d41520484"
IDENTITY = {
    "resnet20_w8": (
        ({"name": "resnet_cifar", "depth": 20, "width": 8}, 3, 10, 32),
        "3f6b7f82e9978962ae99b89bf4fba0fc582afd7a9725456b0344689244be18fe",
        3358.530784186698,
    ),
    "mlp_batch": (
        ({"name": "mlp", "norm": "batch"}, 1, 10, 28),
        "eab3c5e013fcf4ed3b1bdfbaaf41715621f69efe9eaecf9480743deb21867a03",
        -44.36608288523666,
    ),
    "mlp_fanin": (
        ({"name": "mlp", "init_std": "fan_in"}, 1, 10, 28),
        "6226d9fa2beb181939e9c5363788cb20ae1b61f36c997201b0c8c3ba6e6a39c6",
        -133.56957779070936,
    ),
    "convnet_batch": (
        ({"name": "convnet", "norm": "batch", "stages": [[8], [16, 16], [32, 32]]}, 1, 10, 28),
        "ff1f96d0f9fa79e6a33a038e014528633115e43df18a18dd1049e9d987e60455",
        225.28361203619653,
    ),
    "convnet_dropout": (
        ({"name": "convnet", "stages": [[8], [16, 16], [32, 32]], "dropout": 0.4}, 3, 10, 32),
        "a6c75fed300e36eb6a438e7eed2ea0bfb278a65543d377d9c148df36eb2d54e8",
        73.44278523809045,
    ),
}


@pytest.mark.parametrize("case", sorted(IDENTITY))
def test_paper_nets_start_from_the_same_parameters_as_before_the_registries(case: str) -> None:
    (spec, channels, classes, size), digest, fingerprint = IDENTITY[case]
    torch.manual_seed(0)
    probe = hashlib.sha256(torch.empty(64).normal_().numpy().tobytes()).hexdigest()
    torch.manual_seed(0)
    model = build_model(dict(spec), channels, classes, size)
    assert state_fingerprint(model) == pytest.approx(fingerprint, rel=1e-6)
    if probe == RNG_PROBE:
        assert state_digest(model) == digest


NORMS_TO_TRY = ["none", "batch", {"name": "ghost_batch", "virtual_batch": 2}, {"name": "group", "groups": 4}]
NORMS_TO_TRY += ["layer", "instance"]
SMALL = {
    "resnet_cifar": {"depth": 8, "width": 8},
    "convnet": {"stages": [[8], [16, 16]]},
    "mlp": {"hidden": [16, 8]},
    "vgg": {"layers": [8, "M", 16, 16, "M", 32], "head": [16]},
    "linear_deep": {"depth": 4, "width": 8},
    "autoencoder": {"hidden": 8},
    "conv_fc": {"convs": [4, 8], "fc": [8]},
}


def test_every_model_has_a_small_config() -> None:
    assert sorted(SMALL) == MODELS.names()


@pytest.mark.parametrize("norm", NORMS_TO_TRY, ids=str)
@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_model_takes_every_norm(name: str, norm: object) -> None:
    model = build_model({"name": name, **SMALL[name], "norm": norm}, 1, 10, 28)
    x = torch.randn(4, 1, 28, 28)
    expected = (4, 784) if getattr(model, "reconstructs", False) else (4, 10)  # an autoencoder: pixels
    assert model(x).shape == expected
    model.eval()
    assert model(x).shape == expected
    if norm != "batch":
        assert not any(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in model.modules())


def test_resnet_norm_option_keeps_module_names_and_parameter_count() -> None:
    bn = build_model({"name": "resnet_cifar", "depth": 20}, 3, 10, 32)
    gn = build_model({"name": "resnet_cifar", "depth": 20, "norm": {"name": "group", "groups": 8}}, 3, 10, 32)
    assert [k for k, _ in bn.named_parameters()] == [k for k, _ in gn.named_parameters()]
    assert count_parameters(gn) == count_parameters(bn)
    assert isinstance(gn.blocks[0].bn2, nn.GroupNorm) and gn.blocks[0].bn2.num_groups == 8
    plain = build_model({"name": "resnet_cifar", "depth": 8, "norm": "none"}, 3, 10, 32)
    assert plain.stem.bias is not None  # without a norm the convs keep their biases


def conv_weights(model: nn.Module) -> list[torch.Tensor]:
    """The weights of every conv and linear layer, in order."""
    return [m.weight for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def test_init_registry_draws_the_documented_statistics() -> None:
    net = nn.Sequential(nn.Conv2d(64, 128, 3), nn.Linear(2000, 1000), nn.BatchNorm2d(4), nn.GroupNorm(2, 4))
    conv, linear = net[0].weight, net[1].weight
    torch.manual_seed(0)
    init_weights_(net, "he")
    assert conv.std().item() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.02)
    assert linear.std().item() == pytest.approx(math.sqrt(1 / 2000), rel=0.02)
    init_weights_(net, "glorot")
    bound = math.sqrt(6 / (2000 + 1000))
    assert linear.abs().max().item() <= bound and linear.std().item() == pytest.approx(
        bound / math.sqrt(3), rel=0.02
    )
    init_weights_(net, {"name": "normal", "std": 0.05})
    assert conv.std().item() == pytest.approx(0.05, rel=0.02) and linear.mean().abs().item() < 1e-3
    init_weights_(net, "fan_in")
    assert conv.std().item() == pytest.approx(1 / math.sqrt(64 * 9), rel=0.02)
    assert all(net[i].bias.abs().sum() == 0 for i in range(4)) and torch.equal(net[3].weight, torch.ones(4))
    assert INITS.names() == ["fan_in", "glorot", "he", "normal"]


def test_he_init_is_the_ioffe_convnet_init_and_resnet_init_option_changes_it() -> None:
    torch.manual_seed(0)
    default = build_model({"name": "resnet_cifar", "depth": 8}, 3, 10, 32)
    torch.manual_seed(0)
    explicit = build_model({"name": "resnet_cifar", "depth": 8, "init": "he"}, 3, 10, 32)
    torch.manual_seed(0)
    glorot = build_model({"name": "resnet_cifar", "depth": 8, "init": "glorot"}, 3, 10, 32)
    assert state_digest(default) == state_digest(explicit) != state_digest(glorot)
    with pytest.raises(ConfigError, match=r"model\.init.*valid: .*glorot"):
        build_model({"name": "resnet_cifar", "init": "xavier"}, 3, 10, 32)


@pytest.mark.parametrize("norm", NORMS_TO_TRY[1:], ids=str)
def test_zero_init_residual_zeroes_exactly_the_last_norm_of_each_block(norm: object) -> None:
    spec = {"name": "resnet_cifar", "depth": 20, "width": 8, "norm": norm, "zero_init_residual": True}
    model = build_model(spec, 3, 10, 32)
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 9
    for block in blocks:
        assert block.bn2.weight.abs().sum() == 0 and bool((block.bn1.weight == 1).all())
    assert bool((model.stem_bn.weight == 1).all())
    zeroed = [n for n, p in model.named_parameters() if n.endswith("weight") and p.abs().sum() == 0]
    assert zeroed == [f"blocks.{i}.bn2.weight" for i in range(9)]
    # A zeroed residual branch makes each block the identity (then ReLU) on non-negative input.
    x = torch.rand(2, 8, 8, 8)
    torch.testing.assert_close(blocks[1](x), x)


def test_zero_gamma_leaves_plain_nets_alone_and_needs_an_affine_norm() -> None:
    plain = build_model({"name": "resnet_cifar", "depth": 8, "residual": False}, 3, 10, 32)
    assert zero_gamma_last_(plain) == 0
    with pytest.raises(ValueError, match="affine weight"):
        build_model(
            {"name": "resnet_cifar", "depth": 8, "norm": "none", "zero_init_residual": True}, 3, 10, 32
        )


def test_mlp_dropout_per_layer_adds_modules_only_when_asked() -> None:
    plain = build_model({"name": "mlp"}, 1, 10, 28)
    assert not any(isinstance(m, nn.Dropout) for m in plain.modules())
    # keep_* are the paper's p, the probability of keeping a unit: nn.Dropout gets 1 - p.
    spec = {"name": "mlp", "keep_input": 0.8, "keep_hidden": 0.5, "activation": "relu"}
    dropped = build_model(spec, 1, 10, 28)
    assert dropped.drop_input.p == pytest.approx(0.2)
    assert [layer.drop.p for layer in dropped.hidden] == [0.5] * 3
    assert list(dropped.state_dict()) == list(plain.state_dict())
    x = torch.rand(64, 1, 28, 28)
    dropped.eval()
    assert torch.equal(dropped(x), dropped(x))
    dropped.train()
    assert not torch.equal(dropped(x), dropped(x))


def test_conv_dropout_after_every_stage_spatial_or_not() -> None:
    stages = [[8], [16, 16], [32]]
    base = build_model({"name": "convnet", "stages": stages}, 1, 10, 28)
    spatial = build_model(
        {"name": "convnet", "stages": stages, "dropout_conv": 0.1, "spatial": True}, 1, 10, 28
    )
    kinds = [type(m) for m in spatial.features]
    assert kinds.count(nn.Dropout2d) == 3 and not any(isinstance(m, nn.Dropout) for m in base.features)
    assert kinds.index(nn.Dropout2d) == kinds.index(nn.MaxPool2d) + 1  # after the pool that ends stage 1
    assert count_parameters(spatial) == count_parameters(base)
    units = build_model({"name": "vgg", **SMALL["vgg"], "dropout_conv": 0.1}, 1, 10, 28)
    assert sum(type(m) is nn.Dropout for m in units.features) == 3


def test_vgg_presets_layer_lists_and_counts_match_the_docstring() -> None:
    vgg11 = build_model({"name": "vgg", "norm": "batch"}, 3, 10, 32)
    convs = [m for m in vgg11.features if hasattr(m, "conv")]
    assert len(convs) == 8 and all(u.conv.bias is None and isinstance(u.norm, nn.BatchNorm2d) for u in convs)
    assert all(isinstance(layer.norm, nn.BatchNorm1d) for layer in vgg11.head)  # head_norm defaults to norm
    assert count_parameters(build_model({"name": "vgg"}, 3, 10, 32)) == 9_750_922
    assert sum(p.numel() for p in build_model({"name": "vgg"}, 3, 10, 32).features.parameters()) == 9_220_480
    quarter = {"name": "vgg", "layers": "vgg11_quarter", "head": [128, 128]}
    assert count_parameters(build_model(quarter, 3, 10, 32)) == 611_434
    assert count_parameters(build_model({**quarter, "norm": "batch"}, 3, 10, 32)) == 612_378
    assert build_model({**quarter, "kernel": 5}, 1, 10, 28)(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="unknown vgg preset 'vgg12'"):
        build_model({"name": "vgg", "layers": "vgg12"}, 3, 10, 32)
    with pytest.raises(ValueError, match="layer 1"):
        build_model({"name": "vgg", "layers": [8, "P"]}, 3, 10, 32)
    with pytest.raises(ValueError, match="odd"):
        build_model({"name": "vgg", "kernel": 4}, 3, 10, 32)


def test_linear_deep_is_linear_and_counts_the_paper_weights() -> None:
    dln = build_model({"name": "linear_deep"}, 10, 10, 1)  # 10 input features as (N, 10, 1, 1)
    assert count_parameters(dln) == 25 * 10 * 10
    x, y = torch.randn(5, 10, 1, 1), torch.randn(5, 10, 1, 1)
    torch.testing.assert_close(dln(2 * x - 3 * y), 2 * dln(x) - 3 * dln(y), rtol=1e-4, atol=1e-5)
    regression = build_model({"name": "linear_deep", "depth": 3, "width": 4, "out_features": 1}, 1, 10, 28)
    assert regression(torch.rand(2, 1, 28, 28)).shape == (2, 1)
    normed = build_model({"name": "linear_deep", "depth": 3, "norm": "batch", "bias": True}, 10, 10, 1)
    assert [u.linear.bias for u in normed.hidden] == [None, None] and normed.out.bias is not None
