"""The job side of the fork server: hand it a call, or report that there is no server to hand it to.

Imports only the standard library, so a job that finds a server never imports torch itself.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from typing import Any

from repro.forkserver.guards import interpreter_identity
from repro.forkserver.protocol import ENV_VAR, recv_message, send_message

CONNECT_TIMEOUT_S = 2.0


def connect(environ: Mapping[str, str] | None = None) -> socket.socket | None:
    """A connection to the server named in the environment, or None when there is none to reach."""
    path = (os.environ if environ is None else environ).get(ENV_VAR)
    if not path:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        sock.connect(path)
    except OSError:  # gone, not started on this node, or refusing: the job runs the call itself
        sock.close()
        return None
    sock.settimeout(None)  # a training job takes as long as it takes
    return sock


def call(target: str, kwargs: dict[str, Any], environ: Mapping[str, str] | None = None) -> int | None:
    """Run ``target(**kwargs)`` in a child of the server; its exit status, or None when no server answers.

    The child writes to this process's standard streams. If this process is killed, the server sees the
    connection close and stops the child, so a cancelled job does not keep training in the background.
    """
    sock = connect(environ)
    if sock is None:
        return None
    with sock:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        request = {
            "call": target,
            "kwargs": kwargs,
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "argv": list(sys.argv),
            # The server declines a job whose own interpreter (e.g. a rule's conda env) is not its own.
            "interpreter": interpreter_identity(),
        }
        try:
            send_message(sock, request, fds=[0, 1, 2])
            reply, _ = recv_message(sock)
        except OSError:
            reply = None
        if reply is None:
            # The server went away before the child ended (it was stopped): the job did not finish.
            print("fork server closed the connection before the job ended", file=sys.stderr)
            return 1
        if "declined" in reply:  # e.g. another interpreter or edited code: nothing ran, so run it here
            print(f"fork server declined the job ({reply['declined']}); running it here", file=sys.stderr)
            return None
        return int(reply["status"])
