"""``kiln list-tasks`` beside ``koji list-tasks`` over 10,000 unfinished tasks, the same hub, the same run.

    .venv/bin/python -m bench.bench_list_tasks [--tasks N] [--runs N]

The tasks are written straight into a fresh SQLite hub's task table (as
bench_tasks fills its million rows): all FREE, OPEN or ASSIGNED, so
``list-tasks`` lists every one; in groups of four, one parent and three
subtasks, so the output's tree is threaded too.  Both clients read one
koji.conf and log in as the admin (koji always logs in for list-tasks; kiln
needs no login for it and does not).  The runs alternate, after one warm-up
each; the medians and their ratio are printed.  The issue's target is a
ratio under 0.5 (koji spends about 150 us per row decoding).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.hub import ADMIN, HubProcess
from tests.support.koji_cli import write_koji_conf

from bench.tasks_clients import fill_tasks
from kiln.protocol.constants import TaskState

BIN = Path(sys.executable).parent
TARGET_RATIO = 0.5


def fill(hub: HubProcess, count: int) -> None:
    """``count`` unfinished tasks of the admin's: a parent and three children in each group of four."""
    import koji

    admin = koji.ClientSession(hub.url, opts={"max_retries": 0})
    admin.opts.update(user=ADMIN[0], password=ADMIN[1])
    admin.login()
    owner = admin.getLoggedInUser()["id"]
    host_id = admin.addHost("list-host", ["x86_64"])
    channel_id = admin.getChannel("default")["id"]
    admin.logout()
    fill_tasks(hub.db_url, count, [owner], channel_id, host_id)
    conn = sqlite3.connect(hub.db_url.split("///", 1)[1], isolation_level=None)
    unfinished = (int(TaskState.FREE), int(TaskState.OPEN), int(TaskState.ASSIGNED))
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        f"UPDATE task SET state = CASE id % 3 WHEN 0 THEN {unfinished[0]} WHEN 1 THEN {unfinished[1]}"
        f" ELSE {unfinished[2]} END, completion_time = NULL, result = NULL,"
        " parent = CASE WHEN id % 4 = 1 THEN NULL ELSE id - ((id - 1) % 4) END"
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def time_once(command: list[str]) -> tuple[float, int]:
    """Wall seconds of one run and the lines it printed; a failure is fatal."""
    env = {**os.environ, "TZ": "UTC"}
    env.pop("KILN_SERVER", None)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=True, env=env)
    return time.perf_counter() - start, done.stdout.count(b"\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000, help="unfinished tasks on the hub (default %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each client (default %(default)s)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-list-tasks-") as root:
        hub = HubProcess(f"sqlite:///{root}/kiln.db").start()
        try:
            fill(hub, options.tasks)
            config = write_koji_conf(hub, Path(root) / "koji.conf")
            auth = ["--user", ADMIN[0], "--password", ADMIN[1]]
            commands = {
                "kiln list-tasks": [str(BIN / "kiln"), "-c", str(config), *auth, "list-tasks"],
                "koji list-tasks": [str(BIN / "koji"), "-c", str(config), *auth, "list-tasks"],
            }
            lines = {name: time_once(command)[1] for name, command in commands.items()}  # warm-up
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(options.runs):
                for name, command in commands.items():
                    times[name].append(time_once(command)[0])
        finally:
            hub.stop()
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"list-tasks over {options.tasks:,} unfinished tasks, median of {options.runs} runs each (interleaved)")
    for name, median in medians.items():
        per_row = median / max(lines[name] - 1, 1) * 1e6
        print(f"  {name:<16} {median:7.3f} s   ({lines[name]:,} lines, {per_row:.0f} us/row)")
    ratio = medians["kiln list-tasks"] / medians["koji list-tasks"]
    verdict = "meets" if ratio < TARGET_RATIO else "MISSES"
    print(f"  kiln / koji      {ratio:7.2f}     ({verdict} the target of < {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
