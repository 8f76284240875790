"""kiln.queuePosition: how many tasks are ahead of a waiting one for the hosts that can run it.

The hub answers with the scheduler's rules (channel, arch, refusals;
priority, then age), so the web's task page, ``kiln why`` and the order in
which hosts take tasks agree.  The position falls as the tasks ahead start.
"""

from __future__ import annotations

import koji
import pytest

from tests.conftest import channel_builder, unique
from tests.support.kiln_cli import kiln
from tests.support.koji_cli import write_koji_conf
from tests.support.web import WebProcess


def position(admin, task_id: int) -> dict:
    return admin.callMethod("kiln.queuePosition", task_id)


def test_a_waiting_task_sees_the_tasks_ahead_of_it_fall_as_they_start(hub, admin, backend, tmp_path):
    channel, other = unique("qchan"), unique("qother")
    admin.addChannel(channel)
    admin.addChannel(other)
    ready, ready_id = channel_builder(hub, admin, channel, capacity=10)
    _asleep, asleep_id = channel_builder(hub, admin, channel, ready=False)
    first = admin.makeTask("sleep", [1], channel=channel, arch="noarch", priority=20)
    waiting = admin.makeTask("sleep", [2], channel=channel, arch="noarch", priority=20)
    urgent = admin.makeTask("sleep", [3], channel=channel, arch="x86_64", priority=10)  # later, but first
    admin.makeTask("sleep", [4], channel=channel, arch="noarch", priority=20)  # later, same priority: behind
    admin.makeTask("sleep", [5], channel=other, arch="noarch", priority=1)  # no host of ours serves it
    admin.makeTask("sleep", [6], channel=channel, arch="s390x", priority=1)  # no host of ours has the arch

    queue = position(admin, waiting)
    assert (queue["task_id"], queue["state"], queue["ahead"]) == (waiting, koji.TASK_STATES["FREE"], 2)
    names = {admin.getHost(ready_id)["name"], admin.getHost(asleep_id)["name"]}
    assert {h["name"] for h in queue["hosts"]} == names
    assert queue["ready_hosts"] == [admin.getHost(ready_id)["name"]]

    admin.assignTask(urgent, ready_id)  # a task ahead starts: the waiting one moves up
    assert position(admin, waiting)["ahead"] == 1
    ready.host.getTasks()  # the ready host claims what it can, best first
    assert {admin.getTaskInfo(t)["state"] for t in (first, urgent, waiting)} == {koji.TASK_STATES["ASSIGNED"]}
    after = position(admin, waiting)
    assert after["ahead"] is None and after["state"] == koji.TASK_STATES["ASSIGNED"]

    # a task no host can run says so; an unknown one is a fault
    lonely = admin.makeTask("sleep", [7], channel=channel, arch="ppc64le")
    assert position(admin, lonely)["hosts"] == [] and position(admin, lonely)["ready_hosts"] == []
    with pytest.raises(koji.GenericError, match="No such task"):
        position(admin, 99_999_999)


def test_the_task_page_and_kiln_why_give_the_position(hub, admin, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the web and the CLI read the same hub call; its answer is tested on both engines above")
    channel = unique("qwchan")
    admin.addChannel(channel)
    _host, host_id = channel_builder(hub, admin, channel)
    ahead = [admin.makeTask("sleep", [i], channel=channel, arch="noarch") for i in range(3)]
    waiting = admin.makeTask("sleep", [9], channel=channel, arch="noarch")
    name = admin.getHost(host_id)["name"]
    web = WebProcess(hub.url, tmp_path)
    try:
        page = web.get(f"taskinfo?taskID={waiting}").text
        assert "<strong>3</strong> tasks are ahead of it for the 1 host that can run it." in page
        assert f'hostinfo?hostID={name}">{name}</a>' in page
    finally:
        web.stop()
    said = kiln(write_koji_conf(hub, tmp_path / "koji.conf"), "why", str(waiting))
    assert said.returncode == 0, said.stderr
    assert said.stdout.splitlines() == [
        f"Task {waiting} (sleep) is waiting: 3 tasks are ahead of it for the 1 host that can run it.",
        f"Ready now: {name}",
    ]
    for task_id in [*ahead, waiting]:
        admin.cancelTask(task_id)
