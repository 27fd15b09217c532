"""``python -m repro.forkserver --socket PATH [--parent PID]``: the fork server (the workflow starts it)."""

from __future__ import annotations

import argparse
import logging
import sys

from repro.forkserver.server import Server, preload


def main(argv: list[str] | None = None) -> int:
    """Preload the engine, then serve jobs until stopped or the parent process ends."""
    parser = argparse.ArgumentParser(prog="python -m repro.forkserver", description=__doc__)
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    parser.add_argument("--parent", type=int, default=None, help="exit when this PID stops being the parent")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)  # the server's own log; children drop it (run_child)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    server_log = logging.getLogger("repro.forkserver")
    server_log.addHandler(handler)
    server_log.setLevel(logging.INFO)
    server_log.propagate = False
    code_version = preload()
    Server(args.socket, args.parent, code_version).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
