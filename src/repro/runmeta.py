"""meta.json of a run: status, timings, device, data provenance, versions and the code's git commit."""

from __future__ import annotations

import importlib.metadata
import platform
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import torch

import repro


def git_commit() -> str:
    """The checkout's commit, or 'unknown' outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)  # fmt: skip
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _installed_version(package: str) -> str:
    """A package's installed version, read from its metadata (importing torchvision costs ~0.5 s a job)."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def run_meta(cfg, device, threads, started, state, status, diverged_at, n_params, data) -> dict[str, Any]:
    """The meta.json record of a finished run."""
    return {
        "status": status,
        "diverged_at_step": diverged_at,
        "steps_completed": state.step,
        "resumed_from_step": state.resumed_from,
        "warmup_ended_at_step": state.warmup_ended_at,
        "num_params": n_params,
        "n_train": len(data.train_x),
        "n_test": len(data.test_x),
        "data_provenance": data.provenance,
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "threads": threads or torch.get_num_threads(),
        "wall_time_s": round(time.time() - started, 2),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": socket.gethostname(),
        "git_commit": git_commit(),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torchvision": _installed_version("torchvision"),
            "repro": repro.__version__,
        },  # fmt: skip
    }
