"""Fault injection through the real entry points: each fault fails clearly, naming its culprit, or recovers,
and nothing already finished is lost or changed."""

from __future__ import annotations

import json
import os
import pickle
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from repro.checkpoint import CHECKPOINT
from repro.config import ConfigError, run_config_from_dict
from repro.data.tensors import DataCorruptError, load_tensors, tensors_checksum
from repro.runio import atomic_write_bytes, write_json
from repro.train import PARTIAL_METRICS, run
from repro.train import main as train_main  # python -m repro.train: cli.train_main with the loop

from .conftest import REPO
from .test_train import tiny_config

HE2016 = REPO / "configs" / "experiments" / "he2016_depth.yaml"


def cfg_of(data_root: Path, **train: object):
    """A tiny run config (see tests/test_train.py) with ``train`` overrides."""
    return run_config_from_dict(tiny_config(data_root, **train))


# --- impossible values: caught when the config is loaded (DAG build), naming key, value, range, file ---


@pytest.mark.parametrize(
    "key, value",
    [("steps", 0), ("steps", -5), ("batch_size", 0), ("checkpoint_every", 0), ("log_every", 0),
     ("eval_every", -1), ("eval_batch_size", 0), ("train_window", 0)],
)  # fmt: skip
def test_impossible_train_values_are_refused(tiny_data_root: Path, key: str, value: int) -> None:
    with pytest.raises(ConfigError, match=rf"'train\.{key}' in exp\.yaml is {value}; valid: an integer >= 1"):
        run_config_from_dict(tiny_config(tiny_data_root, **{key: value}), source="exp.yaml")


def test_other_impossible_values_are_refused(tiny_data_root: Path) -> None:
    for section, key, value in [("optim", "lr", float("nan")), ("optim", "lr", -0.1),
                                ("data", "val_size", -1), ("data", "train_subset", 0),
                                ("schedule", "gamma", 0.0)]:  # fmt: skip
        raw = tiny_config(tiny_data_root)
        raw.setdefault(section, {})[key] = value
        with pytest.raises(ConfigError, match=rf"'{section}\.{key}' in f\.yaml is"):
            run_config_from_dict(raw, source="f.yaml")


def test_batch_larger_than_a_known_training_set_is_refused_at_dag_build(tiny_data_root: Path) -> None:
    raw = tiny_config(tiny_data_root, batch_size=200)
    raw["data"]["train_subset"] = 100
    with pytest.raises(ConfigError, match=r"'train\.batch_size' in f\.yaml is 200; valid: 1 to 100"):
        run_config_from_dict(raw, source="f.yaml")
    raw = {"data": {"name": "mnist"}, "model": {"name": "resnet_cifar"}, "train": {"batch_size": 70000}}
    with pytest.raises(ConfigError, match=r"1 to 60000.*dataset 'mnist'"):
        run_config_from_dict(raw, source="f.yaml")


def test_batch_larger_than_the_loaded_training_set_fails_at_run_start(tiny_data_root: Path, tmp_path):
    # 'tiny' has no known size, so only the run can tell: 256 images.
    with pytest.raises(ConfigError, match=r"'train\.batch_size'.* is 300; valid: 1 to 256"):
        run(cfg_of(tiny_data_root, batch_size=300), tmp_path / "r", threads=1)
    assert not (tmp_path / "r" / "meta.json").exists()


# --- corrupt state: recovered, named by path ---


def test_truncated_checkpoint_is_moved_aside_and_the_run_restarts(tiny_data_root: Path, tmp_path, caplog):
    cfg = cfg_of(tiny_data_root)
    run(cfg, tmp_path / "clean", threads=1)
    out = tmp_path / "broken"
    (out / "checkpoint").mkdir(parents=True)
    (out / CHECKPOINT).write_bytes((tmp_path / "clean" / CHECKPOINT).read_bytes()[:1000])
    meta = run(cfg, out, threads=1)
    assert meta["status"] == "completed" and meta["resumed_from_step"] == []
    assert str(out / CHECKPOINT) in caplog.text and "cannot be read" in caplog.text
    assert [p.name.split("-")[0] for p in (out / "checkpoint").glob("last.pt.corrupt-*")] == [
        "last.pt.corrupt"
    ]
    assert (out / "metrics.csv").read_bytes() == (tmp_path / "clean" / "metrics.csv").read_bytes()


def test_checkpoints_load_weights_only_and_a_pickle_with_code_is_refused(tiny_data_root: Path, tmp_path):
    cfg = cfg_of(tiny_data_root)
    run(cfg, tmp_path / "r", threads=1)
    ckpt = torch.load(tmp_path / "r" / CHECKPOINT, weights_only=True)  # plain tensors and values only
    assert ckpt["complete"] is True and isinstance(ckpt["state"]["window"], list)

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    out = tmp_path / "evil"
    (out / "checkpoint").mkdir(parents=True)
    with open(out / CHECKPOINT, "wb") as fh:
        torch.save({"config": cfg.to_dict(), "payload": Exploit()}, fh, pickle_module=pickle)
    assert run(cfg, out, threads=1)["resumed_from_step"] == []
    assert not (tmp_path / "pwned").exists()


def test_truncated_tensor_cache_is_named(tiny_data_root: Path, tmp_path: Path) -> None:
    tensors = tiny_data_root / "tiny" / "tensors.pt"
    tensors.write_bytes(tensors.read_bytes()[:-200])
    with pytest.raises(DataCorruptError, match=rf"tensor cache {tensors} is corrupt: it is truncated"):
        run(cfg_of(tiny_data_root), tmp_path / "r", threads=1)
    # Moved aside, not left in place: the fetch rule's output is missing, so the next call rebuilds it.
    assert not tensors.exists()
    assert len(list(tensors.parent.glob("tensors.pt.corrupt-*"))) == 1


def test_tensor_cache_that_differs_from_its_checksum_is_named(tiny_data_root: Path) -> None:
    tensors = tiny_data_root / "tiny" / "tensors.pt"
    provenance = tensors.with_name("provenance.json")
    record = json.loads(provenance.read_text()) | {"tensors_sha256": tensors_checksum(tensors)}
    provenance.write_text(json.dumps(record))
    load_tensors(tensors)  # matches
    data = torch.load(tensors, weights_only=True)
    data["train_y"][0] = 1 - data["train_y"][0]  # a readable file with other contents
    torch.save(data, tensors)
    with pytest.raises(DataCorruptError, match=r"sha256 differs"):
        load_tensors(tensors)


def test_fetch_records_a_checksum_and_the_cli_rebuilds_a_corrupt_cache(tmp_path: Path, monkeypatch) -> None:
    from repro.data import SUBSET_NAME

    workflow = tmp_path / "config.yaml"
    workflow.write_text(yaml.safe_dump({"data": {"root": str(tmp_path / "data")}, "device": "cpu"}))

    def argv(out: str) -> list[str]:
        return [str(HE2016), "--variant", "resnet20", "--scale", "smoke", "--config", str(workflow),
                "--out", str(tmp_path / out), f"data.name={SUBSET_NAME}", "train.steps=1",
                "data.train_subset=64", "train.batch_size=32", "model.width=2", "model.depth=8"]  # fmt: skip

    assert train_main(argv("r")) == 0
    tensors = tmp_path / "data" / SUBSET_NAME / "tensors.pt"
    recorded = json.loads(tensors.with_name("provenance.json").read_text())["tensors_sha256"]
    assert recorded == tensors_checksum(tensors)
    tensors.write_bytes(tensors.read_bytes()[:5000])
    assert train_main(argv("r2")) == 0
    assert tensors_checksum(tensors) == recorded  # rebuilt, byte for byte


# --- reruns retrain; live metrics; kills resume ---


def test_a_forced_rerun_of_a_finished_run_retrains(tiny_data_root: Path, tmp_path: Path) -> None:
    cfg, out = cfg_of(tiny_data_root), tmp_path / "r"
    run(cfg, out, threads=1)
    first = (out / "metrics.csv").read_bytes()
    (out / "meta.json").unlink()  # what `snakemake -f` does to the outputs before it reruns the job
    meta = run(cfg, out, threads=1)
    assert meta["resumed_from_step"] == [] and meta["steps_completed"] == 20
    assert (out / "metrics.csv").read_bytes() == first


def test_metrics_are_visible_while_training_and_a_kill_resumes(tiny_data_root: Path, tmp_path, monkeypatch):
    import repro.train as train_module

    cfg, out = cfg_of(tiny_data_root), tmp_path / "r"
    real_save = train_module._save_checkpoint

    def save_then_die(*args, **kwargs):
        real_save(*args, **kwargs)
        raise KeyboardInterrupt("simulated Ctrl-C")  # right after the checkpoint at step 7

    monkeypatch.setattr(train_module, "_save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run(cfg, out, threads=1)
    partial = (out / PARTIAL_METRICS).read_text().splitlines()
    assert partial[0] == "step,epoch,split,metric,value" and {r.split(",")[0] for r in partial[1:]} == {"5"}
    assert not (out / "metrics.csv").exists()
    monkeypatch.setattr(train_module, "_save_checkpoint", real_save)
    assert run(cfg, out, threads=1)["resumed_from_step"] == [7]
    assert not (out / PARTIAL_METRICS).exists()
    run(cfg, tmp_path / "whole", threads=1)
    assert (out / "metrics.csv").read_bytes() == (tmp_path / "whole" / "metrics.csv").read_bytes()


# --- files: the umask decides their mode; no temporary file survives a failure ---


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        write_json(tmp_path / "x.json", {"a": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == mode


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "out.csv").write_text("old\n")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(tmp_path / "out.csv", b"new\n")
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    assert (tmp_path / "out.csv").read_text() == "old\n"


# --- the command line: one clear line per user error, numbers as written, hand runs kept apart ---


def cli(tmp_path: Path, *args: str) -> list[str]:
    """train_main's argv for a tiny smoke run of he2016_depth on the synthetic dataset."""
    return [str(HE2016), "--variant", "resnet20", "--scale", "smoke", "--config", str(tmp_path / "wf.yaml"),
            *args]  # fmt: skip


@pytest.fixture
def workflow(tiny_data_root: Path, tmp_path: Path) -> Path:
    """A workflow config that substitutes the synthetic dataset for CIFAR-10 and asks for 1 thread."""
    config = {"data": {"root": str(tiny_data_root), "substitutions": {"cifar10": "tiny"}}, "device": "cpu",
              "train_threads": 1}  # fmt: skip
    (tmp_path / "wf.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "wf.yaml"


@pytest.mark.parametrize(
    "override, message",
    [("optim.lr=abc", r"^error: override 'optim\.lr=abc': key 'optim\.lr' in the command line has the wrong"),
     ("train.steps=0", r"^error: override 'train\.steps=0': key 'train\.steps' in the command line is 0"),
     ("train.stpes=3", r"^error: override 'train\.stpes=3': unknown key 'train\.stpes'"),
     ("novalue", r"^error: override 'novalue': not of the form key=value"),
     ("model.depth=[1,", r"^error: override 'model\.depth=\[1,': the value is not valid YAML")],
)  # fmt: skip
def test_a_bad_override_is_blamed_in_one_line(tmp_path, workflow, capsys, override: str, message: str):
    assert train_main(cli(tmp_path, override)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and re.match(message, err), err
    assert "he2016_depth.yaml" not in err


def test_missing_files_are_one_line(tmp_path: Path, workflow: Path, capsys) -> None:
    assert train_main([str(tmp_path / "nope.yaml"), "--variant", "x"]) == 2
    assert (
        capsys.readouterr().err.strip() == f"error: experiment file {tmp_path / 'nope.yaml'} does not exist"
    )
    assert train_main([*cli(tmp_path)[:-2], "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "workflow config" in capsys.readouterr().err


def test_numbers_as_written_and_print_config(tmp_path: Path, workflow: Path, capsys) -> None:
    assert train_main(cli(tmp_path, "--print-config", "optim.lr=1e30", "optim.weight_decay=1e-3")) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["optim"]["lr"] == 1e30 and printed["optim"]["weight_decay"] == 1e-3
    assert printed["data"]["name"] == "tiny" and not (tmp_path / "results").exists()


def test_hand_runs_go_apart_with_the_pipeline_threads(tmp_path, workflow, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = torch.get_num_threads()
    try:
        assert train_main(cli(tmp_path, "train.steps=2", "model.width=2", "model.depth=8")) == 0
    finally:
        torch.set_num_threads(before)
    out = tmp_path / "results" / "hand" / "smoke" / "runs" / "he2016_depth" / "resnet20" / "seed0"
    assert json.loads((out / "meta.json").read_text())["threads"] == 1
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["hand"]


@pytest.mark.slow  # starts real interpreters and waits on them: seconds each
def test_run_start_error_through_python_dash_m_is_one_line(tmp_path: Path, workflow: Path) -> None:
    argv = cli(tmp_path, "--out", str(tmp_path / "r"), "train.batch_size=300", "model.width=2")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run([sys.executable, "-m", "repro.train", *argv], capture_output=True, text=True,
                            env=env, timeout=300)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "'train.batch_size'" in result.stderr and "valid: 1 to 256" in result.stderr


# --- the pipeline: a failed job's traceback and the progress lines land in the rule log ---


@pytest.mark.slow
def test_failed_train_job_logs_its_traceback_and_progress_in_the_rule_log(tmp_path: Path) -> None:
    from .test_workflow import copy_workflow, snakemake

    work = copy_workflow(tmp_path)
    (work / "test.yaml").write_text(yaml.safe_dump({"data": {"download": False, "mirrors": {}}}))
    run_dir = work / "results" / "smoke" / "runs" / "he2016_depth" / "resnet20" / "seed0"
    (run_dir / PARTIAL_METRICS).mkdir(parents=True)  # the first evaluation (step 6) cannot write its file
    args = [
        "--cores",
        "2",
        "--config",
        "scale=smoke",
        "experiments=[he2016_depth]",
        "--configfile",
        "test.yaml",
    ]
    target = str(run_dir.relative_to(work) / "meta.json")
    failed = snakemake(work, target, *args)
    assert failed.returncode != 0, failed.stderr[-3000:]
    log = work / "results" / "smoke" / "logs" / "train_run" / "he2016_depth" / "resnet20" / "seed0.log"
    text = log.read_text()
    assert "step 3/12  lr 0.1" in text and "Traceback" in text and "IsADirectoryError" in text

    (run_dir / PARTIAL_METRICS).rmdir()
    again = snakemake(work, target, *args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads((run_dir / "meta.json").read_text())["status"] == "completed"
    assert not (run_dir / PARTIAL_METRICS).exists() and "step 12/12" in log.read_text()
