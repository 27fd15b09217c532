"""GPU use by training jobs: which GPU a job runs on, how many jobs share one, and cuDNN/TF32 settings.

Snakemake gives a job no GPU index, so a job that sees several GPUs claims a slot itself: slot k of
``n_gpus x jobs_per_gpu`` is an exclusive ``flock`` on ``{lock_dir}/slot{k}.lock`` and maps to GPU
``k mod n_gpus`` (slots spread jobs over the GPUs before doubling up). The job then sets
``CUDA_VISIBLE_DEVICES`` to that GPU before CUDA starts, so its ``cuda`` device is the claimed GPU. The
kernel drops the lock when the process ends, however it ends (a killed job never leaves a slot taken).
A job that sees one GPU (a single-GPU machine, or a SLURM job given ``--gpus=1``, where the scheduler
already chose) or none claims nothing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger("repro.gpus")

NVIDIA_PROC = Path("/proc/driver/nvidia/gpus")  # one folder per GPU the driver sees; no CUDA init needed


def visible_gpus(environ: Mapping[str, str], proc_dir: Path = NVIDIA_PROC) -> list[str]:
    """The GPUs this process may use, as CUDA_VISIBLE_DEVICES entries (its list when set, else 0..n-1)."""
    listed = environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [entry.strip() for entry in listed.split(",") if entry.strip() and entry.strip() != "-1"]
    try:
        count = sum(1 for entry in proc_dir.iterdir() if entry.is_dir())
    except OSError:  # no NVIDIA driver: no GPUs
        count = 0
    return [str(i) for i in range(count)]


def default_lock_dir(gpus: list[str]) -> Path:
    """A per-user folder in the machine's temp dir, one per set of GPUs (jobs of every checkout share it)."""
    name = f"repro-gpu-slots-{os.getuid()}-" + "_".join(gpus).replace("/", "-")
    return Path(tempfile.gettempdir()) / name


@dataclass
class GpuClaim:
    """A held slot: the GPU it maps to and the open lock file (the lock lasts while the file is open)."""

    gpu: str
    slot: int
    handle: IO[str]

    def release(self) -> None:
        """Give the slot back before the process ends (the end of the process does it too)."""
        self.handle.close()


def claim_slot(
    gpus: list[str], jobs_per_gpu: int, lock_dir: Path, poll_s: float = 1.0, timeout_s: float | None = None
) -> GpuClaim:
    """Hold the first free slot (waiting while all are taken); slot k runs on gpus[k % len(gpus)]."""
    if not gpus:
        raise ValueError("no GPUs to claim a slot on")
    if jobs_per_gpu < 1:
        raise ValueError(f"jobs_per_gpu must be >= 1, got {jobs_per_gpu}")
    lock_dir.mkdir(parents=True, exist_ok=True)
    waited_since, announced = time.monotonic(), False
    while True:
        for slot in range(len(gpus) * jobs_per_gpu):
            handle = open(lock_dir / f"slot{slot}.lock", "a")  # noqa: SIM115 (held open: it is the lock)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return GpuClaim(gpus[slot % len(gpus)], slot, handle)
        if timeout_s is not None and time.monotonic() - waited_since > timeout_s:
            raise TimeoutError(f"no free GPU slot in {lock_dir} after {timeout_s:.0f} s")
        if not announced:
            log.info("all %d GPU slots are taken; waiting for one", len(gpus) * jobs_per_gpu)
            announced = True
        time.sleep(poll_s)


def pin_to_gpu(
    device: str,
    jobs_per_gpu: int,
    environ: MutableMapping[str, str] | None = None,
    lock_dir: Path | None = None,
    proc_dir: Path = NVIDIA_PROC,
) -> GpuClaim | None:
    """For a job that may use CUDA and sees several GPUs: claim a slot, set CUDA_VISIBLE_DEVICES to its GPU.

    Call before CUDA starts (before any ``torch.cuda`` call). Returns the claim (keep it for the job's
    life), or None when there is nothing to choose: a CPU device, an explicit ``cuda:N``, one GPU or none.
    """
    environ = os.environ if environ is None else environ
    if device not in ("auto", "cuda"):  # cpu, or a device the user pinned with cuda:N
        return None
    gpus = visible_gpus(environ, proc_dir)
    if len(gpus) < 2:
        return None
    claim = claim_slot(gpus, jobs_per_gpu, lock_dir or default_lock_dir(gpus))
    environ["CUDA_VISIBLE_DEVICES"] = claim.gpu
    log.info("GPU slot %d of %d: CUDA_VISIBLE_DEVICES=%s", claim.slot, len(gpus) * jobs_per_gpu, claim.gpu)
    return claim


def configure_cuda(allow_tf32: bool) -> dict[str, bool]:
    """Numerics for CUDA runs: TF32 off unless allowed (fidelity), cuDNN deterministic, no autotuning.

    Deterministic cuDNN kernels and no benchmark mode make a rerun on the same GPU and software give the
    same numbers (and a resumed run continue exactly); TF32 matmuls and convolutions are faster on
    Ampere and later GPUs but round inputs to 10 mantissa bits, which the papers' float32 runs did not.
    """
    import torch

    torch.backends.cuda.matmul.allow_tf32 = allow_tf32
    torch.backends.cudnn.allow_tf32 = allow_tf32
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return {"allow_tf32": allow_tf32, "cudnn_deterministic": True, "cudnn_benchmark": False}
