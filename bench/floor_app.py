"""The floor for bench_hub: the least a Python XML-RPC server over gunicorn can do.

A WSGI app around the standard library's ``SimpleXMLRPCDispatcher`` answering
the benchmark's method names with constants: no database, no sessions, no
access checks.  kiln's hub cannot be faster than this on the same server
settings, so ``kiln / floor`` says how much of the possible rate kiln keeps.

Run it as ``gunicorn ... bench.floor_app:app`` or, with exactly the hub's
gunicorn settings, as ``python -m bench.floor_app --port PORT --workers N``.

With ``--answers FILE`` (a pickled ``{method: value}``, bench_reads writes it
from kiln's own answers) it serves ``answers_app`` instead: each call, alone or
in a multicall, answered with its method's constant, read and written with
kiln's own XML-RPC codec (``kiln.protocol.xmlrpc``), so that a read's floor
answers the same keys and the same number of rows as kiln does.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
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


def answers_app(answers: dict[str, Any], pg_url: str | None = None) -> Callable[..., Iterable[bytes]]:
    """A WSGI app answering every call with ``answers[method]`` through kiln's codec.

    ``pg_url``: each request also runs one prepared ``SELECT 1`` on a
    PostgreSQL connection kept per thread, the least a server answering
    from that database pays (one round trip), and nothing else of a query.
    """
    import threading

    from kiln.protocol.xmlrpc import Fault, dumps, loads

    local = threading.local()

    def round_trip() -> None:
        import psycopg

        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(pg_url, autocommit=True)
        conn.execute("SELECT 1", prepare=True).fetchall()

    def one(name: Any) -> list | dict:
        if name in answers:
            return [answers[name]]
        return {"faultCode": 1, "faultString": f"Invalid method: {name}"}

    def answer(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        params, method = loads(environ["wsgi.input"].read(length))
        if pg_url:
            round_trip()
        if method == "multiCall":
            body = dumps(([one(c.get("methodName")) for c in params[0]],), methodresponse=True)
        elif method in answers:
            body = dumps((answers[method],), methodresponse=True)
        else:
            body = dumps(Fault(1, f"Invalid method: {method}"))
        data = body.encode()
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
        return [data]

    return answer


def serve(
    port: int, workers: int, threads: int = 1, answers: dict[str, Any] | None = None, pg_url: str | None = None
) -> None:
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
    wsgi = app if answers is None else answers_app(answers, pg_url)
    GunicornServer(_options(settings), lambda: wsgi).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the benchmark's floor XML-RPC app.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gthread workers, as the hub does")
    parser.add_argument("--answers", type=Path, help="a pickled {method: value}: serve answers_app")
    parser.add_argument("--pg-url", help="with --answers: one PostgreSQL round trip per request (SELECT 1)")
    args = parser.parse_args(argv)
    answers = pickle.loads(args.answers.read_bytes()) if args.answers else None
    serve(args.port, args.workers, args.threads, answers, args.pg_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
