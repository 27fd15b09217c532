"""Step hooks: probe isolation (bit for bit), cadence, artifacts, max-norm constraints, momentum schedules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from repro.config import ConfigError, run_config_from_dict
from repro.hooks import build_constraints
from repro.optim import linear_value, momentum_at, piecewise_value, scheduled_value
from repro.probes import PROBES, Probe, ProbeContext, ProbeResult
from repro.probes.artifacts import artifact_path, read_artifacts, write_artifacts
from repro.probes.cadence import fixed_steps, is_due, log_spaced_steps
from repro.probes.isolation import isolated
from repro.probes.runner import probe_seed
from repro.train import CHECKPOINT, run

from .test_train import tiny_config


class Meddler(Probe):
    """Does everything a probe must not leave behind, then reports a draw from its own generator."""

    def __call__(self, context: ProbeContext) -> ProbeResult:
        model, optimizer = context.model, context.optimizer
        model.train()
        x = context.batch[0] if context.batch is not None else context.data.test_x[:16]
        y = context.batch[1] if context.batch is not None else context.data.test_y[:16]
        context.loss_fn(model(x), y).backward()  # BN buffers, dropout (global RNG), grads accumulate
        for group in optimizer.param_groups:
            group["lr"] *= 10
        optimizer.step()
        torch.rand(5)  # a global-RNG draw
        model.eval()
        draw = torch.rand(1, generator=context.generator).item()
        image = torch.rand(3, 4, 4, generator=context.generator)
        artifacts = {
            "noise.npy": torch.full((2,), draw),
            "grid.png": image,
            "info.json": {"step": context.step},
        }
        return ProbeResult([{"metric": "draw", "value": draw}], artifacts)


class MaxRowNorm(Probe):
    """The largest incoming-weight norm of any unit of any Linear layer, and the param groups' momentum."""

    def __call__(self, context: ProbeContext) -> list[dict]:
        norms = [
            m.weight.detach().flatten(1).norm(dim=1).max()
            for m in context.model.modules()
            if isinstance(m, nn.Linear)
        ]
        momentum = context.optimizer.param_groups[0]["momentum"]
        return [
            {"metric": "max_row_norm", "value": float(max(norms))},
            {"metric": "momentum", "value": momentum},
        ]


for _name, _cls in (
    ("test_meddler_a", Meddler),
    ("test_meddler_b", Meddler),
    ("test_max_row_norm", MaxRowNorm),
):
    if _name not in PROBES:
        PROBES.register(_name)(_cls)


def conv_config(data_root: Path) -> dict:
    """A tiny conv net with BN and dropout (which draws from the global RNG) and momentum SGD."""
    raw = tiny_config(data_root, steps=12, log_every=2, eval_every=4, checkpoint_every=5)
    raw["model"] = {"name": "convnet", "stages": [[4], [8]], "norm": "batch", "dropout": 0.3}
    raw["probes"] = []
    return raw


def test_every_probe_in_both_phases_leaves_training_bit_identical(
    tiny_data_root: Path, tmp_path: Path
) -> None:
    plain = conv_config(tiny_data_root)
    probed = conv_config(tiny_data_root)
    probed["probes"] = [
        {"name": "layer_response", "every": 1},
        {"name": "percentiles", "every": 1, "options": {"n": 16, "units": [0, 1]}},
        {"name": "gradient_step", "phase": "before_step", "every": 1,
         "options": {"multipliers": [0.5, 2.0], "save_gradients": True}},
        {"name": "test_meddler_a", "phase": "before_step", "every": 1},
        {"name": "test_meddler_b", "phase": "after_step", "every": 1},
    ]  # fmt: skip
    run(run_config_from_dict(plain), tmp_path / "plain", threads=1)
    run(run_config_from_dict(probed), tmp_path / "probed", threads=1)
    a, b = tmp_path / "plain", tmp_path / "probed"
    assert (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()
    ca, cb = (torch.load(d / CHECKPOINT, weights_only=False) for d in (a, b))
    for key, value in ca["model"].items():
        assert torch.equal(value, cb["model"][key]), key
    for p, state in ca["optimizer"]["state"].items():
        assert torch.equal(state["momentum_buffer"], cb["optimizer"]["state"][p]["momentum_buffer"])
    assert ca["optimizer"]["param_groups"] == cb["optimizer"]["param_groups"]
    assert torch.equal(ca["generator"], cb["generator"]) and torch.equal(ca["torch_rng"], cb["torch_rng"])

    before = pd.read_csv(b / "probes" / "gradient_step.csv")
    assert sorted(before["step"].unique()) == list(range(12))  # before steps 0..11
    assert set(before["metric"]) == {"grad_norm", "batch_loss", "trial_loss", "loss_change"}
    after = pd.read_csv(b / "probes" / "test_meddler_b.csv")
    assert list(after["step"]) == list(range(13))  # the call before training, then after each step
    # Each call's generator is seeded from run seed, step, phase and probe name: reproducible, distinct.
    expected = torch.rand(
        1, generator=torch.Generator().manual_seed(probe_seed(3, 4, "after_step", "test_meddler_b"))
    )
    assert after.set_index("step").loc[4, "value"] == pytest.approx(expected.item())
    assert after["value"].nunique() == 13
    grads = read_artifacts(b, "gradient_step", "gradients.pt")
    assert list(grads) == list(range(12)) and "fc.weight" in torch.load(grads[0], weights_only=True)


def test_isolated_restores_parameters_grads_buffers_optimizer_modes_and_rng() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Dropout(0.5), nn.Linear(6, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(8, 4), torch.randint(0, 2, (8,))
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()  # momentum buffers exist
    nn.functional.cross_entropy(model(x), y).backward()
    model[1].eval()
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad.clone() for p in model.parameters()]
    momenta = [optimizer.state[p]["momentum_buffer"].clone() for p in model.parameters()]
    rng = torch.get_rng_state()
    with isolated(model, optimizer):
        model.train()
        optimizer.param_groups[0]["lr"] = 5.0
        nn.functional.cross_entropy(model(torch.randn(8, 4)), y).backward()
        optimizer.step()
        model[3].weight = nn.Parameter(torch.zeros(2, 6))  # even a replaced parameter comes back
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in saved.items())
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, model.parameters(), strict=True))
    assert all(
        torch.equal(m, optimizer.state[p]["momentum_buffer"])
        for m, p in zip(momenta, model.parameters(), strict=True)
    )
    assert optimizer.param_groups[0]["lr"] == 0.1 and optimizer.param_groups[0]["params"][-1] is model[3].bias
    assert model.training and not model[1].training
    assert torch.equal(torch.get_rng_state(), rng)


def test_cadence_every_steps_log_spaced_and_at_end() -> None:
    assert log_spaced_steps(1, 1000, 4) == [1, 10, 100, 1000]
    assert log_spaced_steps(1, 10, 20)[:3] == [1, 2, 3] and log_spaced_steps(5, 9, 1) == [5]
    cfg = run_config_from_dict(
        {"probes": [{"name": "layer_response", "every": 10, "steps": [3], "at_end": True,
                     "log_spaced": {"start": 1, "stop": 100, "num": 3}}]}
    ).probes[0]  # fmt: skip
    due = [s for s in range(0, 51) if is_due(cfg, s, 50, fixed_steps(cfg))]
    assert due == [0, 1, 3, 10, 20, 30, 40, 50]
    assert run_config_from_dict({}).to_dict() == run_config_from_dict({"probes": []}).to_dict()
    raw = {"probes": [{"name": "layer_response"}]}
    assert "phase" not in run_config_from_dict(raw).to_dict()["probes"][0]  # new keys stay out of old runs


def test_artifacts_are_written_by_name_and_step(tmp_path: Path) -> None:
    image = torch.zeros(3, 2, 2)
    image[0] = 1.0
    write_artifacts(
        tmp_path, "p", 7, {"grid.png": image, "vec.npy": torch.arange(3), "obj.pt": {"a": torch.ones(2)}}
    )
    assert artifact_path(tmp_path, "p", 7, "grid.png") == tmp_path / "probes/p/grid/step0000007.png"
    from PIL import Image

    pixels = np.asarray(Image.open(read_artifacts(tmp_path, "p", "grid.png")[7]))
    assert pixels.shape == (2, 2, 3) and (pixels[..., 0] == 255).all() and (pixels[..., 1:] == 0).all()
    assert np.load(read_artifacts(tmp_path, "p", "vec.npy")[7]).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="NAME.EXT"):
        write_artifacts(tmp_path, "p", 1, {"../escape.txt": 1})


def test_max_norm_clips_only_long_units_and_respects_types_and_names() -> None:
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Flatten(), nn.Linear(3, 4), nn.Linear(4, 2))
    with torch.no_grad():
        model[0].weight.mul_(10)
        model[2].weight.copy_(
            torch.tensor([[3.0, 4.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.0, 9.0], [1.0, 1.0, 1.0]])
        )
        model[3].weight.mul_(100)
    before = [m.weight.clone() for m in (model[0], model[2], model[3])]
    (constraint,) = build_constraints([{"name": "max_norm", "c": 2.0, "names": ["0", "2"]}], model)
    constraint()
    conv_norms = model[0].weight.flatten(1).norm(dim=1)
    assert torch.allclose(conv_norms, torch.minimum(before[0].flatten(1).norm(dim=1), torch.tensor(2.0)))
    rows = model[2].weight
    assert torch.allclose(rows[0], torch.tensor([1.2, 1.6, 0.0])) and torch.equal(rows[1], before[1][1])
    assert torch.equal(rows[3], before[1][3])  # norm sqrt(3) < 2: bit for bit unchanged
    assert torch.equal(model[3].weight, before[2])  # not selected by name
    (linear_only,) = build_constraints([{"name": "max_norm", "c": 1.0, "types": ["Linear"]}], model)
    linear_only()
    assert torch.allclose(model[0].weight.flatten(1).norm(dim=1), conv_norms)  # convs left alone
    assert model[3].weight.norm(dim=1).max() <= 1.0 + 1e-6


def test_max_norm_on_an_inverted_dropout_net_is_the_papers_constraint_on_its_weight_scaled_net() -> None:
    """Srivastava et al. bound ||w|| <= c on the plain-dropout net: 1/p times the inverted-dropout weights.

    The paper's test-time net multiplies each layer's weights by the keep probability p of its input: that
    is exactly the eval-mode inverted-dropout net. So constraining the inverted net (at c * p per layer)
    must equal constraining the paper's weights at c and then scaling them by p.
    """
    from repro.hooks import input_keep_probabilities
    from repro.models.mlp import mlp

    torch.manual_seed(0)
    keeps = {"hidden.0.linear": 0.8, "hidden.1.linear": 0.5, "out": 0.6}
    keeps_hidden = [0.5, 0.6]
    net = mlp(
        1, 10, 6, hidden=[8, 8], activation="relu", init_std=3.0, keep_input=0.8, keep_hidden=keeps_hidden
    )
    assert input_keep_probabilities(net) == keeps
    linears = {name: m for name, m in net.named_modules() if isinstance(m, nn.Linear)}
    c = 2.0
    # The paper's weights of the same net, constrained the paper's way, then scaled for test time.
    expected = {}
    for name, m in linears.items():
        paper = m.weight.detach() / keeps[name]
        norms = paper.norm(dim=1, keepdim=True)
        assert (norms > c).any(), "init_std 3 makes some rows too long, so the test constrains something"
        expected[name] = keeps[name] * paper * torch.clamp(c / norms, max=1.0)
    (constraint,) = build_constraints([{"name": "max_norm", "c": c}], net)
    constraint()
    for name, m in linears.items():
        assert torch.allclose(m.weight, expected[name], atol=1e-6), name
        assert m.weight.norm(dim=1).max() <= c * keeps[name] * (1 + 1e-6)
    # And as nets: the eval-mode inverted net computes what the paper's constrained weight-scaled net does.
    x = torch.randn(5, 1, 6, 6)
    with torch.no_grad():
        h = x.flatten(1)
        for name in ("hidden.0.linear", "hidden.1.linear"):
            h = torch.relu(h @ expected[name].T + linears[name].bias)
        paper_out = h @ expected["out"].T + linears["out"].bias
        assert torch.allclose(net.eval()(x), paper_out, atol=1e-5)


def test_max_norm_keeps_c_where_no_dropout_feeds_the_layer() -> None:
    from repro.hooks import input_keep_probabilities
    from repro.models.conv_fc import conv_fc

    net = conv_fc(1, 10, 8, convs=[4], fc=[6], keep=[1.0, 0.75, 0.5], spatial=True)
    assert input_keep_probabilities(net) == {"net.0": 1.0, "net.6": 0.75, "fc": 0.5}
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                m.weight.mul_(50)
    (constraint,) = build_constraints([{"name": "max_norm", "c": 3.0}], net)
    constraint()
    assert torch.allclose(net.net[0].weight.flatten(1).norm(dim=1), torch.tensor(3.0))
    assert torch.allclose(net.net[6].weight.norm(dim=1), torch.tensor(2.25))
    assert torch.allclose(net.fc.weight.norm(dim=1), torch.tensor(1.5))


def mlp_config(data_root: Path, **extra: object) -> dict:
    """A tiny MLP run (no BN) on the synthetic data, with a probe of row norms and momentum every step."""
    raw = tiny_config(data_root, steps=12, log_every=3, eval_every=6, channels_last=False)
    raw["data"].update(pad=0, flip=False)
    raw["model"] = {"name": "mlp", "hidden": [16], "activation": "relu", "init_std": 0.5}
    raw["optim"] = {"lr": 2.0, "momentum": 0.5, "weight_decay": 0.0}
    raw["probes"] = [{"name": "test_max_row_norm", "every": 1, "at_end": False}]
    return raw | extra


def test_max_norm_holds_after_every_step(tiny_data_root: Path, tmp_path: Path) -> None:
    free = mlp_config(tiny_data_root)
    held = mlp_config(tiny_data_root, constraints=[{"name": "max_norm", "c": 1.5}])
    run(run_config_from_dict(free), tmp_path / "free", threads=1)
    run(run_config_from_dict(held), tmp_path / "held", threads=1)

    def norms(name: str) -> pd.Series:
        rows = pd.read_csv(tmp_path / name / "probes" / "test_max_row_norm.csv")
        return rows[(rows["metric"] == "max_row_norm") & (rows["step"] > 0)]["value"]

    assert norms("free").max() > 3.0, "without the constraint the weights should grow past c"
    assert len(norms("held")) == 12 and (norms("held") <= 1.5 * (1 + 1e-6)).all()
    with pytest.raises(ConfigError, match=r"'constraints\[0\]\.cc'"):
        run_config_from_dict(mlp_config(tiny_data_root, constraints=[{"name": "max_norm", "cc": 1.0}]))
    with pytest.raises(ConfigError, match=r"constraints\[0\]\.name.*max_norm"):
        run_config_from_dict(mlp_config(tiny_data_root, constraints=[{"name": "min_norm"}]))


def test_momentum_schedule_values() -> None:
    assert [linear_value(s, 0.5, 0.9, 4) for s in (0, 1, 2, 4, 10)] == pytest.approx(
        [0.5, 0.6, 0.7, 0.9, 0.9]
    )
    assert [linear_value(s, 0.5, 0.9, 4, begin=2) for s in (0, 2, 4, 6)] == pytest.approx(
        [0.5, 0.5, 0.7, 0.9]
    )
    assert [piecewise_value(s, [0.5, 0.9, 0.99], [3, 6]) for s in (0, 3, 5, 6)] == [0.5, 0.9, 0.9, 0.99]
    assert scheduled_value({"name": "constant", "value": 0.7}, 123) == 0.7
    cfg = run_config_from_dict(
        {"schedule": {"momentum": {"name": "linear", "start": 0.5, "end": 0.99, "steps": 10}}}
    )
    assert momentum_at(cfg.schedule, 5) == pytest.approx(0.745)
    assert momentum_at(run_config_from_dict({}).schedule, 5) is None
    bad_specs = [
        ({"name": "cosine"}, r"schedule\.momentum\.name.*linear"),
        ({"name": "linear", "start": 0.5, "end": 0.9}, r"schedule\.momentum\.steps' is missing"),
        ({"name": "constant", "value": 1, "x": 2}, r"schedule\.momentum\.x"),
        ({"name": "piecewise", "values": [1], "milestones": [2]}, "one more entry"),
    ]
    for bad, match in bad_specs:
        with pytest.raises(ConfigError, match=match):
            run_config_from_dict({"schedule": {"momentum": bad}})


def test_optimizer_param_groups_see_the_momentum_schedule(tiny_data_root: Path, tmp_path: Path) -> None:
    raw = mlp_config(tiny_data_root)
    raw["probes"] = [{"name": "test_max_row_norm", "phase": "before_step", "every": 1, "at_end": False}]
    raw["schedule"] = {
        "name": "constant",
        "momentum": {"name": "linear", "start": 0.5, "end": 0.9, "steps": 8},
    }
    run(run_config_from_dict(raw), tmp_path / "m", threads=1)
    seen = pd.read_csv(tmp_path / "m" / "probes" / "test_max_row_norm.csv")
    seen = seen[seen["metric"] == "momentum"].set_index("step")["value"]
    assert list(seen.index) == list(range(12))  # before every step
    assert seen.tolist() == pytest.approx([linear_value(s, 0.5, 0.9, 8) for s in range(12)])
    metrics = pd.read_csv(tmp_path / "m" / "metrics.csv")
    logged = metrics[metrics["metric"] == "momentum"].set_index("step")["value"]
    assert logged.to_dict() == pytest.approx({s: linear_value(s - 1, 0.5, 0.9, 8) for s in (3, 6, 9, 12)})


def test_killed_run_with_before_step_probes_resumes_to_the_same_rows(
    tiny_data_root: Path, tmp_path: Path, monkeypatch
) -> None:
    import repro.train as train_module

    raw = conv_config(tiny_data_root)
    raw["probes"] = [
        {"name": "gradient_step", "phase": "before_step", "every": 2, "options": {"save_gradients": True}},
        {"name": "test_meddler_b", "log_spaced": {"start": 1, "stop": 12, "num": 5}, "steps": [0]},
    ]
    cfg = run_config_from_dict(raw)
    run(cfg, tmp_path / "whole", threads=1)
    real_save = train_module._save_checkpoint

    def save_then_die(*args, **kwargs):
        real_save(*args, **kwargs)
        raise KeyboardInterrupt("simulated kill")  # right after the first checkpoint, at step 5

    monkeypatch.setattr(train_module, "_save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run(cfg, tmp_path / "killed", threads=1)
    monkeypatch.setattr(train_module, "_save_checkpoint", real_save)
    assert run(cfg, tmp_path / "killed", threads=1)["resumed_from_step"] == [5]
    for name in ("metrics.csv", "probes/gradient_step.csv", "probes/test_meddler_b.csv"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "killed" / name).read_bytes(), name
    assert list(pd.read_csv(tmp_path / "whole" / "probes/test_meddler_b.csv")["step"]) == [0, 1, 2, 3, 6, 12]
    artifacts = read_artifacts(tmp_path / "killed", "gradient_step", "gradients.pt")
    assert list(artifacts) == [0, 2, 4, 6, 8, 10, 11]
