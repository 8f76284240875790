"""The floor for bench_hub: the least a Python XML-RPC server over gunicorn can do.

A WSGI app around the standard library's ``SimpleXMLRPCDispatcher`` answering
the benchmark's method names with constants: no database, no sessions, no
access checks.  kiln's hub cannot be faster than this on the same server
settings, so ``kiln / floor`` says how much of the possible rate kiln keeps.

Run it as ``gunicorn ... bench.floor_app:app`` or, with exactly the hub's
gunicorn settings, as ``python -m bench.floor_app --port PORT --workers N``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from typing import Any
from xmlrpc.server import SimpleXMLRPCDispatcher

# The same keys (and value types) as kiln's getHost answer for a fresh host.
HOST = {
    "arches": "x86_64",
    "capacity": 2.0,
    "comment": None,
    "description": None,
    "enabled": True,
    "id": 1,
    "name": "bench-host",
    "ready": False,
    "task_load": 0.0,
    "update_ts": None,
    "user_id": 2,
}


def getAPIVersion() -> int:
    return 1


def getHost(hostInfo: Any = None, strict: bool = False, event: int | None = None) -> dict:
    return HOST


def make_dispatcher() -> SimpleXMLRPCDispatcher:
    dispatcher = SimpleXMLRPCDispatcher(allow_none=True, encoding="utf-8")
    dispatcher.register_function(getAPIVersion)
    dispatcher.register_function(getHost)
    dispatcher.register_multicall_functions()  # system.multicall
    # Koji's name for it; the stdlib answers one ``[result]`` (or a fault struct) per call.
    dispatcher.register_function(dispatcher.system_multicall, "multiCall")
    return dispatcher


_dispatcher = make_dispatcher()


def app(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("REQUEST_METHOD") != "POST":
        body = b"only POST\n"
        start_response("405 Method Not Allowed", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = environ["wsgi.input"].read(length)
    body = _dispatcher._marshaled_dispatch(data)
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def serve(port: int, workers: int, threads: int = 1) -> None:
    """Serve ``app`` with the hub's own gunicorn configuration (kiln.hub.server)."""
    from kiln.gunicorn_app import GunicornServer
    from kiln.hub import config
    from kiln.hub.server import _options

    # The hub's options (bind, workers, worker class, keepalive, timeouts, logging):
    # the two servers differ only in the application they run.
    settings = config.load(
        None,
        {
            "listen": f"127.0.0.1:{port}",
            "workers": workers,
            "threads": threads,
            "db": "sqlite:///:memory:",
            "log_level": "INFO",
        },
    )
    GunicornServer(_options(settings), lambda: app).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the benchmark's floor XML-RPC app.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gthread workers, as the hub does")
    args = parser.parse_args(argv)
    serve(args.port, args.workers, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
