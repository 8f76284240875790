"""The web UI's pages over a big hub: median time, weight and hub requests of each page.

    .venv/bin/python -m bench.bench_web [--tasks 100000] [--builds 10000] [--runs 30] [--engines sqlite,postgres]

For each engine: a fresh hub (``kiln-hub serve``) with ``--tasks`` task rows
written straight into its table (as bench_tasks fills them: all six states,
one task with 50 children) and ``--builds`` builds made with createEmptyBuild
in multicalls.  The pages are served by kiln.web's WSGI application in this
process and timed around the WSGI call, so a figure is what the web server
spends on a page, its hub calls (real HTTP to the real hub) included.  Hub
requests per page are counted at the HTTP layer (a multicall is one).
Targets (issue 15): median under 100 ms for the task and build lists and
pages, a page under 100 KB before compression; the other pages are
measured too, over a tag listing 1,000 packages and holding 1,000 builds
and one real RPM.  Results also go to ``bench/results/web.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import requests
from tests.support.hub import ADMIN, HubProcess

from bench.reads import import_rpm
from bench.tasks_clients import Rpc, engine_for, fill_tasks
from kiln.web.app import WebApp
from kiln.web.config import WebSettings

TARGET_MS = 100.0
TARGET_BYTES = 100 * 1024
RESULTS = Path(__file__).parent / "results" / "web.json"


class _Counter:
    """Counts the HTTP requests this process sends (the web's hub calls)."""

    def __init__(self) -> None:
        self.count = 0
        self._send = requests.Session.send

        def send(session: requests.Session, request: requests.PreparedRequest, **kwargs: object) -> object:
            self.count += 1
            return self._send(session, request, **kwargs)

        requests.Session.send = send  # type: ignore[method-assign]


def _hub(engine: str, tmp: Path) -> tuple[HubProcess, object | None]:
    """A fresh hub on the engine, and the PostgreSQL server to stop afterwards (None for SQLite)."""
    if engine == "sqlite":
        return HubProcess(f"sqlite:///{tmp}/web.sqlite", settings={"log_level": "WARNING"}).start(), None
    from tests.support import pgserver

    server = pgserver.PostgresServer().start()
    url = server.create_database("webbench")
    return HubProcess(url, settings={"log_level": "WARNING"}).start(), server


def _fill(hub: HubProcess, tasks: int, builds: int) -> dict:
    admin = Rpc(hub.url, ADMIN)
    owner = admin.call("getLoggedInUser")["id"]
    host_id = admin.call("addHost", "web-bench-host", ["x86_64"])
    channel_id = admin.call("getChannel", "default")["id"]
    fill_tasks(hub.db_url, tasks, [owner], channel_id, host_id)
    parent = admin.call("makeTask", "sleep", [1])
    # fifty of the filled rows become its children (makeTask wants an open parent; this is a bench)
    from sqlalchemy import update

    from kiln.hub.db import tables

    engine = engine_for(hub.db_url)
    with engine.begin() as conn:
        conn.execute(update(tables.task).where(tables.task.c.id <= 50).values(parent=parent))
    engine.dispose()
    names = [f"webbench{i % 1000:04d}" for i in range(builds)]
    for start in range(0, builds, 500):
        admin.multicall(
            [("createEmptyBuild", names[i], "1.0", str(i), None) for i in range(start, min(start + 500, builds))]
        )
    last = admin.call("getBuild", f"{names[-1]}-1.0-{builds - 1}")
    # a tag listing the thousand packages and holding a thousand builds, and one real RPM
    admin.call("createTag", "webbench-tag", None, "x86_64")
    packages = sorted(set(names))
    for start in range(0, len(packages), 500):
        admin.multicall([("packageListAdd", "webbench-tag", n, "admin") for n in packages[start : start + 500]])
    admin.multicall([("tagBuildBypass", "webbench-tag", f"{names[i]}-1.0-{i}") for i in range(min(builds, 1000))])
    rpm_id = import_rpm(hub.url, ADMIN, "webbench-rpm")  # what rpminfo shows
    return {"parent": parent, "build": last, "rpm_id": rpm_id}


def _measure(app: WebApp, counter: _Counter, page: str, runs: int) -> dict:
    path, _, query = page.partition("?")
    times, sizes, calls, statuses = [], [], [], set()
    seen: list[str] = []

    def start_response(status: str, headers: list) -> None:
        seen.append(status)

    for _ in range(runs + 1):  # the first is a warm-up
        before = counter.count
        start = time.perf_counter()
        body = b"".join(app({"PATH_INFO": path, "QUERY_STRING": query}, start_response))
        times.append((time.perf_counter() - start) * 1000)
        sizes.append(len(body))
        calls.append(counter.count - before)
        statuses.add(seen[-1])
    times = times[1:]
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "kb": round(max(sizes) / 1024, 1),
        "hub_requests": max(calls),
        "status": sorted(statuses),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--builds", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--engines", default="sqlite,postgres")
    args = parser.parse_args(argv)
    counter = _Counter()
    results: dict = {}
    ok = True
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory(prefix="kiln-bench-web-") as tmp:
            hub, server = _hub(engine, Path(tmp))
            try:
                filled = _fill(hub, args.tasks, args.builds)
                # A hub gathers SQLite's planner statistics when a worker starts and every ten minutes;
                # rows written behind its back are measured as it would see them by then.
                hub.restart()
                app = WebApp(WebSettings(hub_url=hub.url, files_url="/kojifiles"))
                pages = {
                    "task list": "/koji/tasks",
                    "task list, all states, page 100": "/koji/tasks?state=all&view=flat&start=5000",
                    "build list": "/koji/builds",
                    "task info (50 children)": f"/koji/taskinfo?taskID={filled['parent']}",
                    "build info": f"/koji/buildinfo?buildID={filled['build']['id']}",
                    "summary": "/koji/index",
                    "tag info (1,000 packages, 1,000 builds)": "/koji/taginfo?tagID=webbench-tag",
                    "builds in a tag": "/koji/builds?tagID=webbench-tag&latest=0",
                    "package info": "/koji/packageinfo?packageID=webbench0001",
                    "user info": "/koji/userinfo?userID=admin",
                    "packages": "/koji/packages",
                    "tags": "/koji/tags",
                    "hosts": "/koji/hosts",
                    "users": "/koji/users",
                    "rpm info": f"/koji/rpminfo?rpmID={filled['rpm_id']}",
                    "search": "/koji/search?terms=webbench00*&type=package",
                    "builds by user": "/koji/buildsbyuser",
                    "builds by status": "/koji/buildsbystatus",
                    "recent builds (RSS)": "/koji/recentbuilds",
                }
                results[engine] = {name: _measure(app, counter, page, args.runs) for name, page in pages.items()}
            finally:
                hub.kill()
                if server is not None:
                    server.stop()  # type: ignore[attr-defined]
        print(f"{engine}: {args.tasks} tasks, {args.builds} builds, {args.runs} runs a page")
        for name, figures in results[engine].items():
            good = figures["median_ms"] < TARGET_MS and figures["kb"] * 1024 < TARGET_BYTES
            ok &= good and figures["status"] == ["200 OK"]
            print(
                f"  {name:34} median {figures['median_ms']:6.1f} ms  max {figures['max_ms']:6.1f} ms"
                f"  {figures['kb']:6.1f} KB  {figures['hub_requests']} hub requests  {'ok' if good else 'OVER'}"
            )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"args": vars(args), "results": results}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
