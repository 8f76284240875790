"""A task run again under its id (its builder restarted, or its host was lost) carries on from its earlier run.

The real sequence is hard to time: a builder down for longer than its build,
the build's processes finishing without it (the build COMPLETE and tagged),
then the restarted builder freeing the parent ``build`` task, still OPEN on
the hub, and its tagging child.  Here a build runs to the end, its parent and
``tag`` child are put back OPEN on the builder's host as the earlier run left
them, and the builder is killed and started again: it frees them
(``host.freeTasks``) and runs them again, which is the same path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import koji
import pytest
from sqlalchemy import update

from kiln.hub.db import tables
from kiln.hub.db.engine import make_engine
from tests.conftest import unique
from tests.e2e.conftest import topdir_builder
from tests.e2e.test_build_pipeline import finished, git_package, spec_a
from tests.support.builder import BuilderProcess
from tests.support.hub import HubProcess

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the namespace build root needs root"),
]

OPEN, CLOSED = koji.TASK_STATES["OPEN"], koji.TASK_STATES["CLOSED"]
COMPLETE = koji.BUILD_STATES["COMPLETE"]


@pytest.fixture(scope="module")
def builder(hub: HubProcess) -> Iterator[BuilderProcess]:
    process = topdir_builder(hub)
    yield process
    process.cleanup()


def rerun(hub: HubProcess, builder: BuilderProcess, host_id: int, task_ids: list[int]) -> None:
    """The tasks OPEN on the host again, unreported, as a run whose builder died left them; the builder restarted.

    The new daemon frees them (``host.freeTasks``) and they run again.
    """
    engine = make_engine(hub.db_url)
    t = tables.task
    try:
        with engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id.in_(task_ids))
                .values(state=OPEN, host_id=host_id, completion_time=None, result=None, waiting=None)
            )
    finally:
        engine.dispose()
    builder.kill()
    builder.start()


@pytest.mark.slow
@pytest.mark.parametrize("with_tagger", [True, False], ids=["tagger-unreported", "tagger-reported"])
def test_a_rerun_build_task_whose_build_is_complete_closes_with_the_same_build(
    hub, admin, builder, tmp_path, with_tagger
):
    dest, build_tag, target = unique("dest"), unique("build"), unique("target")
    admin.createTag(dest)
    admin.createTag(build_tag, parent=dest, arches="x86_64")
    admin.createBuildTarget(target, build_tag, dest)
    name = unique("pr")
    admin.packageListAdd(dest, name, owner="admin")
    task_id = admin.build(git_package(tmp_path, name, spec_a(name), **{"data.txt": "data\n"}), target)
    info = finished(admin, task_id, builder)
    assert info["state"] == CLOSED, admin.getTaskResult(task_id, raise_fault=False)
    built = admin.getBuild(f"{name}-1.0-1")
    tagger = {child["label"]: child for child in admin.getTaskChildren(task_id)}["tag"]

    # The earlier run died after completeBuild and the tagging, before it reported (its tagBuild child too, or not).
    reruns = [tagger["id"], task_id] if with_tagger else [task_id]
    rerun(hub, builder, info["host_id"], reruns)

    for again_id in reruns:
        info = finished(admin, again_id, builder, timeout=45)
        assert info["state"] == CLOSED, admin.getTaskResult(again_id, raise_fault=False)
    assert admin.getTaskResult(task_id) is None  # what a normal run answers
    [again] = admin.listBuilds(taskID=task_id)
    assert (again["build_id"], again["state"]) == (built["id"], COMPLETE)
    assert [b["build_id"] for b in admin.listBuilds(prefix=name)] == [built["id"]]
    assert [t["name"] for t in admin.listTags(built["id"])] == [dest]
    assert [b["nvr"] for b in admin.listTagged(dest)] == [f"{name}-1.0-1"]
    notes = [m["msg"] for m in admin.scheduler.getLogMessages([["task_id", "=", task_id]])]
    assert notes.count("freed by its host") == 1, notes  # it did run again
    assert "of an earlier run is COMPLETE: not built again" in admin.downloadTaskOutput(task_id, "task.log").decode()


@pytest.mark.slow
def test_a_rerun_new_repo_task_whose_repo_is_ready_closes_with_that_repo(hub, admin, builder):
    tag = unique("rtag")
    admin.createTag(tag, arches="x86_64")
    task_id = admin.newRepo(tag)
    info = finished(admin, task_id, builder, timeout=45)
    assert info["state"] == CLOSED, admin.getTaskResult(task_id, raise_fault=False)
    result = admin.getTaskResult(task_id)

    rerun(hub, builder, info["host_id"], [task_id])  # it died after repoDone, before reporting

    info = finished(admin, task_id, builder, timeout=45)
    assert info["state"] == CLOSED, admin.getTaskResult(task_id, raise_fault=False)
    assert admin.getTaskResult(task_id) == result
    assert [r["id"] for r in admin.repo.query([["tag_id", "=", admin.getTag(tag)["id"]]])] == [result[0]]
