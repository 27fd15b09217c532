"""The fork server: one warm process per local run that forks a child per job (see the package docstring).

Single-threaded on purpose: ``fork`` copies only the calling thread, so a server with no threads of its
own hands each child a consistent interpreter (no lock held by a thread that the child lacks). Before each
fork it checks that this still holds, and that the job is one its child would run exactly as a plain process
would (``repro.forkserver.guards``); otherwise it declines and the client runs the job itself.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import selectors
import signal
import socket
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

from repro.forkserver import guards
from repro.forkserver.protocol import recv_message, send_message

log = logging.getLogger("repro.forkserver")

# Imported once by the server so no child imports them: the engine, and torch._dynamo, which
# torch.optim imports on first use (about 1.4 s of every run's set-up otherwise).
PRELOAD = ("torch", "torch._dynamo", "repro.train", "repro.jobs")
TERMINATE_GRACE_S = 10.0
REQUEST_TIMEOUT_S = 5.0  # a client sends its request at once; one that does not must not stall the rest
POLL_S = 0.2
# Set before the preload's imports. numpy's OpenBLAS starts its thread pool on import, which would leave the
# server with threads it cannot fork safely (a job's BLAS threads are numpy's, not torch's, so this costs a
# forked job nothing measurable); and torch.cuda.is_available() answers from NVML, without starting CUDA.
PRELOAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "PYTORCH_NVML_BASED_CUDA_CHECK": "1"}


@dataclass
class Job:
    """A forked child and the client connection waiting for its status."""

    pid: int
    conn: socket.socket
    killed_at: float | None = None


def resolve(target: str) -> Any:
    """The function named ``module:function``; only the training entry point may be called."""
    refused = guards.call_refused(target)
    if refused is not None:
        raise ValueError(refused)
    module_name, _, function_name = target.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def exit_status(wait_status: int) -> int:
    """A shell-style exit status: the child's code, or 128 + the signal that killed it."""
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    return os.waitstatus_to_exitcode(wait_status)


def run_child(request: dict[str, Any], fds: list[int]) -> int:
    """In the forked child: take the job's streams, directory and environment; make the call; its status."""
    for target_fd, fd in zip((0, 1, 2), fds, strict=False):
        os.dup2(fd, target_fd)
    for fd in fds:
        os.close(fd)
    for sig in (signal.SIGTERM, signal.SIGINT):  # the server's handlers: a job dies of them as usual
        signal.signal(sig, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])  # e.g. CUDA_VISIBLE_DEVICES: read when CUDA starts, in the child
    sys.argv = list(request.get("argv") or [sys.executable])
    root = logging.getLogger()
    for handler in list(root.handlers):  # the job configures its own logging, as a fresh process would
        root.removeHandler(handler)
    try:
        resolve(request["call"])(**request.get("kwargs", {}))
        return 0
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except KeyboardInterrupt:
        return 130
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()


class Server:
    """Accepts jobs on a Unix socket, forks one child each and reports each child's status."""

    def __init__(self, path: str, parent_pid: int | None, code_version: str | None = None) -> None:
        self.path = path
        self.parent_pid = parent_pid
        # What a job must match to run in a child: this interpreter, and the code imported at the start
        # (``preload``'s digest; taken now when not given, which is only right if nothing was imported yet).
        self.identity = guards.interpreter_identity()
        self.code_version = code_version or guards.code_digest()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.selector = selectors.DefaultSelector()
        self.jobs: dict[int, Job] = {}  # by the client connection's fd
        self.stopping = False

    def serve(self) -> None:
        """Bind, then accept and supervise jobs until stopped or the run that started the server ends."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        old_umask = os.umask(0o177)  # only this user may connect
        try:
            self.listener.bind(self.path)
        finally:
            os.umask(old_umask)
        self.listener.listen(64)
        self.selector.register(self.listener, selectors.EVENT_READ)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info("fork server %d listening on %s", os.getpid(), self.path)
        try:
            while not self.stopping and self._parent_alive():
                for key, _ in self.selector.select(POLL_S):
                    if key.fileobj is self.listener:
                        self._accept()
                    else:
                        self._client_event(key.fileobj)  # type: ignore[arg-type]
                self._reap()
        finally:
            self._shutdown()

    def _stop(self, signum: int, _frame: Any) -> None:
        log.info("fork server stopping on signal %d", signum)
        self.stopping = True

    def _parent_alive(self) -> bool:
        # The run that started the server ended without stopping it (e.g. killed): do not outlive it.
        return self.parent_pid is None or os.getppid() == self.parent_pid

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        conn.settimeout(REQUEST_TIMEOUT_S)
        try:
            request, fds = recv_message(conn)
            conn.settimeout(None)
        except (OSError, ValueError) as err:
            log.warning("dropped a malformed request: %s", err)
            conn.close()
            return
        if request is None or "call" not in request:  # a readiness probe, or a client that gave up
            with contextlib.suppress(OSError):
                send_message(conn, {"ready": True})
            conn.close()
            for fd in fds:
                os.close(fd)
            return
        self._start_job(conn, request, fds)

    def decline_reason(self, request: dict[str, Any]) -> str | None:
        """Why this job must run as a plain process rather than in a child of this server, or None."""
        return (
            guards.call_refused(request.get("call"))
            or guards.identity_differs(self.identity, request.get("interpreter"))
            # A child runs the code imported at the start, while meta.json records the checkout at the
            # job's end: after an edit the record would name code the job did not run.
            or guards.code_changed(self.code_version)
            or guards.fork_unsafe()
        )

    def _start_job(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        reason = self.decline_reason(request)
        if reason is not None:
            log.info("declined a job: %s", reason)
            with contextlib.suppress(OSError):
                send_message(conn, {"declined": reason})
            conn.close()
            for fd in fds:
                os.close(fd)
            return
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:  # the child: nothing of the server's but the interpreter
            status = 1
            try:
                self.listener.close()
                for job in self.jobs.values():
                    job.conn.close()
                conn.close()
                status = run_child(request, fds)
            finally:
                os._exit(status)
        for fd in fds:
            os.close(fd)
        self.jobs[conn.fileno()] = Job(pid, conn)
        self.selector.register(conn, selectors.EVENT_READ)
        log.info("job %d: %s", pid, request["call"])

    def _client_event(self, conn: socket.socket) -> None:
        # A client sends nothing after its request, so readable means it has gone: stop its child.
        job = self.jobs.get(conn.fileno())
        if job is None:
            return
        try:
            data = conn.recv(1)
        except OSError:
            data = b""
        if not data and job.killed_at is None:
            log.info("job %d: its client went away; terminating it", job.pid)
            self.selector.unregister(conn)
            self._signal(job, signal.SIGTERM)
            job.killed_at = time.monotonic()

    def _signal(self, job: Job, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(job.pid, sig)

    def _reap(self) -> None:
        for key, job in list(self.jobs.items()):
            pid, wait_status = os.waitpid(job.pid, os.WNOHANG)
            if pid == 0:
                if job.killed_at is not None and time.monotonic() - job.killed_at > TERMINATE_GRACE_S:
                    self._signal(job, signal.SIGKILL)
                continue
            status = exit_status(wait_status)
            log.info("job %d: exit status %d", job.pid, status)
            if job.killed_at is None:
                self.selector.unregister(job.conn)
                with contextlib.suppress(OSError):
                    send_message(job.conn, {"status": status})
            job.conn.close()
            del self.jobs[key]

    def _shutdown(self) -> None:
        for job in self.jobs.values():
            self._signal(job, signal.SIGTERM)
        deadline = time.monotonic() + TERMINATE_GRACE_S
        while self.jobs and time.monotonic() < deadline:
            self._reap()
            time.sleep(POLL_S)
        for job in self.jobs.values():
            self._signal(job, signal.SIGKILL)
            job.conn.close()
        self.listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        log.info("fork server %d stopped", os.getpid())


def preload() -> str:
    """Import what every job would import, once, without running tensor arithmetic or starting CUDA.

    Returns the digest of the package's sources, taken before the imports: if a file changes while they
    run, the digest is already stale and the server declines every job rather than run mixed code.
    """
    version = guards.code_digest()
    os.environ.update(PRELOAD_ENV)  # the children take their job's environment instead (run_child)
    for name in PRELOAD:
        importlib.import_module(name)
    return version
