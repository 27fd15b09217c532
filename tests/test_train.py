"""The training loop: outputs, exact resume after a kill, divergence recorded, warm-up."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest
import torch

from repro.config import ConfigError, run_config_from_dict
from repro.train import CHECKPOINT, run


def tiny_config(data_root: Path, **train: object) -> dict:
    """A run config on the synthetic dataset: a depth-8 width-2 ResNet, a few dozen steps."""
    return {
        "experiment": "t", "variant": "v", "seed": 3, "scale": "smoke",
        "data": {"name": "tiny", "root": str(data_root), "pad": 1, "flip": True},
        "model": {"name": "resnet_cifar", "depth": 8, "width": 2},
        "schedule": {"milestones": [10]},
        "train": {"steps": 20, "batch_size": 32, "log_every": 5, "eval_every": 5, "eval_batch_size": 32,
                  "train_window": 4, "checkpoint_every": 7, "device": "cpu", **train},
        "probes": [{"name": "layer_response", "at_end": True}],
    }  # fmt: skip


def test_run_writes_every_output(tiny_data_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    meta = run(run_config_from_dict(tiny_config(tiny_data_root)), out, threads=1)
    assert meta["status"] == "completed" and meta["steps_completed"] == 20
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics.columns) == ["step", "epoch", "split", "metric", "value"]
    assert sorted(metrics["step"].unique()) == [5, 10, 15, 20]
    assert set(metrics["split"]) == {"train", "test"}
    lr = metrics[metrics["metric"] == "lr"].set_index("step")["value"]
    assert lr[5] == pytest.approx(0.1) and lr[15] == pytest.approx(0.01)  # multistep at 10
    probe = pd.read_csv(out / "probes" / "layer_response.csv")
    assert list(probe["layer"]) == [1, 2, 3, 4, 5, 6, 7]  # stem + 3 blocks x 2 convs
    assert (probe["value"] > 0).all()
    assert json.loads((out / "config.json").read_text())["seed"] == 3
    assert (out / CHECKPOINT).exists()


def test_killed_run_resumes_to_the_same_result(tiny_data_root: Path, tmp_path: Path, monkeypatch) -> None:
    cfg = run_config_from_dict(tiny_config(tiny_data_root))
    run(cfg, tmp_path / "whole", threads=1)

    # Kill the second run right after its checkpoint at step 14 (the second one) by raising from the loop.
    import repro.train as train_module

    real_save = train_module._save_checkpoint
    saves = {"n": 0}

    def save_then_die(*args, **kwargs):
        real_save(*args, **kwargs)
        saves["n"] += 1
        if saves["n"] == 2:
            raise KeyboardInterrupt("simulated kill")

    monkeypatch.setattr(train_module, "_save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run(cfg, tmp_path / "killed", threads=1)
    assert not (tmp_path / "killed" / "meta.json").exists()
    monkeypatch.setattr(train_module, "_save_checkpoint", real_save)
    meta = run(cfg, tmp_path / "killed", threads=1)

    assert meta["resumed_from_step"] == [14]
    whole = pd.read_csv(tmp_path / "whole" / "metrics.csv")
    resumed = pd.read_csv(tmp_path / "killed" / "metrics.csv")
    pd.testing.assert_frame_equal(whole, resumed)
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "whole" / "probes" / "layer_response.csv"),
        pd.read_csv(tmp_path / "killed" / "probes" / "layer_response.csv"),
    )


def test_checkpoint_of_another_config_is_ignored(tiny_data_root: Path, tmp_path: Path) -> None:
    run(run_config_from_dict(tiny_config(tiny_data_root, steps=10)), tmp_path / "r", threads=1)
    meta = run(run_config_from_dict(tiny_config(tiny_data_root, steps=12)), tmp_path / "r", threads=1)
    assert meta["resumed_from_step"] == [] and meta["steps_completed"] == 12


def test_diverged_run_is_recorded_and_keeps_its_metrics(tiny_data_root: Path, tmp_path: Path) -> None:
    raw = tiny_config(tiny_data_root, steps=30)
    raw["optim"] = {"lr": 1e30}
    out = tmp_path / "div"
    meta = run(run_config_from_dict(raw), out, threads=1)
    assert meta["status"] == "diverged"
    assert meta["diverged_at_step"] is not None and meta["diverged_at_step"] < 30
    metrics = pd.read_csv(out / "metrics.csv")
    assert metrics["step"].max() == meta["diverged_at_step"]
    assert (out / "meta.json").exists()


def test_warmup_holds_lr_until_training_error_drops(tiny_data_root: Path, tmp_path: Path) -> None:
    raw = tiny_config(tiny_data_root, steps=20, log_every=1)
    raw["schedule"] = {"milestones": [], "warmup_lr": 0.01, "warmup_until_train_error": 30.0}
    meta = run(run_config_from_dict(raw), tmp_path / "w", threads=1)
    metrics = pd.read_csv(tmp_path / "w" / "metrics.csv")
    lr = metrics[metrics["metric"] == "lr"].set_index("step")["value"]
    ended = meta["warmup_ended_at_step"]
    assert ended is not None, "the easy synthetic task should get below 30% training error"
    assert list(lr[lr.index <= ended].round(6).unique()) == [0.01]
    assert list(lr[lr.index > ended].round(6).unique()) == [0.1]  # set back to 0.1 explicitly


def test_threads_are_applied(tiny_data_root: Path, tmp_path: Path) -> None:
    before = torch.get_num_threads()
    try:
        meta = run(run_config_from_dict(tiny_config(tiny_data_root, steps=2)), tmp_path / "t", threads=1)
        assert meta["threads"] == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_probe_with_extra_passes_on_a_snapshot_leaves_training_unchanged(
    tiny_data_root: Path, tmp_path: Path
) -> None:
    from repro.probes import PROBES, Probe, ProbeContext

    if "test_snapshot_grad" not in PROBES:

        @PROBES.register("test_snapshot_grad")
        class SnapshotGrad(Probe):
            """Runs a forward/backward pass on a snapshot and reports the gradient norm."""

            def __call__(self, context: ProbeContext) -> list[dict]:
                model = context.snapshot()
                x, y = (
                    context.batch
                    if context.batch is not None
                    else (context.data.test_x[:8], context.data.test_y[:8])
                )
                context.loss_fn(model(x), y).backward()
                norm = sum(p.grad.norm() ** 2 for p in model.parameters() if p.grad is not None) ** 0.5
                return [{"metric": "grad_norm", "value": float(norm)}]

    plain = tiny_config(tiny_data_root)
    probed = tiny_config(tiny_data_root)
    probed["probes"] = [*probed["probes"], {"name": "test_snapshot_grad", "every": 3}]  # and at the end
    run(run_config_from_dict(plain), tmp_path / "plain", threads=1)
    run(run_config_from_dict(probed), tmp_path / "probed", threads=1)
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "plain" / "metrics.csv"), pd.read_csv(tmp_path / "probed" / "metrics.csv")
    )
    grads = pd.read_csv(tmp_path / "probed" / "probes" / "test_snapshot_grad.csv")
    assert list(grads["step"]) == [0, 3, 6, 9, 12, 15, 18, 20] and (grads["value"] > 0).all()


def test_command_line_runs_one_run_through_the_same_resolution(tiny_data_root: Path, tmp_path: Path) -> None:
    from repro.train import main as train_main  # python -m repro.train: cli.train_main with the loop

    from .conftest import REPO

    workflow = tmp_path / "config.yaml"
    workflow.write_text(f"data: {{root: {tiny_data_root}, substitutions: {{cifar10: tiny}}}}\ndevice: cpu\n")
    out = tmp_path / "cli_run"
    experiment = str(REPO / "configs" / "experiments" / "he2016_depth.yaml")
    argv = [experiment, "--variant", "resnet20", "--seed", "1",
            "--scale", "smoke", "--config", str(workflow), "--out", str(out), "--threads", "1",
            "train.steps=4", "model.width=2"]  # fmt: skip
    assert train_main(argv) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["steps"] == 4 and config["model"]["width"] == 2 and config["model"]["depth"] == 20
    assert config["data"] == {**config["data"], "name": "tiny", "requested": "cifar10"}
    assert json.loads((out / "meta.json").read_text())["status"] == "completed"


def test_new_config_keys_stay_out_of_existing_run_configs(tiny_data_root: Path) -> None:
    resolved = run_config_from_dict(tiny_config(tiny_data_root)).to_dict()
    assert "constraints" not in resolved and "momentum" not in resolved["schedule"]
    assert "loss" not in resolved["train"] and "dtype" not in resolved["train"]
    assert "options" not in resolved["data"]
    assert set(resolved["probes"][0]) == {"name", "every", "at_end", "options"}
    raw = tiny_config(tiny_data_root, loss="cross_entropy", dtype="float32")
    assert run_config_from_dict(raw).to_dict() == resolved  # defaults spelled out change nothing
    with pytest.raises(ConfigError, match=r"'train\.loss'.*sum_squared_error"):
        run_config_from_dict(tiny_config(tiny_data_root, loss="hinge"))
    with pytest.raises(ConfigError, match=r"'train\.dtype'.*float64"):
        run_config_from_dict(tiny_config(tiny_data_root, dtype="float16"))
    with pytest.raises(ConfigError, match=r"'probes\[0\]\.phase'.*before_step"):
        run_config_from_dict({"probes": [{"name": "layer_response", "phase": "during"}]})


def test_losses_evaluate_the_same_way_as_they_train() -> None:
    from repro.losses import LOSSES, evaluate

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 4)
    x, labels, targets = torch.randn(10, 3), torch.randint(0, 4, (10,)), torch.randn(10, 4)
    ce = LOSSES.get("cross_entropy")
    error, loss = evaluate(model, x, labels, 4, ce)
    with torch.no_grad():
        out = model(x)
    assert loss == pytest.approx(torch.nn.functional.cross_entropy(out, labels).item())
    assert error == pytest.approx(100.0 * (out.argmax(1) != labels).float().mean().item())
    sse = LOSSES.get("sum_squared_error")
    error, loss = evaluate(model, x, targets, 4, sse)
    assert error is None and loss == pytest.approx(((out - targets) ** 2).sum(1).mean().item())
    assert sse.mean(out, targets).item() == pytest.approx(loss)


def test_progress_lines_in_the_log(tiny_data_root: Path, tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="repro.train"):
        run(run_config_from_dict(tiny_config(tiny_data_root, steps=10)), tmp_path / "p", threads=1)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("step ")]
    assert len(lines) == 2 and lines[0].startswith("step 5/10  lr 0.1  loss ")
    assert "train error" in lines[0] and "images/s" in lines[0] and "ETA 00:00:" in lines[0]
