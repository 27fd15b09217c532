"""Every option is checked when a run config resolves, before any data is looked up: model, norm,
constraint and data options name the key, the value, the constraint and the file; grid and schema errors
name the block, the axis or the key; the command line prints one line, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from repro.config import ConfigError, run_config_from_dict
from repro.experiments import load_experiment

from .conftest import REPO

CIFAR = {"name": "cifar10"}


def resnet(**model: object) -> dict:
    """A run config of a CIFAR ResNet with ``model`` options."""
    return {"data": CIFAR, "model": {"name": "resnet_cifar", **model}, "train": {"steps": 10}}


def test_a_model_option_of_the_wrong_type_names_key_and_file() -> None:
    with pytest.raises(ConfigError, match=r"'model\.depth'.*my\.yaml.*'20'.*valid: int"):
        run_config_from_dict(resnet(depth="20"), source="my.yaml")


def test_what_only_the_builder_knows_fails_at_resolution_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"key 'model\.depth' is 21.*my\.yaml.*cifar10.*6n\+2"):
        run_config_from_dict(resnet(depth=21), source="my.yaml")
    # Groups must divide every layer's width (16, 32, 64 here): 3 divides none of them.
    bad_groups = resnet(depth=20, norm={"name": "group", "groups": 3})
    with pytest.raises(ConfigError, match=r"key 'model\.norm' is \{.*groups.*my\.yaml.*groups=3"):
        run_config_from_dict(bad_groups, source="my.yaml")
    run_config_from_dict(resnet(depth=20, norm={"name": "group", "groups": 8}), source="my.yaml")


def test_the_image_size_of_the_dataset_is_known_at_resolution() -> None:
    # Five 2x2 pools (six stages) need 32 pixels; MNIST's 28 do not have them, CIFAR's 32 do.
    convnet = {"name": "convnet", "stages": [[4]] * 6}
    cfg = {"data": {"name": "mnist", "pad": 2}, "model": convnet, "train": {"steps": 10}}
    with pytest.raises(ConfigError, match=r"model.*in x.*'mnist' \(1 channels, 28x28.*28"):
        run_config_from_dict(cfg, source="x")
    run_config_from_dict({**cfg, "data": CIFAR}, source="x")
    # data.downsample 2 gives 16x16 CIFAR images: too small for five pools, and the message says so.
    with pytest.raises(ConfigError, match=r"'cifar10' \(3 channels, 16x16"):
        run_config_from_dict({**cfg, "data": {**CIFAR, "downsample": 2}}, source="x")


def test_constraint_options_are_checked_against_the_model() -> None:
    cfg = resnet(depth=20)
    with pytest.raises(ConfigError, match=r"'constraints\[0\]\.c' in x is 'big'"):
        run_config_from_dict({**cfg, "constraints": [{"name": "max_norm", "c": "big"}]}, source="x")
    with pytest.raises(ConfigError, match=r"'constraints\[0\]'.*in x.*Conv9d"):
        run_config_from_dict({**cfg, "constraints": [{"name": "max_norm", "c": 3, "types": ["Conv9d"]}]}, "x")
    with pytest.raises(ConfigError, match=r"'constraints\[0\]'.*in x.*matches"):
        run_config_from_dict({**cfg, "constraints": [{"name": "max_norm", "c": 3, "names": ["nope.*"]}]}, "x")


def test_subset_sizes_are_checked_against_the_dataset() -> None:
    base = resnet(depth=20)
    with pytest.raises(ConfigError, match=r"'data\.train_subset' in x is 60000; valid: 1 to 50000"):
        run_config_from_dict({**base, "data": {**CIFAR, "train_subset": 60000}}, source="x")
    with pytest.raises(ConfigError, match=r"'data\.test_subset' in x is 20000; valid: 1 to 10000"):
        run_config_from_dict({**base, "data": {**CIFAR, "test_subset": 20000}}, source="x")
    with pytest.raises(ConfigError, match=r"'data\.val_size' in x is 500; valid: 0 to 499"):
        run_config_from_dict({**base, "data": {**CIFAR, "train_subset": 500, "val_size": 500}}, source="x")
    gen = {"name": "gaussian_linear", "pad": 0, "flip": False, "options": {"n_test": 100}, "test_subset": 101}
    cfg = {"data": gen, "model": {"name": "linear_deep"}, "train": {"steps": 10, "batch_size": 8}}
    with pytest.raises(ConfigError, match=r"'data\.test_subset' in x is 101; valid: 1 to 100"):
        run_config_from_dict(cfg, source="x")
    run_config_from_dict({**cfg, "data": {**gen, "test_subset": 100}}, source="x")


def experiment_file(tmp_path: Path, **fields: object) -> Path:
    """A minimal experiment file (a small ResNet on CIFAR-10) with ``fields`` added."""
    raw = {
        "name": "exp",
        "paper": {"key": "x", "citation": "X"},
        "claims": [],
        "base": resnet(depth=8, width=2),
        **fields,
    }
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_grid_errors_name_the_block_and_the_axis(tmp_path: Path) -> None:
    path = experiment_file(tmp_path, grid={"axes": {"model.depth": [8, 9]}})
    origin = r"variant 'depth9' from grid\[0\] axes model\.depth=9"
    with pytest.raises(ConfigError, match=rf"model\.depth.*exp\.yaml.*{origin}"):
        load_experiment(path)
    path = experiment_file(tmp_path, grid=[{"axes": {"model.norm": [{"name": "group"}]}}])
    with pytest.raises(ConfigError, match=r"'grid\[0\]\.axes\.model\.norm' in .*exp\.yaml.*needs a name"):
        load_experiment(path)


def test_schema_errors_name_the_nested_key(tmp_path: Path) -> None:
    path = experiment_file(tmp_path, grid={"axes": {"model.depth": [8, 14]}, "varaints": ["default"]})
    with pytest.raises(ConfigError, match=r"at 'grid\.varaints' in .*exp\.yaml"):
        load_experiment(path)
    path = experiment_file(tmp_path, scales={"quick": {"bogus": 1}})
    with pytest.raises(ConfigError, match=r"at 'scales\.quick\.bogus' in"):
        load_experiment(path)
    path = experiment_file(tmp_path, paper={"key": "x"})
    with pytest.raises(ConfigError, match=r"at 'paper\.citation' in"):
        load_experiment(path)


def cli_args(tmp_path: Path, *overrides: str) -> list[str]:
    """Command-line arguments for a he2016 run whose data root is empty (nothing may be fetched)."""
    workflow = tmp_path / "config.yaml"
    workflow.write_text(f"data: {{root: {tmp_path / 'data'}}}\ndevice: cpu\n")
    experiment = str(REPO / "configs" / "experiments" / "he2016_depth.yaml")
    return [experiment, "--variant", "resnet20", "--scale", "smoke", "--config", str(workflow), *overrides]


def test_the_command_line_refuses_a_bad_option_before_any_data_access(tmp_path, monkeypatch, capsys) -> None:
    import repro.cli
    from repro.cli import train_main

    def no_data(*_args: object) -> None:
        raise AssertionError("the data were looked up before the config was checked")

    monkeypatch.setattr(repro.cli, "ensure_data", no_data)
    assert train_main(cli_args(tmp_path, "model.depth=21"), no_data) == 2
    err = capsys.readouterr().err
    assert "model.depth" in err and "6n+2" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(ConfigError, match="6n"):
        train_main(cli_args(tmp_path, "--debug", "model.depth=21"), no_data)


def test_the_command_line_prints_a_failing_runs_traceback_once(tmp_path, monkeypatch, capsys) -> None:
    import repro.cli
    from repro.cli import train_main

    def crash(*_args: object, **_kwargs: object) -> dict:
        raise RuntimeError("boom")  # run() logs the traceback of an unexpected error itself

    monkeypatch.setattr(repro.cli, "ensure_data", lambda *_args: None)
    assert train_main(cli_args(tmp_path, "train.steps=2"), crash) == 1
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="boom"):
        train_main(cli_args(tmp_path, "--debug", "train.steps=2"), crash)
