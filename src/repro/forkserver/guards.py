"""When the fork server must decline a job, so that the job runs as a plain process instead.

A forked child runs the server's interpreter, the server's ``sys.path`` and the code the server imported
at its start. That equals a plain process only when the job would start the same interpreter with the same
import settings, and the package's source has not changed since; and forking is safe only while the server
has one thread and has not loaded the CUDA driver. Each check returns the reason to decline, or None.

Imports only the standard library: the client calls ``interpreter_identity`` without importing torch.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The one call a client may send: the training job (repro.jobs.train_job); nothing else is ever sent.
ENTRY_POINT = "repro.jobs:train_job"
# Environment variables that change what an interpreter imports (a conda job's env, extra paths).
IMPORT_ENV = ("CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "VIRTUAL_ENV")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # src/repro
MAPS = Path("/proc/self/maps")
TASKS = Path("/proc/self/task")


def interpreter_identity(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """What decides the code a process of this interpreter runs: executable, prefix, version, import env."""
    environ = os.environ if environ is None else environ
    return {
        # A venv's python is a symlink to the base interpreter: the prefix is what tells two venvs apart.
        "executable": os.path.realpath(sys.executable),
        "prefix": sys.prefix,
        "version": sys.version,
        **{key: environ.get(key) for key in IMPORT_ENV},
    }


def call_refused(target: Any) -> str | None:
    """Why the server will not make this call: anything but the training entry point."""
    if target != ENTRY_POINT:
        return f"the fork server runs only {ENTRY_POINT}, not {target!r}"
    return None


def identity_differs(server: Mapping[str, Any], job: Any) -> str | None:
    """Why a job whose interpreter identity is ``job`` must not run in a child of ``server``'s."""
    if not isinstance(job, Mapping):
        return "the job did not say which interpreter it runs in"
    for key in sorted(set(server) | set(job)):
        if server.get(key) != job.get(key):
            return f"the job's {key} ({job.get(key)!r}) differs from the server's ({server.get(key)!r})"
    return None


def code_digest(root: Path = PACKAGE_ROOT) -> str:
    """A sha256 over the package's Python sources (relative path and bytes): the code a process loads."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_changed(loaded: str, root: Path = PACKAGE_ROOT) -> str | None:
    """Why a child of a server that loaded code ``loaded`` would run stale code (an edit since its start)."""
    current = code_digest(root)
    if current != loaded:
        return (
            f"the repro sources changed since the server started (loaded {loaded[:12]}, now {current[:12]})"
        )
    return None


def thread_count(tasks: Path = TASKS) -> int:
    """This process's threads: the kernel's count (native threads too, e.g. BLAS pools), else Python's."""
    try:
        native = len(os.listdir(tasks))
    except OSError:  # no /proc (not Linux): only the Python threads are known
        native = 0
    return max(native, threading.active_count())


def cuda_driver_loaded(maps: Path = MAPS) -> bool:
    """Whether the CUDA driver library is mapped: what ``cudaGetDeviceCount`` (``is_available``) leaves
    behind, although ``torch.cuda.is_initialized()`` stays False until a context is made."""
    try:
        text = maps.read_text()
    except OSError:
        return False
    return any(
        Path(line.split()[-1]).name.startswith("libcuda.so") for line in text.splitlines() if "/" in line
    )


def fork_unsafe(tasks: Path = TASKS, maps: Path = MAPS) -> str | None:
    """Why forking now could hand a child a broken interpreter: other threads, or CUDA already started."""
    threads = thread_count(tasks)
    if threads > 1:
        # fork copies only the calling thread; a lock another thread holds stays held in the child forever.
        return f"the server has {threads} threads, and fork copies only one"
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        return "CUDA was initialised in the server"
    if cuda_driver_loaded(maps):
        return "the CUDA driver was loaded in the server (a child could not use CUDA)"
    return None
