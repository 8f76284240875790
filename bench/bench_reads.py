"""The reads of issue 17, each against its floor, on both databases, in one run.

    .venv/bin/python -m bench.bench_reads [--baseline REV] [--reads getTaskInfo,listTasks] [--quick]

Servers, side by side with the same gunicorn settings (the hub's defaults:
``--workers 2``, ``--threads`` as kiln-hub's setting, gthread workers):

- ``floor``: ``bench.floor_app`` answering each read with kiln's own answer to
  it, captured once from the SQLite hub and written back with kiln's XML-RPC
  writer at every call: the same keys, the same rows (``--answers``);
- ``floor+pg``: the same, plus one prepared ``SELECT 1`` on PostgreSQL per
  request: the least any server answering from that database pays, so that
  ``postgres / floor+pg`` shows what is left beyond the round trip;
- ``sqlite`` and ``postgres``: ``kiln-hub serve`` of this checkout, each over a
  hub filled by ``bench.reads.fill`` (100,000 tasks, 10,000 builds ...);
- with ``--baseline REV``: ``sqlite@REV`` and ``postgres@REV``, the same hubs
  running that commit's code (a git worktree on PYTHONPATH), filled alike, so
  that "today's rate" is measured in the same window.

Each read is measured as single calls from 1 client, and as multicalls of
``--batch`` calls (a tenth of it for reads answering more than 10 rows: a
page of 50 tasks, a tag's 100 builds) from 1 and ``--clients`` clients (bench_hub's client: a
requests session posting a pre-built body and parsing each reply).  The
table gives calls/s, the ratio to the floor and, with a baseline, to it; the
second table the server CPU per call (gunicorn workers and PostgreSQL
backends, from /proc).  Results go to ``bench/results/reads.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.hub import ADMIN, HubProcess

from bench import reads
from bench.bench_hub import FLOOR, Caller, Load, Server, _wait_ready, measure
from kiln.hub.config import Settings
from kiln.protocol.xmlrpc import dumps, encode_args

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "reads.json"
FLOOR_RATIO = 0.85
FLOOR_PG = "floor+pg"  # the floor plus one PostgreSQL round trip a request
MULTI_TARGETS = {1: 6_500, 4: 14_000}  # calls/s of multicalls, object reads, PostgreSQL


class BaselineHub(HubProcess):
    """A hub running another commit's code: that tree's ``src`` first on the path."""

    def __init__(self, src: Path, db_url: str, workers: int, threads: int) -> None:
        super().__init__(db_url, settings={"log_level": "WARNING", "threads": threads}, workers=workers)
        self.env = {**os.environ, "PYTHONPATH": str(src)}

    def admin_command(self, *args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "kiln.hub.cli", *args, "--config", str(self.config_path)]
        return subprocess.run(argv, env=self.env, capture_output=True, check=True)

    def _serve(self, mode: str) -> None:
        with open(self.dir / "serve.err", mode) as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiln.hub.cli", "serve", "--config", str(self.config_path)],
                env=self.env,
                stderr=stderr,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.wait_ready()


def body(method: str, args: tuple, kwargs: dict, batch: int) -> bytes:
    if batch == 1:
        return dumps(encode_args(*args, **kwargs), methodname=method).encode()
    params = list(encode_args(*args, **kwargs))
    calls = [{"methodName": method, "params": params} for _ in range(batch)]
    return dumps((calls,), methodname="multiCall").encode()


def start_hubs(stack: contextlib.ExitStack, args: argparse.Namespace) -> tuple[dict[str, Server], dict[str, dict]]:
    """The kiln hubs, filled; their Servers and the ids each one's data got."""
    pg = None
    worktree = None
    if "postgres" in args.engines:
        from tests.support import pgserver

        pg = pgserver.PostgresServer().start()
        stack.callback(pg.stop)
    if args.baseline:
        worktree = Path(tempfile.mkdtemp(prefix="kiln-bench-baseline-"))
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(worktree), args.baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        stack.callback(subprocess.run, ["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)
    servers: dict[str, Server] = {}
    ids: dict[str, dict] = {}
    codes = [("", None)] + ([(f"@{args.baseline}", worktree / "src")] if worktree else [])
    for engine in args.engines:
        for suffix, src in codes:
            name = engine + suffix
            if engine == "sqlite":
                tmp = Path(tempfile.mkdtemp(prefix="kiln-bench-reads-"))
                stack.callback(shutil.rmtree, tmp, ignore_errors=True)
                db_url = f"sqlite:///{tmp / 'kiln.db'}"
            else:
                assert pg is not None
                db_url = pg.create_database("reads_" + name.replace("@", "_").replace("-", "_").replace(".", "_"))
            if src is None:
                hub = HubProcess(
                    db_url, settings={"log_level": "WARNING", "threads": args.threads}, workers=args.workers
                )
            else:
                hub = BaselineHub(src, db_url, args.workers, args.threads)
            stack.callback(shutil.rmtree, hub.dir, ignore_errors=True)
            stack.callback(hub.kill)
            hub.start()
            started = time.monotonic()
            ids[name] = reads.fill(hub.url, hub.db_url, hub.topdir, ADMIN, args.tasks, args.builds)
            ids[name]["db_url"] = hub.db_url
            hub.restart()  # SQLite's planner statistics, gathered as a worker starts
            print(f"  {name}: filled in {time.monotonic() - started:.0f} s", file=sys.stderr)
            masters = [hub.proc.pid]
            if engine == "postgres":
                assert pg is not None
                masters.append(int((pg.datadir / "postmaster.pid").read_text().split()[0]))
            servers[name] = Server(name, hub.url, ids[name]["host"], masters=masters)
    return servers, ids


def start_floor(
    stack: contextlib.ExitStack,
    answers: dict[str, Any],
    workers: int,
    threads: int,
    pg_url: str | None = None,
    name: str = FLOOR,
) -> Server:
    from tests.support.pgserver import free_port

    tmp = Path(tempfile.mkdtemp(prefix="kiln-bench-floor-"))
    stack.callback(shutil.rmtree, tmp, ignore_errors=True)
    (tmp / "answers.pickle").write_bytes(pickle.dumps(answers))
    port = free_port()
    log = tmp / "floor.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.floor_app", "--port", str(port), "--workers", str(workers)]
        + ["--threads", str(threads), "--answers", str(tmp / "answers.pickle")]
        + (["--pg-url", pg_url] if pg_url else []),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),  # noqa: SIM115 - lives as long as the process
        start_new_session=True,
    )
    stack.callback(lambda: (proc.kill(), proc.wait()))
    url = f"http://127.0.0.1:{port}/kojihub"
    _wait_ready(url, proc, log)
    return Server(name, url, 0, masters=[proc.pid])


def capture(servers: dict[str, Server], ids: dict[str, dict], names: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Each read's answer from the first hub (the floor's constants), and how the others' differ."""
    first = next(iter(servers))
    answers: dict[str, Any] = {}
    notes = []
    for server in servers.values():
        calls = reads.calls(ids[server.name])
        for method in names:
            args, kwargs = calls[method]
            value = Caller(server.url).call(method, *args, **kwargs)
            if server.name == first:
                answers[method] = value
                continue
            want = answers[method]
            if reads.size(value) != reads.size(want) or _keys(value) != _keys(want):
                notes.append(
                    f"{server.name} {method}: {reads.size(value)} rows {_keys(value)}, "
                    f"the floor's {reads.size(want)} rows {_keys(want)}"
                )
    return answers, notes


def _keys(value: Any) -> list:
    if isinstance(value, list):
        value = value[0] if value else {}
    if isinstance(value, dict):
        return sorted(value)
    return [type(value).__name__]


def multicall_size(batch: int, answer: Any) -> int:
    """Calls per multicall: ``batch`` of an object read, a tenth of it of a read answering more than 10 rows."""
    return batch if reads.size(answer) <= 10 else max(1, batch // 10)


def run(
    args: argparse.Namespace, servers: dict[str, Server], ids: dict[str, dict], answers: dict[str, Any]
) -> list[dict]:
    rows = []
    for method in answers:
        n = multicall_size(args.batch, answers[method])
        for batch, clients in [(1, 1), (n, 1), (n, args.clients)]:
            row: dict[str, Any] = {"read": method, "batch": batch, "clients": clients, "rates": {}, "server_us": {}}
            for _ in range(args.repeat):
                for server in servers.values():
                    call_args, kwargs = reads.calls(ids.get(server.name) or next(iter(ids.values())))[method]
                    load = Load(server.url, body(method, call_args, kwargs, batch), batch)
                    m = measure(load, clients, args.seconds, args.warmup, None, server.pids)
                    if m["rate"] > row["rates"].get(server.name, 0.0):
                        row["rates"][server.name] = m["rate"]
                    if m["server_cpu_us"]:
                        row["server_us"][server.name] = min(m["server_cpu_us"], row["server_us"].get(server.name, 1e12))
            rows.append(row)
            rates = ", ".join(f"{k} {v:.0f}" for k, v in row["rates"].items())
            print(f"  {method} x{batch} {clients}c: {rates}", file=sys.stderr)
    return rows


def table(rows: list[dict], names: list[str], baseline: str | None) -> str:
    kiln = [n for n in names if n not in (FLOOR, FLOOR_PG) and "@" not in n]
    head = f"{'read':<20}{'shape':>9}{FLOOR:>8}"
    for n in kiln:
        head += f"{n:>10}{'/floor':>7}" + (f"{'/floor+pg':>9}" if n == "postgres" and FLOOR_PG in names else "")
        head += f"{'/today':>7}" if baseline else ""
    lines = [head, "-" * len(head)]
    for row in rows:
        rates = row["rates"]
        floor = rates.get(FLOOR)
        line = f"{row['read']:<20}{'x' + str(row['batch']) + ' ' + str(row['clients']) + 'c':>9}{floor or 0:>8.0f}"
        for n in kiln:
            rate = rates.get(n, 0.0)
            line += f"{rate:>10.0f}{rate / floor if floor else 0:>7.2f}"
            if n == "postgres" and FLOOR_PG in rates:
                line += f"{rate / rates[FLOOR_PG]:>9.2f}"
            if baseline:
                old = rates.get(f"{n}@{baseline}")
                line += f"{rate / old if old else 0:>7.2f}"
        lines.append(line)
    lines += ["", "server CPU per call, us (gunicorn workers + PostgreSQL backends)"]
    head = f"{'read':<20}{'shape':>9}" + "".join(f"{n:>16}" for n in names)
    lines += [head, "-" * len(head)]
    for row in rows:
        line = f"{row['read']:<20}{'x' + str(row['batch']) + ' ' + str(row['clients']) + 'c':>9}"
        line += "".join(f"{row['server_us'].get(n, 0):>16.0f}" for n in names)
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_reads", description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="a commit to measure beside this checkout (today's rate)")
    parser.add_argument("--reads", help=f"comma-separated subset of: {', '.join(reads.READS)}")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="0.5 s windows, 1,000 tasks and builds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=Settings.threads, help="threads per worker, every server (the hub's default)"
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--builds", type=int, default=10_000)
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.engines = [e for e in args.engines.split(",") if e]
    if args.quick:
        args.seconds, args.warmup, args.tasks, args.builds = 0.5, 0.2, 1000, 1000
    names = args.reads.split(",") if args.reads else list(reads.READS)
    unknown = set(names) - set(reads.READS)
    if unknown:
        parser.error(f"unknown reads: {', '.join(sorted(unknown))}")
    with contextlib.ExitStack() as stack:
        print("starting and filling the hubs...", file=sys.stderr)
        hubs, ids = start_hubs(stack, args)
        answers, notes = capture(hubs, ids, names)
        servers = {FLOOR: start_floor(stack, answers, args.workers, args.threads)}
        if "postgres" in ids:
            pg_url = ids["postgres"]["db_url"].replace("postgresql+psycopg://", "postgresql://", 1)
            servers[FLOOR_PG] = start_floor(stack, answers, args.workers, args.threads, pg_url, FLOOR_PG)
        servers.update(hubs)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        rows = run(args, servers, ids, answers)
    print(
        f"\nreads vs floor: {args.workers} workers, {os.cpu_count()} CPUs, {args.seconds:g} s windows, "
        f"best of {args.repeat}; rows per answer: " + ", ".join(f"{m} {reads.size(answers[m])}" for m in names)
    )
    print(table(rows, list(servers), args.baseline))
    for note in notes:
        print(f"note: {note}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"args": {k: v for k, v in vars(args).items() if k != "json"}, "rows": rows, "notes": notes},
            indent=2,
            default=str,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
