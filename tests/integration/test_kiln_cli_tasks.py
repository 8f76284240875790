"""``kiln``'s task commands against a real hub, beside the official koji client.

Tasks are made with ``makeTask`` and moved through their states with a
builder's host session (open, subtask, close, fail), so the trees are the
ones a real build makes.  Listings cover the whole hub; each comparison runs
kiln and koji back to back with nothing writing in between.
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import time
from pathlib import Path

import koji
import pytest

from tests.conftest import ADMIN, host_session, koji_session, make_user, task_result, unique
from tests.support.hub import HubProcess
from tests.support.kiln_cli import KILN, kiln, kiln_json, plain, same_output
from tests.support.koji_cli import KojiCLI, write_koji_conf


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


@pytest.fixture(scope="module")
def koji_cli(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> KojiCLI:
    config = write_koji_conf(hub, tmp_path_factory.mktemp("tasks") / "koji.conf")
    # koji waits poll_interval (6 s by default) after finding subtasks; the trees koji watches
    # here are finished, so no waiting is needed (both clients read the key)
    config.write_text(config.read_text() + "poll_interval = 0\n")
    return KojiCLI(hub, config)


@pytest.fixture(scope="module")
def live_config(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config without poll_interval, for kiln watching live tasks at its own pace (0.5 s)."""
    return write_koji_conf(hub, tmp_path_factory.mktemp("live") / "koji.conf")


@pytest.fixture(scope="module")
def boss(hub: HubProcess) -> koji.ClientSession:
    session = koji_session(hub, *ADMIN)
    yield session
    session.logout()


@pytest.fixture(scope="module")
def world(hub: HubProcess, boss: koji.ClientSession) -> dict:
    """A channel of this module's own and a checked-in builder serving only it."""
    channel = unique("taskchan")
    boss.addChannel(channel)
    builder, host_id = host_session(hub, boss, channels=(channel,), capacity=10000.0)
    boss.removeHostFromChannel(boss.getHost(host_id)["name"], "default")
    return {"channel": channel, "host": builder, "host_id": host_id, "host_name": boss.getHost(host_id)["name"]}


def fault(code: int, message: str) -> str:
    return koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(code, message), methodresponse=1)


def take(world: dict, task_id: int) -> None:
    """The builder opens the task (after the scheduler offers it)."""
    world["host"].host.getTasks()
    assert world["host"].host.openTask(task_id) is not None


def build_tree(boss: koji.ClientSession, world: dict, fail: bool = True) -> dict:
    """A build task opened by the builder, with an SRPM subtask closed and a buildArch one failed."""
    parent = boss.makeTask(
        "build", ["kiln-hello-1.0-1.src.rpm", unique("target"), {"scratch": True}], channel=world["channel"]
    )
    take(world, parent)
    host = world["host"].host
    srpm = host.subtask("buildSRPMFromSCM", ["git://example.com/rpms/hello.git#abc", "tag", {}], parent, label="srpm")
    arch = host.subtask("buildArch", ["work/x/hello-1.0-1.src.rpm", 1, "x86_64", False, {}], parent, label="x86_64")
    for child in (srpm, arch):
        take(world, child)
    host.closeTask(srpm, task_result({"srpm": "x.src.rpm"}))
    if fail:
        host.failTask(arch, fault(1005, "error building package (arch x86_64), mock exited with status 1"))
        host.failTask(parent, fault(1005, "a subtask failed"))
    else:
        host.closeTask(arch, task_result({}))
        host.closeTask(parent, task_result({}))
    return {"parent": parent, "srpm": srpm, "arch": arch}


# --- list-tasks --------------------------------------------------------------------


@pytest.mark.slow
def test_list_tasks_tree_and_filters_as_koji(koji_cli, boss, world, hub):
    parent = boss.makeTask("build", ["pkg.src.rpm", "dest", {}], channel=world["channel"], priority=15)
    take(world, parent)
    host = world["host"].host
    kids = [
        host.subtask("buildArch", ["pkg.src.rpm", 1, arch, False, {}], parent, label=arch)
        for arch in ("x86_64", "i686")
    ]
    take(world, kids[0])
    host.subtask("createrepo", [1, "x86_64", None], kids[0])
    free = boss.makeTask("newRepo", ["some-tag"], channel=world["channel"], arch="noarch")
    name, password = make_user(hub, boss)
    text = same_output(koji_cli, "list-tasks", user=ADMIN)
    lines = text.splitlines()
    assert lines[0] == "ID       Pri  Owner                State    Arch       Name"
    mine = [line for line in lines if line.split()[0] in {str(parent), *map(str, kids)}]
    assert mine[0].endswith("build (dest, pkg.src.rpm)") and mine[1].split()[-3:] == [
        "+buildArch",
        "(pkg.src.rpm,",
        "x86_64)",
    ]
    assert any(line.startswith(str(free)) and line.endswith("newRepo (some-tag)") for line in lines)
    assert any(" +createrepo (x86_64)" in line for line in lines)
    same_output(koji_cli, "list-tasks", "--quiet", "--method", "buildArch", user=ADMIN)
    # other tests of the module make newRepo tasks in the world's channel too (in any order): ours is there
    newrepos = same_output(
        koji_cli, "list-tasks", "--channel", world["channel"], "--method", "newRepo", user=ADMIN
    ).splitlines()[1:]
    assert f"{free:<8} {20:<4} {ADMIN[0]:<20} {'FREE':<8} {'noarch':<10} newRepo (some-tag)" in newrepos
    assert all(" newRepo (" in line for line in newrepos)
    same_output(koji_cli, "list-tasks", "--host", world["host_name"], user=ADMIN)
    assert same_output(koji_cli, "list-tasks", "--user", name, user=ADMIN) == "(no tasks)\n"
    assert same_output(koji_cli, "list-tasks", "--mine", user=(name, password)) == "(no tasks)\n"
    for bad in (("--user", "nosuchuser"), ("--channel", "nosuchchan"), ("--host", "nosuchhost")):
        assert same_output(koji_cli, "list-tasks", *bad, user=ADMIN).startswith("No such ")
    after = str(time.time() - 3600)
    same_output(koji_cli, "list-tasks", "--after", after, "--all", "--channel", world["channel"], user=ADMIN)
    assert (
        kiln(koji_cli.config, "list-tasks", "--all").returncode
        == koji_cli("list-tasks", "--all", check=False).returncode
        == 2
    )
    listed = kiln_json(koji_cli, "list-tasks", "--channel", world["channel"])
    theirs = boss.listTasks(
        {"decode": True, "state": [0, 1, 4], "channel_id": boss.getChannel(world["channel"])["id"]},
        {"order": "priority,create_time"},
    )
    assert listed == plain(theirs)


# --- taskinfo ----------------------------------------------------------------------


def test_taskinfo_recursive_and_verbose_as_koji(koji_cli, boss, world):
    tree = build_tree(boss, world)
    task_dir = Path(koji_cli.hub.topdir) / "work" / "tasks" / str(tree["arch"] % 10000) / str(tree["arch"])
    task_dir.mkdir(parents=True, exist_ok=True)
    (task_dir / "build.log").write_text("building\n")
    (task_dir / "hello-1.0-1.x86_64.rpm").write_bytes(b"rpm")
    text = same_output(koji_cli, "taskinfo", "-r", "-v", str(tree["parent"]))
    assert f"  Task: {tree['arch']}" in text and "  Request Parameters:" in text
    assert f"/work/tasks/{tree['arch'] % 10000}/{tree['arch']}/build.log" in text
    assert "Source: kiln-hello-1.0-1.src.rpm" in text and "State: failed" in text
    same_output(koji_cli, "taskinfo", str(tree["srpm"]), str(tree["arch"]))
    missing = kiln(koji_cli.config, "taskinfo", "999999")
    assert missing.returncode == koji_cli("taskinfo", "999999", check=False).returncode == 1
    assert missing.stderr == "kiln: error: No such task: 999999\n"
    info = kiln_json(koji_cli, "taskinfo", "-r", str(tree["parent"]))
    assert [task["id"] for task in info] == [tree["parent"], tree["srpm"], tree["arch"]]
    assert info[2]["logs"][0].endswith("/build.log") and info[2]["state"] == koji.TASK_STATES["FAILED"]


# --- watch-task --------------------------------------------------------------------


@pytest.mark.slow
def test_watch_task_of_a_finished_tree_as_koji(koji_cli, boss, world):
    failed = build_tree(boss, world)
    text = same_output(koji_cli, "watch-task", str(failed["parent"]))
    assert text.splitlines()[0] == "Watching tasks (this may be safely interrupted)..."
    assert "FAILED: BuildError: error building package (arch x86_64), mock exited with status 1" in text
    assert f"\n\n{failed['parent']} build (target" in text and text.endswith(", kiln-hello-1.0-1.src.rpm) failed\n")
    good = build_tree(boss, world, fail=False)
    text = same_output(koji_cli, "watch-task", str(good["parent"]), str(failed["srpm"]))
    assert " completed successfully" in text
    assert same_output(koji_cli, "watch-task", "--quiet", str(good["parent"])) == ""
    assert kiln(koji_cli.config, "watch-task").returncode == koji_cli("watch-task", check=False).returncode == 2
    assert kiln(koji_cli.config, "watch-task", "x").returncode == 2
    assert (
        same_output(koji_cli, "watch-task", "999999")
        == "Watching tasks (this may be safely interrupted)...\nNo such task id: 999999\n"
    )


def test_watch_task_failed_line_lists_relevant_logs(koji_cli, boss, world):
    tree = build_tree(boss, world)
    task_dir = Path(koji_cli.hub.topdir) / "work" / "tasks" / str(tree["arch"] % 10000) / str(tree["arch"])
    task_dir.mkdir(parents=True, exist_ok=True)
    (task_dir / "root.log").write_text("root\n")
    text = same_output(koji_cli, "watch-task", str(tree["parent"]))
    assert f"    Relevant logs:\n    http://127.0.0.1:{koji_cli.hub.port}/kojifiles/work/tasks/" in text


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_watch_task_follows_live_changes_and_subtasks(live_config, boss, world, tmp_path):
    parent = boss.makeTask("build", ["live.src.rpm", "dest", {}], channel=world["channel"])
    out = tmp_path / "watch.out"
    with out.open("w") as handle:
        watcher = subprocess.Popen(
            [str(KILN), "-c", str(live_config), "watch-task", str(parent)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TZ": "UTC"},
        )
    try:
        _wait_for(lambda: ": free" in out.read_text())
        take(world, parent)
        _wait_for(lambda: "free -> open" in out.read_text())
        child = world["host"].host.subtask(
            "buildArch", ["live.src.rpm", 1, "x86_64", False, {}], parent, label="x86_64"
        )
        _wait_for(lambda: f"  {child} buildArch" in out.read_text())
        take(world, child)
        _wait_for(lambda: f"  {child} buildArch (live.src.rpm, x86_64): free -> open" in out.read_text())
        world["host"].host.closeTask(child, task_result({}))
        _wait_for(lambda: "open ({}) -> closed".format(world["host_name"]) in out.read_text())
        world["host"].host.failTask(parent, fault(1000, "it broke"))
        assert watcher.wait(timeout=20) == 1
    finally:
        watcher.kill()
    host = world["host_name"]
    assert out.read_text().splitlines() == [
        "Watching tasks (this may be safely interrupted)...",
        f"{parent} build (dest, live.src.rpm): free",
        f"{parent} build (dest, live.src.rpm): free -> open ({host})",
        f"  {child} buildArch (live.src.rpm, x86_64): free",
        f"  {child} buildArch (live.src.rpm, x86_64): free -> open ({host})",
        f"  {child} buildArch (live.src.rpm, x86_64): open ({host}) -> closed",
        "  0 free  1 open  1 done  0 failed",
        f"{parent} build (dest, live.src.rpm): open ({host}) -> FAILED: GenericError: it broke",
        "  0 free  0 open  1 done  1 failed",
        "",
        f"{parent} build (dest, live.src.rpm) failed",
    ]


def test_watch_task_ctrl_c_in_a_terminal(live_config, boss, world):
    """Ctrl-C on a terminal: koji's message, the task still running listed, exit 1, no traceback."""
    task_id = boss.makeTask("build", ["ctrlc.src.rpm", "dest", {}], channel=world["channel"])
    take(world, task_id)
    main, child = pty.openpty()
    watcher = subprocess.Popen(
        [str(KILN), "-c", str(live_config), "watch-task", str(task_id)],
        stdin=child,
        stdout=child,
        stderr=child,
        env={**os.environ, "TZ": "UTC"},
        start_new_session=True,
    )
    os.close(child)
    seen = b""

    def read_some() -> bytes:
        try:
            return os.read(main, 4096)
        except OSError:  # the other end closed
            return b""

    try:
        while b": open" not in seen:
            chunk = read_some()
            assert chunk, seen
            seen += chunk
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=20) == 1
        while chunk := read_some():
            seen += chunk
    finally:
        watcher.kill()
        os.close(main)
    text = seen.decode().replace("\r\n", "\n")
    assert "Traceback" not in text
    assert (
        "Tasks still running. You can continue to watch with the 'kiln watch-task' command.\n"
        f"Running Tasks:\n{task_id} build (dest, ctrlc.src.rpm): open ({world['host_name']})\n"
    ) in text
    assert boss.getTaskInfo(task_id)["state"] == koji.TASK_STATES["OPEN"]


# --- watch-logs --------------------------------------------------------------------


@pytest.mark.slow
def test_watch_logs_follows_a_growing_log(koji_cli, live_config, boss, world, tmp_path):
    task_id = boss.makeTask("buildArch", ["x.src.rpm", 1, "x86_64", False, {}], channel=world["channel"])
    take(world, task_id)
    task_dir = Path(koji_cli.hub.topdir) / "work" / "tasks" / str(task_id % 10000) / str(task_id)
    task_dir.mkdir(parents=True, exist_ok=True)
    log = task_dir / "build.log"
    log.write_text("line one\n")
    out = tmp_path / "logs.out"
    with out.open("w") as handle:
        watcher = subprocess.Popen(
            [str(KILN), "-c", str(live_config), "watch-logs", str(task_id)], stdout=handle, stderr=subprocess.STDOUT
        )
    try:
        _wait_for(lambda: "line one" in out.read_text())
        with log.open("a") as growing:
            growing.write("line two\n")
        _wait_for(lambda: "line two" in out.read_text())
        (task_dir / "root.log").write_text("root says\n")
        _wait_for(lambda: "root says" in out.read_text())
        world["host"].host.closeTask(task_id, task_result({}))
        assert watcher.wait(timeout=20) == 0
    finally:
        watcher.kill()
    assert out.read_text() == (
        "Watching logs (this may be safely interrupted)...\n"
        f"==> {task_id}:DEFAULT:build.log: <==\nline one\nline two\n"
        f"\n==> {task_id}:DEFAULT:root.log: <==\nroot says\n"
    )
    # the finished task's logs, read whole, as koji prints them
    same_output(koji_cli, "watch-logs", str(task_id))
    same_output(koji_cli, "watch-logs", "--log", "root.log", str(task_id))


# --- cancel, resubmit, set-task-priority, make-task --------------------------------


def test_cancel_tasks_and_builds(koji_cli, boss, world):
    one = boss.makeTask("build", ["a.src.rpm", "dest", {}], channel=world["channel"])
    take(world, one)
    kid = world["host"].host.subtask("buildArch", ["a.src.rpm", 1, "x86_64", False, {}], one, label="x86_64")
    done = kiln(koji_cli.config, "cancel", "--justone", str(one), user=ADMIN)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert boss.getTaskInfo(one)["state"] == koji.TASK_STATES["CANCELED"]
    assert boss.getTaskInfo(kid)["state"] == koji.TASK_STATES["FREE"]
    two = boss.makeTask("build", ["b.src.rpm", "dest", {}], channel=world["channel"])
    assert kiln(koji_cli.config, "cancel", str(kid), str(two), user=ADMIN).returncode == 0
    assert {boss.getTaskInfo(t)["state"] for t in (kid, two)} == {koji.TASK_STATES["CANCELED"]}
    nvr = f"{unique('cancelme')}-1.0-1"
    name, version, release = nvr.rsplit("-", 2)
    build_id = boss.createEmptyBuild(name, version, release, None)  # complete: not cancelable
    for words in ([nvr], ["nosuch-1-1"], [nvr, "999999"]):
        ours = kiln(koji_cli.config, "cancel", *words, user=ADMIN)
        theirs = koji_cli("cancel", *words, check=False)
        assert ours.returncode == theirs.returncode == 1 and ours.stderr == theirs.stderr != ""
    assert boss.getBuild(build_id)["state"] == koji.BUILD_STATES["COMPLETE"]
    assert kiln(koji_cli.config, "cancel", "notanvr", user=ADMIN).returncode == 2


def test_resubmit_set_priority_and_make_task(koji_cli, boss, world, hub):
    made = kiln(
        koji_cli.config,
        "make-task",
        "--channel",
        world["channel"],
        "--arch",
        "noarch",
        "--priority",
        "7",
        "sleep",
        "5",
        user=ADMIN,
    )
    assert made.returncode == 0, made.stderr
    task_id = int(made.stdout.split()[-1])
    info = boss.getTaskInfo(task_id, request=True)
    assert (info["method"], info["request"], info["arch"], info["priority"]) == ("sleep", [5], "noarch", 7)
    # koji's make-task sends method and arglist as keywords: the hub takes them as Koji's does
    options = ["--channel", world["channel"], "--arch", "noarch", "--priority", "7", "sleep", "5"]
    theirs = koji_cli("make-task", *options)
    their_id = int(theirs.stdout.split()[-1])
    assert made.stdout == theirs.stdout.replace(str(their_id), str(task_id))
    their_info = boss.getTaskInfo(their_id, request=True)
    assert (their_info["method"], their_info["request"], their_info["arch"], their_info["priority"]) == (
        "sleep", [5], "noarch", 7,
    )  # fmt: skip
    assert their_info["channel_id"] == info["channel_id"]
    boss.cancelTask(their_id)
    assert kiln(koji_cli.config, "set-task-priority", "--priority", "3", str(task_id), user=ADMIN).returncode == 0
    assert boss.getTaskInfo(task_id)["priority"] == 3
    assert kiln(koji_cli.config, "set-task-priority", str(task_id), user=ADMIN).returncode == 2
    name, password = make_user(hub, boss)
    refused = kiln(koji_cli.config, "set-task-priority", "--priority", "1", str(task_id), user=(name, password))
    assert refused.returncode == 1 and f"logged in as {name}" in refused.stderr
    boss.cancelTask(task_id)
    again = kiln(koji_cli.config, "resubmit", "--nowait", str(task_id), user=ADMIN)
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    assert lines[:3] == ["Resubmitting the following task:", f"Task: {task_id}", "Type: sleep"]
    new_id = int(lines[-1].split()[-1])
    assert lines[-1] == f"Resubmitted task {task_id} as new task {new_id}"
    assert boss.getTaskInfo(new_id, request=True)["request"] == [5]
    assert kiln(koji_cli.config, "resubmit", user=ADMIN).returncode == 2


def test_list_tasks_fields_extension(boss, world):
    """queryOpts ``fields`` (kiln's, with asList): those columns only, in that order, as asList gives them."""
    boss.makeTask("newRepo", ["fields-tag"], channel=world["channel"])
    opts = {"decode": True, "channel_id": boss.getChannel(world["channel"])["id"]}
    names = ["id", "request", "owner_name", "state"]
    full = boss.listTasks(opts, {"order": "id"})
    rows = boss.listTasks(opts, {"order": "id", "asList": True, "fields": names})
    assert rows == [[task[name] for name in names] for task in full] and rows
    assert len(boss.listTasks(opts, {"order": "id", "asList": True})[0]) == 23  # without fields: every column
    assert boss.listTasks(opts, {"order": "id", "fields": names}) == full  # without asList: ignored
    with pytest.raises(koji.ParameterError):
        boss.listTasks(opts, {"asList": True, "fields": ["create_time"]})


# listTasks' asList columns from Koji's hub (1.35), in its order.
KOJI_TASK_COLUMNS = [
    "arch", "awaited", "channel_id", "completion_time", "completion_ts", "create_time", "create_ts", "host_id",
    "id", "label", "method", "owner", "owner_name", "owner_type", "parent", "priority", "request", "result",
    "start_time", "start_ts", "state", "waiting", "weight",
]  # fmt: skip


def test_list_tasks_reads_a_koji_hubs_full_rows(boss, world):
    """Koji's hub ignores ``fields`` and leaves asList requests as XML text: the CLI reads those rows too."""
    from kiln.cli.commands.tasks import _FIELDS, rows_to_tasks

    boss.makeTask("newRepo", ["koji-rows-tag"], channel=world["channel"])
    opts = {"channel_id": boss.getChannel(world["channel"])["id"]}
    full = boss.listTasks({**opts, "decode": True}, {"order": "id"})
    for decode in (True, False):
        rows = boss.listTasks({**opts, "decode": decode}, {"order": "id", "asList": True})
        # Koji's order: its query processor sorts the columns by name
        assert len(rows[0]) == len(KOJI_TASK_COLUMNS) and rows[0][KOJI_TASK_COLUMNS.index("id")] == full[0]["id"]
        if decode:
            assert rows == [[task[name] for name in KOJI_TASK_COLUMNS] for task in full]
        assert isinstance(rows[0][KOJI_TASK_COLUMNS.index("request")], list if decode else str)  # decoded, or XML
        assert [{k: t[k] for k in _FIELDS} for t in rows_to_tasks(rows)] == [{k: t[k] for k in _FIELDS} for t in full]
