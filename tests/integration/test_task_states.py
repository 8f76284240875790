"""Every task state change, driven through the API by every actor: allowed ones happen, others change nothing.

Tasks owned by a plain user come from the example plugin's ``example.runTask``
(as Koji's runroot plugin makes tasks for its users); ``makeTask`` is admin
only, as in Koji.
"""

from __future__ import annotations

import koji
import pytest

from tests.conftest import (
    ADMIN,
    BACKENDS,
    channel_builder,
    host_session,
    koji_session,
    make_user,
    start_hub,
    task_result,
    unique,
)
from tests.support.hub import HubProcess

FREE, OPEN, CLOSED, CANCELED, ASSIGNED, FAILED = range(6)


@pytest.fixture(scope="module", params=BACKENDS)
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    return start_hub(request, request.param, tmp_path_factory.mktemp("states"), plugins="example")


def fault(message: str = "it broke") -> str:
    return koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(1000, message), methodresponse=1, allow_none=1)


class World:
    """A channel of its own with two hosts, the task's owner, a stranger and the admin."""

    def __init__(self, hub: HubProcess, admin: koji.ClientSession, people: tuple) -> None:
        self.admin = admin
        self.channel = unique("chan")
        admin.addChannel(self.channel)
        # Its hosts serve only this channel: only this world's tasks reach them.
        self.host, self.host_id = channel_builder(hub, admin, self.channel, capacity=10)
        self.other, self.other_id = channel_builder(hub, admin, self.channel, capacity=10)
        self.owner, self.stranger = people

    def task(self, state: int = FREE, host: str = "host") -> int:
        """A task of the owner's in ``state`` on ``host`` (via the real calls that get it there)."""
        task_id = self.owner.example.runTask("sleep", [1], channel=self.channel)
        if state == FREE:
            return task_id
        session, host_id = (self.host, self.host_id) if host == "host" else (self.other, self.other_id)
        assert self.admin.assignTask(task_id, host_id)
        if state == ASSIGNED:
            return task_id
        assert session.host.openTask(task_id)["id"] == task_id
        if state == OPEN:
            return task_id
        if state == CLOSED:
            session.host.closeTask(task_id, task_result("done"))
        elif state == FAILED:
            session.host.failTask(task_id, fault())
        elif state == CANCELED:
            self.owner.cancelTask(task_id)
        return task_id

    def state(self, task_id: int) -> tuple[int, int | None]:
        info = self.admin.getTaskInfo(task_id)
        return info["state"], info["host_id"]


@pytest.fixture(scope="module")
def people(hub: HubProcess) -> tuple[koji.ClientSession, koji.ClientSession]:
    """The owner and the stranger, the module's through: they act only on tasks of their test's own channel."""
    admin = koji_session(hub, *ADMIN)
    return koji_session(hub, *make_user(hub, admin)), koji_session(hub, *make_user(hub, admin))


@pytest.fixture
def world(hub: HubProcess, admin: koji.ClientSession, people: tuple) -> World:
    return World(hub, admin, people)


def refused(world: World, task_id: int, call, error=koji.GenericError, match: str | None = None) -> None:
    """The call fails with a clear fault and the task is exactly as it was."""
    before = world.admin.getTaskInfo(task_id)
    with pytest.raises(error) as caught:
        call()
    if match:
        assert match in str(caught.value)
    assert world.admin.getTaskInfo(task_id) == before


# --- FREE -> ASSIGNED -----------------------------------------------------------


def test_free_to_assigned_by_the_scheduler(world: World) -> None:
    task_id = world.task()
    offered = world.host.host.getTasks()
    assert [t["id"] for t in offered] == [task_id]
    assert world.state(task_id) == (ASSIGNED, world.host_id)


def test_free_to_assigned_by_an_admin_even_outside_the_channel(hub: HubProcess, world: World) -> None:
    outsider, outsider_id = host_session(hub, world.admin, arches=("ppc64le",))
    task_id = world.task()
    assert world.admin.assignTask(task_id, outsider_id) is True
    assert world.state(task_id) == (ASSIGNED, outsider_id)
    assert [t["id"] for t in outsider.host.getTasks()] == [task_id]


def test_free_to_assigned_refused_to_others(world: World) -> None:
    task_id = world.task()
    for session in (world.owner, world.stranger, world.host):
        refused(world, task_id, lambda s=session: s.assignTask(task_id, world.host_id), koji.ActionNotAllowed)


# --- -> OPEN --------------------------------------------------------------------


def test_assigned_to_open_only_by_its_host(world: World) -> None:
    task_id = world.task(ASSIGNED)
    assert world.other.host.openTask(task_id) is None
    assert world.state(task_id) == (ASSIGNED, world.host_id)
    for session in (world.owner, world.admin):
        refused(world, task_id, lambda s=session: s.host.openTask(task_id), koji.AuthError)
    opened = world.host.host.openTask(task_id)
    assert opened["state"] == OPEN and opened["request"].startswith("<?xml")
    assert world.state(task_id) == (OPEN, world.host_id)


def test_free_to_open_by_a_host_that_may_take_it(hub: HubProcess, world: World) -> None:
    wrong_arch, _ = host_session(hub, world.admin, arches=("s390x",), channels=(world.channel,))
    task_id = world.owner.example.runTask("sleep", [1], channel=world.channel, arch="x86_64")
    assert wrong_arch.host.openTask(task_id) is None
    assert world.state(task_id) == (FREE, None)
    assert world.host.host.openTask(task_id)["id"] == task_id
    assert world.state(task_id) == (OPEN, world.host_id)


def test_open_twice_answers_none(world: World) -> None:
    task_id = world.task(OPEN)
    assert world.host.host.openTask(task_id) is None
    assert world.other.host.openTask(task_id) is None
    assert world.state(task_id) == (OPEN, world.host_id)


# --- OPEN -> CLOSED / FAILED ----------------------------------------------------


@pytest.mark.parametrize("end", [CLOSED, FAILED])
def test_open_to_finished_only_by_the_running_host(world: World, end: int) -> None:
    task_id = world.task(OPEN)
    close = "closeTask" if end == CLOSED else "failTask"
    document = task_result(7) if end == CLOSED else fault("compiler said no")
    refused(world, task_id, lambda: getattr(world.other.host, close)(task_id, document), koji.ActionNotAllowed)
    for session in (world.owner, world.admin):
        refused(world, task_id, lambda s=session: getattr(s.host, close)(task_id, document), koji.AuthError)
    getattr(world.host.host, close)(task_id, document)
    assert world.state(task_id)[0] == end
    if end == CLOSED:
        assert world.admin.getTaskResult(task_id) == 7
    else:
        with pytest.raises(koji.GenericError, match="compiler said no"):
            world.admin.getTaskResult(task_id)
        assert world.admin.getTaskResult(task_id, raise_fault=False)["faultString"] == "compiler said no"


def test_close_needs_a_result_document(world: World) -> None:
    task_id = world.task(OPEN)
    refused(world, task_id, lambda: world.host.host.closeTask(task_id, "not xml"), koji.ParameterError)
    refused(world, task_id, lambda: world.host.host.closeTask(task_id, 42), koji.ParameterError)
    entity = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><methodResponse/>'
    refused(world, task_id, lambda: world.host.host.closeTask(task_id, entity), koji.ParameterError)


@pytest.mark.parametrize("state", [FREE, ASSIGNED, CLOSED, CANCELED])
def test_close_from_other_states_refused(world: World, state: int) -> None:
    task_id = world.task(state)
    refused(world, task_id, lambda: world.host.host.closeTask(task_id, task_result()), koji.ActionNotAllowed)
    refused(world, task_id, lambda: world.host.host.failTask(task_id, fault()), koji.ActionNotAllowed)


# --- -> CANCELED ------------------------------------------------------------------


@pytest.mark.parametrize("state", [FREE, ASSIGNED, OPEN])
@pytest.mark.parametrize("actor", ["owner", "admin"])
def test_cancel_by_owner_or_admin(world: World, state: int, actor: str) -> None:
    task_id = world.task(state)
    getattr(world, actor).cancelTask(task_id)
    info = world.admin.getTaskInfo(task_id)
    assert info["state"] == CANCELED and info["completion_ts"] is not None


@pytest.mark.parametrize("state", [FREE, ASSIGNED, OPEN])
def test_cancel_refused_to_strangers_and_unrelated_hosts(world: World, state: int) -> None:
    task_id = world.task(state)
    refused(world, task_id, lambda: world.stranger.cancelTask(task_id), koji.ActionNotAllowed)
    refused(world, task_id, lambda: world.other.cancelTask(task_id), koji.ActionNotAllowed)


def test_cancel_child_by_the_host_running_the_parent(world: World) -> None:
    parent = world.task(OPEN)
    child = world.host.host.subtask("sleep", [2], parent, label="a")
    refused(world, child, lambda: world.other.cancelTask(child), koji.ActionNotAllowed)
    world.host.cancelTask(child)
    assert world.state(child)[0] == CANCELED
    assert world.state(parent) == (OPEN, world.host_id)


def test_cancel_finished_task_changes_nothing(world: World) -> None:
    for state in (CLOSED, FAILED, CANCELED):
        task_id = world.task(state)
        before = world.admin.getTaskInfo(task_id)
        world.owner.cancelTask(task_id)
        assert world.admin.getTaskInfo(task_id) == before


def test_cancel_parent_cancels_every_unfinished_descendant(world: World) -> None:
    parent = world.task(OPEN)
    child_a = world.host.host.subtask("sleep", [1], parent, label="a")
    child_b = world.host.host.subtask("sleep", [1], parent, label="b")
    assert world.admin.assignTask(child_a, world.other_id)
    assert world.other.host.openTask(child_a)["id"] == child_a
    grandchild = world.other.host.subtask("sleep", [1], child_a, label="g")
    done = world.host.host.subtask("sleep", [1], parent, label="done")
    world.admin.assignTask(done, world.other_id)
    world.other.host.openTask(done)
    world.other.host.closeTask(done, task_result())
    world.owner.cancelTask(parent)
    states = {t: world.state(t)[0] for t in (parent, child_a, child_b, grandchild, done)}
    assert states == {parent: CANCELED, child_a: CANCELED, child_b: CANCELED, grandchild: CANCELED, done: CLOSED}
    # the builders find out on their next call: the tasks are no longer theirs
    assert world.host.host.getHostTasks() == []
    assert child_a not in [t["id"] for t in world.other.host.getHostTasks()]
    refused(world, child_a, lambda: world.other.host.closeTask(child_a, task_result()), koji.ActionNotAllowed)


def test_cancel_without_recurse_leaves_children(world: World) -> None:
    parent = world.task(OPEN)
    child = world.host.host.subtask("sleep", [1], parent)
    world.admin.cancelTask(parent, recurse=False)
    assert world.state(parent)[0] == CANCELED and world.state(child)[0] == FREE


def test_cancel_children_and_full(world: World) -> None:
    parent = world.task(OPEN)
    child = world.host.host.subtask("sleep", [1], parent)
    refused(world, parent, lambda: world.stranger.cancelTaskChildren(parent), koji.ActionNotAllowed)
    world.host.cancelTaskChildren(parent)
    assert world.state(child)[0] == CANCELED and world.state(parent)[0] == OPEN

    grandparent = world.task(OPEN)
    kid = world.host.host.subtask("sleep", [1], grandparent)
    refused(world, kid, lambda: world.owner.cancelTaskFull(kid), koji.ActionNotAllowed)
    refused(world, kid, lambda: world.admin.cancelTaskFull(kid), koji.GenericError, "is not top-level")
    world.admin.cancelTaskFull(kid, strict=False)
    assert world.state(grandparent)[0] == CANCELED and world.state(kid)[0] == CANCELED


# --- -> FREE ----------------------------------------------------------------------


def test_open_to_free_by_admin(world: World) -> None:
    task_id = world.task(OPEN)
    for session in (world.owner, world.stranger):
        refused(world, task_id, lambda s=session: s.freeTask(task_id), koji.ActionNotAllowed)
    world.admin.freeTask(task_id)
    assert world.state(task_id) == (FREE, None)


def test_open_to_free_by_its_host_only(world: World) -> None:
    task_id = world.task(OPEN)
    world.other.host.freeTasks([task_id])  # not its task: skipped, as Koji does
    assert world.state(task_id) == (OPEN, world.host_id)
    world.host.host.freeTasks([task_id])
    assert world.state(task_id) == (FREE, None)


def test_assigned_to_free_by_refusal(world: World) -> None:
    task_id = world.task(ASSIGNED)
    world.other.host.refuseTask(task_id)  # not assigned to it: ignored
    assert world.state(task_id) == (ASSIGNED, world.host_id)
    world.host.host.refuseTask(task_id, soft=False, msg="no mock here")
    assert world.state(task_id) == (FREE, None)
    # the refusing host is not offered it again; the other host is
    assert world.host.host.getTasks() == []
    assert [t["id"] for t in world.other.host.getTasks()] == [task_id]


def test_refused_by_every_ready_host_fails(world: World) -> None:
    task_id = world.task()
    for session in (world.host, world.other):
        offered = session.host.getTasks()
        assert [t["id"] for t in offered] == [task_id]
        session.host.refuseTask(task_id, msg="no handler for method")
    info = world.admin.getTaskInfo(task_id)
    assert info["state"] == FAILED
    with pytest.raises(koji.GenericError, match="no host can run task .*every ready host refused it"):
        world.admin.getTaskResult(task_id)


@pytest.mark.parametrize("state", [CLOSED, FAILED, CANCELED])
def test_free_finished_refused(world: World, state: int) -> None:
    task_id = world.task(state)
    refused(world, task_id, lambda: world.admin.freeTask(task_id), koji.GenericError, "Cannot free task")


# --- OPEN -> ASSIGNED -------------------------------------------------------------


def test_open_to_assigned_by_admin_with_force(world: World) -> None:
    task_id = world.task(OPEN)
    assert world.admin.assignTask(task_id, world.other_id) is False
    assert world.state(task_id) == (OPEN, world.host_id)
    assert world.admin.assignTask(task_id, world.other_id, force=True) is True
    assert world.state(task_id) == (ASSIGNED, world.other_id)
    refused(world, task_id, lambda: world.host.host.closeTask(task_id, task_result()), koji.ActionNotAllowed)
    assert world.other.host.openTask(task_id)["id"] == task_id


@pytest.mark.parametrize("state", [CLOSED, FAILED, CANCELED])
def test_assign_finished_refused(world: World, state: int) -> None:
    task_id = world.task(state)
    before = world.admin.getTaskInfo(task_id)
    assert world.admin.assignTask(task_id, world.other_id) is False  # as Koji
    assert world.admin.getTaskInfo(task_id) == before
    refused(world, task_id, lambda: world.admin.assignTask(task_id, world.other_id, force=True), koji.GenericError)


# --- resubmission -----------------------------------------------------------------


@pytest.mark.parametrize("state", [FAILED, CANCELED])
@pytest.mark.parametrize("actor", ["owner", "admin"])
def test_resubmit(world: World, state: int, actor: str) -> None:
    task_id = world.task(state)
    session = getattr(world, actor)
    new_id = session.resubmitTask(task_id)
    old, new = world.admin.getTaskInfo(task_id, request=True), world.admin.getTaskInfo(new_id, request=True)
    assert new_id != task_id and new["state"] == FREE and old["state"] == state
    for key in ("method", "request", "arch", "channel_id", "priority"):
        assert new[key] == old[key], key
    assert new["owner"] == session.getLoggedInUser()["id"]  # the one who resubmitted it, as in Koji


def test_resubmit_refused(world: World) -> None:
    failed = world.task(FAILED)
    refused(world, failed, lambda: world.stranger.resubmitTask(failed), koji.GenericError, "only the task owner")
    closed = world.task(CLOSED)
    refused(world, closed, lambda: world.owner.resubmitTask(closed), koji.GenericError, "only canceled or failed")
    parent = world.task(OPEN)
    child = world.host.host.subtask("sleep", [1], parent)
    world.owner.cancelTask(child)
    refused(world, child, lambda: world.owner.resubmitTask(child), koji.GenericError, "only top-level")


# --- priority ---------------------------------------------------------------------


def test_set_priority(world: World) -> None:
    parent = world.task(OPEN)
    child = world.host.host.subtask("sleep", [1], parent)
    refused(world, parent, lambda: world.owner.setTaskPriority(parent, 5), koji.ActionNotAllowed)
    world.admin.setTaskPriority(parent, 5)
    assert world.admin.getTaskInfo(parent)["priority"] == 5
    assert world.admin.getTaskInfo(child)["priority"] == 5
    done = world.task(CLOSED)
    refused(world, done, lambda: world.admin.setTaskPriority(done, 1), koji.GenericError, "Finished task")
