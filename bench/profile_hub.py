"""Where a hub request spends its time: the WSGI app called in-process under cProfile.

    .venv/bin/python -m bench.profile_hub [--db sqlite|postgres] [--calls N] [--scenario NAME]

No HTTP and no gunicorn: ``kiln.hub.app.HubApp`` is called directly with a
fake WSGI environ, so the figures are the hub's own work per request
(decode, dispatch, database, encode).  Each scenario is first timed without
the profiler (microseconds per call), then profiled.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import floor_app, reads
from kiln.hub import config
from kiln.hub.app import HubApp
from kiln.hub.cli import cmd_add_admin
from kiln.hub.db import migrate
from kiln.hub.db.engine import make_engine
from kiln.protocol.xmlrpc import dumps, encode_args, loads

ADMIN = ("admin", "admin-secret")


class InProcessHub:
    """A HubApp and a way to call it as gunicorn would, without the network."""

    def __init__(self, db_url: str, topdir: Path, filled: bool = False) -> None:
        """``filled``: the database is migrated and has the admin (bench.reads filled it over HTTP)."""
        self.settings = config.load(None, {"db": db_url, "topdir": str(topdir)})
        if not filled:
            migrate.upgrade(make_engine(db_url))
            with contextlib.redirect_stdout(io.StringIO()):
                cmd_add_admin(self.settings, *ADMIN)
        self.app = HubApp(self.settings)
        self.session: dict | None = None
        self.callnum = 0

    def environ(self, body: bytes, logged_in: bool = False) -> dict:
        env = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/kojihub",
            "CONTENT_TYPE": "text/xml",
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(body),
        }
        if logged_in and self.session is not None:
            env["HTTP_KOJI_SESSION_ID"] = str(self.session["session-id"])
            env["HTTP_KOJI_SESSION_KEY"] = self.session["session-key"]
            env["HTTP_KOJI_SESSION_CALLNUM"] = str(self.callnum)
            self.callnum += 1
        return env

    def request(self, body: bytes, logged_in: bool = False) -> bytes:
        status: list[str] = []
        chunks = self.app(self.environ(body, logged_in), lambda s, h: status.append(s))
        return b"".join(chunks)

    def call(self, method: str, *args: Any, logged_in: bool = False, **kwargs: Any) -> Any:
        body = dumps(encode_args(*args, **kwargs), methodname=method).encode()
        return loads(self.request(body, logged_in))[0][0]

    def login(self) -> None:
        self.session = self.call("login", *ADMIN, opts=None)


def floor_request(body: bytes) -> bytes:
    """The same request answered by bench.floor_app, in-process."""
    env = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    return b"".join(floor_app.app(env, lambda s, h: None))


def read_scenarios(
    hub: InProcessHub, ids: dict, batch: int
) -> dict[str, tuple[Callable[[], bytes], Callable[[], bytes] | None, int]]:
    """Issue 17's reads (bench.reads), single and in multicalls, each with its floor: kiln's answer as a constant."""
    from bench.bench_reads import body, multicall_size

    answers: dict[str, Any] = {}
    floor = floor_app.answers_app(answers)
    chosen = {}
    for method, (args, kwargs) in reads.calls(ids).items():
        answers[method] = hub.call(method, *args, **kwargs)
        n = multicall_size(batch, answers[method])
        for name, per in ((method, 1), (f"{method}-multi", n)):
            data = body(method, args, kwargs, per)
            chosen[name] = (
                (lambda data=data: hub.request(data)),
                (lambda data=data: _floor_call(floor, data)),
                per,
            )
    return chosen


def _floor_call(app: Callable, body: bytes) -> bytes:
    env = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    return b"".join(app(env, lambda s, h: None))


def scenarios(
    hub: InProcessHub, host_id: int, batch: int
) -> dict[str, tuple[Callable[[], bytes], Callable[[], bytes] | None, int]]:
    """name -> (one request to kiln, the same to the floor, calls per request)."""

    def single(method: str, *params: Any) -> bytes:
        return dumps(params, methodname=method).encode()

    def multi(method: str, *params: Any) -> bytes:
        calls = [{"methodName": method, "params": list(params)} for _ in range(batch)]
        return dumps((calls,), methodname="multiCall").encode()

    def pair(body: bytes, n: int, logged_in: bool = False) -> tuple:
        return (lambda: hub.request(body, logged_in)), (None if logged_in else lambda: floor_request(body)), n

    return {
        "getAPIVersion": pair(single("getAPIVersion"), 1),
        "getHost": pair(single("getHost", host_id), 1),
        "getHost-login": pair(single("getHost", host_id), 1, logged_in=True),
        "getAPIVersion-multi": pair(multi("getAPIVersion"), batch),
        "getHost-multi": pair(multi("getHost", host_id), batch),
        "makeTask-login": pair(single("makeTask", "buildArch", [1]), 1, logged_in=True),
        "listTasks-page": pair(single("listTasks", {"state": [0, 1]}, {"order": "-id", "limit": 50}), 1),
    }


_PREFIXES = (
    str(Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages") + "/",
    str(Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}") + "/",
    str(Path(__file__).resolve().parent.parent / "src") + "/",
    str(Path(__file__).resolve().parent.parent) + "/",
)


def _short(text: str) -> str:
    for prefix in _PREFIXES:
        text = text.replace(prefix, "")
    return text


# kiln's writer (protocol/xmlrpc.py _Writer) and the standard library's Marshaller.
_ENCODE = (
    "dump",
    "_Marshaller__dump",
    "escape",
    "_escape",
    "_by_ancestry",
    "value",
    "nil",
    "boolean",
    "integer",
    "double",
    "string",
    "binary",
    "when",
    "array",
    "struct",
    "wrapped",
)


def area(filename: str, func: str) -> str:
    """Which part of the stack a function's own time belongs to."""
    if filename.endswith("xmlrpc/client.py") or filename.endswith("kiln/protocol/xmlrpc.py"):
        return "XML encode" if func in _ENCODE or func.startswith("dump") else "XML decode"
    if "pyexpat" in func or "defusedxml" in filename or "ElementTree" in func or "TreeBuilder" in func:
        return "XML decode"
    if "sqlalchemy/" in filename:
        return "SQLAlchemy"
    if "sqlite3" in func or "psycopg" in filename or "psycopg" in func:
        return "DB driver (sqlite3 / psycopg)"
    if "/kiln/hub/" in filename:
        return "kiln hub code"
    if "pluggy" in filename:
        return "pluggy hooks"
    if filename.endswith("bench/profile_hub.py"):
        return "harness (fake environ)"
    return "builtins and other (list.append, str.replace, ...)"


# Nested phases of one request, by (file suffix, function): cumulative time.
PHASES = (
    ("kiln/hub/app.py", "__call__", "whole request (HubApp.__call__)"),
    ("kiln/protocol/xmlrpc.py", "loads", "  decode the request (xmlrpc.loads)"),
    ("kiln/hub/app.py", "handle", "  handle (everything below)"),
    ("kiln/hub/app.py", "_authenticate", "    authenticate (session check)"),
    ("kiln/hub/rpc.py", "multicall", "    multicall loop"),
    ("kiln/hub/rpc.py", "call", "    the method calls (rpc.call)"),
    ("kiln/hub/domain/hosts.py", "get", "      hosts.get (query + shape)"),
    ("kiln/hub/context.py", "conn", "      connection checkout + BEGIN (Context.conn, first use)"),
    ("kiln/hub/context.py", "finish", "    release: ROLLBACK/COMMIT + checkin (Context.finish)"),
    ("kiln/protocol/xmlrpc.py", "dumps", "    encode the reply (xmlrpc.dumps)"),
)


def summarize(stats: pstats.Stats, calls: int) -> str:
    raw = stats.stats  # type: ignore[attr-defined]
    lines = [f"{'phase (cumulative, profiled)':<56}{'us/call':>9}{'share':>8}"]
    total = None
    for suffix, func, label in PHASES:
        ct = sum(v[3] for (f, _, n), v in raw.items() if f.endswith(suffix) and n == func)
        if not ct:
            continue
        total = total or ct
        lines.append(f"{label:<56}{ct / calls * 1e6:>9.1f}{ct / total:>8.0%}")
    areas: dict[str, float] = {}
    for (filename, _, func), v in raw.items():
        name = area(filename, func)
        areas[name] = areas.get(name, 0.0) + v[2]
    whole = sum(areas.values()) or 1.0
    lines += ["", f"{'own time by area (tottime, profiled)':<56}{'us/call':>9}{'share':>8}"]
    for name, tt in sorted(areas.items(), key=lambda kv: -kv[1]):
        lines.append(f"{name:<56}{tt / calls * 1e6:>9.1f}{tt / whole:>8.0%}")
    return "\n".join(lines)


def timed(request: Callable[[], bytes], requests: int) -> float:
    """Seconds for ``requests`` requests, after a warm-up (SQLAlchemy's caches, the pool)."""
    for _ in range(max(10, requests // 20)):
        request()
    started = time.perf_counter()
    for _ in range(requests):
        request()
    return time.perf_counter() - started


def profile(
    name: str,
    request: Callable[[], bytes],
    floor: Callable[[], bytes] | None,
    per_request: int,
    requests: int,
    top: int,
) -> None:
    calls = requests * per_request
    elapsed = timed(request, requests)
    floor_note = ""
    if floor is not None:
        floor_elapsed = timed(floor, requests)
        floor_note = f" (floor app in-process: {floor_elapsed / calls * 1e6:.1f}, ratio {floor_elapsed / elapsed:.2f})"
    print(f"\n=== {name}: {requests} requests, {calls} calls ===")
    print(f"unprofiled: {elapsed / calls * 1e6:.1f} us/call{floor_note}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        request()
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(summarize(stats, calls))
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(key).print_stats(top)
        text = out.getvalue()
        # pstats opens with a header; keep from the column titles on.
        text = text[text.index("   ncalls") :] if "   ncalls" in text else text
        print(f"--- top {top} by {key} (seconds for all {requests} requests) ---")
        print(_short(text.rstrip()))


def _filled(db_url: str, stack: contextlib.ExitStack) -> dict:
    """bench.reads' data written through a real hub process, which then stops; the ids and its topdir."""
    from tests.support.hub import HubProcess

    hub = HubProcess(db_url, settings={"log_level": "WARNING"})
    stack.callback(shutil.rmtree, hub.dir, ignore_errors=True)
    hub.start()
    try:
        ids = reads.fill(hub.url, db_url, hub.topdir, ADMIN)
    finally:
        hub.kill()
    return {**ids, "topdir": str(hub.topdir)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.profile_hub", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=3000, help="requests per single-call scenario")
    parser.add_argument("--batch", type=int, default=100, help="calls per multicall")
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    parser.add_argument("--top", type=int, default=25, help="entries per listing")
    parser.add_argument(
        "--reads", action="store_true", help="issue 17's reads (bench.reads) over a filled hub, not the basic calls"
    )
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="kiln-profile-"))
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        if args.db == "postgres":
            from tests.support.pgserver import PostgresServer

            pg = PostgresServer().start()
            stack.callback(pg.stop)
            db_url = pg.create_database("kiln_profile")
        else:
            db_url = f"sqlite:///{tmp / 'kiln.db'}"
        if args.reads:
            ids = _filled(db_url, stack)
            hub = InProcessHub(db_url, Path(ids.pop("topdir")), filled=True)
            stack.callback(hub.app.engine.dispose)
            chosen = read_scenarios(hub, ids, args.batch)
        else:
            hub = InProcessHub(db_url, tmp / "topdir")
            stack.callback(hub.app.engine.dispose)
            hub.login()
            host_id = hub.call("addHost", "bench-host", ["x86_64"], logged_in=True)
            chosen = scenarios(hub, host_id, args.batch)
        for name in args.scenario or list(chosen):
            request, floor, per_request = chosen[name]
            requests = args.requests if per_request == 1 else max(1, args.requests // per_request * 2)
            profile(f"{args.db} {name}", request, floor, per_request, requests, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
