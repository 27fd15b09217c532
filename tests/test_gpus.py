"""GPU pinning without a GPU: the slots jobs claim, the CUDA_VISIBLE_DEVICES each job sees, cuDNN/TF32."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from repro.gpus import claim_slot, configure_cuda, pin_to_gpu, visible_gpus


def fake_driver(tmp_path: Path, n: int) -> Path:
    """A stand-in for /proc/driver/nvidia/gpus with ``n`` GPU folders."""
    proc = tmp_path / "nvidia-gpus"
    for i in range(n):
        (proc / f"0000:0{i}:00.0").mkdir(parents=True)
    return proc


def test_visible_gpus_follow_cuda_visible_devices_then_the_driver(tmp_path: Path) -> None:
    proc = fake_driver(tmp_path, 3)
    assert visible_gpus({}, proc) == ["0", "1", "2"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "2, 5"}, proc) == ["2", "5"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}, proc) == []
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}, proc) == []
    assert visible_gpus({}, tmp_path / "no-driver") == []


def test_slots_spread_over_the_gpus_then_share_them_then_wait(tmp_path: Path) -> None:
    claims = [claim_slot(["0", "1"], 2, tmp_path) for _ in range(4)]
    assert [c.gpu for c in claims] == ["0", "1", "0", "1"]
    assert [c.slot for c in claims] == [0, 1, 2, 3]
    with pytest.raises(TimeoutError, match="no free GPU slot"):
        claim_slot(["0", "1"], 2, tmp_path, poll_s=0.05, timeout_s=0.2)
    claims[1].release()
    again = claim_slot(["0", "1"], 2, tmp_path, timeout_s=0.2)
    assert (again.slot, again.gpu) == (1, "1")
    for claim in claims[:1] + claims[2:] + [again]:
        claim.release()


def test_nothing_is_claimed_where_there_is_nothing_to_choose(tmp_path: Path) -> None:
    two = fake_driver(tmp_path, 2)
    env: dict[str, str] = {}
    assert pin_to_gpu("cpu", 1, env, tmp_path / "locks", two) is None
    assert pin_to_gpu("cuda:1", 1, env, tmp_path / "locks", two) is None
    assert pin_to_gpu("auto", 1, {"CUDA_VISIBLE_DEVICES": "3"}, tmp_path / "locks", two) is None
    assert pin_to_gpu("auto", 1, env, tmp_path / "locks", fake_driver(tmp_path / "one", 1)) is None
    assert env == {}
    claim = pin_to_gpu("auto", 1, env, tmp_path / "locks", two)
    assert claim is not None and env == {"CUDA_VISIBLE_DEVICES": "0"}
    claim.release()


JOB = """
import os, sys, time
from pathlib import Path
from repro.gpus import pin_to_gpu
claim = pin_to_gpu("auto", int(sys.argv[1]), lock_dir=Path(sys.argv[2]), proc_dir=Path(sys.argv[3]))
print(os.environ.get("CUDA_VISIBLE_DEVICES"), claim.slot, flush=True)
time.sleep(float(sys.argv[4]))
"""


def start_job(jobs_per_gpu: int, locks: Path, proc: Path, hold_s: float) -> subprocess.Popen:
    """A stand-in training job: claims a slot as train_run does, prints what it sees, holds the slot."""
    args = [sys.executable, "-c", JOB, str(jobs_per_gpu), str(locks), str(proc), str(hold_s)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin"})


def test_concurrent_jobs_each_see_their_own_gpu_and_a_killed_job_frees_its_slot(tmp_path: Path) -> None:
    proc, locks = fake_driver(tmp_path, 3), tmp_path / "locks"
    jobs = [start_job(1, locks, proc, 30.0) for _ in range(3)]
    seen = [job.stdout.readline().split()[0] for job in jobs]
    assert sorted(seen) == ["0", "1", "2"]  # one job per GPU, every GPU used
    waiting = start_job(1, locks, proc, 0.0)  # a fourth job waits for a slot ...
    time.sleep(1.5)
    assert waiting.poll() is None
    jobs[1].kill()  # ... until a job dies: the kernel drops its lock
    jobs[1].wait()
    gpu, _ = waiting.communicate(timeout=30)[0].split()
    assert waiting.returncode == 0
    for job in jobs[:1] + jobs[2:]:
        job.kill()
        job.wait()
    assert gpu == seen[1]  # the dead job's slot, on its GPU


def test_cuda_numerics_default_to_float32_fidelity() -> None:
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32,
              torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)  # fmt: skip
    try:
        assert configure_cuda(allow_tf32=False) == {
            "allow_tf32": False, "cudnn_deterministic": True, "cudnn_benchmark": False}  # fmt: skip
        assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        configure_cuda(allow_tf32=True)
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
    finally:
        (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32,
         torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark) = before  # fmt: skip
