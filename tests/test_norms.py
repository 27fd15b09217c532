"""Norm specs: every registry entry, GN against LN and IN, ghost BN against BN, and clear spec errors."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from repro.config import ConfigError, run_config_from_dict
from repro.models import build_model
from repro.models.norms import NORMS, check_activation, check_norm_spec, has_bias, make_norm

# One spec per registry entry; a new entry must add one here (checked below).
EXAMPLES = {
    "none": "none",
    "batch": {"name": "batch", "momentum": 0.2, "eps": 1e-3},
    "ghost_batch": {"name": "ghost_batch", "virtual_batch": 2},
    "group": {"name": "group", "groups": 4},
    "layer": "layer",
    "instance": "instance",
    "noisy_batch": {"name": "noisy_batch", "mean_range": 0.5},
    "noise": "noise",
    "lp_batch": {"name": "lp_batch", "p": "inf"},
}


def test_every_registry_entry_has_an_example() -> None:
    assert sorted(EXAMPLES) == NORMS.names()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize(("dims", "shape"), [(1, (8, 12)), (2, (8, 12, 5, 5))])
def test_every_norm_keeps_the_shape_in_train_and_eval(name: str, dims: int, shape: tuple[int, ...]) -> None:
    norm = make_norm(EXAMPLES[name], 12, dims)
    x = torch.randn(*shape)
    assert norm(x).shape == x.shape
    norm.eval()
    assert norm(x).shape == x.shape
    assert has_bias(EXAMPLES[name]) == (name == "none")


def test_string_and_mapping_specs_build_the_same_batch_norm() -> None:
    plain, mapped = make_norm("batch", 6, 2), make_norm({"name": "batch"}, 6, 2)
    assert type(plain) is type(mapped) is nn.BatchNorm2d
    assert isinstance(make_norm("batch", 6, 1), nn.BatchNorm1d)
    tuned = make_norm(EXAMPLES["batch"], 6, 2)
    assert tuned.momentum == 0.2 and tuned.eps == 1e-3


def test_group_norm_with_one_group_is_layer_norm_and_with_c_groups_is_instance_norm() -> None:
    x = torch.randn(4, 8, 6, 6) * 3 + 1
    one = make_norm({"name": "group", "groups": 1}, 8, 2)
    torch.testing.assert_close(one(x), F.layer_norm(x, x.shape[1:]))
    torch.testing.assert_close(make_norm("layer", 8, 2)(x), F.layer_norm(x, x.shape[1:]))
    per_channel = make_norm({"name": "group", "groups": 8}, 8, 2)
    torch.testing.assert_close(per_channel(x), F.instance_norm(x))
    instance = make_norm("instance", 8, 2)
    torch.testing.assert_close(instance(x), F.instance_norm(x))
    assert instance.weight.shape == (8,) and not any(True for _ in instance.buffers())  # no running stats
    v = torch.randn(4, 8)
    torch.testing.assert_close(make_norm("layer", 8, 1)(v), F.layer_norm(v, (8,)))


def test_group_norm_statistics_are_per_sample_and_group() -> None:
    x = torch.randn(3, 8, 4, 4) * 5 + 2
    out = make_norm({"name": "group", "groups": 2}, 8, 2)(x).view(3, 2, -1)
    torch.testing.assert_close(out.mean(-1), torch.zeros(3, 2), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.var(-1, unbiased=False), torch.ones(3, 2), atol=1e-3, rtol=0)


def test_group_norm_with_indivisible_channels_names_both_numbers() -> None:
    with pytest.raises(ValueError, match=r"12 channels .*groups=8"):
        make_norm({"name": "group", "groups": 8}, 12, 2)


def bn_and_ghost(dims: int, virtual_batch: int) -> tuple[nn.Module, nn.Module]:
    """A BN with non-trivial affine parameters and running stats, and a ghost BN in the same state."""
    bn = make_norm("batch", 5, dims)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.uniform_(-1.0, 1.0)
        bn.running_mean.uniform_(-1.0, 1.0)
        bn.running_var.uniform_(0.5, 2.0)
    ghost = make_norm({"name": "ghost_batch", "virtual_batch": virtual_batch}, 5, dims)
    ghost.load_state_dict(bn.state_dict())
    return bn, ghost


def assert_same_state(a: nn.Module, b: nn.Module) -> None:
    """Bit-identical state_dicts (affine parameters, running statistics, step counts)."""
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key


@pytest.mark.parametrize(("dims", "shape"), [(1, (16, 5)), (2, (16, 5, 3, 3))])
def test_ghost_batch_norm_with_one_sub_batch_is_exactly_batch_norm(dims: int, shape: tuple[int, ...]) -> None:
    bn, ghost = bn_and_ghost(dims, virtual_batch=16)
    for _ in range(3):
        x = torch.randn(*shape) * 2 + 1
        assert torch.equal(bn(x), ghost(x))
    assert_same_state(bn, ghost)
    bn.eval()
    ghost.eval()
    x = torch.randn(*shape)
    assert torch.equal(bn(x), ghost(x))


@pytest.mark.parametrize("batch", [16, 14])  # equal sub-batches, and a smaller last one
@pytest.mark.parametrize(("dims", "rest"), [(1, ()), (2, (3, 3))])
def test_ghost_batch_norm_is_batch_norm_applied_per_sub_batch(
    dims: int, rest: tuple[int, ...], batch: int
) -> None:
    bn, ghost = bn_and_ghost(dims, virtual_batch=4)
    x = (torch.randn(batch, 5, *rest) * 3 + 1).requires_grad_()
    chunks = x.split(4)
    expected = torch.cat([bn(chunk) for chunk in chunks])  # sequential BN steps, one per sub-batch
    out = ghost(x)
    assert torch.equal(out, expected)
    assert_same_state(bn, ghost)
    assert ghost.num_batches_tracked.item() == len(chunks)
    # The gradients agree too: each sub-batch is normalised by its own statistics only.
    weights = torch.randn_like(out)
    grads = torch.autograd.grad((expected * weights).sum(), [x, bn.weight])
    ghost_grads = torch.autograd.grad((out * weights).sum(), [x, ghost.weight])
    for g, h in zip(grads, ghost_grads, strict=True):
        torch.testing.assert_close(g, h, rtol=1e-4, atol=1e-5)


def test_ghost_batch_norm_evaluates_with_running_statistics() -> None:
    bn, ghost = bn_and_ghost(2, virtual_batch=4)
    bn.eval()
    ghost.eval()
    x = torch.randn(12, 5, 2, 2)
    assert torch.equal(bn(x), ghost(x))
    before = copy.deepcopy(ghost.state_dict())
    ghost(x)
    assert all(torch.equal(before[k], v) for k, v in ghost.state_dict().items())  # eval leaves them alone


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("grop", r"unknown norm 'grop' at 'model\.norm' in exp\.yaml; valid: .*'group'"),
        (
            {"name": "group", "group": 8},
            r"'model\.norm\.group' .* in exp\.yaml; valid options: \['eps', 'group_size', 'groups'\]",
        ),
        ({"name": "group", "groups": "8"}, r"'model\.norm\.groups' must be int in exp\.yaml"),
        ({"name": "group", "groups": True}, r"'model\.norm\.groups' must be int"),
        ({"name": "batch", "momentum": "fast"}, r"'model\.norm\.momentum' must be float"),
        (
            {"name": "ghost_batch"},
            r"'model\.norm' \(norm 'ghost_batch'\) in exp\.yaml: one of virtual_batch and workers",
        ),
        ({"name": "ghost_batch", "virtual_batch": 2, "workers": 8}, r"virtual_batch or workers, not both"),
        ({"name": "group", "groups": 2, "group_size": 4}, r"groups or group_size, not both"),
        ({"name": "group", "group_size": 1.5}, r"'model\.norm\.group_size' must be int"),
        ({"groups": 8}, r"'model\.norm\.name' is missing in exp\.yaml"),
        (["batch"], r"'model\.norm' must be a norm name or a mapping"),
        ({"name": "none", "eps": 1e-5}, r"'model\.norm\.eps' for norm 'none'.*valid options: \[\]"),
    ],
)
def test_bad_norm_specs_name_the_key_and_the_source(spec: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_norm_spec(spec, "exp.yaml")


def test_good_specs_pass_and_ints_count_as_floats() -> None:
    for spec in EXAMPLES.values():
        check_norm_spec(spec, "exp.yaml")
    check_norm_spec({"name": "batch", "momentum": 0, "eps": 1}, "exp.yaml")


def test_model_configs_check_norm_activation_and_init_before_building() -> None:
    raw = {"model": {"name": "resnet_cifar", "norm": {"name": "group", "gruops": 4}}}
    with pytest.raises(ConfigError, match=r"model\.norm\.gruops.*in runs/a\.yaml"):
        run_config_from_dict(raw, "runs/a.yaml")
    with pytest.raises(ConfigError, match=r"model\.activation.*valid: .*relu"):
        run_config_from_dict({"model": {"name": "mlp", "activation": "gelu"}}, "runs/a.yaml")
    with pytest.raises(ConfigError, match=r"model\.init\.std' must be float"):
        run_config_from_dict({"model": {"name": "vgg", "init": {"name": "normal", "std": "x"}}}, "a")
    with pytest.raises(ConfigError, match=r"model\.head_norm\.groups"):
        run_config_from_dict({"model": {"name": "vgg", "head_norm": {"name": "group", "groups": 0.5}}}, "a")
    cfg = run_config_from_dict({"model": {"name": "resnet_cifar", "norm": {"name": "group", "groups": 4}}})
    assert cfg.model["norm"] == {"name": "group", "groups": 4}
    with pytest.raises(ConfigError, match="model.norm"):
        build_model({"name": "convnet", "norm": "btach"}, 1, 10, 28)
    check_activation("tanh", "a")


def ghost_per_worker(dims: int, workers: int) -> tuple[nn.Module, nn.Module]:
    """A BN in a non-trivial state and a per-worker ghost BN (``workers`` sub-batches) in the same state."""
    bn, _ = bn_and_ghost(dims, virtual_batch=1)
    ghost = make_norm({"name": "ghost_batch", "workers": workers}, 5, dims)
    ghost.load_state_dict(bn.state_dict())
    return bn, ghost


@pytest.mark.parametrize(("dims", "rest"), [(1, ()), (2, (3, 3))])
def test_per_worker_ghost_bn_normalises_each_workers_images_by_their_own_statistics(
    dims: int, rest: tuple[int, ...]
) -> None:
    # 8 emulated workers of b = 2 images each: every worker's output is BN over its 2 images (times H x W),
    # and the running statistics follow worker 0 only, one update per step, as in data-parallel training.
    torch.manual_seed(0)
    bn, ghost = ghost_per_worker(dims, workers=8)
    x = (torch.randn(16, 5, *rest) * 3 + 1).requires_grad_()
    chunks = x.split(2)
    expected = torch.cat(
        [bn(chunks[0])]
        + [F.batch_norm(c, None, None, bn.weight, bn.bias, True, 0.0, bn.eps) for c in chunks[1:]]
    )
    out = ghost(x)
    assert torch.equal(out, expected)
    assert_same_state(bn, ghost)
    assert ghost.num_batches_tracked.item() == 1
    flat = out.detach().transpose(0, 1).reshape(5, 8, -1)  # channel x worker x (images in the worker, H, W)
    torch.testing.assert_close(flat.mean(-1), bn.bias.detach()[:, None].expand(5, 8), atol=1e-4, rtol=0)
    weights = torch.randn_like(out)
    grads = torch.autograd.grad((expected * weights).sum(), [x, bn.weight])
    ghost_grads = torch.autograd.grad((out * weights).sum(), [x, ghost.weight])
    for g, h in zip(grads, ghost_grads, strict=True):
        torch.testing.assert_close(g, h, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("dims", "shape"), [(1, (16, 5)), (2, (16, 5, 3, 3))])
def test_per_worker_ghost_bn_with_one_worker_is_exactly_batch_norm(dims: int, shape: tuple[int, ...]) -> None:
    bn, ghost = ghost_per_worker(dims, workers=1)
    for _ in range(3):
        x = torch.randn(*shape) * 2 + 1
        assert torch.equal(bn(x), ghost(x))
    assert_same_state(bn, ghost)


def test_per_worker_ghost_bn_refuses_a_batch_that_does_not_split_evenly() -> None:
    _, ghost = ghost_per_worker(2, workers=8)
    with pytest.raises(ValueError, match=r"12 samples .* workers=8"):
        ghost(torch.randn(12, 5, 2, 2))


def test_group_norm_by_channels_per_group_gives_wider_layers_more_groups() -> None:
    assert make_norm({"name": "group", "group_size": 4}, 8, 2).num_groups == 2
    assert make_norm({"name": "group", "group_size": 4}, 32, 2).num_groups == 8
    with pytest.raises(ValueError, match=r"12 channels do not split .*group_size=8"):
        make_norm({"name": "group", "group_size": 8}, 12, 2)
