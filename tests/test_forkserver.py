"""The fork server: a job run through it writes what the same job writes on its own; a killed client stops
its child; a server does not outlive the run that started it; a job with no server runs itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from repro.config import run_config_from_dict
from repro.forkserver import client, launch
from repro.forkserver.protocol import ENV_VAR, recv_message, send_message
from repro.forkserver.server import exit_status, resolve
from repro.train import run

from .test_train import tiny_config


def train_job_args(data_root: Path, out: Path, **train: object) -> dict:
    """Keyword arguments of repro.jobs.train_job for a tiny CPU run into ``out``."""
    return {
        "run_config": tiny_config(data_root, **train),
        "out_dir": str(out),
        "log_file": str(out.parent / f"{out.name}.log"),
        "source": "test",
        "threads": 1,
        "device": "cpu",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A fork server started as the workflow starts it; yields (the environment with its socket, its log)."""
    log = tmp_path_factory.mktemp("fork_server") / "server.log"
    environ: dict[str, str] = {}
    handle = launch.start(log, environ)
    assert handle is not None, log.read_text()
    yield environ, log
    launch.stop(handle, environ)
    assert ENV_VAR not in environ and not os.path.exists(handle.socket_path)
    assert handle.process.poll() is not None


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``predicate`` until it holds, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def is_gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie counts: it runs nothing)."""
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


def test_messages_carry_json_and_descriptors() -> None:
    left, right = socket.socketpair()
    read_end, write_end = os.pipe()
    with left, right:
        big = {"call": "x", "kwargs": {"a": [1, 2.5, "é" * 100_000]}}  # larger than one socket buffer
        sender = threading.Thread(target=send_message, args=(left, big), kwargs={"fds": [write_end]})
        sender.start()
        message, fds = recv_message(right)
        sender.join()
        assert message == big and len(fds) == 1
        os.write(fds[0], b"through the passed descriptor")
        os.close(fds[0])
        os.close(write_end)
        assert os.read(read_end, 100) == b"through the passed descriptor"
        os.close(read_end)
        left.close()
        assert recv_message(right) == (None, [])


def test_exit_status_reads_like_a_shell() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(3)
    assert exit_status(os.waitpid(pid, 0)[1]) == 3
    pid = os.fork()
    if pid == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    assert exit_status(os.waitpid(pid, 0)[1]) == 128 + signal.SIGKILL


def test_only_the_training_entry_point_can_be_called() -> None:
    assert resolve("repro.jobs:train_job").__name__ == "train_job"
    for target in ("os:system", "subprocess:run", "repro.jobs", "reproduce.x:y", "repro.train:run"):
        with pytest.raises(ValueError, match="runs only repro.jobs:train_job"):
            resolve(target)


def test_without_a_reachable_server_the_job_runs_itself(tmp_path: Path) -> None:
    assert client.call("repro.jobs:train_job", {}, environ={}) is None
    assert client.call("repro.jobs:train_job", {}, environ={ENV_VAR: str(tmp_path / "no.sock")}) is None
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(tmp_path / "stale.sock"))  # a socket file nobody listens on (a crashed server's)
    stale.close()
    assert client.call("repro.jobs:train_job", {}, environ={ENV_VAR: str(tmp_path / "stale.sock")}) is None


def test_a_job_through_the_server_writes_the_same_run_as_on_its_own(server, tiny_data_root, tmp_path) -> None:
    environ, log = server
    forked = tmp_path / "forked"
    assert client.call("repro.jobs:train_job", train_job_args(tiny_data_root, forked), environ) == 0
    alone = tmp_path / "alone"
    run(run_config_from_dict(tiny_config(tiny_data_root)), alone, threads=1, device="cpu")
    for name in ("metrics.csv", "config.json", "probes/layer_response.csv"):
        assert (forked / name).read_bytes() == (alone / name).read_bytes(), name
    meta = json.loads((forked / "meta.json").read_text())
    assert meta["status"] == "completed" and meta["device"] == "cpu"
    assert "step 20/20" in (tmp_path / "forked.log").read_text()  # the job's own log, as a fresh process
    assert "exit status 0" in log.read_text()


def test_a_failing_job_reports_its_status_and_its_error_reaches_the_job_log(server, tiny_data_root, tmp_path):
    environ, _ = server
    args = train_job_args(tiny_data_root, tmp_path / "r", batch_size=300)  # 'tiny' has 256 images
    assert client.call("repro.jobs:train_job", args, environ) == 1
    assert "batch_size" in (tmp_path / "r.log").read_text()
    assert not (tmp_path / "r" / "meta.json").exists()


def test_a_killed_client_stops_its_child(server, tiny_data_root, tmp_path) -> None:
    environ, log = server
    already = len(log.read_text().splitlines())
    args = train_job_args(tiny_data_root, tmp_path / "long", steps=100_000, checkpoint_every=100_000)
    code = f"from repro.forkserver.client import call; call('repro.jobs:train_job', {args!r})"
    job = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, **environ})
    child: list[int] = []

    def forked() -> bool:  # the server logs "job <pid>: <call>" when it forks
        new_lines = log.read_text().splitlines()[already:]
        child[:] = [
            int(line.split()[-2].rstrip(":")) for line in new_lines if line.endswith(": repro.jobs:train_job")
        ]
        return bool(child)

    wait_for(forked, what="the server to fork the job")
    wait_for(lambda: (tmp_path / "long.log").exists(), what="the job to start training")
    assert not is_gone(child[0])
    job.kill()
    job.wait()
    wait_for(
        lambda: is_gone(child[0]), timeout=20, what=f"child {child[0]} to stop after its client was killed"
    )
    assert f"job {child[0]}: its client went away" in log.read_text()


@pytest.mark.slow  # starts real interpreters and waits on them: seconds each
def test_the_server_does_not_outlive_the_process_that_started_it(tmp_path: Path) -> None:
    code = (
        "import os, sys; from pathlib import Path; from repro.forkserver.launch import start\n"
        f"handle = start(Path({str(tmp_path / 'server.log')!r}), {{}})\n"
        "print(handle.process.pid, flush=True); os._exit(0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    pid = int(out.stdout.split()[0])
    wait_for(lambda: is_gone(pid), timeout=15, what="the orphaned server to exit")
    assert "stopped" in (tmp_path / "server.log").read_text()


@pytest.mark.slow  # starts real interpreters and waits on them: seconds each
def test_a_client_that_sends_nothing_does_not_stall_the_server(server) -> None:
    environ, log = server
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(environ[ENV_VAR])  # connects, then never sends its request
    with silent:
        wait_for(lambda: launch.is_ready(environ[ENV_VAR]), timeout=20, what="the server to answer again")
    assert "dropped a malformed request" in log.read_text()
