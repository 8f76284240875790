"""Stress: 20 builders in separate processes race for 2,000 tasks of mixed weights.

On PostgreSQL the builders talk to two hub processes over one database (half
to each), on SQLite to one hub.  Every task must be opened exactly once, no
host may start a task while its running load is at or above its capacity
(checked from the builders' own records and, independently, from the hub's
task rows), and every task must end CLOSED.  The builders are simulated
(tests/support/hostsim.py); a quarter of them also grab FREE tasks directly,
whatever their load, so the hub's refusal to open a task over capacity is
exercised and races the scheduler's claims.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import queue
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import koji
import pytest

from kiln.hub import cli
from tests.conftest import host_session, hub_db_url, koji_session, start_hub, unique
from tests.support.hostsim import RESULT, HostPlan, run_host
from tests.support.hub import ADMIN, HubProcess

HOSTS = 20
TASKS = 2_000
CAPACITIES = (1.0, 1.5, 2.0, 3.0, 4.0)
# Starting weights (hub/domain/weights.py): 0.1, 0.2, 0.25, 1.0 (unknown method), 1.5, 2.0.
METHODS = ("tagNotification", "build", "sleep", "buildArch", "createrepo", "createImage")
PRIORITIES = (10, 20, 30)
DEADLINE = 300.0
HOST_PASSWORD = "hostpw"
STATES = ("FREE", "OPEN", "ASSIGNED", "CLOSED", "CANCELED", "FAILED")

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hubs(request: pytest.FixtureRequest, tmp_path: Path) -> list[HubProcess]:
    """One hub on SQLite; two hub processes on one PostgreSQL database."""
    db_url = hub_db_url(request.param, request, tmp_path)
    started = []
    for _ in range(1 if request.param == "sqlite" else 2):
        hub = HubProcess(db_url, settings={"log_level": "WARNING"}, prepared=True)
        request.addfinalizer(hub.kill)
        started.append(hub.start())
    return started


def make_hosts(hub: HubProcess, admin: koji.ClientSession) -> dict[str, dict]:
    """HOSTS build hosts with capacities from CAPACITIES; name -> {id, capacity}."""
    hosts = {}
    for i in range(HOSTS):
        name, capacity = unique(f"stress{i:02d}-"), CAPACITIES[i % len(CAPACITIES)]
        hosts[name] = {"id": admin.addHost(name, ["x86_64"]), "capacity": capacity}
        admin.editHost(name, capacity=capacity)
        # Out of band, as `kiln-hub passwd`; in this process, to spare 20 interpreter starts.
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli.main(["passwd", name, "--password", HOST_PASSWORD, "--config", str(hub.config_path)]) == 0
    return hosts


def make_tasks(hubs: list[HubProcess]) -> list[int]:
    """TASKS tasks of mixed methods and priorities, made through every hub at once, in batches."""
    rng = random.Random(TASKS)
    specs = [(METHODS[i % len(METHODS)], [i], rng.choice(PRIORITIES)) for i in range(TASKS)]

    def make(hub: HubProcess, share: list) -> list[int]:
        admin = koji_session(hub, *ADMIN)
        with admin.multicall(strict=True, batch=100) as m:
            calls = [m.makeTask(method, args, priority=priority) for method, args, priority in share]
        admin.logout()
        return [call.result for call in calls]

    with ThreadPoolExecutor(len(hubs)) as pool:
        made = [pool.submit(make, hub, specs[k :: len(hubs)]) for k, hub in enumerate(hubs)]
        return [task_id for future in made for task_id in future.result()]


def count_by_state(admin: koji.ClientSession, *states: str) -> dict[str, int]:
    return {s: admin.listTasks({"state": [koji.TASK_STATES[s]]}, {"countOnly": True}) for s in states}


def wait_until_closed(admin: koji.ClientSession, procs: list, deadline: float) -> int:
    closed = 0
    while time.monotonic() < deadline:
        closed = count_by_state(admin, "CLOSED")["CLOSED"]
        if closed >= TASKS:
            break
        if not all(proc.is_alive() for proc in procs):
            break  # a host failed: its report says why
        time.sleep(0.25)
    return closed


def run_fleet(hubs: list[HubProcess], admin: koji.ClientSession, hosts: dict, out: Path) -> dict:
    """Start a process per host (half on each hub), make the tasks, wait for them all to close."""
    plans = [
        HostPlan(
            url=hubs[i % len(hubs)].url,
            name=name,
            password=HOST_PASSWORD,
            capacity=info["capacity"],
            out_path=str(out / f"{name}.json"),
            seed=i,
            snatch=2 if i % 4 == 3 else 0,
        )
        for i, (name, info) in enumerate(hosts.items())
    ]
    mp = multiprocessing.get_context("fork")  # the children need only koji, loaded already
    stop, ready = mp.Event(), mp.Queue()
    procs = [mp.Process(target=run_host, args=(plan, stop, ready), name=plan.name) for plan in plans]
    run: dict = {"checked_in": 0}
    try:
        for proc in procs:
            proc.start()
        run["checked_in"] = wait_for_check_ins(ready, procs)
        if run["checked_in"] == len(procs):
            began = time.monotonic()
            run["task_ids"] = make_tasks(hubs)
            run["created"] = time.monotonic() - began
            run["closed"] = wait_until_closed(admin, procs, began + DEADLINE)
            run["elapsed"] = time.monotonic() - began
    finally:
        stop.set()
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.terminate()
                proc.join()
    run["reports"] = [read_report(plan) for plan in plans]
    errors = [f"{r['host']}: {r['error']}" for r in run["reports"] if r["error"]]
    assert not errors, errors[0]
    assert run["checked_in"] == len(procs), f"only {run['checked_in']} of {len(procs)} hosts checked in"
    return run


def wait_for_check_ins(ready: Any, procs: list, timeout: float = 60.0) -> int:
    """How many hosts checked in (and are about to poll), waiting until all did or one died."""
    checked_in, deadline = 0, time.monotonic() + timeout
    while checked_in < len(procs) and time.monotonic() < deadline:
        try:
            ready.get(timeout=0.5)
            checked_in += 1
        except queue.Empty:
            if not all(proc.is_alive() for proc in procs):
                break
    return checked_in


def read_report(plan: HostPlan) -> dict:
    path = Path(plan.out_path)
    if not path.exists():
        return {"host": plan.name, "error": "no report: the process was killed"}
    return json.loads(path.read_text())


def print_figures(hubs: list[HubProcess], run: dict) -> None:
    reports, elapsed = run["reports"], run["elapsed"]
    opens = [len(r["opens"]) for r in reports]
    print(
        f"\n{len(hubs)} hub(s) on {hubs[0].db_url.split(':', 1)[0]}: {run['closed']} of {TASKS} tasks"
        f" closed {elapsed:.1f} s after the first was made ({run['closed'] / elapsed:.0f} tasks/s;"
        f" making them took {run['created']:.1f} s); opens per host {min(opens)}..{max(opens)};"
        f" openTask said None {sum(r['refused_at_capacity'] for r in reports)} times at capacity and"
        f" {sum(r['refused_below_capacity'] for r in reports)} times below (by the host's count)"
    )
    for method in ("getTasks", "openTask", "closeTask"):
        count = sum(r["calls"][method][0] for r in reports)
        seconds = sum(r["calls"][method][1] for r in reports)
        longest = max(r["calls"][method][2] for r in reports)
        print(f"  host.{method}: {count} calls, mean {seconds / count * 1000:.0f} ms, longest {longest:.2f} s")


def busy_at_start(tasks: list[dict], weights: dict[int, float]) -> list[tuple[int, float]]:
    """For each task of one host: the weight of its other tasks running when it started (hub times)."""
    out = []
    for task in tasks:
        start = task["start_ts"]
        load = sum(
            weights[other["id"]]
            for other in tasks
            if other["id"] != task["id"] and other["start_ts"] < start < other["completion_ts"]
        )
        out.append((task["id"], load))
    return out


def test_builders_race_for_tasks_on_one_database(hubs: list[HubProcess], tmp_path: Path) -> None:
    admin = koji_session(hubs[0], *ADMIN)
    hosts = make_hosts(hubs[0], admin)
    run = run_fleet(hubs, admin, hosts, tmp_path)
    print_figures(hubs, run)
    assert run["closed"] == TASKS
    opens = [rec for r in run["reports"] for rec in r["opens"]]

    # Every task opened exactly once, by the builders' records.
    counts = Counter(rec["task_id"] for rec in opens)
    assert [tid for tid, n in counts.items() if n > 1] == []
    assert sorted(counts) == sorted(run["task_ids"])

    # No host started a task while its running load was at or above its capacity: its own view...
    over = [rec for rec in opens if rec["load_before"] >= hosts[rec["host"]]["capacity"]]
    assert over == [], f"{len(over)} opens at or above capacity, e.g. {over[:3]}"
    assert any(rec["load_before"] > 0 for rec in opens), "no host ever ran two tasks at once"
    assert any(r["refused_at_capacity"] for r in run["reports"]), "the hub's open guard went untested"

    # ...and the hub's, from the tasks' start and completion times.  The weights are the ones
    # openTask gave: the hub's periodic checks raise a running task's weight afterwards.
    weights = {rec["task_id"]: rec["weight"] for rec in opens}
    for name, info in hosts.items():
        tasks = admin.listTasks({"host_id": info["id"]})
        assert {t["id"] for t in tasks} == {rec["task_id"] for rec in opens if rec["host"] == name}
        over = [(tid, load) for tid, load in busy_at_start(tasks, weights) if load >= info["capacity"]]
        assert over == [], f"host {name} (capacity {info['capacity']}) started tasks while busy: {over[:5]}"

    # Every task ends CLOSED.
    assert count_by_state(admin, *STATES) == {s: TASKS if s == "CLOSED" else 0 for s in STATES}
    admin.logout()


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param("postgres", marks=[pytest.mark.postgres]),
    ],
)
def test_one_host_opening_tasks_at_once_stays_within_capacity(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Subsessions of a host's session (kojid's task processes) may call openTask at the same time."""
    hub = start_hub(request, backend, tmp_path, log_level="WARNING")
    admin = koji_session(hub, *ADMIN)
    session, _host_id = host_session(hub, admin, capacity=1.0)
    subsessions = [session.subsession() for _ in range(10)]
    opened_per_round = []
    for round_ in range(5):
        task_ids = [admin.makeTask("buildArch", [round_, i]) for i in range(len(subsessions))]  # weight 1.0 each
        answers = open_at_once(subsessions, task_ids)
        opened = [task_id for task_id, answer in answers.items() if answer is not None]
        opened_per_round.append(len(opened))
        for task_id in task_ids:
            if task_id in opened:
                session.host.closeTask(task_id, RESULT)
            else:
                admin.cancelTask(task_id)
    assert opened_per_round == [1] * 5  # capacity 1.0: the first open fills it


def open_at_once(subsessions: list[koji.ClientSession], task_ids: list[int]) -> dict[int, dict | None]:
    """Each subsession asks to open its task, all at the same moment; task id -> answer."""
    barrier, answers = threading.Barrier(len(subsessions)), {}

    def open_one(sub: koji.ClientSession, task_id: int) -> None:
        barrier.wait()
        try:
            answers[task_id] = sub.host.openTask(task_id)
        except Exception as exc:  # raised again below, in the test's thread
            answers[task_id] = exc

    threads = [threading.Thread(target=open_one, args=pair) for pair in zip(subsessions, task_ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer in answers.values():
        if isinstance(answer, Exception):
            raise answer
    return answers
