"""Start and stop a fork server from the workflow's process (which must not import torch itself)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from repro.forkserver.protocol import ENV_VAR, recv_message, send_message

READY_TIMEOUT_S = 120.0


@dataclass
class ServerHandle:
    """A started server: its process, its socket, and the folder that holds the socket."""

    process: subprocess.Popen
    socket_path: str
    folder: str


def is_ready(socket_path: str) -> bool:
    """Whether a server answers a readiness probe on ``socket_path``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5.0)
    try:
        sock.connect(socket_path)
        send_message(sock, {"probe": True})
        reply, _ = recv_message(sock)
        return bool(reply and reply.get("ready"))
    except OSError:
        return False
    finally:
        sock.close()


def start(log_file: Path, environ: dict[str, str] | None = None) -> ServerHandle | None:
    """Start a server child of this process, wait until it answers, export its socket; None if it fails.

    The socket lives in a fresh private folder under the temp dir (a Unix socket path must stay under
    about 100 characters). ``environ`` (default ``os.environ``) gets ``REPRO_FORK_SERVER``, which the
    jobs this process starts inherit.
    """
    environ = os.environ if environ is None else environ
    folder = tempfile.mkdtemp(prefix="repro-fs-")
    socket_path = str(Path(folder) / "server.sock")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "repro.forkserver", "--socket", socket_path, "--parent", str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # a Ctrl-C meant for the jobs reaches the server through its parent's end
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if os.path.exists(socket_path) and is_ready(socket_path):
            environ[ENV_VAR] = socket_path
            return ServerHandle(process, socket_path, folder)
        time.sleep(0.1)
    stop(ServerHandle(process, socket_path, folder), environ)
    return None


def stop(handle: ServerHandle, environ: dict[str, str] | None = None) -> None:
    """Stop the server (it stops any job still running), and remove its socket folder."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR) == handle.socket_path:
        del environ[ENV_VAR]
    if handle.process.poll() is None:
        handle.process.terminate()
        try:
            handle.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            handle.process.kill()
            handle.process.wait()
    with contextlib.suppress(OSError):
        shutil.rmtree(handle.folder)
