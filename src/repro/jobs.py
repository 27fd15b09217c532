"""What a workflow training job does, as one call: run it in a fresh process or in a fork server's child."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from repro.config import run_config_from_dict
from repro.gpus import pin_to_gpu
from repro.train import run


def train_job(
    run_config: dict[str, Any],
    out_dir: str,
    log_file: str,
    source: str,
    threads: int,
    device: str = "auto",
    jobs_per_gpu: int = 1,
    allow_tf32: bool = False,
) -> None:
    """Train one workflow run into ``out_dir``, logging to ``log_file`` (arguments are plain JSON values)."""
    logging.basicConfig(filename=log_file, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cfg = run_config_from_dict(dict(run_config), source=source)
    gpu_claim = pin_to_gpu(device, jobs_per_gpu)  # held until the job ends  # noqa: F841
    run(cfg, Path(out_dir), threads=threads, device=device, allow_tf32=allow_tf32)
