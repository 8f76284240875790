"""What the hub does on its own: dead hosts, stale assignments, weights that grow; and a builder's restart.

The hub here runs with short timeouts (seconds instead of minutes) so that
the periodic checks can be watched happening.
"""

from __future__ import annotations

import time

import koji
import pytest

from tests.conftest import BACKENDS, channel_builder, start_hub, task_result, unique
from tests.support.hub import HubProcess

FREE, OPEN, CLOSED, CANCELED, ASSIGNED, FAILED = range(6)
HOST_TIMEOUT = 1.5
FULL = 4.0  # weight_full_seconds: a task that runs this long weighs double


@pytest.fixture(scope="module", params=BACKENDS)
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    return start_hub(
        request,
        request.param,
        tmp_path_factory.mktemp("timeouts"),
        host_timeout=HOST_TIMEOUT,
        assign_timeout=HOST_TIMEOUT,
        check_interval=0.2,
        weight_full_seconds=FULL,
    )


def until(predicate, timeout: float = 15.0, step: float = 0.2, poke=None):
    """Wait for ``predicate()`` to be true, poking the hub (a host call runs the periodic checks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if poke is not None:
            poke()
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not reached in time")


@pytest.mark.slow
def test_silent_host_loses_its_tasks(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    dead, dead_id = channel_builder(hub, admin, channel)
    alive, _ = channel_builder(hub, admin, channel)
    alive.host.updateHost(0.0, False)  # out of the way until the other one is gone
    task_id = admin.makeTask("buildArch", [], channel=channel)
    dead.host.updateHost(0.0, True)
    assert [t["id"] for t in dead.host.getTasks()] == [task_id]
    dead.host.openTask(task_id)

    def beat() -> None:
        alive.host.updateHost(0.0, False)

    until(lambda: admin.getTaskInfo(task_id)["state"] == FREE, poke=beat)
    assert admin.getHost(dead_id)["ready"] is False
    notes = admin.scheduler.getLogMessages([["task_id", "=", task_id]])
    assert any("stopped checking in" in n["msg"] for n in notes)
    # another host finishes it; the dead one cannot finish it too
    alive.host.updateHost(0.0, True)
    assert [t["id"] for t in alive.host.getTasks()] == [task_id]
    alive.host.openTask(task_id)
    with pytest.raises(koji.ActionNotAllowed):
        dead.host.closeTask(task_id, task_result("twice"))
    assert dead.host.getHostTasks() == []
    alive.host.closeTask(task_id, task_result("once"))
    assert admin.getTaskResult(task_id) == "once"


@pytest.mark.slow
def test_stale_assignment_is_freed(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    slow, slow_id = channel_builder(hub, admin, channel)
    task_id = admin.makeTask("buildArch", [], channel=channel)
    assert admin.assignTask(task_id, slow_id)
    other, other_id = channel_builder(hub, admin, channel)
    other.host.updateHost(0.0, True)
    slow.host.updateHost(0.0, False)  # it stays alive but never opens the task

    def beat() -> None:
        slow.host.updateHost(0.0, False)

    until(lambda: admin.getTaskInfo(task_id)["state"] != ASSIGNED, poke=beat)
    other.host.updateHost(0.0, True)
    assert [t["id"] for t in other.host.getTasks()] == [task_id]
    assert admin.getTaskInfo(task_id)["host_id"] == other_id


@pytest.mark.slow
def test_weight_rule(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    """start * (1 + min(1, max(mean run time, running time) / weight_full_seconds)), see docs/tasks.md."""
    host, _ = channel_builder(hub, admin, channel, capacity=10.0)
    host.host.updateHost(0.0, True)
    method = unique("method")
    first = admin.makeTask(method, [], channel=channel)
    assert admin.getTaskInfo(first)["weight"] == 1.0  # no history, unknown method: 1.0
    host.host.getTasks()
    host.host.openTask(first)
    host.host.setTaskWeight(first, 0.5)
    assert admin.getTaskInfo(first)["weight"] == pytest.approx(0.5, abs=0.01)
    time.sleep(1.0)
    host.host.closeTask(first, task_result())
    info = admin.getTaskInfo(first)
    ran = info["completion_ts"] - info["start_ts"]
    # the next task of the method starts raised by the recorded run time
    second = admin.makeTask(method, [], channel=channel)
    assert admin.getTaskInfo(second)["weight"] == pytest.approx(1.0 * (1 + ran / FULL), abs=0.001)
    # and grows while it runs, up to double
    host.host.updateHost(0.0, True)
    host.host.getTasks()
    host.host.openTask(second)
    opened = admin.getTaskInfo(second)["weight"]

    def grown() -> bool:
        return admin.getTaskInfo(second)["weight"] > opened + 0.1

    until(grown, poke=lambda: host.host.updateHost(0.0, True))
    until(lambda: admin.getTaskInfo(second)["weight"] == 2.0, timeout=FULL * 3, poke=lambda: host.host.updateHost(0, 1))


def test_silent_host_that_said_not_ready_loses_its_tasks_too(
    hub: HubProcess, admin: koji.ClientSession, channel: str
) -> None:
    """kojid reports ready=False when busy; a busy host that dies must not keep its tasks."""
    busy, _ = channel_builder(hub, admin, channel)
    other, _ = channel_builder(hub, admin, channel)
    task_id = admin.makeTask("buildArch", [], channel=channel)
    busy.host.updateHost(0.0, True)
    assert [t["id"] for t in busy.host.getTasks()] == [task_id]
    busy.host.openTask(task_id)
    busy.host.updateHost(5.0, False)  # over capacity, then silence
    until(lambda: admin.getTaskInfo(task_id)["state"] == FREE, poke=lambda: other.host.updateHost(0.0, False))


@pytest.mark.slow
def test_many_hosts_checking_in_at_once_after_silence(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    """The periodic checks neither deadlock with check-ins nor mark a host that is checking in as dead."""
    import threading

    builders = [channel_builder(hub, admin, channel) for _ in range(6)]
    time.sleep(HOST_TIMEOUT + 0.5)
    errors: list = []
    barrier = threading.Barrier(len(builders))

    def check_in(session: koji.ClientSession) -> None:
        barrier.wait()
        for _ in range(3):
            try:
                session.host.updateHost(0.0, True)
            except Exception as exc:  # any fault is a failure of the test
                errors.append(exc)

    threads = [threading.Thread(target=check_in, args=(s,)) for s, _ in builders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    for session, _ in builders:
        session.host.updateHost(0.0, True)
    assert all(admin.getHost(host_id)["ready"] for _, host_id in builders)
