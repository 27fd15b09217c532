"""The fork server declines what a child could not run as a plain process would: another interpreter or
environment, another call than the training entry point, code edited since its start, more than one thread,
or a CUDA driver already loaded. A declined job runs itself (the client returns None)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from repro.forkserver import guards
from repro.forkserver.guards import ENTRY_POINT, interpreter_identity
from repro.forkserver.protocol import ENV_VAR, recv_message, send_message
from repro.forkserver.server import Server

from .test_forkserver import server  # noqa: F401  (the module-scoped fixture)


def ask(environ: dict[str, str], request: dict) -> dict | None:
    """Send one raw request to the server (with this process's streams) and return its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(environ[ENV_VAR])
        send_message(sock, request, fds=[0, 1, 2])
        reply, _ = recv_message(sock)
    return reply


def request(**changes: object) -> dict:
    """A well-formed job request from this process; ``changes`` replace its fields."""
    base = {
        "call": ENTRY_POINT,
        "kwargs": {},
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "argv": [sys.executable],
        "interpreter": interpreter_identity(),
    }
    return {**base, **changes}


def test_a_job_in_another_interpreter_or_env_is_declined(server) -> None:  # noqa: F811
    environ, log = server
    other = {**interpreter_identity(), "prefix": "/opt/conda/envs/repro-abc123"}
    reply = ask(environ, request(interpreter=other))
    assert reply is not None and "prefix" in reply["declined"] and "repro-abc123" in reply["declined"]
    assert "declined" in ask(environ, request(interpreter=None))  # a client that does not say
    # The real client in a conda job (CONDA_PREFIX set) is declined, and runs the job itself.
    code = "from repro.forkserver.client import call; print(call('repro.jobs:train_job', {}))"
    env = {**os.environ, **environ, "CONDA_PREFIX": "/opt/conda/envs/repro-abc123"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "None", out.stderr
    assert "declined the job" in out.stderr and "CONDA_PREFIX" in out.stderr
    assert "declined a job" in log.read_text()


def test_a_call_other_than_the_training_entry_point_is_declined(server) -> None:  # noqa: F811
    environ, _ = server
    for target in ("repro.train:run", "repro.cli:train_main", "os:system"):
        reply = ask(environ, request(call=target))
        assert reply is not None and "runs only repro.jobs:train_job" in reply["declined"], target


def test_identity_names_the_difference() -> None:
    mine = interpreter_identity({"CONDA_PREFIX": "/envs/a"})
    assert guards.identity_differs(mine, dict(mine)) is None
    theirs = interpreter_identity({"CONDA_PREFIX": "/envs/b"})
    assert "CONDA_PREFIX ('/envs/b')" in guards.identity_differs(mine, theirs)
    moved = {**mine, "executable": "/usr/bin/python3.99"}
    assert "executable" in guards.identity_differs(mine, moved)


def test_an_edit_of_the_sources_changes_the_code_version(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("not code")
    loaded = guards.code_digest(tmp_path)
    assert guards.code_changed(loaded, tmp_path) is None
    (tmp_path / "notes.txt").write_text("still not code")
    assert guards.code_changed(loaded, tmp_path) is None
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    assert "changed since the server started" in guards.code_changed(loaded, tmp_path)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "b.py").write_text("")  # a new module is an edit too
    assert guards.code_changed(loaded, tmp_path) is not None


def test_a_server_whose_code_is_stale_declines(tmp_path: Path) -> None:
    fresh = Server(str(tmp_path / "s.sock"), None, guards.code_digest())
    stale = Server(str(tmp_path / "t.sock"), None, "0" * 64)
    assert "changed since the server started" in stale.decline_reason(request())
    reason = fresh.decline_reason(request())
    # This test process is not a fork server (pytest and numpy start threads), but the code is current.
    assert reason is None or "changed" not in reason


def test_threads_are_counted_from_the_kernel_and_from_python(tmp_path: Path) -> None:
    tasks = tmp_path / "task"
    tasks.mkdir()
    (tasks / "101").mkdir()
    maps = tmp_path / "maps"
    maps.write_text("")
    assert guards.fork_unsafe(tasks, maps) is None
    (tasks / "102").mkdir()  # a native thread, e.g. a BLAS pool, that Python does not know about
    assert "2 threads" in guards.fork_unsafe(tasks, maps)
    (tasks / "102").rmdir()
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert "threads" in guards.fork_unsafe(tasks, maps)
    finally:
        release.set()
        worker.join()


def test_a_loaded_cuda_driver_forbids_forking(tmp_path: Path) -> None:
    tasks = tmp_path / "task"
    (tasks / "7").mkdir(parents=True)
    maps = tmp_path / "maps"
    lib = "7f00-7f10 r-xp 00000000 08:01 42 "
    # The runtime and Python bindings are loaded by `import torch` alone; only the driver means CUDA started.
    maps.write_text(
        f"{lib}/opt/venv/nvidia/cuda_runtime/lib/libcudart.so.12\n{lib}/x/cuda/bindings/driver.so\n"
    )
    assert not guards.cuda_driver_loaded(maps) and guards.fork_unsafe(tasks, maps) is None
    maps.write_text(maps.read_text() + f"{lib}/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15\n")
    assert guards.cuda_driver_loaded(maps)
    assert "CUDA driver" in guards.fork_unsafe(tasks, maps)


def test_the_preloaded_server_is_fork_safe_and_asks_cuda_through_nvml() -> None:
    # In a fresh interpreter, as the server runs: one thread after the preload, and torch.cuda.is_available()
    # (which a job's `device: auto` calls) leaves no driver behind; on a CUDA machine it still sees the GPU.
    code = (
        "from repro.forkserver import guards\nfrom repro.forkserver.server import preload\n"
        "preload()\nprint(guards.fork_unsafe())\n"
        "import torch\navailable = torch.cuda.is_available()\n"
        "print(guards.fork_unsafe(), available)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", ENV_VAR)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    lines = out.stdout.split("\n")
    assert lines[0] == "None", out.stderr
    assert lines[1].split()[0] == "None", out.stderr


@pytest.mark.skipif(not Path("/proc/driver/nvidia").exists(), reason="needs an NVIDIA driver")
def test_without_nvml_is_available_loads_the_driver() -> None:
    # The check must see what torch.cuda.is_initialized() misses: a plain is_available() loads the driver.
    code = (
        "import torch\nfrom repro.forkserver import guards\n"
        "print(torch.cuda.is_available(), torch.cuda.is_initialized(), guards.cuda_driver_loaded())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTORCH_NVML_BASED_CUDA_CHECK"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert out.stdout.split() == ["True", "False", "True"], out.stderr
