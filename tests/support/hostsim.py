"""A simulated builder: kojid's main loop over the wire, with no real work in it.

One host per process.  It checks in, long-polls ``host.getTasks``, opens every
task the hub offers (and, with ``snatch``, the best FREE tasks too), "runs"
each opened task for a short random time alongside the others, and closes it.
It never holds back for its own load: the hub decides, and ``openTask``
answers None when the host's running load is at or above its capacity.  All
calls go through the host's one exclusive session, one at a time, as kojid's
main loop makes them, so the simulator knows exactly which tasks it holds
OPEN at every ``openTask``: each successful open is recorded with that load.

Run it through ``run_host`` in a child process; it writes what it saw as JSON
to ``plan.out_path`` when ``stop`` is set (or when it fails, with the error).
"""

from __future__ import annotations

import json
import random
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any

import koji
import koji.xmlrpcplus

RESULT = koji.xmlrpcplus.dumps(("done",), methodresponse=1, allow_none=1)


@dataclass(frozen=True)
class HostPlan:
    url: str
    name: str
    password: str
    capacity: float
    out_path: str
    seed: int = 0
    min_run: float = 0.002  # seconds a task "runs"
    max_run: float = 0.05
    poll: float = 2.0  # the longest getTasks wait
    # FREE tasks (the best few) this host also tries to open at every step, whatever its load,
    # as kojid did before Koji 1.34: they race the scheduler's claims, and the hub must refuse
    # them while the host's running load is at or above its capacity.
    snatch: int = 0


@dataclass
class OpenRecord:
    task_id: int
    host: str
    opened_at: float  # time.time() when openTask answered
    load_before: float  # the weights of the tasks this host held OPEN when it asked
    weight: float  # the weight the hub gave the task when it opened


@dataclass
class HostReport:
    host: str
    capacity: float
    opens: list[dict] = field(default_factory=list)
    refused_at_capacity: int = 0  # openTask answered None while this host's load was >= capacity
    refused_below_capacity: int = 0  # ... while it was below (another host got the task first)
    polls: int = 0
    closes: int = 0
    calls: dict[str, list[float]] = field(default_factory=dict)  # method -> [count, seconds, longest]
    error: str | None = None


class SimulatedHost:
    def __init__(self, plan: HostPlan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.session = koji.ClientSession(plan.url, opts={"max_retries": 0})
        self.running: dict[int, tuple[float, float]] = {}  # task id -> (ends at, weight)
        self.report = HostReport(plan.name, plan.capacity)

    def check_in(self) -> None:
        self.session.opts["user"], self.session.opts["password"] = self.plan.name, self.plan.password
        self.session.login()
        self.session.exclusiveSession()
        self.session.host.updateHost(0.0, True)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """A ``host.*`` call, timed."""
        began = time.monotonic()
        try:
            return getattr(self.session.host, method)(*args, **kwargs)
        finally:
            took = time.monotonic() - began
            stats = self.report.calls.setdefault(method, [0, 0.0, 0.0])
            stats[0] += 1
            stats[1] += took
            stats[2] = max(stats[2], took)

    def load(self) -> float:
        return sum(weight for _ends, weight in self.running.values())

    def close_finished(self) -> None:
        now = time.monotonic()
        for task_id, (ends, _weight) in sorted(self.running.items()):
            if ends <= now:
                self.call("closeTask", task_id, RESULT)
                del self.running[task_id]
                self.report.closes += 1

    def open_offered(self, offered: list[dict]) -> int:
        opened = 0
        for task in offered:
            load_before = self.load()
            info = self.call("openTask", task["id"])
            if info is None:
                if load_before >= self.plan.capacity:
                    self.report.refused_at_capacity += 1
                else:
                    self.report.refused_below_capacity += 1
                continue
            record = OpenRecord(task["id"], self.plan.name, time.time(), load_before, float(info["weight"]))
            self.report.opens.append(asdict(record))
            runs_for = self.rng.uniform(self.plan.min_run, self.plan.max_run)
            self.running[task["id"]] = (time.monotonic() + runs_for, record.weight)
            opened += 1
        return opened

    def next_end(self) -> float:
        return max(0.0, min(ends for ends, _w in self.running.values()) - time.monotonic())

    def step(self) -> None:
        """Close what is done, ask for work (waiting at most until the next task ends), open it."""
        self.close_finished()
        wait = min(self.next_end(), self.plan.poll) if self.running else self.plan.poll
        offered = self.call("getTasks", timeout=round(wait, 3))
        self.report.polls += 1
        if self.plan.snatch:
            free = {"state": [koji.TASK_STATES["FREE"]]}
            order = {"limit": self.plan.snatch, "order": "priority,id"}
            offered = offered + self.session.listTasks(free, order)
        if self.open_offered(offered) == 0 and offered:
            # Everything offered waits for capacity: sleep until a running task ends.
            time.sleep(self.next_end() if self.running else 0.01)

    def run(self, stop: Any, ready: Any = None) -> None:
        """Check in, work until ``stop`` is set, then finish what was started."""
        self.check_in()
        if ready is not None:
            ready.put(self.plan.name)
        while not stop.is_set():
            self.step()
        while self.running:
            time.sleep(self.next_end())
            self.close_finished()


def run_host(plan: HostPlan, stop: Any, ready: Any = None) -> None:
    """A child process's body: ``SimulatedHost.run``, then its report to ``plan.out_path``."""
    host = SimulatedHost(plan)
    try:
        host.run(stop, ready)
    except BaseException:
        host.report.error = traceback.format_exc()
        raise
    finally:
        with open(plan.out_path, "w") as f:
            json.dump(asdict(host.report), f)
