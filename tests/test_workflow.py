"""The workflow: dry run and lint on the real config, and the whole DAG to the PDF at smoke scale."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import REPO

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
COPIED = ["Snakefile", "workflow", "configs", "paper", "profiles", "src"]


def copy_workflow(dest: Path) -> Path:
    """A private copy of the workflow, so tests never touch the checkout's results/ or data/."""
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def snakemake(workdir: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(workdir / "src")}
    return subprocess.run(
        [*SNAKEMAKE, *args], cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.mark.slow  # a Snakemake DAG build: tens of seconds
def test_dry_run_shows_the_dag_for_every_scale(tmp_path: Path) -> None:
    work = copy_workflow(tmp_path)
    for scale in ("smoke", "quick", "full"):
        result = snakemake(work, "-n", "--config", f"scale={scale}")
        assert result.returncode == 0, result.stderr[-3000:]
        assert "train_run" in result.stdout and "build_report" in result.stdout
        assert "fit_linear_floor" in result.stdout  # the trained floors (repro.baselines)


@pytest.mark.slow  # a Snakemake DAG build: tens of seconds
def test_lint_is_clean(tmp_path: Path) -> None:
    result = snakemake(copy_workflow(tmp_path), "--lint")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.slow  # a Snakemake DAG build: tens of seconds
def test_one_figure_target_builds_only_what_it_needs(tmp_path: Path) -> None:
    result = snakemake(copy_workflow(tmp_path), "-n", "fig_he2016_training_curves", "--config", "scale=smoke")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "fig_he2016_training_curves" in result.stdout
    assert "build_report" not in result.stdout and "fig_he2016_layer_responses" not in result.stdout


@pytest.mark.slow  # a Snakemake DAG build: tens of seconds
def test_bad_config_names_the_key(tmp_path: Path) -> None:
    work = copy_workflow(tmp_path)
    result = snakemake(work, "-n", "--config", "scael=smoke")
    assert result.returncode != 0 and "scael" in result.stdout + result.stderr
    exp = work / "configs" / "experiments" / "he2016_depth.yaml"
    exp.write_text(exp.read_text().replace("weight_decay:", "wieght_decay:"))
    result = snakemake(work, "-n")
    assert result.returncode != 0
    assert (
        "optim.wieght_decay" in result.stdout + result.stderr
        and "he2016_depth.yaml" in result.stdout + result.stderr
    )


@pytest.mark.slow  # Snakemake DAG builds: tens of seconds
def test_preflight_target_and_the_forecast_notice(tmp_path: Path) -> None:
    work = copy_workflow(tmp_path)
    he = ["--config", "scale=smoke", "experiments=[he2016_depth]"]
    result = snakemake(work, "-n", "preflight", *he)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "preflight_runs" in result.stdout and "forecast_cost" in result.stdout
    assert "train_run" not in result.stdout  # the preflight trains nothing
    assert "Forecast (" not in result.stderr  # no forecast yet: the scale's constants
    forecast = work / "results" / "smoke" / "forecast.csv"
    forecast.parent.mkdir(parents=True)
    forecast.write_text(
        "experiment,variant,paper,seeds,model,device,steps,params,run_tflop,device_s,gpu_s,peak_mem_mb\n"
        "he2016_depth,resnet20,he2016,1,resnet_cifar,cpu,12,1,0.1,3600,36,500\n"
    )
    result = snakemake(work, "-n", *he)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1 of 4 training runs sized from the preflight; 1.0 cpu-hours" in result.stderr
    # The forecast's run asks for 3600 s x 2 = 120 minutes; the others keep the scale's constant.
    sized = r"variant=resnet20, seed=0\n\s+resources: [^\n]*mem_mb=1000,[^\n]*runtime=120\b"
    assert re.search(sized, result.stdout), result.stdout[-3000:]  # 500 MB x 1.5 < min_mem_mb 1000
    # At full scale the report's appendix needs the forecast, so the full DAG includes the preflight.
    result = snakemake(work, "-n", "--config", "scale=full", "experiments=[he2016_depth]")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "preflight_runs" in result.stdout and "write_appendix" in result.stdout


HE_SMOKE = ["--config", "scale=smoke", "experiments=[he2016_depth]", "--configfile", "test.yaml"]


@pytest.mark.slow
def test_smoke_dag_runs_to_the_report_offline_with_the_fallback(tmp_path: Path) -> None:
    """No network and no mirror for CIFAR-10: the shipped subset stands in, and the report says so.

    He et al. only (the default lists all five papers; the other four have smoke DAG tests of their own).
    """
    work = copy_workflow(tmp_path)
    (work / "test.yaml").write_text(yaml.safe_dump({"data": {"download": False, "mirrors": {}}}))
    result = snakemake(work, "--cores", "2", *HE_SMOKE)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    results = work / "results" / "smoke"
    provenance = json.loads((work / "data" / "cifar10" / "provenance.json").read_text())
    assert provenance["source"] == "fallback"
    table = pd.read_csv(results / "tables" / "he2016_depth.csv")
    assert set(table["variant"]) == {"plain20", "plain32", "resnet20", "resnet32"}
    assert set(table["data.source"]) == {"fallback"}
    for figure in ("he2016_training_curves", "he2016_layer_responses"):
        assert (results / "figures" / f"{figure}.pdf").stat().st_size > 0
        assert (results / "figures" / f"{figure}.png").stat().st_size > 0
    # The trained floor: one training set (augmentation aside) for the four nets, on the images they used.
    floor = pd.read_csv(results / "baselines" / "he2016_depth" / "linear.csv")
    assert len(floor) == 1 and set(floor["variants"][0].split()) == set(table["variant"])
    assert floor["dataset"][0] == "fashion_mnist_subset"  # what was loaded: the shipped subset
    assert floor["n_train"][0] == table["data.train_subset"][0]
    assert 5.0 < floor["test_error"][0] < 50.0
    assert "linear classifier (floor)" in (results / "paper" / "tables" / "he2016_table6.tex").read_text()
    claims = pd.read_csv(results / "paper" / "claims.csv")
    assert {"R1", "R1-pair", "R1-pair-test", "R2", "R3", "R3-56", "R4", "R5", "T6"} == set(claims["id"])
    assert not claims["asserted"].any()  # nothing is asserted at smoke scale
    # Every training job was forked by the run's fork server, which stopped with the run.
    server_log = (results / "logs" / "fork_server.log").read_text()
    n_runs = len(table[["variant", "seed"]].drop_duplicates())
    assert server_log.count("exit status 0") == n_runs and "stopped" in server_log
    fetch_log = (work / "results" / "logs" / "fetch_dataset" / "cifar10.log").read_text()
    assert "WARNING" in fetch_log and "substituting the shipped Fashion-MNIST subset" in fetch_log
    if shutil.which("latexmk"):
        assert (results / "report.pdf").stat().st_size > 10_000
        if shutil.which("pdftotext"):
            text = subprocess.run(
                ["pdftotext", str(results / "report.pdf"), "-"], capture_output=True, text=True
            ).stdout
            assert "Fashion-MNIST" in text and "CIFAR-10" in text

    # Nothing left to do: a second call finds every output up to date.
    again = snakemake(work, "-n", *HE_SMOKE)
    assert "Nothing to be done" in again.stdout + again.stderr

    # Snakemake's HTML report carries the figures (by paper), the claims, the tidy tables and the PDF.
    html = work / "report.html"
    made = snakemake(work, "--report", str(html), *HE_SMOKE)
    assert made.returncode == 0, made.stderr[-3000:]
    text = html.read_text(errors="replace")
    for name in ("he2016_training_curves.png", "he2016_layer_responses.png", "claims.csv", "report.pdf"):
        assert name in text, name
    assert "Tidy tables" in text and "he2016_depth.csv" in text


@pytest.mark.slow  # a Snakemake DAG build: tens of seconds
def test_the_robustness_option_adds_a_second_draw_of_the_asserted_claims_runs(tmp_path: Path) -> None:
    work = copy_workflow(tmp_path)
    plain = snakemake(work, "-n", "--config", "experiments=[ioffe2015_mnist]")
    second = snakemake(work, "-n", "--config", "experiments=[ioffe2015_mnist]", "robustness=True")
    assert plain.returncode == 0 and second.returncode == 0, second.stderr[-3000:]
    assert "ioffe2015_mnist.draw2" not in plain.stdout
    # B1 and B1-final, the claims asserted at quick, compare bn with nobn: those two, on 3 new seeds each
    # (the quick verdict seeds 700-702 + 100); the sensitivity pairs, reported only, are not redrawn.
    draws = set(re.findall(r"experiment=ioffe2015_mnist\.draw2, variant=(\w+), seed=(\d+)", second.stdout))
    assert draws == {(v, str(s)) for v in ("bn", "nobn") for s in (800, 801, 802)}
    assert "tables/ioffe2015_mnist.draw2.csv" in second.stdout
    # The second draw trains on another subset: it gets its own trained floor.
    assert "baselines/ioffe2015_mnist.draw2/linear.csv" in second.stdout


@pytest.mark.slow  # two Snakemake DAG builds: tens of seconds
def test_the_extra_exhibits_option_adds_the_left_out_arms(tmp_path: Path) -> None:
    """Quick runs Ioffe & Szegedy's two B1 arms by default; extra_exhibits=True adds the six sensitivity
    arms (reported only) and nothing else."""
    work = copy_workflow(tmp_path)
    default = snakemake(work, "-n", "--config", "experiments=[ioffe2015_mnist]")
    extra = snakemake(work, "-n", "--config", "experiments=[ioffe2015_mnist]", "extra_exhibits=True")
    assert default.returncode == 0 and extra.returncode == 0, extra.stderr[-3000:]

    def arms(result: subprocess.CompletedProcess) -> set[str]:
        return set(re.findall(r"experiment=ioffe2015_mnist, variant=([\w.]+), seed=\d+", result.stdout))

    assert arms(default) == {"bn", "nobn"}
    sensitivity = {f"{net}_{arm}" for net in ("bn", "nobn") for arm in ("lr0.5", "lr1", "fanin")}
    assert arms(extra) == {"bn", "nobn"} | sensitivity
