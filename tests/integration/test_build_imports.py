"""host.initBuild, completeBuild, failBuild, moveBuildToScratch and getBuildLogs, driven as kojid drives them.

A host session opens a real ``build`` task and plays the builder's part:
it uploads the results into the task's output and reports them.
"""

from __future__ import annotations

import koji
import pytest
import requests

from tests.conftest import channel_builder, host_session, koji_session, make_user, unique
from tests.support.rpms import make_package

BUILDING, COMPLETE, FAILED, CANCELED = (koji.BUILD_STATES[s] for s in ("BUILDING", "COMPLETE", "FAILED", "CANCELED"))


def task_dir(task_id: int) -> str:
    return f"tasks/{task_id % 10000}/{task_id}"


class Run:
    """A build task opened by a host, with a package's files made and the user who asked."""

    def __init__(self, hub, admin, channel, tmp_path):
        self.hub = hub
        self.user_name, password = make_user(hub, admin)
        self.user = koji_session(hub, self.user_name, password)
        self.host, self.host_id = channel_builder(hub, admin, channel)
        self.name = unique("pkg")
        self.srpm, self.rpm = make_package(tmp_path, self.name)
        self.nvr = f"{self.name}-1.0-1"
        build_tag, dest_tag, target = unique("btag"), unique("dtag"), unique("target")
        admin.createTag(build_tag, arches="x86_64")
        admin.createTag(dest_tag)
        admin.createBuildTarget(target, build_tag, dest_tag)
        self.target, self.channel = target, channel
        self.task_id = self.user.build("git+https://git.example.com/x.git#1", target, None, channel=channel)
        assert self.host.host.openTask(self.task_id) is not None
        self.dir = task_dir(self.task_id)
        self.log = tmp_path / "build.log"
        self.log.write_text("rpmbuild said things\n")

    def second_task(self) -> int:
        """Another build task, open on the same host."""
        task_id = self.user.build("git+https://git.example.com/y.git#1", self.target, None, channel=self.channel)
        assert self.host.host.openTask(task_id) is not None
        return task_id

    def data(self) -> dict:
        return {"name": self.name, "version": "1.0", "release": "1", "epoch": None, "task_id": self.task_id}

    def upload(self, *paths) -> list[str]:
        for path in paths:
            self.host.uploadWrapper(str(path), self.dir)
        return [f"{self.dir}/{p.name}" for p in paths]

    def packages(self):
        return self.hub.topdir / "packages" / self.name


@pytest.fixture
def run(hub, admin, channel, tmp_path) -> Run:
    return Run(hub, admin, channel, tmp_path)


def test_a_build_begun_then_completed_is_imported_with_its_logs(hub, admin, run):
    build_id = run.host.host.initBuild({**run.data(), "source": "git+https://git.example.com/x.git#1"})
    build = admin.getBuild(build_id)
    assert (build["state"], build["nvr"], build["task_id"]) == (BUILDING, run.nvr, run.task_id)
    assert build["owner_name"] == run.user_name  # the task's owner, not the host
    assert build["completion_time"] is None and build["source"] == "git+https://git.example.com/x.git#1"
    srpm, rpm, log = run.upload(run.srpm, run.rpm, run.log)
    broot = run.host.host.newBuildRoot(None, "noarch", run.task_id)
    done = run.host.host.completeBuild(run.task_id, build_id, srpm, [rpm], {srpm: broot, rpm: broot}, {"noarch": [log]})
    assert done["state"] == COMPLETE and done["id"] == build_id and done["completion_ts"] is not None
    assert admin.getBuild(run.nvr)["state"] == COMPLETE
    rpms = {r["arch"]: r for r in admin.listRPMs(buildID=build_id)}
    assert sorted(rpms) == ["noarch", "src"] and {r["buildroot_id"] for r in rpms.values()} == {broot}
    filed = run.packages() / "1.0" / "1"
    assert (filed / "noarch" / run.rpm.name).read_bytes() == run.rpm.read_bytes()
    assert (filed / "src" / run.srpm.name).read_bytes() == run.srpm.read_bytes()
    logs = admin.getBuildLogs(build_id)
    path = f"packages/{run.name}/1.0/1/data/logs/noarch/build.log"
    assert logs == [{"name": "build.log", "dir": "noarch", "path": path}]
    served = requests.get(f"http://127.0.0.1:{hub.port}/kojifiles/{path}", timeout=10)
    assert served.text == "rpmbuild said things\n"
    assert {"build.log", run.rpm.name, run.srpm.name} <= set(admin.listTaskOutput(run.task_id))  # still there
    with pytest.raises(koji.GenericError, match="cannot update build"):
        run.host.host.failBuild(run.task_id, build_id)
    with pytest.raises(koji.GenericError, match="Unable to complete build: state is COMPLETE"):
        run.host.host.completeBuild(run.task_id, build_id, srpm, [rpm])


def test_the_same_nvr_is_not_built_twice(admin, run):
    build_id = run.host.host.initBuild(run.data())
    assert run.host.host.initBuild(run.data()) == build_id  # the same task again (rerun after a restart)
    other = run.second_task()
    refused = f"Build already exists \\(id={build_id}, state=BUILDING\\)"
    with pytest.raises(koji.GenericError, match=refused):
        run.host.host.initBuild({**run.data(), "task_id": other})
    run.host.host.failBuild(run.task_id, build_id)
    assert admin.getBuild(build_id)["state"] == FAILED
    for task_id in (run.task_id, other):  # whatever became of the first
        with pytest.raises(koji.GenericError, match="state=FAILED"):
            run.host.host.initBuild({**run.data(), "task_id": task_id})


def test_a_build_ends_with_its_task(admin, run):
    build_id = run.host.host.initBuild(run.data())
    run.user.cancelTask(run.task_id)
    assert admin.getBuild(build_id)["state"] == CANCELED  # as Koji's cancel does
    other = run.second_task()
    second = run.host.host.initBuild({**run.data(), "version": "2", "task_id": other})
    run.host.host.failTask(other, koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(1, "it died")))
    assert admin.getBuild(second)["state"] == FAILED  # a task whose process died fails its build too


def test_a_completion_that_cannot_be_done_files_nothing(admin, run, tmp_path):
    build_id = run.host.host.initBuild(run.data())
    srpm, rpm, log = run.upload(run.srpm, run.rpm, run.log)
    junk = tmp_path / f"{run.name}-1.0-1.x86_64.rpm"
    junk.write_text("not an rpm")
    [bad] = run.upload(junk)
    (tmp_path / "other").mkdir()
    _other_srpm, other_rpm = make_package(tmp_path / "other", unique("other"))
    [foreign] = run.upload(other_rpm)
    area = f"cli-build/{unique()}"
    run.user.uploadWrapper(str(run.rpm), area)
    other_task = run.second_task()
    run.host.uploadWrapper(str(run.rpm), task_dir(other_task))
    elsewhere = "must come from its own tasks' output"
    attempts = [
        ([f"{run.dir}/missing.noarch.rpm"], {"noarch": [log]}, "No such file"),
        ([f"{area}/{run.rpm.name}"], {"noarch": [log]}, elsewhere),  # a user's upload
        ([f"{task_dir(other_task)}/{run.rpm.name}"], {"noarch": [log]}, elsewhere),  # another task's
        ([rpm], {"noarch": ["tasks/1/1/../../../etc/passwd"]}, elsewhere),
        ([rpm, bad], {"noarch": [log]}, "not an RPM file"),
        ([rpm, foreign], {"noarch": [log]}, "srpm mismatch"),
        ([rpm], {"noarch": [f"{run.dir}/missing.log"]}, "No such file"),
        ([rpm], {"noarch": [log, log]}, "already filed"),  # the RPMs are filed by then: undone
    ]
    for rpms, logs, message in attempts:
        with pytest.raises(koji.GenericError, match=message):
            run.host.host.completeBuild(run.task_id, build_id, srpm, rpms, None, logs)
        assert not run.packages().exists(), message
        assert admin.getBuild(build_id)["state"] == BUILDING
        assert admin.listRPMs(buildID=build_id) == []
    with pytest.raises(koji.GenericError, match="No such buildroot"):
        run.host.host.completeBuild(run.task_id, build_id, srpm, [rpm], {rpm: 999999})
    with pytest.raises(koji.GenericError, match="not a source package"):
        run.host.host.completeBuild(run.task_id, build_id, rpm, [])
    # In a multicall the failed call rolls back alone, and still leaves no file behind.
    with run.host.multicall() as mc:
        failing = mc.host.completeBuild(run.task_id, build_id, srpm, [rpm], None, {"noarch": [log, log]})
        mc.host.failBuild(run.task_id, build_id)
    with pytest.raises(koji.GenericError, match="already filed"):
        failing.result  # noqa: B018 - the multicall's result raises
    assert not run.packages().exists()
    assert admin.getBuild(build_id)["state"] == FAILED


def test_only_the_host_running_the_task_reports_its_build(hub, admin, run):
    build_id = run.host.host.initBuild(run.data())
    srpm, rpm = run.upload(run.srpm, run.rpm)
    for call in (
        lambda s: s.host.initBuild({**run.data(), "version": "2"}),
        lambda s: s.host.completeBuild(run.task_id, build_id, srpm, [rpm]),
        lambda s: s.host.failBuild(run.task_id, build_id),
        lambda s: s.host.moveBuildToScratch(run.task_id, srpm, [rpm]),
    ):
        with pytest.raises(koji.AuthError, match="is not a host"):
            call(run.user)
        with pytest.raises(koji.AuthError, match="is not a host"):
            call(admin)
        other, other_id = host_session(hub, admin)
        with pytest.raises(koji.ActionNotAllowed, match=f"host {other_id} does not own task {run.task_id}"):
            call(other)
        other.logout()
    # Another build task's host may not touch this build either.
    second = run.second_task()
    with pytest.raises(koji.ActionNotAllowed, match=f"belongs to task {run.task_id}"):
        run.host.host.failBuild(second, build_id)
    assert admin.getBuild(build_id)["state"] == BUILDING
    run.user.cancelTask(second)


def test_a_scratch_build_is_moved_aside_and_not_recorded(hub, admin, run):
    srpm, rpm, log = run.upload(run.srpm, run.rpm, run.log)
    run.host.host.moveBuildToScratch(run.task_id, srpm, [rpm], {"noarch": [log]})
    where = hub.topdir / "scratch" / run.user_name / f"task_{run.task_id}"
    assert sorted(p.name for p in where.iterdir()) == ["logs", run.rpm.name, run.srpm.name]
    assert (where / "logs" / "noarch" / "build.log").read_text() == "rpmbuild said things\n"
    assert admin.getBuild(run.nvr) is None and not run.packages().exists()


def test_build_logs_of_a_build_without_any(admin):
    name = unique("empty")
    admin.createEmptyBuild(name, "1", "1", None)
    assert admin.getBuildLogs(f"{name}-1-1") == []
    with pytest.raises(koji.GenericError, match="No such build"):
        admin.getBuildLogs("nosuch-1-1")


def test_init_build_checks_its_data(run):
    with pytest.raises(koji.ParameterError, match="missing task_id"):
        run.host.host.initBuild({k: v for k, v in run.data().items() if k != "task_id"})
    with pytest.raises(koji.GenericError, match="Invalid version"):
        run.host.host.initBuild({**run.data(), "version": "1 0"})
    with pytest.raises(koji.GenericError, match="draft builds are not supported"):
        run.host.host.initBuild({**run.data(), "draft": True})
