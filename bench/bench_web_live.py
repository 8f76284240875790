"""What open task pages cost the hub: 100 browsers following 100 running tasks, as static/kiln.js does.

    .venv/bin/python -m bench.bench_web_live [--pages 100] [--seconds 30]

A hub (``kiln-hub serve`` on SQLite, its usual two workers) and a kiln-web
process; ``--pages`` OPEN tasks on a simulated builder, each with a 20 KB
build.log.  Each simulated
page fetches its task's live region (``taskinfo?taskID=N&fragment=live``)
every 3 seconds, one request at a time, as the page's script does.  The
hub's CPU (its worker processes, from /proc) is measured over the window
and, before it, over an idle window of the same length; the figure is the
difference, as a share of one core.  Target (issue 16): under 10 % of one
core for 100 pages.  Results also go to ``bench/results/web_live.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import koji
import requests
from tests.conftest import ADMIN, host_session
from tests.support.hub import HubProcess
from tests.support.web import WebProcess

from bench.bench_hub import children, cpu_seconds

INTERVAL = 3.0  # static/kiln.js's EVERY
TARGET = 0.10
RESULTS = Path(__file__).parent / "results" / "web_live.json"


def _tasks(hub: HubProcess, pages: int, tmp: Path) -> tuple[koji.ClientSession, list[int]]:
    admin = koji.ClientSession(hub.url)
    admin.opts.update(user=ADMIN[0], password=ADMIN[1])
    admin.login()
    admin.addChannel("live-bench")
    host, host_id = host_session(hub, admin, channels=("live-bench",), capacity=float(pages + 1))
    log = tmp / "build.log"
    log.write_text("".join(f"line {i} of a build log, as rpmbuild writes them\n" for i in range(400)))
    made = []
    for i in range(pages):
        task_id = admin.makeTask("sleep", [i], channel="live-bench")
        admin.assignTask(task_id, host_id)
        host.host.openTask(task_id)
        host.uploadWrapper(str(log), f"tasks/{task_id % 10000}/{task_id}", name="build.log")
        made.append(task_id)
    return host, made


def _follow(web: WebProcess, task_id: int, until: float, delay: float, counts: list[int]) -> None:
    """One open page: its live region fetched every INTERVAL seconds, one request at a time."""
    time.sleep(delay)
    session = requests.Session()
    while time.monotonic() < until:
        started = time.monotonic()
        reply = session.get(web.url(f"taskinfo?taskID={task_id}&fragment=live"), timeout=30)
        counts[0 if reply.ok else 1] += 1
        time.sleep(max(0.0, INTERVAL - (time.monotonic() - started)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kiln-bench-live-") as tmp:
        hub = HubProcess(f"sqlite:///{tmp}/live.sqlite", settings={"log_level": "WARNING"}).start()
        web = WebProcess(hub.url, Path(tmp))
        try:
            host, task_ids = _tasks(hub, args.pages, Path(tmp))
            workers = children(hub.proc.pid)

            def hub_cpu() -> float:
                return cpu_seconds(workers)

            before = hub_cpu()
            time.sleep(args.seconds)  # idle: the builder's check-ins only
            idle = hub_cpu() - before
            counts = [0, 0]
            until = time.monotonic() + args.seconds + INTERVAL
            threads = [
                threading.Thread(target=_follow, args=(web, t, until, i * INTERVAL / len(task_ids), counts))
                for i, t in enumerate(task_ids)
            ]
            for thread in threads:
                thread.start()
            time.sleep(INTERVAL)  # every page has made its first request
            before = hub_cpu()
            time.sleep(args.seconds)
            busy = hub_cpu() - before
            for thread in threads:
                thread.join()
            host.logout()
        finally:
            web.stop()
            hub.kill()
    share = (busy - idle) / args.seconds
    result = {
        "pages": args.pages,
        "seconds": args.seconds,
        "requests_ok": counts[0],
        "requests_failed": counts[1],
        "fragments_per_second": round(counts[0] / (args.seconds + INTERVAL), 1),
        "hub_cpu_idle_share": round(idle / args.seconds, 4),
        "hub_cpu_busy_share": round(busy / args.seconds, 4),
        "hub_cpu_added_share": round(share, 4),
    }
    print(
        f"{args.pages} open task pages, a fragment every {INTERVAL:.0f} s each: {result['fragments_per_second']}"
        f" fragments/s, {counts[1]} failed; hub CPU {share * 100:.1f} % of one core more than idle"
        f" ({result['hub_cpu_idle_share'] * 100:.1f} % idle) {'ok' if share < TARGET else 'OVER'}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if share < TARGET and not counts[1] else 1


if __name__ == "__main__":
    raise SystemExit(main())
