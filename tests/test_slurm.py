"""Cluster tests: the workflow through the SLURM executor plugin on a real single-node SLURM on localhost.

The module starts the cluster with tools/slurm/start.sh (as root: installs slurm-wlm and munge when missing)
and stops it with tools/slurm/stop.sh. Every test here is skipped, with the reason, where that is impossible
(not root, no plugin, SLURM does not start); set REPRO_REQUIRE_SLURM=1 (CI) to make that a failure instead.
Deselect them with `pytest -m "not slurm"`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slurm

ROOT = Path(__file__).resolve().parents[1]
START = ROOT / "tools" / "slurm" / "start.sh"
STOP = ROOT / "tools" / "slurm" / "stop.sh"
SLURM_PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"
TEST_OVERRIDES = ROOT / "tools" / "slurm" / "test-profile.yaml"
PARTITION = os.environ.get("REPRO_SLURM_PARTITION", "local")

# --- The real workflow: everything these tests assume about it, in one place. ---
# REPRO_SLURM_TEST_SNAKEFILE runs these tests against another checkout's Snakefile.
WORKFLOW = Path(os.environ.get("REPRO_SLURM_TEST_SNAKEFILE", ROOT / "Snakefile"))
TRAIN_RULE = "train_run"
# The run happens in a temporary folder (--directory), so the config file is named by its absolute path.
WORKFLOW_OPTIONS = ["--configfile", str(WORKFLOW.parent / "configs" / "config.yaml")]
# Smoke DAG: snakemake SMOKE_TARGETS -s WORKFLOW --directory <tmp> SMOKE_OPTIONS ([] targets: rule all).
SMOKE_TARGETS: list[str] = []
# He et al.'s smoke DAG only: the default lists all five papers, and the profile is what is under test.
SMOKE_OPTIONS = [*WORKFLOW_OPTIONS, "--config", "scale=smoke", "experiments=[he2016_depth]"]
# Resume test: one training run of the smoke DAG, cancelled after its first mid-run checkpoint.
RESUME_RUN = "results/smoke/runs/he2016_depth/resnet20/seed0"
RESUME_TARGETS = [f"{RESUME_RUN}/metrics.csv"]
RESUME_OPTIONS = SMOKE_OPTIONS
RESUME_CHECKPOINT = f"{RESUME_RUN}/checkpoint/last.pt"
RESUME_META = f"{RESUME_RUN}/meta.json"
RESUME_METRICS = f"{RESUME_RUN}/metrics.csv"
RESUMED_LINE = re.compile(r"resumed from checkpoint at step (\d+)")
# A smoke run trains for about a second, too short to cancel by watching for it. So the first, cancelled
# attempt runs with a sitecustomize.py (below) that pauses the job for this long right after the checkpoint
# file first appears; the test cancels it during the pause. The rerun has no such hook.
PAUSE_AFTER_CHECKPOINT_S = 600
# Extra environment for the workflow's jobs (e.g. a data mirror), merged into os.environ.
WORKFLOW_ENV: dict[str, str] = {}

PAUSE_HOOK = """
# Written by tests/test_slurm.py: pause this process once a file ending in REPRO_TEST_PAUSE_ON is moved
# into place (runio writes every file to a temporary name and os.replace-s it), so that the test can cancel
# the SLURM job at a known point. Only active where PYTHONPATH names this folder.
import os
import time

_replace = os.replace


def _replace_then_pause(src, dst, *args, **kwargs):
    _replace(src, dst, *args, **kwargs)
    pause_on = os.environ.get("REPRO_TEST_PAUSE_ON")
    if pause_on and str(dst).endswith(pause_on):
        time.sleep(float(os.environ.get("REPRO_TEST_PAUSE_S", "600")))


os.replace = _replace_then_pause
"""

SUBMITTED = re.compile(r"^Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+)\)\.$", re.M)
FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$", re.M)
LOCAL_JOB = re.compile(r"^localrule (\w+):\n(?:[ \t].*\n)*?\s+jobid: (\d+)$", re.M)
SBATCH_CALL = re.compile(r"^sbatch call: (sbatch .*)$", re.M)

# A workflow of our own, independent of the real one: proves the cluster, the profile and the GPU request.
TINY_SNAKEFILE = """
localrules: all

rule all:
    input: expand("out/train_{i}.txt", i=[1, 2]), "out/gpu_probe.txt", "out/plain_step.txt"

# Named like the real training rule and asking no GPU itself: profiles/slurm must add gpu=1.
rule train_run:
    output: "out/train_{i}.txt"
    log: "logs/train_{i}.log"
    threads: 1
    resources: mem_mb=300, runtime=5
    shell: "echo job=$SLURM_JOB_ID cuda=${{CUDA_VISIBLE_DEVICES:-none}} > {output} 2> {log}"

# Asks for the GPU in the rule itself.
rule gpu_probe:
    output: "out/gpu_probe.txt"
    resources: gpu=1, mem_mb=300, runtime=5
    shell: "echo job=$SLURM_JOB_ID cuda=${{CUDA_VISIBLE_DEVICES:-none}} > {output}"

rule plain_step:
    output: "out/plain_step.txt"
    resources: mem_mb=300, runtime=5
    shell: "echo job=$SLURM_JOB_ID cuda=${{CUDA_VISIBLE_DEVICES:-none}} > {output}"
"""
TINY_JOBS = {"train_run": 2, "gpu_probe": 1, "plain_step": 1}
TINY_GPU_RULES = {"train_run", "gpu_probe"}


def _skip_or_fail(reason: str) -> None:
    """Skip the module with a reason, or fail it where CI demands the cluster (REPRO_REQUIRE_SLURM=1)."""
    if os.environ.get("REPRO_REQUIRE_SLURM") == "1":
        pytest.fail(f"REPRO_REQUIRE_SLURM=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster():
    """Start the local SLURM cluster for this module (unless it is already up) and stop it afterwards."""
    if os.environ.get("REPRO_SLURM_TESTS") == "0":
        pytest.skip("REPRO_SLURM_TESTS=0")
    if os.geteuid() != 0:
        _skip_or_fail("the SLURM tests need root (tools/slurm/start.sh installs packages and starts daemons)")
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        _skip_or_fail("snakemake-executor-plugin-slurm is not installed (pip install -e '.[slurm]')")
    if shutil.which("slurmctld") is None and shutil.which("apt-get") is None:
        _skip_or_fail("SLURM is not installed and there is no apt-get to install it")
    started = time.monotonic()
    try:
        proc = subprocess.run(["bash", str(START)], capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        _skip_or_fail("tools/slurm/start.sh did not finish within 900 s")
    if proc.returncode != 0:
        _skip_or_fail(f"SLURM cannot be started here: {(proc.stdout + proc.stderr).strip()[-1500:]}")
    print(f"\n{proc.stdout.strip()}\n(cluster start: {time.monotonic() - started:.1f} s wall)")
    # A cluster that was already up belongs to whoever started it: leave it running.
    ours = "already running" not in proc.stdout
    yield {"partition": PARTITION}
    if ours:
        subprocess.run(["bash", str(STOP)], capture_output=True, text=True, timeout=120)


def write_test_profile(dest: Path) -> Path:
    """Write profiles/slurm with the test cluster's overrides (tools/slurm/test-profile.yaml) into dest."""
    profile = yaml.safe_load(SLURM_PROFILE.read_text())
    profile.update(yaml.safe_load(TEST_OVERRIDES.read_text()))
    profile["default-resources"] = {**profile["default-resources"], "slurm_partition": PARTITION}
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return dest


def snakemake_cmd(
    workdir: Path, snakefile: Path, profile: Path | None, targets: list[str], options: list[str]
) -> list[str]:
    """The snakemake command line for a run in workdir (the local default profile when profile is None)."""
    # Targets come first: --config and --configfile take every following word.
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        *targets,
        "--snakefile",
        str(snakefile),
        "--directory",
        str(workdir),
    ]
    cmd += ["--workflow-profile", str(profile)] if profile else ["--cores", "2"]
    return [*cmd, *options, "--verbose"]


def run_env(**extra: str) -> dict[str, str]:
    """Environment for snakemake and (through sbatch --export=ALL) its jobs: this venv first on PATH."""
    env = {**os.environ, **WORKFLOW_ENV, **extra}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_snakemake(cmd: list[str], workdir: Path, log: Path, timeout: int = 1200) -> tuple[int, str, float]:
    """Run snakemake in workdir, keep its output in log; return exit code, output and wall time."""
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=run_env(), cwd=workdir)
    out = proc.stdout + proc.stderr
    log.write_text(out)
    return proc.returncode, out, time.monotonic() - started


def scontrol_job(job_id: str) -> dict[str, str]:
    """SLURM's record of a job (kept MinJobAge seconds after it ends) as a dict of its fields."""
    out = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, check=True
    )
    return dict(re.findall(r"(\w+)=(\S*)", out.stdout))


def parse_jobs(log: str) -> tuple[dict[str, list[str]], dict[str, str], dict[str, str]]:
    """From a verbose snakemake log: SLURM ids per submitted job, rule per finished and per local job."""
    submitted: dict[str, list[str]] = {}
    for job, slurm_id, _ in SUBMITTED.findall(log):
        submitted.setdefault(job, []).append(slurm_id)
    finished = {job: rule for job, rule in FINISHED.findall(log)}
    local = {job: rule for rule, job in LOCAL_JOB.findall(log)}
    return submitted, finished, local


def assert_all_through_sbatch(log: str, workdir: Path) -> dict[str, str]:
    """Every non-local job ran as a completed SLURM job of this workdir; returns SLURM id -> rule."""
    submitted, finished, local = parse_jobs(log)
    assert finished, "snakemake reported no finished jobs"
    assert not set(submitted) & set(local), "a job was both submitted and run locally"
    ran_here = set(finished) - set(submitted)
    assert ran_here <= set(local), f"jobs neither submitted nor local rules: {sorted(ran_here - set(local))}"
    slurm_rules = {}
    for job, slurm_ids in submitted.items():
        record = scontrol_job(slurm_ids[-1])
        rule = finished.get(job)
        assert rule, f"job {job} (SLURM {slurm_ids}) was submitted but never finished"
        assert record["JobState"] == "COMPLETED", f"SLURM job {slurm_ids[-1]} ({rule}): {record['JobState']}"
        assert record["Comment"].startswith(f"rule_{rule}"), record["Comment"]
        assert Path(record["WorkDir"]).resolve() == workdir.resolve(), record["WorkDir"]
        slurm_rules[slurm_ids[-1]] = rule
    return slurm_rules


def assert_up_to_date(cmd: list[str], workdir: Path) -> None:
    """A dry run of the same command has nothing left to do: every output exists and is current."""
    proc = subprocess.run(
        [*cmd, "--dry-run"], capture_output=True, text=True, timeout=300, env=run_env(), cwd=workdir
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "Nothing to be done" in out, f"outputs missing or stale after the run:\n{out[-3000:]}"


# --- (a), (b): the cluster, the profile and the GPU request, with a workflow of our own ---


@pytest.fixture(scope="module")
def tiny_run(cluster, tmp_path_factory):
    """Run the tiny workflow once through the SLURM test profile; tests inspect its log and records."""
    base = tmp_path_factory.mktemp("tiny")
    workdir = base / "work"
    workdir.mkdir()
    snakefile = base / "Snakefile"
    snakefile.write_text(TINY_SNAKEFILE)
    profile = write_test_profile(base / "profile")
    cmd = snakemake_cmd(workdir, snakefile, profile, [], [])
    code, log, wall = run_snakemake(cmd, workdir, base / "snakemake.log", timeout=300)
    assert code == 0, f"tiny workflow failed through SLURM (log {base / 'snakemake.log'}):\n{log[-4000:]}"
    print(f"\ntiny workflow through SLURM: {wall:.1f} s wall")
    return {"workdir": workdir, "log": log, "cmd": cmd}


def test_tiny_workflow_goes_through_sbatch(tiny_run):
    """Every job of the tiny workflow except the local rule `all` was an sbatch job that completed."""
    workdir, log = tiny_run["workdir"], tiny_run["log"]
    slurm_rules = assert_all_through_sbatch(log, workdir)
    assert Counter(slurm_rules.values()) == Counter(TINY_JOBS)
    _, _, local = parse_jobs(log)
    assert sorted(local.values()) == ["all"]
    # Each output was written inside its own SLURM job, and the plugin kept each job's SLURM log.
    job_ids = {p.read_text().split()[0].removeprefix("job=") for p in (workdir / "out").glob("*.txt")}
    assert job_ids == set(slurm_rules)
    for slurm_id in slurm_rules:
        assert list((workdir / ".snakemake" / "slurm_logs").rglob(f"{slurm_id}.log")), slurm_id
    assert_up_to_date(tiny_run["cmd"], workdir)


def test_gpu_resource_becomes_gpus_flag(tiny_run):
    """gpu=1 (from the rule, or from the profile's set-resources for train_run) is submitted as --gpus=1."""
    log, workdir = tiny_run["log"], tiny_run["workdir"]
    calls = SBATCH_CALL.findall(log)
    assert len(calls) == sum(TINY_JOBS.values())
    for call in calls:
        rule = re.search(r"--comment rule_(\w+?)(?:_wildcards_\S+)? ", call).group(1)
        if rule in TINY_GPU_RULES:
            assert " --gpus=1 " in call, call
        else:
            assert "--gpus" not in call and "--gres" not in call, call
    for slurm_id, rule in assert_all_through_sbatch(log, workdir).items():
        record = scontrol_job(slurm_id)
        if rule in TINY_GPU_RULES:
            assert record.get("TresPerJob") == "gres:gpu:1", record
        else:
            assert "TresPerJob" not in record, record
    # SLURM handed each GPU job one of the node's (fake) GPUs, and none to the plain job.
    cuda = {p.stem: p.read_text().split()[1] for p in (workdir / "out").glob("*.txt")}
    assert cuda["plain_step"] == "cuda=none"
    assert all(cuda[name] in ("cuda=0", "cuda=1") for name in cuda if name != "plain_step"), cuda


def test_profile_keeps_site_placeholders():
    """profiles/slurm submits through the plugin with placeholders for the site and one GPU for training."""
    profile = yaml.safe_load(SLURM_PROFILE.read_text())
    assert profile["executor"] == "slurm"
    assert {"slurm_account", "slurm_partition"} <= set(profile["default-resources"])
    assert profile["set-resources"][TRAIN_RULE]["gpu"] == 1
    for key in ("jobs", "latency-wait", "retries", "rerun-incomplete"):
        assert key in profile, key
    extras = " ".join(str(r.get("slurm_extra", "")) for r in profile["set-resources"].values())
    assert not re.search(r"--(comment|job-name|output)\b", extras), "the plugin refuses these in slurm_extra"


# --- the real workflow ---

needs_workflow = pytest.mark.skipif(not WORKFLOW.exists(), reason=f"no workflow yet ({WORKFLOW} is missing)")


@needs_workflow
def test_smoke_dag_through_slurm(cluster, tmp_path):
    """The whole smoke DAG runs through the SLURM profile: training jobs via sbatch, every output present."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    expected_limit = write_smoke_forecast(workdir)
    profile = write_test_profile(tmp_path / "profile")
    cmd = snakemake_cmd(workdir, WORKFLOW, profile, SMOKE_TARGETS, SMOKE_OPTIONS)
    code, log, wall = run_snakemake(cmd, workdir, tmp_path / "snakemake.log")
    assert code == 0, f"smoke DAG failed through SLURM (log {tmp_path / 'snakemake.log'}):\n{log[-4000:]}"
    print(f"\nsmoke DAG through SLURM: {wall:.1f} s wall")
    slurm_rules = assert_all_through_sbatch(log, workdir)
    assert TRAIN_RULE in slurm_rules.values(), "no training job went through sbatch"
    _, finished, _ = parse_jobs(log)
    n_train = sum(rule == TRAIN_RULE for rule in finished.values())
    assert sum(rule == TRAIN_RULE for rule in slurm_rules.values()) == n_train
    for slurm_id, rule in slurm_rules.items():
        if rule == TRAIN_RULE:
            record = scontrol_job(slurm_id)
            assert record.get("TresPerJob") == "gres:gpu:1", slurm_id
            # The time limit is the forecast's, not the experiment file's constant for the scale.
            assert record.get("TimeLimit") == expected_limit, (slurm_id, record.get("TimeLimit"))
    # Cluster jobs run on other nodes: no fork server is started for them.
    assert not (workdir / "results" / "smoke" / "logs" / "fork_server.log").exists()
    assert_up_to_date(cmd, workdir)


# The forecast the smoke DAG's training jobs are sized from: every run of He et al.'s smoke DAG forecast at
# this many seconds on the preflight's device (the experiment file's constant at smoke is 10 minutes).
FORECAST_DEVICE_S = 1234.0


def write_smoke_forecast(workdir: Path) -> str:
    """Write results/smoke/forecast.csv for He et al.'s smoke runs; return the time limit SLURM shows."""
    from repro.experiments import expand_runs, load_experiment
    from repro.forecast import COLUMNS
    from repro.runio import write_rows
    from repro.sizing import REQUESTS, request

    experiment = load_experiment(WORKFLOW.parent / "configs" / "experiments" / "he2016_depth.yaml")
    rows = [
        {"experiment": run.experiment, "variant": run.variant, "paper": "he2016", "seeds": 1, "model": "m",
         "device": "cpu", "steps": 1, "params": 1, "run_tflop": 0.0, "device_s": FORECAST_DEVICE_S,
         "gpu_s": 1.0, "peak_mem_mb": 100.0}
        for run in expand_runs(experiment, "smoke")
    ]  # fmt: skip
    write_rows(workdir / "results" / "smoke" / "forecast.csv", rows, COLUMNS)
    workflow_config = yaml.safe_load((WORKFLOW.parent / "configs" / "config.yaml").read_text())
    settings = {**REQUESTS, **(workflow_config.get("requests") or {})}
    forecast = {(r["experiment"], r["variant"]): r for r in rows}
    minutes = request(forecast, rows[0]["experiment"], rows[0]["variant"], "runtime", 10, settings)
    assert minutes != 10, "the forecast must ask for another limit than the scale's constant"
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def _running_train_job(workdir: Path) -> str | None:
    """The SLURM id of a RUNNING training job of this workdir, if any."""
    out = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%i|%k|%Z"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        job_id, comment, job_dir = line.split("|", 2)
        if comment.startswith(f"rule_{TRAIN_RULE}") and Path(job_dir).resolve() == workdir.resolve():
            return job_id
    return None


def _cancel_after_checkpoint(proc: subprocess.Popen, workdir: Path, timeout: float = 600) -> str:
    """Wait until the training job is RUNNING and has written its checkpoint, scancel it; return its id."""
    checkpoint = workdir / RESUME_CHECKPOINT
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job_id = _running_train_job(workdir)
        if job_id and checkpoint.is_file():
            subprocess.run(["scancel", job_id], check=True)
            return job_id
        if proc.poll() is not None:
            pytest.fail(f"snakemake ended (rc {proc.returncode}) before a checkpoint appeared", pytrace=False)
        time.sleep(0.2)
    pytest.fail(f"no running {TRAIN_RULE} job with a checkpoint {checkpoint} within {timeout} s")


def _metrics(path: Path) -> list[tuple]:
    """metrics.csv rows as sorted tuples, values as floats."""
    import pandas as pd

    cols = ["step", "epoch", "split", "metric", "value"]
    df = pd.read_csv(path).sort_values(["step", "split", "metric"]).reset_index(drop=True)
    return [(*key, float(v)) for *key, v in df[cols].itertuples(index=False)]


@needs_workflow
def test_cancelled_training_resumes_from_checkpoint(cluster, tmp_path):
    """A training job cancelled mid-run resumes from its checkpoint and ends like an uninterrupted run."""
    reference = tmp_path / "reference"
    reference.mkdir()
    ref_cmd = snakemake_cmd(reference, WORKFLOW, None, RESUME_TARGETS, RESUME_OPTIONS)
    code, log, wall_local = run_snakemake(ref_cmd, reference, tmp_path / "reference.log")
    assert code == 0, f"uninterrupted local run failed (log {tmp_path / 'reference.log'}):\n{log[-4000:]}"

    workdir = tmp_path / "work"
    workdir.mkdir()
    profile = write_test_profile(tmp_path / "profile")
    cmd = snakemake_cmd(workdir, WORKFLOW, profile, RESUME_TARGETS, RESUME_OPTIONS)
    hook = tmp_path / "pause_hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(PAUSE_HOOK)
    pythonpath = os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))
    env = run_env(
        PYTHONPATH=pythonpath,
        REPRO_TEST_PAUSE_ON=str(Path(RESUME_CHECKPOINT)),
        REPRO_TEST_PAUSE_S=str(PAUSE_AFTER_CHECKPOINT_S),
    )
    with open(tmp_path / "cancelled.log", "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True, env=env, cwd=workdir)
        try:
            job_id = _cancel_after_checkpoint(proc, workdir)
            code = proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=60)
    assert scontrol_job(job_id)["JobState"] == "CANCELLED"
    assert code != 0, "snakemake succeeded although its training job was cancelled"
    assert not (workdir / RESUME_META).exists(), "the cancelled run finished anyway"
    assert (workdir / RESUME_CHECKPOINT).is_file(), "the checkpoint did not survive the failed job's cleanup"

    code, log, wall = run_snakemake(cmd, workdir, tmp_path / "resumed.log")
    assert code == 0, f"rerun after cancel failed (log {tmp_path / 'resumed.log'}):\n{log[-4000:]}"
    submitted, _, _ = parse_jobs(log)
    assert [ids for ids in submitted.values() if job_id not in ids], "the rerun submitted nothing to SLURM"
    meta = json.loads((workdir / RESUME_META).read_text())
    assert meta.get("status") == "completed", meta
    resumed_from = meta.get("resumed_from_step")
    steps = resumed_from if isinstance(resumed_from, list) else [resumed_from]
    assert steps and all(isinstance(s, int) and s > 0 for s in steps), f"meta.json records no resume: {meta}"
    logs = [p.read_text(errors="replace") for p in workdir.rglob("*.log") if p.is_file()]
    logged = [int(m.group(1)) for text in logs for m in RESUMED_LINE.finditer(text)]
    assert steps[-1] in logged, (
        f"no 'resumed from checkpoint at step {steps[-1]}' in the logs (found {logged})"
    )

    resumed, uncut = _metrics(workdir / RESUME_METRICS), _metrics(reference / RESUME_METRICS)
    assert [r[:4] for r in resumed] == [r[:4] for r in uncut], "the resumed run logged other steps or metrics"
    diffs = [abs(a[4] - b[4]) for a, b in zip(resumed, uncut, strict=True)]
    assert max(diffs, default=0.0) <= 1e-6, f"metrics differ from the uninterrupted run by up to {max(diffs)}"
    print(
        f"\nresume test: uninterrupted local run {wall_local:.1f} s, resumed rerun through SLURM {wall:.1f} s"
    )
