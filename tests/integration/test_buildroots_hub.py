"""The hub's record of build roots: what hosts may report, and what anyone may read."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import channel_builder


@pytest.fixture
def running(hub, admin, channel) -> tuple:
    """A builder session holding a task OPEN."""
    session, host_id = channel_builder(hub, admin, channel)
    task_id = admin.makeTask("sleep", [0], channel=channel)
    assert session.host.openTask(task_id) is not None
    return session, host_id, task_id


def test_a_host_reports_a_build_root_and_anyone_reads_it(admin, anon, running):
    session, host_id, task_id = running
    root = session.host.newBuildRoot(None, "x86_64", task_id)
    components = [
        {"name": "bash", "version": "5.2", "release": "1", "epoch": None, "arch": "x86_64"},
        {"name": "kiln-base", "version": "2.0", "release": "1", "epoch": 3, "arch": "noarch"},
    ]
    session.host.updateBuildRootList(root, components, task_id)
    session.host.setBuildRootState(root, koji.BR_STATES["BUILDING"], task_id)
    info = anon.getBuildroot(root)
    assert (info["state"], info["task_id"], info["host_id"], info["repo_id"]) == (2, task_id, host_id, None)
    assert [r["id"] for r in anon.listBuildroots(hostID=host_id)] == [root]
    listing = anon.getBuildrootListing(root)
    assert [(e["name"], e["epoch"], e["id"]) for e in listing] == [("bash", None, None), ("kiln-base", 3, None)]
    session.host.setBuildRootState(root, "EXPIRED")
    assert anon.getBuildroot(root)["retire_event_id"] is not None
    with pytest.raises(koji.GenericError, match="cannot go back"):
        session.host.setBuildRootState(root, koji.BR_STATES["BUILDING"])
    assert anon.listBuildroots(taskID=task_id, state=koji.BR_STATES["EXPIRED"])[0]["id"] == root


def test_hosts_may_report_only_their_own(hub, admin, channel, running):
    session, _host_id, task_id = running
    other, _ = channel_builder(hub, admin, channel)
    with pytest.raises(koji.ActionNotAllowed):
        other.host.newBuildRoot(None, "x86_64", task_id)  # not its task
    root = session.host.newBuildRoot(None, "x86_64", task_id)
    with pytest.raises(koji.ActionNotAllowed, match="belongs to another host"):
        other.host.updateBuildRootList(root, [])
    with pytest.raises(koji.GenericError, match="needs name, version, release and arch"):
        session.host.updateBuildRootList(root, [{"name": "x"}])
    with pytest.raises(koji.ParameterError):
        session.host.newBuildRoot(None, "x86 64", task_id)
    with pytest.raises(koji.GenericError):
        admin.host.newBuildRoot(None, "x86_64")  # users are not hosts
