"""The measurements of bench_tasks, one function per scenario, each on a fresh hub.

Every function takes a running ``Hub`` and returns plain numbers (a dict);
bench_tasks turns them into figures with targets.  Simulated builders run in
forked processes (a thread each), so that their clocks are the bench's own
(``time.monotonic`` is system-wide on Linux) and their CPU is not the bench's.
"""

from __future__ import annotations

import multiprocessing
import re
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.bench_hub import children
from bench.tasks_clients import (
    HOST_PASSWORD,
    RESULT,
    Rpc,
    connections_per_process,
    fill_tasks,
    host_login,
    make_hosts,
    percentile,
    queue_tasks,
    rss_bytes,
)
from bench.tasks_watch import MemoryWatch, PgWaits
from kiln.hub.db.engine import gather_statistics, make_engine
from kiln.protocol.constants import TaskState

POLL_TIMEOUT = 30  # seconds a builder asks host.getTasks to wait
UNRUNNABLE_ARCH = "s390x"  # no simulated host has it
UNRUNNABLE_CHANNEL = "starved"  # no simulated host is in it
LOGINS_AT_ONCE = 2  # simulated builders logging in at the same time (see _login)

_fork = multiprocessing.get_context("fork")


@dataclass
class Hub:
    """A running hub: where it listens, its database, its gunicorn master, an admin session."""

    backend: str
    url: str
    db_url: str
    master: int
    admin: Rpc
    db_master: int | None = None
    log_path: Path | None = None

    def pids(self) -> list[int]:
        """The serving processes (gunicorn workers and, on PostgreSQL, its backends), for CPU."""
        return [c for m in (self.master, self.db_master) if m for c in children(m)]

    def connections(self) -> list[int]:
        """Established client connections held by each gunicorn worker."""
        return connections_per_process(children(self.master), urlsplit(self.url).port or 80)

    def rss(self) -> int:
        """Summed RSS of the hub's gunicorn master and workers."""
        return rss_bytes([self.master, *children(self.master)])


def _login(url: str, name: str, gate: Any, timeout: float = 120.0) -> Any:
    """A builder's login, ``gate`` (a semaphore) letting few happen at once.

    A login hashes the password (scrypt, tens of ms of CPU) inside the hub's
    write transaction; on SQLite that holds the one write lock, so a crowd of
    simultaneous logins waits past the busy timeout (see the report).
    """
    with gate:
        return host_login(url, name, timeout=timeout)


def _stop_all(procs: list) -> None:
    for proc in procs:
        if proc.is_alive():
            proc.kill()
        proc.join(10)


# -- 1 and 2: pickup latency --------------------------------------------------


def _pickup_host(url: str, name: str, pipe: Any) -> None:
    """An idle builder: long-poll, open what comes, report when it is open, close it, again."""
    try:
        rpc = host_login(url, name)
        while True:
            pipe.send(("polling",))
            offered = rpc.call("host.getTasks", POLL_TIMEOUT)
            got = time.monotonic()
            for task in offered:
                opened = rpc.call("host.openTask", task["id"])
                pipe.send(("opened", task["id"], time.monotonic(), opened is not None, got))
                if opened is not None:
                    rpc.call("host.closeTask", task["id"], RESULT)
    except BaseException as exc:  # reported to the parent, which raises
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))


class PickupHost:
    """One idle builder in a child process, and the bench's side of the conversation."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.pipe, child = _fork.Pipe()
        self.proc = _fork.Process(target=_pickup_host, args=(hub.url, name, child), daemon=True)
        self.proc.start()
        self.polling = False  # its last word: it has sent a getTasks and not yet been given a task

    def next_message(self, timeout: float = 60.0) -> tuple:
        if not self.pipe.poll(timeout):
            raise RuntimeError(f"the pickup host said nothing for {timeout:g} s")
        msg = self.pipe.recv()
        if msg[0] == "error":
            raise RuntimeError(f"pickup host failed: {msg[1]}")
        self.polling = msg[0] == "polling"
        return msg

    def wait_polling(self) -> None:
        while not self.polling:
            self.next_message()

    def wait_opened(self, task_id: int) -> tuple[float, float]:
        """When the host's getTasks that brought ``task_id`` returned, and when its openTask did."""
        while True:
            msg = self.next_message()
            if msg[0] == "opened" and msg[1] == task_id:
                if not msg[3]:
                    raise RuntimeError(f"openTask({task_id}) answered None")
                return msg[4], msg[2]

    def stop(self) -> None:
        _stop_all([self.proc])


def pickup(hub: Hub, host: PickupHost, samples: int, settle: float) -> dict:
    """makeTask sent (t0) to openTask returned in the idle host (t1), ``samples`` times, one at a time.

    Before each task the host has closed the previous one and sent its next
    getTasks; ``settle`` seconds later (it is waiting in the hub by then) the
    task is made, so each sample goes through the wakeup, not a lucky poll.
    """
    latencies, make_calls, wakes, opens = [], [], [], []
    for _ in range(samples):
        host.wait_polling()
        time.sleep(settle)
        t0 = time.monotonic()
        task_id = hub.admin.call("makeTask", "sleep", [0])
        made = time.monotonic()
        got, t1 = host.wait_opened(task_id)
        latencies.append(t1 - t0)
        make_calls.append(made - t0)
        wakes.append(got - made)
        opens.append(t1 - got)
    return {
        "samples": samples,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "max_ms": max(latencies) * 1e3,
        # the parts, p50: makeTask's round trip; its return to getTasks' return; openTask's round trip
        "make_task_p50_ms": percentile(make_calls, 50) * 1e3,
        "wake_p50_ms": percentile(wakes, 50) * 1e3,
        "open_p50_ms": percentile(opens, 50) * 1e3,
    }


def queue_unrunnable(hub: Hub, count: int) -> float:
    """``count`` FREE tasks no host can take, at a better priority than the probes; seconds taken.

    Half have an arch nobody serves, half a channel nobody is in.
    """
    start = time.monotonic()
    hub.admin.call("addChannel", UNRUNNABLE_CHANNEL)
    half = count // 2
    queue_tasks(hub.admin, half, arch=UNRUNNABLE_ARCH, priority=10)
    queue_tasks(hub.admin, count - half, channel=UNRUNNABLE_CHANNEL, priority=10)
    return time.monotonic() - start


# -- 3: scheduling throughput -------------------------------------------------


def _busy_hosts(url: str, names: list[str], gate: Any, ready: Any, go: Any, done: Any, out: Any) -> None:
    """A process of builders, one thread each: getTasks, then open and close all it got."""
    results: list[tuple] = []
    lock = threading.Lock()

    def builder(name: str) -> None:
        closed, calls, last, error = 0, 0, 0.0, None
        try:
            rpc = _login(url, name, gate)
            ready.put(name)
            go.wait()
            while True:
                offered = rpc.call("host.getTasks", 2)
                calls += 1
                for task in offered:
                    calls += 1
                    if rpc.call("host.openTask", task["id"]) is None:
                        continue
                    rpc.call("host.closeTask", task["id"], RESULT)
                    calls += 1
                    closed += 1
                    last = time.monotonic()
                if not offered and done.is_set():
                    break
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
            ready.put(name)  # do not leave the parent waiting
        with lock:
            results.append((closed, calls, last, error))

    threads = [threading.Thread(target=builder, args=(n,), daemon=True) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(results)


def throughput(hub: Hub, hosts: int, tasks: int, processes: int, limit: float = 900.0) -> dict:
    """``hosts`` builders empty a queue of ``tasks``: tasks opened and closed per second."""
    names = make_hosts(hub.admin, hub.db_url, hosts, "busy")
    start = time.monotonic()
    queue_tasks(hub.admin, tasks)
    queued = time.monotonic() - start
    ready, go, done, out = _fork.Queue(), _fork.Event(), _fork.Event(), _fork.Queue()
    gate = _fork.Semaphore(LOGINS_AT_ONCE)
    procs = [
        _fork.Process(target=_busy_hosts, args=(hub.url, names[i::processes], gate, ready, go, done, out), daemon=True)
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    try:
        for _ in names:
            ready.get(timeout=300)
        counter = Rpc(hub.url)
        closed_filter = ({"state": [int(TaskState.CLOSED)]}, {"countOnly": True})
        with MemoryWatch(hub) as memory, PgWaits(hub) as waits:
            t_go = time.monotonic()
            go.set()
            while time.monotonic() - t_go < limit:
                time.sleep(0.5)
                if counter.call("listTasks", *closed_filter) >= tasks:
                    break
            elapsed_check = time.monotonic() - t_go
            done.set()
            results = [r for _ in procs for r in out.get(timeout=120)]
    finally:
        _stop_all(procs)
    errors = [r[3] for r in results if r[3]]
    if errors:
        raise RuntimeError(f"{len(errors)} builders failed, e.g. {errors[0]}")
    closed = sum(r[0] for r in results)
    last = max((r[2] for r in results), default=t_go)
    seconds = last - t_go if closed else elapsed_check
    per_host = [r[0] for r in results]
    in_hub = {m: _hub_times(hub, m) for m in ("host.getTasks", "host.openTask", "host.closeTask")}
    return {
        "hub_p50_ms": {m: statistics.median(v) if v else float("nan") for m, v in in_hub.items()},
        "pg_waits": waits.top(),  # (wait event | statement, backends on average)
        "hosts": hosts,
        "tasks": tasks,
        "closed": closed,
        "seconds": seconds,
        "tasks_per_s": closed / seconds if seconds > 0 else 0.0,
        "calls_per_s": sum(r[1] for r in results) / seconds if seconds > 0 else 0.0,
        "tasks_per_host_min_max": [min(per_host), max(per_host)],
        "queue_seconds": queued,
        "rss_end_mib": memory.last / 2**20,
        "rss_peak_mib": memory.peak / 2**20,
    }


# -- 4: listTasks on a million tasks ------------------------------------------

LIST_CASES = {
    # name: (opts, queryOpts); the owner is filled in
    "state+owner, -id": ({"state": [int(TaskState.CLOSED)], "owner": None}, {"order": "-id", "limit": 50}),
    "3 states+owner, -id": (
        {"state": [int(TaskState.FREE), int(TaskState.OPEN), int(TaskState.ASSIGNED)], "owner": None},
        {"order": "-id", "limit": 50},
    ),
    # koji list-tasks --mine: order 'priority,create_time' (no limit there).  A
    # figure, not the target: here half of the million tasks are unfinished, so
    # the page is the top of ~125,000 sorted rows; on a site a user's
    # unfinished tasks are few and the (owner, state) index finds them at once.
    "3 states+owner, CLI order": (
        {"state": [int(TaskState.FREE), int(TaskState.OPEN), int(TaskState.ASSIGNED)], "owner": None},
        {"order": "priority,create_time", "limit": 50},
    ),
    "state only, -id": ({"state": [int(TaskState.CLOSED)]}, {"order": "-id", "limit": 50}),
    "owner only, -id": ({"owner": None}, {"order": "-id", "limit": 50}),
}


def list_tasks(hub: Hub, rows: int, calls: int) -> dict:
    """listTasks pages (50 tasks) over ``rows`` tasks: median ms per call, per filter combination."""
    admin = hub.admin
    owners = [admin.call("createUser", f"owner{i}") for i in range(4)]
    host_id = admin.call("addHost", "list-host", ["x86_64"])
    channel_id = admin.call("getChannel", "default")["id"]
    fill_seconds = fill_tasks(hub.db_url, rows, owners, channel_id, host_id)
    # The hub gathers SQLite's planner statistics when it starts and every ten
    # minutes; a million rows written behind its back in seconds would not
    # happen on a site, so gather them now as the hub would have.
    engine = make_engine(hub.db_url)
    gather_statistics(engine)
    engine.dispose()
    rpc = Rpc(hub.url)
    cases = {}
    for name, (opts, query_opts) in LIST_CASES.items():
        opts = {k: (owners[1] if k == "owner" else v) for k, v in opts.items()}
        for _ in range(3):  # warm the caches
            rpc.call("listTasks", opts, query_opts)
        logged = _hub_times(hub, "listTasks")
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            page = rpc.call("listTasks", opts, query_opts)
            times.append(time.perf_counter() - start)
        if len(page) != 50:
            raise RuntimeError(f"listTasks {name}: {len(page)} tasks, not a page of 50")
        in_hub = _hub_times(hub, "listTasks")[len(logged) :]
        cases[name] = {
            "opts": opts,
            "queryOpts": query_opts,
            "median_ms": statistics.median(times) * 1e3,
            "p90_ms": percentile(times, 90) * 1e3,
            "hub_median_ms": statistics.median(in_hub) if in_hub else float("nan"),
        }
    return {"rows": rows, "fill_seconds": fill_seconds, "calls": calls, "cases": cases}


def _hub_times(hub: Hub, method: str) -> list[float]:
    """The milliseconds each ``method`` request took inside the hub, from its DEBUG log."""
    if hub.log_path is None or not hub.log_path.exists():
        return []
    pattern = re.compile(rf" {re.escape(method)} took ([0-9.]+) ms$")
    return [float(m.group(1)) for line in hub.log_path.read_text().splitlines() if (m := pattern.search(line))]


# -- 5: makeTask against the floor --------------------------------------------


def make_task_rate(hub: Hub, floor: Any, clients: int, seconds: float, warmup: float, rounds: int) -> dict:
    """Logged-in makeTask calls/s on kiln over the floor's getHost calls/s, same client, same settings.

    ``rounds`` alternate kiln and floor, so that drift hits both alike; the
    best rate of each counts (as bench_hub's --repeat).
    """
    from tests.support.hub import ADMIN

    from bench.bench_hub import Load, measure
    from kiln.protocol.xmlrpc import dumps

    make = Load(hub.url, dumps(("sleep", [0]), methodname="makeTask").encode(), 1, login=True)
    get_host = Load(floor.url, dumps((floor.host_id,), methodname="getHost").encode(), 1)
    best: dict[str, dict] = {}
    for _ in range(rounds):
        for name, load, creds, pids in (("kiln", make, ADMIN, hub.pids), ("floor", get_host, None, floor.pids)):
            m = measure(load, clients, seconds, warmup, creds, pids)
            if name not in best or m["rate"] > best[name]["rate"]:
                best[name] = m
    kiln, base = best["kiln"], best["floor"]
    return {
        "clients": clients,
        "rounds": rounds,
        "kiln_rate": kiln["rate"],
        "floor_rate": base["rate"],
        "ratio": kiln["rate"] / base["rate"] if base["rate"] else float("nan"),
        "kiln_server_cpu_us": kiln["server_cpu_us"],
        "floor_server_cpu_us": base["server_cpu_us"],
        "other_cpus": max(kiln["other_cpus"], base["other_cpus"]),
    }


# -- 6: other calls while builders long-poll ----------------------------------


def _pollers(url: str, names: list[str], gate: Any, ready: Any, go: Any, counters: Any, errors: Any) -> None:
    """A process of idle builders, one thread each: log in, then long-poll until killed.

    ``counters``: getTasks answers, answers that came early and empty (no
    waiting slot, or a wakeup), errors; ``errors`` gets the first messages.
    """

    def fail(exc: BaseException) -> None:
        with counters.get_lock():
            counters[2] += 1
            if counters[2] <= 5:
                errors.put(f"{type(exc).__name__}: {exc}")

    def poller(name: str) -> None:
        try:
            rpc = _login(url, name, gate, timeout=POLL_TIMEOUT + 60)
        except BaseException as exc:
            fail(exc)
            ready.put(name)
            return
        ready.put(name)
        go.wait()
        while True:
            start = time.monotonic()
            try:
                offered = rpc.call("host.getTasks", POLL_TIMEOUT)
            except BaseException as exc:
                fail(exc)
                time.sleep(1)
                continue
            early = not offered and time.monotonic() - start < POLL_TIMEOUT - 1
            with counters.get_lock():
                counters[0] += 1
                counters[1] += early

    threads = [threading.Thread(target=poller, args=(n,), daemon=True) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def calls_beside_pollers(hub: Hub, pollers: int, processes: int, calls: int, settle: float) -> dict:
    """p50/p99 of getAPIVersion, getHost and a listTasks page while ``pollers`` builders long-poll."""
    names = make_hosts(hub.admin, hub.db_url, pollers, "idle")
    queue_tasks(hub.admin, 1000, arch=UNRUNNABLE_ARCH)  # something for the listTasks page
    host_id = hub.admin.call("getHost", names[0])["id"]
    rss_before = hub.rss()
    ready, go, counters, errors = _fork.Queue(), _fork.Event(), _fork.Array("l", 3), _fork.Queue()
    gate = _fork.Semaphore(LOGINS_AT_ONCE)
    procs = [
        _fork.Process(
            target=_pollers, args=(hub.url, names[i::processes], gate, ready, go, counters, errors), daemon=True
        )
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    try:
        for _ in names:
            ready.get(timeout=600)
        rss_logged_in = hub.rss()
        go.set()
        time.sleep(settle)  # every poller has sent its getTasks and waits in the hub
        rss_polling = hub.rss()
        spread = hub.connections()
        with counters.get_lock():
            polls_before, early_before = counters[0], counters[1]
        rpc = Rpc(hub.url)
        probes = {
            "getAPIVersion": (),
            "getHost": (host_id,),
            "listTasks": ({"state": [int(TaskState.FREE)]}, {"order": "-id", "limit": 50}),
        }
        times: dict[str, list[float]] = {name: [] for name in probes}
        with MemoryWatch(hub) as memory:
            start = time.monotonic()
            for _ in range(calls):
                for method, args in probes.items():
                    t0 = time.perf_counter()
                    rpc.call(method, *args)
                    times[method].append(time.perf_counter() - t0)
            window = time.monotonic() - start
        with counters.get_lock():
            polls, early, failures = counters[0] - polls_before, counters[1] - early_before, counters[2]
        relogin = _logins_again(hub, names)
        messages = []
        while not errors.empty():
            messages.append(errors.get())
    finally:
        _stop_all(procs)
    return {
        "pollers": pollers,
        "calls_each": calls,
        "window_s": window,
        "latency_ms": {
            m: {"p50": percentile(v, 50) * 1e3, "p99": percentile(v, 99) * 1e3, "max": max(v) * 1e3}
            for m, v in times.items()
        },
        "p99_worst_ms": max(percentile(v, 99) for v in times.values()) * 1e3,
        "getTasks_answers_in_window": polls,
        "getTasks_early_empty_in_window": early,
        "connections_per_worker": spread,
        "poller_errors": failures,
        "poller_error_messages": messages,
        "rss_before_mib": rss_before / 2**20,
        "rss_logged_in_mib": rss_logged_in / 2**20,
        "rss_polling_mib": rss_polling / 2**20,
        "rss_end_mib": memory.last / 2**20,
        "rss_peak_mib": memory.peak / 2**20,
        "relogin": relogin,
    }


def _logins_again(hub: Hub, names: list[str], at_once: int = 4) -> dict:
    """Every builder logs in once more (sessions renewed, a restart) while the pollers hold their threads.

    The logins now land on many of the workers' threads: the hub's RSS after them.
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(name: str) -> str | None:
        try:
            Rpc(hub.url, (name, HOST_PASSWORD)).close()
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    start = time.monotonic()
    with ThreadPoolExecutor(at_once) as pool:
        failed = [e for e in pool.map(one, names) if e]
    return {
        "logins": len(names),
        "at_once": at_once,
        "seconds": time.monotonic() - start,
        "failed": len(failed),
        "first_failure": failed[0] if failed else None,
        "rss_mib": hub.rss() / 2**20,
    }
