"""Messages between the fork server and its clients: length-prefixed JSON, file descriptors alongside."""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

ENV_VAR = "REPRO_FORK_SERVER"  # the server's socket path, exported to the jobs of the run that started it
MAX_FDS = 8
_HEADER = struct.Struct("!I")


def send_message(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    """Send one JSON message; ``fds`` travel with its first bytes (SCM_RIGHTS)."""
    body = json.dumps(message).encode()
    data = _HEADER.pack(len(body)) + body
    if fds:
        sent = socket.send_fds(sock, [data], fds)
        data = data[sent:]
    if data:
        sock.sendall(data)


def recv_message(sock: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """Receive one message and the descriptors sent with it; (None, []) when the peer has closed."""
    first, fds, _flags, _addr = socket.recv_fds(sock, 65536, MAX_FDS)
    if not first:
        return None, fds
    buffer = bytearray(first)
    while len(buffer) < _HEADER.size:
        buffer += _recv_some(sock)
    (length,) = _HEADER.unpack_from(buffer)
    while len(buffer) < _HEADER.size + length:
        buffer += _recv_some(sock)
    return json.loads(bytes(buffer[_HEADER.size : _HEADER.size + length])), fds


def _recv_some(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)
    if not chunk:
        raise ConnectionError("the peer closed the connection in the middle of a message")
    return chunk
