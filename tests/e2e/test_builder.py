"""kiln-builder end to end: a real hub process, real builder processes, tasks driven with koji's client.

Each test has a channel of its own and a builder serving only it, so tests
never take each other's tasks.
"""

from __future__ import annotations

import os
import subprocess
import time
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from tests.conftest import ADMIN, channel_builder, koji_session, start_hub, unique
from tests.support.builder import BuilderProcess, processes_with_args, wait_for
from tests.support.daemon import timed_stop
from tests.support.hub import HubProcess
from tests.support.pgserver import free_port
from tests.support.rpms import GREETING, make_repo

CLOSED, CANCELED, FAILED, OPEN, FREE = (koji.TASK_STATES[s] for s in ("CLOSED", "CANCELED", "FAILED", "OPEN", "FREE"))
FINISHED = (CLOSED, CANCELED, FAILED)


@pytest.fixture
def builder(request: pytest.FixtureRequest, hub: HubProcess, admin: koji.ClientSession, channel: str) -> Iterator:
    """A running kiln-builder serving ``channel`` only (with the example plugin's handlers)."""
    session, host_id = channel_builder(hub, admin, channel)
    name = admin.getHost(host_id)["name"]
    session.logout()  # the daemon takes the host over
    process = BuilderProcess(hub.url, name, "hostpw", check_seconds=0.5, allowed_scms=":/tmp/*").start()
    request.node.builder_log = process.log_text  # for failure reports
    yield process
    process.cleanup()


def finished(admin: koji.ClientSession, task_id: int, timeout: float = 60.0, builder: BuilderProcess | None = None):
    def done():
        info = admin.getTaskInfo(task_id)
        return info if info["state"] in FINISHED else None

    try:
        return wait_for(done, timeout, what=f"task {task_id} to finish")
    except AssertionError:
        if builder is not None:
            print(builder.log_text())
        raise


def task_log(admin: koji.ClientSession, task_id: int) -> str:
    return admin.downloadTaskOutput(task_id, "task.log").decode()  # koji's client decodes the base64


def test_a_sleep_task_runs_and_its_log_is_kept(admin, channel, builder):
    task_id = admin.makeTask("sleep", [0.2], channel=channel)
    info = finished(admin, task_id, builder=builder)
    assert info["state"] == CLOSED, builder.log_text()
    assert admin.getTaskResult(task_id) is None
    assert "task.log" in admin.listTaskOutput(task_id)
    assert "finished sleeping" in task_log(admin, task_id)
    assert builder.running()


def test_a_plugin_handler_runs_with_its_arguments(admin, channel, builder):
    task_id = admin.makeTask("example.echo", [1, "two", {"three": 3, "__starstar": True}], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == CLOSED
    result = admin.getTaskResult(task_id)
    assert result["args"] == [1, "two"] and result["kwargs"] == {"three": 3}


def test_a_fork_task_closes_and_leaves_no_processes(admin, channel, builder):
    seconds = str(3000 + int(unique("")[:4], 16) % 1000)
    task_id = admin.makeTask("fork", [2, int(seconds)], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == CLOSED
    wait_for(lambda: not processes_with_args("sleep", seconds), 10, what="the fork task's sleepers to be killed")


def test_a_parent_waits_on_its_children_and_one_may_fail(admin, channel, builder):
    task_id = admin.makeTask("waittest", [3, 0.2], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == CLOSED, builder.log_text()
    children = admin.getTaskChildren(task_id)
    states = sorted((c["label"], c["state"]) for c in children)
    assert states == [("0", CLOSED), ("1", CLOSED), ("2", CLOSED), ("bad", FAILED)]


def test_a_raising_handler_fails_its_task_with_the_traceback(admin, channel, builder):
    task_id = admin.makeTask("sleep", ["BAD_ARG"], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == FAILED
    with pytest.raises(koji.ParameterError) as info:
        admin.getTaskResult(task_id)
    assert "sleep takes a number of seconds" in str(info.value) and "Traceback" in str(info.value)


@pytest.mark.slow
def test_a_crashing_handler_fails_its_task_and_the_daemon_carries_on(admin, channel, builder):
    task_id = admin.makeTask("example.crash", [], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == FAILED
    with pytest.raises(xmlrpc.client.Fault, match="killed by signal 9"):  # fault code 1, as kojid's
        admin.getTaskResult(task_id)
    assert builder.running()
    after = admin.makeTask("sleep", [0], channel=channel)
    assert finished(admin, after, builder=builder)["state"] == CLOSED


def test_a_method_no_host_has_fails_with_a_clear_message(admin, channel, builder):
    task_id = admin.makeTask("nosuchmethod", [], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == FAILED
    with pytest.raises(koji.GenericError) as info:
        admin.getTaskResult(task_id)
    assert "nosuchmethod" in str(info.value)


def test_cancel_kills_the_running_task_at_once(admin, channel, builder):
    seconds = str(4000 + int(unique("")[:4], 16) % 1000)
    task_id = admin.makeTask("example.spin", [int(seconds)], channel=channel)
    wait_for(lambda: processes_with_args("sleep", seconds), 30, what="the task's process")
    admin.cancelTask(task_id)
    wait_for(lambda: not processes_with_args("sleep", seconds), 5, what="the cancelled task's processes to go")
    assert admin.getTaskInfo(task_id)["state"] == CANCELED
    assert builder.running()


@pytest.mark.slow
def test_the_log_is_readable_while_the_task_runs(admin, channel, builder):
    seconds = str(5000 + int(unique("")[:4], 16) % 1000)
    task_id = admin.makeTask("example.spin", [int(seconds)], channel=channel)

    def logged() -> bool:
        try:
            return f"spinning for {seconds} seconds" in task_log(admin, task_id)
        except koji.GenericError:
            return False

    wait_for(logged, 30, what="the log on the hub")
    assert admin.getTaskInfo(task_id)["state"] == OPEN
    admin.cancelTask(task_id)


def test_failany_cancels_the_other_children(admin, channel, builder):
    task_id = admin.makeTask("example.failfast", [60], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == FAILED
    children = {c["label"]: c["state"] for c in admin.getTaskChildren(task_id)}
    assert children["second"] == FAILED
    wait_for(lambda: {c["state"] for c in admin.getTaskChildren(task_id)} <= {FAILED, CANCELED}, 10, what="cancels")
    children = {c["label"]: c["state"] for c in admin.getTaskChildren(task_id)}
    assert children == {"first": CANCELED, "second": FAILED, "third": CANCELED}


@pytest.mark.slow
def test_a_killed_daemon_restarts_and_the_task_finishes_exactly_once(admin, channel, builder):
    # short, and unique among the machine's processes; ends in 1 so that float() gives the same text back
    seconds = f"4.{int(unique('')[:4], 16)}1"
    task_id = admin.makeTask("example.spin", [float(seconds)], channel=channel)
    first = wait_for(lambda: processes_with_args("sleep", seconds), 30, what="the task's process")
    started = time.monotonic()
    builder.kill()
    assert processes_with_args("sleep", seconds) == first  # the task's process outlived its daemon
    stale = Path(builder.settings["workdir"]) / "tasks" / "999999999"
    stale.mkdir(parents=True)
    builder.start()
    # The new daemon kills what the old one left (before it could finish and
    # report), frees the task, and runs it again to the end.
    wait_for(lambda: first[0] not in processes_with_args("sleep", seconds), 30, what="the old process to go")
    assert time.monotonic() - started < float(seconds)
    assert not stale.exists()  # the dead daemon's work directories are cleaned up
    info = finished(admin, task_id, builder=builder)
    assert info["state"] == CLOSED and admin.getTaskResult(task_id) == "spun"
    notes = [m["msg"] for m in admin.scheduler.getLogMessages([["task_id", "=", task_id]])]
    assert notes.count("freed by its host") == 1, notes


def test_an_scm_checkout_records_its_commit_and_log(admin, channel, builder, tmp_path):
    repo = tmp_path / "pkg.git"
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    for argv in (["init", "-q", str(repo)], ["-C", str(repo), "commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", *argv], check=True, env={**os.environ, **env})
    (repo / "hello.spec").write_text("Name: hello\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "spec"], check=True, env={**os.environ, **env})
    subprocess.run(["git", "-C", str(repo), "tag", "v1"], check=True)
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "v1"], capture_output=True, text=True).stdout.strip()
    task_id = admin.makeTask("example.checkout", [f"git+file://{repo}#v1"], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == CLOSED, builder.log_text()
    assert admin.getTaskResult(task_id) == {"commit": commit, "files": ["hello.spec"]}
    assert "checkout.log" in admin.listTaskOutput(task_id)


def test_an_scm_url_outside_the_allowlist_is_refused_before_fetching(admin, channel, builder):
    task_id = admin.makeTask("example.checkout", ["git+file:///srv/elsewhere/pkg.git#v1"], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == FAILED
    with pytest.raises(koji.GenericError, match="is not allowed on this builder"):
        admin.getTaskResult(task_id)
    assert "checkout.log" not in admin.listTaskOutput(task_id)


@pytest.fixture(scope="module")
def rpm_repo(tmp_path_factory: pytest.TempPathFactory):
    return make_repo(tmp_path_factory.mktemp("rpms"))


@pytest.mark.skipif(os.geteuid() != 0, reason="the namespace build root needs root")
def test_a_task_runs_a_command_in_a_build_root_from_the_repo(admin, channel, builder, rpm_repo):
    task_id = admin.makeTask("example.inroot", [str(rpm_repo), ["kiln-greeting"], ["cat", GREETING]], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == CLOSED, builder.log_text()
    result = admin.getTaskResult(task_id)
    assert result["status"] == 0 and result["output"] == "hello from the repo\n"
    assert result["components"] == ["kiln-base-2.0-1.noarch", "kiln-greeting-1.0-1.noarch"]
    assert "kiln-greeting-1.0-1.noarch" in task_log(admin, task_id)  # the build root's list, in the log
    [root] = admin.listBuildroots(taskID=task_id)  # on record at the hub, with what it held
    assert (root["state"], root["arch"], root["host_name"]) == (
        koji.BR_STATES["EXPIRED"],
        "x86_64",
        builder.settings["host"],
    )
    assert root["retire_event_id"] is not None
    listing = admin.getBuildrootListing(root["id"])
    assert [(e["name"], e["version"], e["arch"]) for e in listing] == [
        ("kiln-base", "2.0", "noarch"),
        ("kiln-greeting", "1.0", "noarch"),
    ]


def test_unresolvable_build_requirements_fail_the_task_naming_them(admin, channel, builder, rpm_repo):
    task_id = admin.makeTask("example.inroot", [str(rpm_repo), ["kiln-greeting", "gcc-99"], ["true"]], channel=channel)
    assert finished(admin, task_id, builder=builder)["state"] == FAILED
    with pytest.raises(koji.BuildrootError, match="nothing in the build tag's repo provides: gcc-99"):
        admin.getTaskResult(task_id)
    assert admin.listBuildroots(taskID=task_id) == []  # refused before anything was made


@pytest.mark.slow
def test_a_builder_the_hub_cannot_park_backs_off_instead_of_spinning(request, tmp_path):
    # A hub with no thread to spare for waiting answers every getTasks at once.
    hub = start_hub(request, "sqlite", tmp_path, threads=4, poll_reserve_threads=4, log_level="DEBUG")
    admin = koji_session(hub, *ADMIN)
    name = unique("builder")
    admin.addHost(name, ["x86_64"])
    hub.admin_command("passwd", name, "--password", "hostpw")
    process = BuilderProcess(hub.url, name, "hostpw").start()
    request.addfinalizer(process.cleanup)
    wait_for(lambda: admin.getHost(name)["ready"], 30, what="the builder to check in")
    time.sleep(3)
    polls = hub.log_text().count("host.getTasks took")
    assert 1 <= polls <= 8, f"{polls} getTasks calls in about 3 s"
    assert process.running()


def test_sigterm_ends_the_wait_for_work_at_once(request, hub, admin, channel):
    """A builder in a long poll for work stops on SIGTERM within a second, and says goodbye."""
    session, host_id = channel_builder(hub, admin, channel)
    name = admin.getHost(host_id)["name"]
    session.logout()
    process = BuilderProcess(hub.url, name, "hostpw", poll_seconds=120).start()  # the hub holds it 60 s
    request.addfinalizer(process.cleanup)
    wait_for(lambda: "waiting up to 120" in process.log_text(), 30, what="the builder's long poll")
    code, took = timed_stop(process)
    assert (code, took < 1.5) == (0, True), (took, process.log_text())
    assert admin.getHost(host_id)["ready"] is False  # its goodbye reached the hub
    assert "signal 15: stopping; no task running" in process.log_text()


def test_sigterm_while_the_hub_is_away_stops_at_once(request):
    """A builder retrying its login (every 20 s, 30 times) stops on SIGTERM without waiting the retries out."""
    process = BuilderProcess(f"http://127.0.0.1:{free_port()}/kojihub", unique("builder"), "hostpw").start()
    request.addfinalizer(process.cleanup)
    wait_for(lambda: "try #2 of login" in process.log_text(), 30, what="the builder's retries")
    code, took = timed_stop(process)
    assert (code, took < 1.5) == (0, True), (took, process.log_text())


def test_sigterm_kills_running_tasks_and_the_hub_frees_them(admin, channel, builder):
    """kojid's SIGTERM: running tasks are killed, the host leaves, and the tasks go back to the queue."""
    seconds = str(6000 + int(unique("")[:4], 16) % 1000)
    task_id = admin.makeTask("example.spin", [int(seconds)], channel=channel)
    first = wait_for(lambda: processes_with_args("sleep", seconds), 30, what="the task's process")
    code, took = timed_stop(builder)
    assert (code, took < 1.5) == (0, True), (took, builder.log_text())
    assert not processes_with_args("sleep", seconds)
    assert f"signal 15: stopping; killing running tasks [{task_id}]" in builder.log_text()
    info = admin.getTaskInfo(task_id)
    assert (info["state"], info["host_id"]) == (FREE, None)  # not given back to the leaving host
    notes = [m["msg"] for m in admin.scheduler.getLogMessages([["task_id", "=", task_id]])]
    assert notes.count("freed by its host") == 1, notes
    # the next start runs it again from the start
    builder.start()
    again = wait_for(lambda: processes_with_args("sleep", seconds), 30, what="the task to run again")
    assert again != first
    admin.cancelTask(task_id)
