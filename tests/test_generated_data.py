"""Generated datasets: deterministic by seed, shaped like file datasets, trained end to end (float64 too)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from repro.config import ConfigError, run_config_from_dict
from repro.config_checks import check_ranges
from repro.data import build_generated, is_generated, prepare_data, take_subset
from repro.train import CHECKPOINT, run

OPTIONS = {"n_train": 64, "n_test": 32, "dim": 6, "out_dim": 3, "noise": 0.0, "seed": 5}


def regression_config(tmp_path: Path, **train: object) -> dict:
    """A deep linear-ish regression run on gaussian_linear: no data files, no augmentation."""
    return {
        "experiment": "g", "variant": "v", "seed": 1, "scale": "smoke",
        "data": {"name": "gaussian_linear", "root": str(tmp_path / "no_such_root"), "options": OPTIONS,
                 "pad": 0, "flip": False, "normalize": "none"},
        "model": {"name": "mlp", "hidden": [8], "activation": "relu", "init_std": "fan_in"},
        "optim": {"lr": 0.02, "momentum": 0.0, "weight_decay": 0.0},
        "schedule": {"name": "constant"},
        "train": {"steps": 40, "batch_size": 16, "log_every": 10, "eval_every": 10, "eval_batch_size": 32,
                  "train_window": 4, "checkpoint_every": 100, "device": "cpu", "loss": "sum_squared_error",
                  **train},
    }  # fmt: skip


def test_gaussian_linear_is_deterministic_and_shaped_like_a_file_dataset() -> None:
    a, b = build_generated("gaussian_linear", OPTIONS), build_generated("gaussian_linear", OPTIONS)
    for name in ("train_x", "train_y", "test_x", "test_y"):
        assert torch.equal(getattr(a, name), getattr(b, name))
    assert a.train_x.shape == (64, 6, 1, 1) and a.train_y.shape == (64, 3) and a.test_x.shape == (32, 6, 1, 1)
    assert a.train_x.dtype == a.train_y.dtype == torch.float64
    assert (a.channels, a.size, a.num_classes) == (6, 1, 3)
    assert a.provenance["source"] == "generated" and a.provenance["options"] == OPTIONS
    other = build_generated("gaussian_linear", OPTIONS | {"seed": 6})
    assert not torch.equal(other.train_x, a.train_x)
    bigger = build_generated("gaussian_linear", OPTIONS | {"n_train": 128})
    assert torch.equal(bigger.test_x, a.test_x) and torch.equal(bigger.test_y, a.test_y)  # same test set
    # Noise-free targets are an exact linear map of the inputs: least squares recovers it with no residual.
    x = a.train_x.flatten(1)
    w = torch.linalg.lstsq(x, a.train_y).solution
    assert torch.allclose(x @ w, a.train_y, atol=1e-10)
    assert torch.allclose(a.test_x.flatten(1) @ w, a.test_y, atol=1e-10)
    noisy = build_generated("gaussian_linear", OPTIONS | {"noise": 0.5})
    assert (noisy.train_y - a.train_y).std() == pytest.approx(0.5, rel=0.3)


def test_prepare_data_builds_in_memory_in_the_run_dtype(tmp_path: Path) -> None:
    assert is_generated("gaussian_linear") and not is_generated("cifar10")
    for dtype in (torch.float32, torch.float64):
        cfg = run_config_from_dict(regression_config(tmp_path, dtype=str(dtype).removeprefix("torch.")))
        data = prepare_data(cfg, torch.device("cpu"), dtype)
        assert data.train_x.dtype == data.train_y.dtype == data.test_y.dtype == dtype
    raw = regression_config(tmp_path)
    raw["data"].update(val_size=16, train_subset=48)
    data = prepare_data(run_config_from_dict(raw), torch.device("cpu"))
    assert len(data.train_x) == 32 and len(data.val_x) == 16  # float targets: a plain seeded permutation
    assert torch.equal(
        take_subset(data.train_x, data.train_y, 10, 0)[1], take_subset(data.train_x, data.train_y, 10, 0)[1]
    )


def test_generated_data_options_are_checked(tmp_path: Path) -> None:
    raw = regression_config(tmp_path)
    raw["data"]["options"] = {"dims": 3}
    with pytest.raises(ConfigError, match=r"'data\.options\.dims'.*valid keys"):
        run_config_from_dict(raw, source="exp.yaml")
    raw = regression_config(tmp_path)
    raw["data"]["pad"] = 4
    with pytest.raises(ConfigError, match=r"data\.pad: 0"):
        run_config_from_dict(raw)
    with pytest.raises(ConfigError, match=r"'data\.options'.*only for generated"):
        run_config_from_dict({"data": {"name": "cifar10", "options": {"dim": 3}}})
    raw = regression_config(tmp_path)
    raw["schedule"]["warmup_lr"] = 0.01
    with pytest.raises(ConfigError, match=r"warmup_lr.*sum_squared_error"):
        run_config_from_dict(raw)
    assert "options" not in run_config_from_dict({}).to_dict()["data"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_regression_run_end_to_end(tmp_path: Path, dtype: str) -> None:
    out = tmp_path / dtype
    meta = run(run_config_from_dict(regression_config(tmp_path, dtype=dtype)), out, threads=1)
    assert meta["status"] == "completed" and meta["data_provenance"]["source"] == "generated"
    metrics = pd.read_csv(out / "metrics.csv")
    assert set(metrics["metric"]) == {"loss", "lr"}  # regression: no error rate
    test_loss = metrics[(metrics["split"] == "test") & (metrics["metric"] == "loss")]["value"]
    assert test_loss.iloc[-1] < 0.7 * test_loss.iloc[0]
    weights = torch.load(out / CHECKPOINT, weights_only=False)["model"]
    assert {v.dtype for v in weights.values()} == {getattr(torch, dtype)}
    assert not (tmp_path / "no_such_root").exists()  # nothing fetched or written under the data root


def test_a_test_subset_is_fixed_nested_and_leaves_training_untouched(tmp_path: Path) -> None:
    """data.test_subset evaluates on a fixed part of the test set; the training data do not move."""
    full = prepare_data(run_config_from_dict(regression_config(tmp_path)), torch.device("cpu"))
    raw = regression_config(tmp_path)
    raw["data"]["test_subset"] = 10
    part = prepare_data(run_config_from_dict(raw), torch.device("cpu"))
    assert len(part.test_x) == 10 and len(part.test_y) == 10
    assert torch.equal(part.train_x, full.train_x) and torch.equal(part.train_y, full.train_y)
    rows = {tuple(r.flatten().tolist()) for r in full.test_x}
    assert all(tuple(r.flatten().tolist()) in rows for r in part.test_x)  # a subset, in the full set's order
    raw["data"]["test_subset"] = 0
    with pytest.raises(ConfigError, match="data.test_subset"):
        check_ranges(run_config_from_dict(raw), "test.yaml")
