"""The task API's reads and the host calls not covered elsewhere, in Koji's shapes."""

from __future__ import annotations

import time

import koji
import pytest

from tests.conftest import channel_builder, host_session, task_result
from tests.support.hub import HubProcess

FREE, OPEN, CLOSED, CANCELED, ASSIGNED, FAILED = range(6)
TASK_KEYS = {
    "arch",
    "awaited",
    "channel_id",
    "completion_time",
    "completion_ts",
    "create_time",
    "create_ts",
    "host_id",
    "id",
    "label",
    "method",
    "owner",
    "parent",
    "priority",
    "start_time",
    "start_ts",
    "state",
    "waiting",
    "weight",
}


@pytest.fixture
def world(hub: HubProcess, admin: koji.ClientSession, channel: str):
    host, host_id = channel_builder(hub, admin, channel, capacity=50)
    return channel, host, host_id


def test_make_task_options_and_info(admin: koji.ClientSession, world) -> None:
    channel, _, _ = world
    task_id = admin.makeTask("buildArch", ["a", {"b": 1}], channel=channel, arch="x86_64", priority=5)
    info = admin.getTaskInfo(task_id)
    assert set(info) == TASK_KEYS and list(info) == sorted(info)
    assert info["method"] == "buildArch" and info["arch"] == "x86_64" and info["priority"] == 5
    assert info["channel_id"] == admin.getChannel(channel)["id"]
    assert info["owner"] == admin.getLoggedInUser()["id"] and info["state"] == FREE
    assert admin.getTaskInfo(task_id, request=True)["request"] == ["a", {"b": 1}]
    assert admin.getTaskRequest(task_id) == ["a", {"b": 1}]
    assert [t["id"] for t in admin.getTaskInfo([task_id, task_id])] == [task_id, task_id]
    assert admin.getTaskInfo(10**9) is None
    with pytest.raises(koji.GenericError, match="No such task"):
        admin.getTaskInfo(10**9, strict=True)
    with pytest.raises(koji.GenericError, match="not finished"):
        admin.getTaskResult(task_id)


@pytest.mark.parametrize(
    "opts, message",
    [
        ({"channel": "no-such-channel"}, "No such channel"),
        ({"owner": "admin"}, "owner option is not allowed"),
        ({"arch": "x86_64 i686"}, "Invalid arch"),
        ({"priority": "high"}, "Invalid priority"),
        ({"colour": "blue"}, "unknown task option"),
        ({"parent": 10**9}, "Invalid parent task"),
    ],
)
def test_make_task_bad_input(admin: koji.ClientSession, opts: dict, message: str) -> None:
    before = admin.listTasks({}, {"countOnly": True})
    with pytest.raises(koji.GenericError, match=message):
        admin.makeTask("buildArch", [], **opts)
    assert admin.listTasks({}, {"countOnly": True}) == before


def test_make_task_is_for_admins(hub: HubProcess, admin: koji.ClientSession, anon: koji.ClientSession) -> None:
    with pytest.raises(koji.ActionNotAllowed):
        anon.makeTask("buildArch", [])


def test_subtasks_labels_and_descendents(admin: koji.ClientSession, world) -> None:
    channel, host, _ = world
    parent = admin.makeTask("build", [], channel=channel, arch="x86_64", priority=20)
    host.host.getTasks()
    host.host.openTask(parent)
    child = host.host.subtask("buildArch", [1], parent, label="x86_64")
    assert host.host.subtask("buildArch", [1], parent, label="x86_64") == child  # same label: same child
    child2 = host.host.subtask2(parent, {"label": "i686", "arch": "i686"}, "buildArch", 2, opt="x")
    info = admin.getTaskInfo(child2, request=True)
    assert info["request"] == [2, {"opt": "x", "__starstar": True}]
    assert info["arch"] == "i686" and info["parent"] == parent and info["label"] == "i686"
    kid = admin.getTaskInfo(child)
    assert (
        kid["priority"] == 19
        and kid["arch"] == "x86_64"
        and kid["channel_id"] == admin.getTaskInfo(parent)["channel_id"]
    )
    with pytest.raises(koji.ActionNotAllowed):
        host.host.subtask("buildArch", [], parent, owner=1)
    assert [t["id"] for t in admin.getTaskChildren(parent)] == [child, child2]
    assert admin.getTaskChildren(parent, request=True)[0]["request"] == [1]
    host.host.getTasks()
    host.host.openTask(child)
    grandchild = host.host.subtask("createrepo", [], child)
    tree = admin.getTaskDescendents(parent)
    assert sorted(tree) == sorted(str(i) for i in (parent, child, child2, grandchild))
    assert [t["id"] for t in tree[str(child)]] == [grandchild] and tree[str(grandchild)] == []


def test_wait_results_with_canfail(admin: koji.ClientSession, world) -> None:
    channel, host, _ = world
    parent = admin.makeTask("build", [], channel=channel)
    host.host.getTasks()
    host.host.openTask(parent)
    good, bad, gone = (host.host.subtask("buildArch", [n], parent) for n in range(3))
    host.host.taskSetWait(parent, None)
    host.host.getTasks()
    for child in (good, bad):
        host.host.openTask(child)
    host.host.closeTask(good, task_result({"rpms": ["a.rpm"]}))
    host.host.failTask(bad, koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(1005, "build failed"), methodresponse=1))
    admin.cancelTask(gone)
    finished, unfinished = host.host.taskWait(parent)
    assert sorted(finished) == sorted([good, bad, gone]) and unfinished == []
    with pytest.raises(koji.BuildError, match="build failed"):
        host.host.taskWaitResults(parent, [good, bad])
    results = dict(host.host.taskWaitResults(parent, [good, bad, gone], [bad, gone]))
    assert results[good] == {"rpms": ["a.rpm"]}
    assert results[bad] == {"faultCode": 1005, "faultString": "build failed"}
    assert results[gone]["faultString"] == f"Task {gone} is canceled"


def test_host_calls_need_the_tasks_to_be_theirs(hub: HubProcess, admin: koji.ClientSession, world) -> None:
    channel, host, _ = world
    stranger, _ = host_session(hub, admin)
    parent = admin.makeTask("build", [], channel=channel)
    host.host.getTasks()
    host.host.openTask(parent)
    for call in (
        lambda: stranger.host.subtask("buildArch", [], parent),
        lambda: stranger.host.taskSetWait(parent, None),
        lambda: stranger.host.taskWait(parent),
        lambda: stranger.host.taskWaitResults(parent, None),
        lambda: stranger.host.setTaskWeight(parent, 3),
    ):
        with pytest.raises(koji.ActionNotAllowed):
            call()
    with pytest.raises(koji.GenericError, match="Invalid weight"):
        host.host.setTaskWeight(parent, -1)


def test_load_data_and_check_in(admin: koji.ClientSession, world) -> None:
    channel, host, host_id = world
    task_id = admin.makeTask("buildArch", [], channel=channel)
    assert host.host.getID() == host_id
    host.host.updateHost(1.5, True)
    info = host.host.getHost()
    assert info["task_load"] == 1.5 and info["ready"] is True
    host.host.getTasks()
    hosts, tasks = host.host.getLoadData()
    assert [h["id"] for h in hosts] == [host_id] and hosts[0]["channels"] == [admin.getChannel(channel)["id"]]
    assert [t["id"] for t in tasks] == [task_id]
    assert set(tasks[0]) == {"id", "state", "channel_id", "host_id", "arch", "method", "priority", "create_ts"}
    with pytest.raises(koji.ParameterError):
        host.host.updateHost("lots", True)


def test_list_tasks_filters_and_paging(admin: koji.ClientSession, world) -> None:
    channel, host, host_id = world
    channel_id = admin.getChannel(channel)["id"]
    made = [admin.makeTask("buildArch" if n % 2 else "createrepo", [n], channel=channel) for n in range(6)]
    mid = admin.getTaskInfo(made[3])["create_ts"]
    host.host.getTasks()
    host.host.openTask(made[0])
    host.host.closeTask(made[0], task_result(["done"]))
    mine = {"channel_id": channel_id}

    def listed(opts: dict, query: dict | None = None) -> list[int]:
        return [t["id"] for t in admin.listTasks({**mine, **opts}, query or {"order": "id"})]

    assert listed({}) == made
    assert listed({"method": "buildArch"}) == made[1::2]
    assert listed({"state": [CLOSED]}) == [made[0]]
    assert listed({"not_state": [CLOSED, FREE]}) == [t for t in made[1:] if admin.getTaskInfo(t)["state"] != FREE]
    assert listed({"host_id": host_id}) == [t for t in made if admin.getTaskInfo(t)["host_id"] == host_id]
    assert listed({"parent": None}) == made
    assert listed({"createdBefore": mid}) == made[:3]
    assert listed({"createdAfter": mid}) == made[4:]
    assert listed({"createdAfter": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(mid + 3600))}) == []
    assert listed({}, {"order": "-id", "limit": 2, "offset": 1}) == made[::-1][1:3]
    assert admin.listTasks(mine, {"countOnly": True}) == 6
    rows = admin.listTasks(mine, {"order": "id", "asList": True})
    # Koji's column order: by name (arch, awaited, channel_id, ..., id is 9th, method 11th, owner_name 13th)
    assert [r[8] for r in rows] == made and rows[0][10] == "createrepo" and rows[0][12] == "admin"
    page = admin.listTasks({**mine, "state": [CLOSED]})
    assert page[0]["owner_name"] == "admin" and page[0]["result"].startswith("<?xml")
    decoded = admin.listTasks({**mine, "state": [CLOSED], "decode": True})
    assert decoded[0]["result"] == [["done"]] and decoded[0]["request"] == [0]
    for bad in ({"order": "nonsense"},):
        with pytest.raises(koji.ParameterError):
            admin.listTasks(mine, bad)
    with pytest.raises(koji.ParameterError):
        admin.listTasks({"flavour": 1})


def test_result_documents_are_checked(admin: koji.ClientSession, world) -> None:
    channel, host, _ = world
    task_id = admin.makeTask("buildArch", [], channel=channel)
    host.host.getTasks()
    host.host.openTask(task_id)
    empty = "<?xml version='1.0'?><methodResponse><params></params></methodResponse>"
    failure = koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(1000, "no"), methodresponse=1)
    for call, document in (
        (host.host.closeTask, empty),
        (host.host.closeTask, failure),
        (host.host.failTask, task_result("fine")),
        (host.host.failTask, empty),
    ):
        with pytest.raises(koji.ParameterError):
            call(task_id, document)
    assert admin.getTaskInfo(task_id)["state"] == OPEN


def test_a_freed_parent_no_longer_waits(admin: koji.ClientSession, world) -> None:
    channel, host, _ = world
    parent = admin.makeTask("build", [], channel=channel)
    host.host.getTasks()
    host.host.openTask(parent)
    child = host.host.subtask("buildArch", [], parent)
    host.host.taskSetWait(parent, None)
    assert admin.getTaskInfo(parent)["waiting"] is True and admin.getTaskInfo(child)["awaited"] is True
    admin.freeTask(parent)
    assert not admin.getTaskInfo(parent)["waiting"] and not admin.getTaskInfo(child)["awaited"]
