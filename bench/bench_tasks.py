"""The tasks issue's figures: pickup latency, starvation, scheduling throughput, listTasks, makeTask, pollers.

    .venv/bin/python -m bench.bench_tasks [--quick] [--only pickup,starvation,...] [--backends sqlite,postgres]

Each scenario runs on a fresh ``kiln-hub serve`` (2 gunicorn workers x 128
threads, the hub's defaults) over SQLite or a private PostgreSQL cluster, and
talks to it over HTTP only; fixtures no RPC offers (host passwords, a million
task rows) are written into the database directly.

1. pickup: an idle builder long-polls (``host.getTasks(30)``); the time from
   sending ``makeTask`` to the builder's ``openTask`` returning, one task at a
   time (p50, p99; targets 20 ms and 100 ms).
2. starvation: the same after queueing FREE tasks no host can take (an arch
   nobody has, a channel nobody is in) at a better priority than the probes.
3. throughput: builders (threads in a few processes) loop getTasks, openTask,
   closeTask over a queue of tasks: tasks per second, and the hub's memory
   (RSS of the gunicorn master and workers).
4. listtasks: pages of 50 over a million tasks, for several filters (target
   10 ms per call, median; the time includes HTTP and the XML of 50 tasks).
5. maketask: logged-in makeTask calls/s over the floor's (bench/floor_app.py)
   getHost calls/s, with bench_hub's client and measure() (target 0.5); the
   floor has no makeTask, so its cheapest comparable call stands in.
6. pollers: 200 builders held in ``getTasks(30)`` while one client times
   getAPIVersion, getHost and a listTasks page (p99 under 50 ms) and the hub's
   memory stays under 1 GiB.

The machine (2 CPUs) is shared by the hub, its database and the clients; all
figures come from one run.  Results also go to ``bench/results/tasks.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import tasks_scenarios as sc
from bench.bench_hub import children, cpu_seconds, machine_cpu_seconds
from bench.tasks_clients import Rpc

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("pickup", "starvation", "throughput", "listtasks", "maketask", "pollers")
BACKENDS = ("sqlite", "postgres")
WORKERS, THREADS, POLL_RESERVE = 2, 128, 16  # the hub's defaults (config.Settings)


@dataclass
class Plan:
    """How much of everything: the full run and ``--quick``."""

    pickup_samples: int = 200
    settle: float = 0.03
    unrunnable: int = 10_000
    busy_hosts: int = 100
    busy_tasks: int = 10_000
    busy_processes: int = 4
    list_rows: int = 1_000_000
    list_calls: int = 30
    make_seconds: float = 3.0
    make_warmup: float = 0.5
    make_clients: tuple = (1, 4)
    make_rounds: int = 3
    pollers: int = 200
    poller_processes: int = 4
    poller_calls: int = 200

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            pickup_samples=50,
            unrunnable=2_000,
            busy_hosts=20,
            busy_tasks=1_000,
            list_rows=100_000,
            list_calls=10,
            make_seconds=1.0,
            make_warmup=0.3,
            make_clients=(1,),
            make_rounds=1,
            poller_calls=50,
        )


@dataclass
class Figure:
    """One line of the report: a value per backend, its target, whether it was met."""

    scenario: str
    name: str
    target: str
    values: dict[str, str] = field(default_factory=dict)
    passed: dict[str, bool | None] = field(default_factory=dict)

    def set(self, backend: str, text: str, ok: bool | None = None) -> None:
        self.values[backend] = text
        self.passed[backend] = ok


class Report:
    def __init__(self) -> None:
        self.figures: dict[tuple[str, str], Figure] = {}
        self.raw: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []

    def figure(self, scenario: str, name: str, target: str = "") -> Figure:
        key = (scenario, name)
        if key not in self.figures:
            self.figures[key] = Figure(scenario, name, target)
        return self.figures[key]

    def keep(self, backend: str, scenario: str, data: dict) -> None:
        self.raw.setdefault(backend, {})[scenario] = data


# -- the hubs -----------------------------------------------------------------


class Backends:
    """Fresh hubs on demand; one PostgreSQL cluster for the run, a database per hub."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.stack = stack
        self.pg: Any = None
        self.count = 0
        self._current: Any = None  # the HubProcess of the hub running now
        self._current_db: str | None = None  # and its PostgreSQL database

    def available(self, backend: str) -> tuple[bool, str]:
        if backend == "sqlite":
            return True, ""
        from tests.support import pgserver

        return pgserver.available()

    def hub(self, backend: str, log_level: str = "INFO") -> sc.Hub:
        from tests.support.hub import ADMIN, HubProcess

        self.count += 1
        db_master = None
        if backend == "sqlite":
            tmp = Path(tempfile.mkdtemp(prefix="kiln-bench-tasks-"))
            self.stack.callback(shutil.rmtree, tmp, ignore_errors=True)
            db_url = f"sqlite:///{tmp / 'kiln.db'}"
        else:
            from tests.support import pgserver

            if self.pg is None:
                self.pg = pgserver.PostgresServer().start()
                self.stack.callback(self.pg.stop)
            self._current_db = f"kiln_tasks_{self.count}"
            db_url = self.pg.create_database(self._current_db)
            db_master = int((self.pg.datadir / "postmaster.pid").read_text().split()[0])
        hub = HubProcess(db_url, settings={"threads": THREADS, "log_level": log_level}, workers=WORKERS)
        self.stack.callback(shutil.rmtree, hub.dir, ignore_errors=True)
        self.stack.callback(hub.stop)
        hub.start()
        assert hub.proc is not None
        self._current = hub
        admin = Rpc(hub.url, ADMIN)
        return sc.Hub(backend, hub.url, db_url, hub.proc.pid, admin, db_master, Path(hub.settings["log_file"]))

    def stop(self, hub: sc.Hub) -> None:
        """Stop a hub when its scenario is over: the next one gets the machine to itself.

        SIGQUIT, gunicorn's quick shutdown, then SIGKILL: a worker's threads
        parked in long polls keep it alive until the master's graceful timeout
        (10 s), and the data is disposable.
        """
        hub.admin.close()
        proc = self._current.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGQUIT)
            try:
                proc.wait(1)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._current.proc = None
        if self._current_db is not None:  # its disk and cache go to the next scenario
            with contextlib.suppress(Exception):
                self.pg.drop_database(self._current_db)
            self._current_db = None


class CpuWatch:
    """How busy the machine was with anything but this benchmark, its hub and its database.

    Machine CPU time (/proc/stat) less the bench's own (its threads and its
    reaped children: the simulated builders and clients), the hub's (master
    and workers) and the PostgreSQL cluster's, over the wall time.
    """

    def __init__(self, hubs: Backends) -> None:
        self.start = time.monotonic()
        self.machine = machine_cpu_seconds()
        self.own = self._own()
        self.db = self._db(hubs.pg)

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    @staticmethod
    def _db(pg: Any) -> float:
        if pg is None:
            return 0.0
        with contextlib.suppress(OSError, ValueError, IndexError):
            return cpu_seconds(children(int((pg.datadir / "postmaster.pid").read_text().split()[0])))
        return 0.0

    def other_cpus(self, hub: sc.Hub) -> tuple[float, float]:
        """(other processes' CPUs on average, seconds watched); call before the hub stops."""
        elapsed = time.monotonic() - self.start
        hub_cpu = cpu_seconds([hub.master, *children(hub.master)])
        db_cpu = 0.0
        if hub.db_master:
            db_cpu = max(0.0, cpu_seconds(children(hub.db_master)) - self.db)
        busy = machine_cpu_seconds() - self.machine - (self._own() - self.own) - hub_cpu - db_cpu
        return max(0.0, busy) / elapsed, elapsed


def start_floor(stack: contextlib.ExitStack) -> Any:
    from bench.bench_hub import start_floor as floor

    return floor(stack, WORKERS, THREADS)


# -- running the scenarios ----------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _us(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.0f}"


def run_pickup(hub: sc.Hub, plan: Plan, only: set[str], report: Report) -> None:
    name = sc.make_hosts(hub.admin, hub.db_url, 1, "pickup")[0]
    host = sc.PickupHost(hub, name)
    try:
        host.wait_polling()
        if "pickup" in only:
            data = sc.pickup(hub, host, plan.pickup_samples, plan.settle)
            report.keep(hub.backend, "pickup", data)
            _pickup_figures(report, "pickup", "pickup, idle hub", hub.backend, data)
        if "starvation" in only:
            queued = sc.queue_unrunnable(hub, plan.unrunnable)
            data = sc.pickup(hub, host, plan.pickup_samples, plan.settle)
            data["unrunnable"], data["queue_seconds"] = plan.unrunnable, queued
            report.keep(hub.backend, "starvation", data)
            _pickup_figures(report, "starvation", f"pickup, {plan.unrunnable:,} unrunnable FREE", hub.backend, data)
    finally:
        host.stop()


def _pickup_figures(report: Report, scenario: str, label: str, backend: str, data: dict) -> None:
    report.figure(scenario, f"{label}: p50 ms", "< 20").set(backend, _ms(data["p50_ms"]), data["p50_ms"] < 20)
    report.figure(scenario, f"{label}: p99 ms", "< 100").set(backend, _ms(data["p99_ms"]), data["p99_ms"] < 100)
    parts = f"{data['make_task_p50_ms']:.1f}+{data['wake_p50_ms']:.1f}+{data['open_p50_ms']:.1f}"
    report.figure(scenario, f"{label}: p50 makeTask+wakeup+openTask ms").set(backend, parts)


def run_throughput(hub: sc.Hub, plan: Plan, report: Report) -> None:
    data = sc.throughput(hub, plan.busy_hosts, plan.busy_tasks, plan.busy_processes)
    report.keep(hub.backend, "throughput", data)
    label = f"throughput, {plan.busy_hosts} hosts, {plan.busy_tasks:,} tasks"
    report.figure("throughput", f"{label}: tasks/s").set(hub.backend, f"{data['tasks_per_s']:.0f}")
    report.figure("throughput", f"{label}: hub calls/s").set(hub.backend, f"{data['calls_per_s']:.0f}")
    p50 = "/".join(f"{v:.1f}" for v in data["hub_p50_ms"].values())
    report.figure("throughput", f"{label}: in hub p50 ms getTasks/openTask/closeTask").set(hub.backend, p50)
    report.figure("throughput", f"{label}: hub RSS end/peak MiB").set(
        hub.backend, f"{data['rss_end_mib']:.0f}/{data['rss_peak_mib']:.0f}"
    )
    for what, backends in data["pg_waits"][:3]:
        if backends >= 0.25:
            report.notes.append(f"{hub.backend} throughput: {backends:.2f} backends on average in {what}")


def run_list_tasks(hub: sc.Hub, plan: Plan, report: Report) -> None:
    data = sc.list_tasks(hub, plan.list_rows, plan.list_calls)
    report.keep(hub.backend, "listtasks", data)
    rows = f"{plan.list_rows:,}"
    report.figure("listtasks", f"listTasks: fill {rows} rows, s").set(hub.backend, f"{data['fill_seconds']:.1f}")
    for case, c in data["cases"].items():
        targeted = "CLI order" not in case  # see sc.LIST_CASES
        fig = report.figure("listtasks", f"listTasks {case} (of {rows}): call (in hub) ms", "< 10" if targeted else "")
        met = c["median_ms"] < 10 if targeted else None
        fig.set(hub.backend, f"{c['median_ms']:.1f} ({c['hub_median_ms']:.1f})", met)


def run_make_task(hub: sc.Hub, floor: Any, plan: Plan, report: Report) -> None:
    results = []
    for clients in plan.make_clients:
        data = sc.make_task_rate(hub, floor, clients, plan.make_seconds, plan.make_warmup, plan.make_rounds)
        results.append(data)
        star = "*" if data["other_cpus"] > 0.25 else ""
        fig = report.figure("maketask", f"makeTask/s over floor getHost/s, {clients} client(s)", ">= 0.5")
        text = f"{data['ratio']:.2f} ({data['kiln_rate']:.0f}/{data['floor_rate']:.0f}){star}"
        cpu = report.figure("maketask", f"server CPU us/call, makeTask / floor getHost, {clients} client(s)")
        cpu.set(hub.backend, f"{_us(data['kiln_server_cpu_us'])}/{_us(data['floor_server_cpu_us'])}")
        fig.set(hub.backend, text, data["ratio"] >= 0.5)
    report.keep(hub.backend, "maketask", {"runs": results})


def run_pollers(hub: sc.Hub, plan: Plan, report: Report) -> None:
    data = sc.calls_beside_pollers(hub, plan.pollers, plan.poller_processes, plan.poller_calls, settle=3.0)
    report.keep(hub.backend, "pollers", data)
    label = f"{plan.pollers} pollers"
    for method, lat in data["latency_ms"].items():
        fig = report.figure("pollers", f"{label}: {method} p50/p99 ms", "p99 < 50")
        fig.set(hub.backend, f"{lat['p50']:.1f}/{lat['p99']:.1f}", lat["p99"] < 50)
    early = f"{data['getTasks_early_empty_in_window']}/{data['getTasks_answers_in_window']}"
    report.figure("pollers", f"{label}: getTasks early empty answers (of all) in window").set(
        hub.backend, early + (f", {data['poller_errors']} errors" if data["poller_errors"] else "")
    )
    spread = "+".join(str(n) for n in data["connections_per_worker"])
    report.figure("pollers", f"{label}: connections per worker (waiting slots {THREADS - POLL_RESERVE} each)").set(
        hub.backend, spread
    )
    for message in data["poller_error_messages"]:
        report.notes.append(f"{hub.backend} pollers: {message}")
    report.figure("pollers", f"{label}: hub RSS idle/logged in MiB").set(
        hub.backend, f"{data['rss_before_mib']:.0f}/{data['rss_logged_in_mib']:.0f}"
    )
    fig = report.figure("pollers", f"{label}: hub RSS polling (peak) MiB", "< 1024")
    fig.set(hub.backend, f"{data['rss_peak_mib']:.0f}", data["rss_peak_mib"] < 1024)
    again = data["relogin"]
    fig = report.figure("pollers", f"{label}: hub RSS after {again['logins']} more logins MiB", "< 1024")
    failed = f", {again['failed']} failed" if again["failed"] else ""
    fig.set(hub.backend, f"{again['rss_mib']:.0f}{failed}", again["rss_mib"] < 1024)
    if again["first_failure"]:
        report.notes.append(f"{hub.backend} logins while polling: {again['first_failure']}")


def run(args: argparse.Namespace, plan: Plan, report: Report) -> None:
    only, backends = set(args.only), args.backends
    with contextlib.ExitStack() as stack:
        hubs = Backends(stack)
        floor = start_floor(stack) if "maketask" in only else None
        for backend in backends:
            ok, why = hubs.available(backend)
            if not ok:
                report.notes.append(f"{backend} skipped: {why}")
                continue
            # these hubs log each request's time (DEBUG): the hub's share of a call
            steps = [
                ("pickup", lambda hub: run_pickup(hub, plan, only, report), {"pickup", "starvation"}),
                ("throughput", lambda hub: run_throughput(hub, plan, report), {"throughput"}),
                ("listtasks", lambda hub: run_list_tasks(hub, plan, report), {"listtasks"}),
                ("maketask", lambda hub: run_make_task(hub, floor, plan, report), {"maketask"}),
                ("pollers", lambda hub: run_pollers(hub, plan, report), {"pollers"}),
            ]
            for name, step, wanted in steps:
                if not wanted & only:
                    continue
                print(f"{backend}: {name}...", file=sys.stderr)
                cpu = CpuWatch(hubs)
                hub = hubs.hub(backend, "DEBUG" if name in ("listtasks", "throughput") else "INFO")
                try:
                    step(hub)
                except Exception as exc:
                    report.notes.append(f"{backend} {name} failed: {type(exc).__name__}: {exc}")
                    print(f"  failed: {exc}", file=sys.stderr)
                finally:
                    other, elapsed = cpu.other_cpus(hub)
                    hubs.stop(hub)
                report.figure("noise", f"{name}: other processes' CPUs (of {os.cpu_count()})").set(
                    backend, f"{other:.2f}"
                )
                print(f"  {elapsed:.0f} s, other processes used {other:.2f} CPUs", file=sys.stderr)


# -- the report ---------------------------------------------------------------


def table(report: Report, backends: list[str]) -> str:
    figures = list(report.figures.values())
    width = max((len(f.name) for f in figures), default=40) + 2
    cols = [b for b in backends if any(b in f.values for f in figures)]
    head = f"{'figure':<{width}}" + "".join(f"{b:>24}" for b in cols) + f"{'target':>12}"
    lines = [head, "-" * len(head)]
    for f in figures:
        line = f"{f.name:<{width}}"
        for b in cols:
            ok = f.passed.get(b)
            mark = "" if ok is None else (" PASS" if ok else " MISS")
            line += f"{f.values.get(b, '-') + mark:>24}"
        lines.append(line + f"{f.target:>12}")
    return "\n".join(lines)


def write_json(path: Path, args: argparse.Namespace, plan: Plan, report: Report, load_before: tuple) -> None:
    from bench.bench_hub import _git_commit

    doc = {
        "meta": {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "git_commit": _git_commit(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "workers": WORKERS,
            "threads": THREADS,
            "quick": args.quick,
            "plan": asdict(plan),
            "loadavg_before": list(load_before),
            "loadavg_after": list(os.getloadavg()),
        },
        "figures": [asdict(f) for f in report.figures.values()],
        "raw": report.raw,
        "notes": report.notes,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def _names(text: str, known: tuple, parser: argparse.ArgumentParser, what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = set(names) - set(known)
    if unknown:
        parser.error(f"unknown {what}: {', '.join(sorted(unknown))} (known: {', '.join(known)})")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.bench_tasks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples, hosts and rows (about 2 minutes)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {', '.join(SCENARIOS)}")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated subset of sqlite, postgres")
    parser.add_argument("--json", type=Path, default=RESULTS / "tasks.json", help="where to write the results")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.only = _names(args.only, SCENARIOS, parser, "scenarios")
    args.backends = _names(args.backends, BACKENDS, parser, "backends")
    plan = Plan.quick() if args.quick else Plan()
    report = Report()
    load_before = os.getloadavg()
    started = time.monotonic()
    run(args, plan, report)
    print()
    print(
        f"kiln tasks benchmark: {WORKERS} gunicorn workers x {THREADS} threads, {os.cpu_count()} CPUs shared with "
        f"the clients, one run{' (--quick)' if args.quick else ''}, {time.monotonic() - started:.0f} s"
    )
    print(table(report, args.backends))
    for note in report.notes:
        print(f"note: {note}")
    write_json(args.json, args, plan, report, load_before)
    print(f"\nresults written to {args.json}")
    missed = any(ok is False for f in report.figures.values() for ok in f.passed.values())
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
