"""The scheduler: capacity, channels and arches, priority then age, long polls, sleeping parents, starvation."""

from __future__ import annotations

import threading
import time

import koji
import pytest

from tests.conftest import BACKENDS, channel_builder, host_session, hub_db_url, koji_session, task_result, unique
from tests.support.hub import ADMIN, HubProcess

FREE, OPEN, CLOSED, CANCELED, ASSIGNED, FAILED = range(6)


def ids(tasks: list[dict]) -> list[int]:
    return [t["id"] for t in tasks]


def poll_in_background(host: koji.ClientSession, timeout: float) -> tuple[threading.Thread, dict]:
    """A builder waiting in host.getTasks(timeout) on a thread: its answer and how long it waited."""
    answer: dict = {}

    def poll() -> None:
        started = time.monotonic()
        answer["tasks"] = host.host.getTasks(timeout=timeout)
        answer["waited"] = time.monotonic() - started

    waiter = threading.Thread(target=poll)
    waiter.start()
    return waiter, answer


def test_load_below_capacity_takes_work(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    host, _ = channel_builder(hub, admin, channel, capacity=1.0)
    first, second = (admin.makeTask("buildArch", [n], channel=channel) for n in (1, 2))
    # 1.0, raised by the shared hub's record of earlier buildArch runs (mean run time / weight_full_seconds)
    assert admin.getTaskInfo(first)["weight"] == pytest.approx(1.0, rel=0.01)
    assert ids(host.host.getTasks()) == [first]
    assert ids(host.host.getTasks()) == [first]  # at capacity: nothing more
    host.host.openTask(first)
    assert host.host.getTasks() == []
    host.host.closeTask(first, task_result())
    assert ids(host.host.getTasks()) == [second]


def test_idle_host_takes_a_task_heavier_than_its_capacity(
    hub: HubProcess, admin: koji.ClientSession, channel: str
) -> None:
    host, _ = channel_builder(hub, admin, channel, capacity=1.0)
    heavy = admin.makeTask("createImage", [], channel=channel)
    light = admin.makeTask("sleep", [1], channel=channel)
    assert admin.getTaskInfo(heavy)["weight"] == pytest.approx(2.0, rel=0.01)  # as above, for createImage
    assert ids(host.host.getTasks()) == [heavy]
    assert host.host.openTask(heavy)["id"] == heavy
    assert host.host.getTasks() == []  # load 2.0 >= capacity 1.0
    assert admin.getTaskInfo(light)["state"] == FREE


def test_no_start_while_running_load_at_capacity(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    host, _ = channel_builder(hub, admin, channel, capacity=2.0)
    first, second = (admin.makeTask("buildArch", [n], channel=channel) for n in (1, 2))
    assert ids(host.host.getTasks()) == [first, second]
    host.host.openTask(first)
    host.host.setTaskWeight(first, 3.0)  # the running task grew: load 3 >= 2
    assert host.host.openTask(second) is None
    assert admin.getTaskInfo(second)["state"] == ASSIGNED
    host.host.closeTask(first, task_result())
    assert host.host.openTask(second)["id"] == second


def test_only_its_channels_and_arches(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    host, _ = channel_builder(hub, admin, channel, capacity=10.0, arches=("x86_64", "i686"))
    elsewhere = unique("chan")
    admin.addChannel(elsewhere)
    wrong_arch = admin.makeTask("buildArch", [], channel=channel, arch="ppc64le")
    wrong_channel = admin.makeTask("buildArch", [], channel=elsewhere, arch="x86_64")
    right = [admin.makeTask("buildArch", [], channel=channel, arch=a) for a in ("x86_64", "i686", "noarch")]
    assert sorted(ids(host.host.getTasks())) == right
    assert admin.getTaskInfo(wrong_arch)["state"] == FREE
    assert admin.getTaskInfo(wrong_channel)["state"] == FREE


def test_priority_then_age(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    host, _ = channel_builder(hub, admin, channel, capacity=1.0)
    low = admin.makeTask("buildArch", [], channel=channel, priority=30)
    old = admin.makeTask("buildArch", [], channel=channel, priority=10)
    new = admin.makeTask("buildArch", [], channel=channel, priority=10)
    order = []
    for _ in range(3):
        (task,) = host.host.getTasks()
        order.append(task["id"])
        host.host.openTask(task["id"])
        host.host.closeTask(task["id"], task_result())
    assert order == [old, new, low]


def test_disabled_or_unready_hosts_get_nothing(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    host, host_id = channel_builder(hub, admin, channel)
    task_id = admin.makeTask("buildArch", [], channel=channel)
    host.host.updateHost(0.0, False)
    assert host.host.getTasks() == []
    host.host.updateHost(0.0, True)
    admin.disableHost(admin.getHost(host_id)["name"])
    assert host.host.getTasks() == []
    admin.enableHost(admin.getHost(host_id)["name"])
    assert ids(host.host.getTasks()) == [task_id]


def test_a_waiting_parent_sleeps(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    host, _ = channel_builder(hub, admin, channel, capacity=1.0)
    parent = admin.makeTask("buildArch", [], channel=channel)
    assert ids(host.host.getTasks()) == [parent]
    host.host.openTask(parent)
    child = host.host.subtask("buildArch", [1], parent, label="x86_64")
    assert host.host.getTasks() == []  # the parent's weight fills the host
    host.host.taskSetWait(parent, [child])
    assert ids(host.host.getTasks()) == [child]  # asleep, the parent counts nothing
    tasks = {t["id"]: t for t in host.host.getHostTasks()}
    assert tasks[parent]["waiting"] is True and "alert" not in tasks[parent]
    host.host.openTask(child)
    host.host.closeTask(child, task_result({"rpms": []}))
    tasks = {t["id"]: t for t in host.host.getHostTasks()}
    assert tasks[parent]["alert"] is True
    assert host.host.taskWait(parent) == [[child], []]
    assert host.host.taskWaitResults(parent, [child]) == [[child, {"rpms": []}]]
    assert admin.getTaskInfo(parent)["waiting"] is False


def test_long_poll_wakes_on_new_work(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    host, _ = channel_builder(hub, admin, channel)
    waiter, answer = poll_in_background(host, 20)
    time.sleep(0.5)
    assert waiter.is_alive()  # nothing to do: it waits
    task_id = admin.makeTask("buildArch", [], channel=channel)
    waiter.join(25)
    assert ids(answer["tasks"]) == [task_id]
    assert answer["waited"] < 15  # woken by the task, not by the timeout


def test_long_poll_times_out_empty(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    host, _ = channel_builder(hub, admin, channel)
    started = time.monotonic()
    assert host.host.getTasks(timeout=0.5) == []
    assert time.monotonic() - started >= 0.5
    with pytest.raises(koji.ParameterError):
        host.host.getTasks(timeout="soon")


@pytest.mark.slow
def test_starvation_unschedulable_queue_does_not_block(
    hub: HubProcess, admin: koji.ClientSession, channel: str
) -> None:
    """Koji's scheduler looks at the first 1,000 free tasks only; 10,000 that nobody can run must not matter."""
    host, _ = channel_builder(hub, admin, channel)
    with admin.multicall(batch=1000) as m:
        for n in range(10_000):
            m.makeTask("buildArch", [n], channel=channel, arch="sparc", priority=1)
    task_id = admin.makeTask("buildArch", [], channel=channel, arch="x86_64", priority=30)
    assert ids(host.host.getTasks()) == [task_id]


def test_restart_takes_the_lock_back_and_frees_orphans(
    hub: HubProcess, admin: koji.ClientSession, channel: str
) -> None:
    first, host_id = channel_builder(hub, admin, channel)
    name = admin.getHost(host_id)["name"]
    task_id = admin.makeTask("buildArch", [], channel=channel)
    first.host.getTasks()
    first.host.openTask(task_id)
    # the daemon is killed -9: its session stays; a new one logs in
    second = koji_session(hub, name, "hostpw")
    with pytest.raises(koji.AuthLockError):
        second.exclusiveSession()
    with pytest.raises(koji.AuthError):
        second.host.getID()  # not exclusive: no host calls
    second.exclusiveSession(force=True)
    with pytest.raises(koji.AuthError):
        first.host.getHostTasks()  # the old session lost the lock
    orphans = [t["id"] for t in second.host.getHostTasks()]
    assert orphans == [task_id]
    second.host.freeTasks(orphans)
    assert admin.getTaskInfo(task_id)["state"] == FREE
    second.host.updateHost(0.0, True)
    assert [t["id"] for t in second.host.getTasks()] == [task_id]
    second.host.openTask(task_id)
    second.host.closeTask(task_id, task_result())
    assert admin.getTaskInfo(task_id)["state"] == CLOSED


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_long_poll_across_hub_processes(request: pytest.FixtureRequest, tmp_path, backend: str) -> None:
    """A builder waiting on one hub process learns of a task made through another."""
    db_url = hub_db_url(backend, request, tmp_path)
    first = HubProcess(db_url, prepared=True)
    request.addfinalizer(first.kill)
    first.start()
    second = HubProcess(db_url, prepared=True)
    request.addfinalizer(second.kill)
    second.start()
    admin_a, admin_b = koji_session(first, *ADMIN), koji_session(second, *ADMIN)
    host, _ = host_session(first, admin_a)
    waiter, answer = poll_in_background(host, 20)
    time.sleep(0.5)
    task_id = admin_b.makeTask("buildArch", [])
    waiter.join(25)
    assert ids(answer["tasks"]) == [task_id]


def test_no_long_poll_inside_a_multicall(hub: HubProcess, admin: koji.ClientSession, channel: str) -> None:
    """A multicall is one transaction: getTasks answers at once there instead of waiting."""
    host, _ = channel_builder(hub, admin, channel)
    started = time.monotonic()
    with host.multicall(strict=True) as m:
        polled = m.host.getTasks(timeout=5)
        me = m.host.getID()
    assert polled.result == [] and me.result == host.host.getID()
    assert time.monotonic() - started < 5


@pytest.mark.slow
def test_stopping_the_hub_answers_waiting_builders(request: pytest.FixtureRequest, tmp_path) -> None:
    """A graceful stop wakes long polls at once: they answer with what there is."""
    hub = HubProcess(hub_db_url("sqlite", request, tmp_path), prepared=True)
    request.addfinalizer(hub.kill)
    hub.start()
    admin = koji_session(hub, *ADMIN)
    host, _ = host_session(hub, admin)
    waiter, answer = poll_in_background(host, 50)
    time.sleep(1.0)
    hub.stop()
    waiter.join(30)
    assert answer["tasks"] == [] and answer["waited"] < 30
