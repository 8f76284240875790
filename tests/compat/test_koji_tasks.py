"""The official koji 1.36.1 CLI's task commands against a real hub, on both database backends.

Tasks are made with ``makeTask`` and driven by a scripted builder: a host session that claims,
opens, spawns, closes and fails them as kojid would. Each test runs ``koji`` as a subprocess
and checks what it prints, line by line, with the CLI's own format strings (koji_cli/lib.py
``print_task``, ``TaskWatcher``, commands.py ``_printTaskInfo``). The module's hub keeps one
host and two users for all its tests (each account costs a ``kiln-hub passwd`` process); every
test puts its tasks in a channel of its own, so other tests' tasks stay out of its listings.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import koji
import koji.xmlrpcplus
import pytest

from tests.compat.conftest import KOJI, KojiCLI
from tests.conftest import host_session, koji_session, make_user, unique
from tests.support.hub import ADMIN

FREE, OPEN, ASSIGNED = (koji.TASK_STATES[name] for name in ("FREE", "OPEN", "ASSIGNED"))
ACTIVE = [FREE, OPEN, ASSIGNED]
HEADER = "ID       Pri  Owner                State    Arch       Name"
ERROR_LOG = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[ERROR\] koji: "
NOTE = "[1] Not all tasks produce outputs, and task outputs are not retained indefinitely."
MISSING = 99999999  # no such task id

# The CLI asks listBuildroots(taskID=) and listBuilds(taskID=) before it prints a line of
# taskinfo; both come with the builds issue.


def out_lines(result: subprocess.CompletedProcess) -> list[str]:
    return result.stdout.splitlines()


def last_error(result: subprocess.CompletedProcess) -> str:
    return result.stderr.splitlines()[-1]


def logged_error(result: subprocess.CompletedProcess) -> str:
    """The CLI's closing error log line (an exception it did not handle), without its prefix."""
    line = last_error(result)
    assert re.match(ERROR_LOG, line), result.stderr
    return re.sub(ERROR_LOG, "", line)


def asctime(ts: float) -> str:
    return time.asctime(time.gmtime(ts))  # the CLI prints local time; it runs with TZ=UTC


def row(task_id: int, priority: int, owner: str, state: str, label: str, arch: str = "noarch", depth: int = 0) -> str:
    """A list-tasks row: print_task's columns, then " +" per level of nesting, then the label."""
    indent = "  " * (depth - 1) + " +" if depth else ""
    return f"{task_id!s:<8} {priority!s:<4} {owner:<20} {state:<8} {arch:<10} {indent}{label}"


def response(result: object = None) -> str:
    return koji.xmlrpcplus.dumps((result,), methodresponse=1, allow_none=1)


def fault(message: str) -> str:
    return koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(1000, message), methodresponse=1, allow_none=1)


@dataclass
class Builder:
    """A scripted kojid: one host, working in the test's channel (and 'default', where no task goes)."""

    session: koji.ClientSession
    host_id: int
    name: str
    channel: str
    channel_id: int

    def claim(self) -> list[int]:
        return [task["id"] for task in self.session.host.getTasks()]

    def open(self, task_id: int) -> None:
        opened = self.session.host.openTask(task_id)
        assert opened is not None and opened["state"] == OPEN, opened

    def subtask(self, method: str, args: list, parent: int, label: str) -> int:
        return self.session.host.subtask(method, args, parent, label=label)

    def close(self, task_id: int, result: object = None) -> None:
        self.session.host.closeTask(task_id, response(result))

    def fail(self, task_id: int, message: str) -> None:
        self.session.host.failTask(task_id, fault(message))

    def run(self, task_id: int) -> None:
        self.open(task_id)
        self.close(task_id)


@dataclass
class Cast:
    """The module hub's regular players: a plain user, a second admin, one build host."""

    plain: tuple[str, str]
    boss: tuple[str, str]  # holds the admin permission, so may makeTask: a second task owner
    session: koji.ClientSession  # the host's
    host_id: int
    host_name: str


@pytest.fixture(scope="module")
def cast(hub) -> Iterator[Cast]:
    admin = koji_session(hub, *ADMIN)
    plain = make_user(hub, admin)
    boss = make_user(hub, admin, perms=("admin",))
    session, host_id = host_session(hub, admin, capacity=100.0)
    name = admin.getHost(host_id)["name"]
    # Out of 'default': the shared hub's other modules leave tasks there (a test's own channel is its world).
    admin.removeHostFromChannel(name, "default")
    yield Cast(plain, boss, session, host_id, name)
    session.logout()
    admin.logout()


@pytest.fixture
def builder(admin, cast) -> Iterator[Builder]:
    """The cast's host in a channel of the test's own, checked in afresh; it leaves the channel after."""
    channel = unique("chan")
    admin.addHostToChannel(cast.host_name, channel, create=True)
    cast.session.host.updateHost(0.0, True)
    yield Builder(cast.session, cast.host_id, cast.host_name, channel, admin.getChannel(channel)["id"])
    admin.removeHostFromChannel(cast.host_name, channel)


def run_many(cli: KojiCLI, *calls: tuple) -> list[subprocess.CompletedProcess]:
    """Independent CLI runs, side by side: each call is (args, keyword arguments for the CLI)."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda call: cli(*call[0], **call[1]), calls))


@pytest.fixture
def fast_cli(koji_cli: KojiCLI) -> KojiCLI:
    """The CLI polling every second (koji's default is 6) while it watches tasks."""
    with koji_cli.config.open("a") as config:
        config.write("poll_interval = 1\n")
    return koji_cli


class Watch:
    """``koji --noauth watch-task ...`` running in the background, read line by line."""

    def __init__(self, cli: KojiCLI, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(KOJI), "-c", str(cli.config), "--noauth", "watch-task", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TZ": "UTC"},
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next(self, timeout: float = 20) -> str | None:
        return self.lines.get(timeout=timeout)

    def finish(self, timeout: float = 20) -> tuple[int, list[str], str]:
        """Exit code, the lines not yet read, and stderr."""
        code = self.proc.wait(timeout)
        rest = []
        while (line := self.next()) is not None:
            rest.append(line)
        assert self.proc.stderr is not None
        return code, rest, self.proc.stderr.read()


@pytest.fixture
def watch(fast_cli: KojiCLI) -> Iterator:
    started: list[Watch] = []

    def start(*args: str) -> Watch:
        started.append(Watch(fast_cli, *args))
        return started[-1]

    yield start
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()


# --- list-tasks ----------------------------------------------------------------------------------


def test_list_tasks_threads_children_and_filters(koji_cli, hub, admin, cast, builder):
    boss = koji_session(hub, *cast.boss)
    chan = builder.channel

    before = time.time()
    parent = admin.makeTask("sleep", [1], channel=chan, priority=10)
    builder.open(parent)
    child = builder.subtask("sleep", [2], parent, label="child")  # priority 9, one better than its parent
    builder.open(child)
    grandchild = builder.subtask("sleep", [3], child, label="grandchild")  # priority 8, FREE
    other_arch = admin.makeTask("waittest", [4], channel=chan, arch="x86_64", priority=30)
    finished = admin.makeTask("sleep", [5], channel=chan)
    builder.run(finished)
    bosses = boss.makeTask("sleep", [6], channel=chan, priority=40)
    boss.logout()

    p = row(parent, 10, "admin", "OPEN", "sleep (noarch)")
    c = row(child, 9, "admin", "OPEN", "sleep (noarch)", depth=1)
    g = row(grandchild, 8, "admin", "FREE", "sleep (noarch)", depth=2)
    w = row(other_arch, 30, "admin", "FREE", "waittest (x86_64)", arch="x86_64")
    f = row(finished, 20, "admin", "CLOSED", "sleep (noarch)")
    b = row(bosses, 40, cast.boss[0], "FREE", "sleep (noarch)")
    assert c == f"{child:<8} 9    admin                OPEN     noarch      +sleep (noarch)"
    assert g == f"{grandchild:<8} 8    admin                FREE     noarch        +sleep (noarch)"

    after = ("--after", repr(before))
    cases = [
        # active tasks only, by priority then age, each child under its parent
        (("--channel", chan), ADMIN, [HEADER, p, c, g, w, b]),
        (("--channel", chan, "--quiet"), None, [p, c, g, w, b]),
        (("--channel", chan, "--method", "waittest"), None, [HEADER, w]),
        (("--channel", chan, "--arch", "x86_64"), None, [HEADER, w]),
        (("--channel", chan, "--host", builder.name), None, [HEADER, p, c]),
        (("--channel", chan, "--mine"), ADMIN, [HEADER, p, c, g, w]),
        (("--channel", chan, "--user", "admin"), None, [HEADER, p, c, g, w]),
        (("--channel", chan, "--user", cast.boss[0]), None, [HEADER, b]),
        (("--channel", chan, "--mine"), cast.boss, [HEADER, b]),
        (("--channel", chan, "--mine"), cast.plain, ["(no tasks)"]),
        # --after/--before compare start times; --all (with --after) adds finished tasks
        (("--channel", chan, *after), None, [HEADER, p, c]),
        (("--channel", chan, *after, "--all"), None, [HEADER, p, c, f]),
        (("--channel", chan, "--before", repr(before)), None, ["(no tasks)"]),
        ((), None, None),
    ]
    results = run_many(koji_cli, *((("list-tasks", *args), {"user": user}) for args, user, _ in cases))
    for (args, _, expected), result in zip(cases[:-1], results, strict=False):
        assert out_lines(result) == expected, args

    # unfiltered: every active task in the hub once, ours among them as above
    everything = out_lines(results[-1])
    assert everything[0] == HEADER
    assert len(everything) == 1 + len(admin.listTasks({"state": ACTIVE}))
    assert everything.index(p) + 1 == everything.index(c) == everything.index(g) - 1
    assert everything.index(p) < everything.index(w) < everything.index(b)
    assert f not in everything


def test_list_tasks_refusals(koji_cli, admin):
    empty = unique("empty")
    admin.addChannel(empty)
    names = [unique("no") for _ in range(3)]
    cases = [
        (("--user", names[0]), 1, [f"No such user: {names[0]}"], None),
        (("--channel", names[1]), 1, [f"No such channel: {names[1]}"], None),
        (("--host", names[2]), 1, [f"No such host: {names[2]}"], None),
        (("--channel", empty), 0, ["(no tasks)"], None),
        (("--mine", "--user", "admin"), 1, [], "GenericError: Can't specify 'mine' and 'user' in same time"),
        (("--all",), 2, [], "koji: error: --all must be used with --after"),
    ]
    results = run_many(koji_cli, *((("list-tasks", *args), {"check": False}) for args, *_ in cases))
    for (args, code, stdout, error), result in zip(cases, results, strict=True):
        assert (result.returncode, out_lines(result)) == (code, stdout), args
        if code == 1 and not stdout:
            assert logged_error(result) == error, args
        elif code == 2:
            assert last_error(result) == error, args
        else:
            assert result.stderr == "", args


# --- taskinfo ------------------------------------------------------------------------------------


def info_block(
    task: dict, owner: str, host: str | None, level: int = 0, verbose: bool = False, params: tuple = ()
) -> list[str]:
    """_printTaskInfo's lines for a task with no builds, build roots or output files."""
    ind = "  " * level
    lines = [f"{ind}Task: {task['id']}", f"{ind}Type: {task['method']}"]
    if verbose:
        lines += [f"{ind}Request Parameters:", *(f"{ind}  {p}" for p in params)]
    lines += [
        f"{ind}Owner: {owner}",
        f"{ind}State: {koji.TASK_STATES[task['state']].lower()}",
        f"{ind}Created: {asctime(task['create_ts'])}",
    ]
    if task["start_ts"]:
        lines.append(f"{ind}Started: {asctime(task['start_ts'])}")
    if task["completion_ts"]:
        lines.append(f"{ind}Finished: {asctime(task['completion_ts'])}")
    if host:
        lines.append(f"{ind}Host: {host}")
    none = f"{ind}  No outputs reported [1]"
    return [*lines, f"{ind}Log Files:", none, f"{ind}Output:", none, ind + NOTE, ""]


def test_taskinfo_of_a_missing_task(koji_cli):
    missing = koji_cli("taskinfo", str(MISSING), user=None, check=False)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert logged_error(missing) == f"GenericError: No such task: {MISSING}"


def test_taskinfo_plain_verbose_and_recursive(koji_cli, admin, builder):
    parent = admin.makeTask("sleep", [1], channel=builder.channel)
    builder.open(parent)
    waiter = builder.subtask("waitrepo", ["f40-build", None, ["foo-1-1", "bar-2-2"]], parent, label="a")
    builder.run(waiter)
    sleeper = builder.subtask("sleep", [2], parent, label="b")  # FREE: no start, no host
    info = {t: admin.getTaskInfo(t) for t in (parent, waiter, sleeper)}
    host = builder.name

    plain = koji_cli("taskinfo", str(parent), user=None)
    assert out_lines(plain) == info_block(info[parent], "admin", host)

    both = koji_cli("taskinfo", str(waiter), str(sleeper), user=None)
    assert out_lines(both) == info_block(info[waiter], "admin", host) + info_block(info[sleeper], "admin", None)

    deep = koji_cli("taskinfo", "-v", "-r", str(parent), user=None)
    assert out_lines(deep) == [
        *info_block(info[parent], "admin", host, verbose=True),
        *info_block(
            info[waiter], "admin", host, 1, verbose=True, params=("Build Target: f40-build", "NVRs: foo-1-1, bar-2-2")
        ),
        *info_block(info[sleeper], "admin", None, 1, verbose=True),
    ]


# --- cancel --------------------------------------------------------------------------------------


def states(admin: koji.ClientSession, *task_ids: int) -> list[str]:
    return [koji.TASK_STATES[admin.getTaskInfo(t)["state"]] for t in task_ids]


def test_cancel_a_task_its_children_or_just_the_one(koji_cli, admin, builder):
    parent = admin.makeTask("sleep", [1], channel=builder.channel)
    builder.open(parent)
    done = builder.subtask("sleep", [2], parent, label="done")
    builder.run(done)
    running = builder.subtask("sleep", [3], parent, label="running")
    builder.open(running)
    below = builder.subtask("sleep", [4], running, label="below")

    cancel = koji_cli("cancel", str(parent))
    assert (cancel.stdout, cancel.stderr) == ("", "")
    assert states(admin, parent, done, running, below) == ["CANCELED", "CLOSED", "CANCELED", "CANCELED"]
    # canceling a canceled or closed task again changes nothing and is no error
    again = koji_cli("cancel", str(parent), str(done))
    assert (again.stdout, again.stderr) == ("", "")
    assert states(admin, parent, done) == ["CANCELED", "CLOSED"]

    other = admin.makeTask("sleep", [5], channel=builder.channel)
    builder.open(other)
    kept = builder.subtask("sleep", [6], other, label="kept")
    assert koji_cli("cancel", "--justone", str(other)).stdout == ""
    assert states(admin, other, kept) == ["CANCELED", "FREE"]

    # several ids go in one multicall: the good ones are canceled, each fault is a warning
    loose = admin.makeTask("sleep", [7], channel=builder.channel)
    partly = koji_cli("cancel", str(kept), str(MISSING), str(loose), check=False)
    assert (partly.returncode, partly.stdout, partly.stderr) == (1, "", f"No such task: {MISSING}\n")
    assert states(admin, kept, loose) == ["CANCELED", "CANCELED"]

    bad = koji_cli("cancel", "not_a_task", check=False)
    assert bad.returncode == 2
    assert last_error(bad) == "koji: error: please specify only task ids (integer) or builds (n-v-r)"


def test_cancel_full_cancels_the_whole_family(koji_cli, admin, builder):
    top = admin.makeTask("sleep", [1], channel=builder.channel)
    builder.open(top)
    middle = builder.subtask("sleep", [2], top, label="middle")
    builder.open(middle)
    leaf = builder.subtask("sleep", [3], middle, label="leaf")

    strict = koji_cli("cancel", "--full", str(leaf), check=False)
    assert (strict.returncode, strict.stdout) == (1, "")
    assert strict.stderr == f"Task {leaf} is not top-level (parent={middle})\n"
    assert states(admin, top, middle, leaf) == ["OPEN", "OPEN", "FREE"]

    forced = koji_cli("cancel", "--full", "--force", str(leaf))
    assert (forced.stdout, forced.stderr) == ("", "")
    assert states(admin, top, middle, leaf) == ["CANCELED", "CANCELED", "CANCELED"]


def test_cancel_by_someone_else_is_refused(koji_cli, admin, cast, builder):
    task = admin.makeTask("sleep", [1], channel=builder.channel)
    refused = koji_cli("cancel", str(task), user=cast.plain, check=False)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert len(refused.stderr.splitlines()) == 1
    assert states(admin, task) == ["FREE"]


def test_cancel_by_someone_else_says_not_owner(koji_cli, admin, cast, builder):
    task = admin.makeTask("sleep", [1], channel=builder.channel)
    refused = koji_cli("cancel", str(task), user=cast.plain, check=False)
    assert (refused.returncode, refused.stderr) == (1, "Cannot cancel task, not owner\n")


def test_cancel_an_nvr_asks_for_the_build(koji_cli, admin):
    nvr = f"{unique('pkg')}-1.0-1"
    missing = koji_cli("cancel", nvr, check=False)
    assert (missing.returncode, missing.stdout, missing.stderr) == (1, "", f"No such build: '{nvr}'\n")
    admin.createEmptyBuild(nvr.rsplit("-", 2)[0], "1.0", "1", None)  # COMPLETE: nothing to cancel
    done = koji_cli("cancel", nvr, check=False)
    assert (done.returncode, done.stderr) == (1, f"Cannot cancel build '{nvr}': it is not building\n")
    assert admin.getBuild(nvr)["state"] == koji.BUILD_STATES["COMPLETE"]


# --- resubmit ------------------------------------------------------------------------------------


def new_tasks(admin: koji.ClientSession, builder: Builder, method: str) -> list[dict]:
    return admin.listTasks({"channel_id": builder.channel_id, "method": method, "state": [FREE]}, {"order": "id"})


def test_resubmit_quietly_without_waiting(koji_cli, admin, cast, builder):
    failed = admin.makeTask("waittest", [3, "x"], channel=builder.channel, arch="x86_64", priority=7)
    builder.open(failed)
    builder.fail(failed, "boom")

    done = koji_cli("resubmit", "--quiet", "--nowait", str(failed))
    assert (done.stdout, done.stderr) == ("", "")
    [again] = new_tasks(admin, builder, "waittest")
    assert again["id"] > failed
    assert (again["arch"], again["priority"], again["owner_name"], again["parent"]) == ("x86_64", 7, "admin", None)
    assert admin.getTaskRequest(again["id"]) == [3, "x"]

    canceled = admin.makeTask("sleep", [4], channel=builder.channel)
    assert koji_cli("cancel", str(canceled)).stdout == ""
    assert koji_cli("resubmit", "--quiet", "--nowait", str(canceled)).stdout == ""
    assert [admin.getTaskRequest(t["id"]) for t in new_tasks(admin, builder, "sleep")] == [[4]]

    # what may not be resubmitted
    closed = admin.makeTask("sleep", [5], channel=builder.channel)
    builder.run(closed)
    parent = admin.makeTask("sleep", [6], channel=builder.channel)
    builder.open(parent)
    child = builder.subtask("sleep", [7], parent, label="child")
    admin.cancelTask(child)
    refusals = [
        (closed, ADMIN, "GenericError: only canceled or failed tasks may be resubmitted"),
        (child, ADMIN, "GenericError: only top-level tasks may be resubmitted"),
        (failed, cast.plain, "GenericError: only the task owner or an admin may resubmit a task"),
    ]
    calls = [
        (("resubmit", "--quiet", "--nowait", str(task)), {"user": who, "check": False}) for task, who, _ in refusals
    ]
    for (task, _, message), refused in zip(refusals, run_many(koji_cli, *calls), strict=True):
        assert (refused.returncode, refused.stdout) == (1, ""), task
        assert logged_error(refused) == message, task
    assert len(new_tasks(admin, builder, "sleep")) == 1


def test_resubmit_prints_the_task_then_the_new_id(koji_cli, admin, builder):
    failed = admin.makeTask("sleep", [3], channel=builder.channel)
    builder.open(failed)
    builder.fail(failed, "boom")
    info = admin.getTaskInfo(failed)

    done = koji_cli("resubmit", "--nowait", str(failed))
    [again] = new_tasks(admin, builder, "sleep")
    assert out_lines(done) == [
        "Resubmitting the following task:",
        *info_block(info, "admin", builder.name, verbose=True),
        f"Resubmitted task {failed} as new task {again['id']}",
    ]


def test_resubmitted_task_belongs_to_who_resubmitted_it(koji_cli, hub, admin, cast, builder):
    boss = koji_session(hub, *cast.boss)
    task = boss.makeTask("sleep", [1], channel=builder.channel)
    boss.logout()
    koji_cli("cancel", str(task))
    koji_cli("resubmit", "--quiet", "--nowait", str(task))
    [again] = new_tasks(admin, builder, "sleep")
    listed = out_lines(koji_cli("list-tasks", "--channel", builder.channel))
    assert listed == [HEADER, row(again["id"], 20, "admin", "FREE", "sleep (noarch)")]


# --- watch-task ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_watch_task_follows_a_family_until_it_closes(watch, admin, builder):
    parent = admin.makeTask("sleep", [1], channel=builder.channel)
    assert builder.claim() == [parent]
    host = builder.name
    label = "sleep (noarch)"

    w = watch(str(parent))
    assert w.next() == "Watching tasks (this may be safely interrupted)..."
    assert w.next() == f"{parent} {label}: assigned ({host})"
    builder.open(parent)
    assert w.next() == f"{parent} {label}: assigned ({host}) -> open ({host})"
    child = builder.subtask("sleep", [2], parent, label="child")
    assert w.next() == f"  {child} {label}: free"  # children are found and watched, one level in
    assert builder.claim() == [child]
    assert w.next() == f"  {child} {label}: free -> assigned ({host})"
    builder.open(child)
    assert w.next() == f"  {child} {label}: assigned ({host}) -> open ({host})"
    builder.close(child)
    assert w.next() == f"  {child} {label}: open ({host}) -> closed"
    assert w.next() == "  0 free  1 open  1 done  0 failed"
    builder.close(parent, "all done")

    code, rest, stderr = w.finish()
    assert rest == [
        f"{parent} {label}: open ({host}) -> closed",
        "  0 free  0 open  2 done  0 failed",
        "",
        f"{parent} {label} completed successfully",
    ]
    assert (code, stderr) == (0, "")


@pytest.mark.slow
def test_watch_task_exits_non_zero_when_the_task_fails(watch, admin, builder):
    task = admin.makeTask("waittest", [1], channel=builder.channel)
    builder.open(task)
    host = builder.name

    w = watch(str(task))
    assert w.next() == "Watching tasks (this may be safely interrupted)..."
    assert w.next() == f"{task} waittest (noarch): open ({host})"
    builder.fail(task, "boom")

    code, rest, stderr = w.finish()
    assert rest == [
        f"{task} waittest (noarch): open ({host}) -> FAILED: GenericError: boom",
        "  0 free  0 open  0 done  1 failed",
        "",
        f"{task} waittest (noarch) failed",
    ]
    assert (code, stderr) == (1, "")


def test_watch_task_on_finished_tasks_and_refusals(fast_cli, admin, builder):
    closed = admin.makeTask("sleep", [1], channel=builder.channel)
    builder.run(closed)
    failed = admin.makeTask("waittest", [2], channel=builder.channel)
    builder.open(failed)
    builder.fail(failed, "it broke")
    canceled = admin.makeTask("sleep", [3], channel=builder.channel)
    admin.cancelTask(canceled)
    ids = [str(closed), str(failed), str(canceled)]

    anonymous = {"user": None, "check": False}
    closed_only, mixed, quiet, missing, selected, both = run_many(
        fast_cli,
        (("watch-task", str(closed)), anonymous),
        (("watch-task", *ids), anonymous),
        (("watch-task", "--quiet", *ids), anonymous),
        (("watch-task", str(MISSING)), anonymous),
        (("watch-task", "--channel", builder.channel), anonymous),  # a selection: its active tasks
        (("watch-task", "--channel", builder.channel, str(closed)), anonymous),
    )
    assert closed_only.returncode == 0
    assert out_lines(closed_only) == [
        "Watching tasks (this may be safely interrupted)...",
        f"{closed} sleep (noarch): closed",
        "",
        f"{closed} sleep (noarch) completed successfully",
    ]

    assert (mixed.returncode, mixed.stderr) == (1, "")
    assert out_lines(mixed) == [
        "Watching tasks (this may be safely interrupted)...",
        f"{closed} sleep (noarch): closed",
        f"{failed} waittest (noarch): FAILED: GenericError: it broke",
        f"{canceled} sleep (noarch): canceled",
        "",
        f"{closed} sleep (noarch) completed successfully",
        f"{failed} waittest (noarch) failed",
        f"{canceled} sleep (noarch) was canceled",
    ]

    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (1, "", "")
    assert missing.returncode == 1
    assert out_lines(missing) == ["Watching tasks (this may be safely interrupted)...", f"No such task id: {MISSING}"]

    assert (selected.returncode, selected.stdout) == (0, "(no tasks)\n")
    assert both.returncode == 2
    assert last_error(both) == "koji: error: Selection options cannot be combined with a task list"


# --- set-task-priority, assign-task, free-task ---------------------------------------------------


def test_set_task_priority(koji_cli, admin, cast, builder):
    parent = admin.makeTask("sleep", [1], channel=builder.channel)
    builder.open(parent)
    child = builder.subtask("sleep", [2], parent, label="child")

    def priorities():
        return [admin.getTaskInfo(t)["priority"] for t in (parent, child)]

    assert priorities() == [20, 19]
    set_one = koji_cli("set-task-priority", "--priority", "5", str(parent))
    assert (set_one.stdout, set_one.stderr) == ("", "")
    assert priorities() == [5, 19]
    koji_cli("set-task-priority", "--priority", "3", "--recurse", str(parent))
    assert priorities() == [3, 3]

    closed = admin.makeTask("sleep", [3], channel=builder.channel)
    builder.run(closed)
    warned = koji_cli("set-task-priority", "--priority", "1", str(closed), str(child))
    assert (warned.returncode, warned.stdout) == (0, "")
    assert warned.stderr == f"Can't update task priority on closed task: {closed}\n"
    assert priorities() == [3, 1]
    assert admin.getTaskInfo(closed)["priority"] == 20

    refused = koji_cli("set-task-priority", "--priority", "9", str(parent), user=cast.plain, check=False)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == f"admin permission required (logged in as {cast.plain[0]})\n"
    unset = koji_cli("set-task-priority", str(parent), check=False)
    assert (unset.returncode, last_error(unset)) == (2, "koji: error: You must specify --priority")
    assert priorities() == [3, 1]


def test_assign_and_free_tasks(koji_cli, admin, cast, builder):
    first, second = unique("target"), unique("target")  # hosts that never log in
    first_id, second_id = admin.addHost(first, ["x86_64"]), admin.addHost(second, ["x86_64"])
    task = admin.makeTask("sleep", [1], channel=builder.channel)

    def where():
        info = admin.getTaskInfo(task)
        return koji.TASK_STATES[info["state"]], info["host_id"]

    assert koji_cli("assign-task", str(task), first).stdout == f"assigned task {task} to host {first}\n"
    assert where() == ("ASSIGNED", first_id)
    # an assigned task moves only with --force
    assert koji_cli("assign-task", str(task), second).stdout == f"failed to assign task {task} to host {second}\n"
    assert where() == ("ASSIGNED", first_id)
    forced = koji_cli("assign-task", "--force", "--override", str(task), second)
    assert forced.stdout == f"assigned task {task} to host {second}\n"
    assert where() == ("ASSIGNED", second_id)

    freed = koji_cli("free-task", str(task))
    assert (freed.stdout, freed.stderr) == ("", "")
    assert where() == ("FREE", None)
    assert koji_cli("free-task", str(task)).stdout == ""  # a free task stays free
    assert where() == ("FREE", None)

    closed = admin.makeTask("sleep", [2], channel=builder.channel)
    builder.run(closed)
    stuck = koji_cli("free-task", str(closed), check=False)
    assert (stuck.returncode, stuck.stdout) == (1, "")
    assert logged_error(stuck) == f"GenericError: Cannot free task {closed}, state is CLOSED"

    refused = {"check": False}
    no_task, no_host, not_admin, not_freed = run_many(
        koji_cli,
        (("assign-task", str(MISSING), first), refused),
        (("assign-task", str(task), "nohost"), refused),
        (("assign-task", str(task), first), {**refused, "user": cast.plain}),
        (("free-task", str(task)), {**refused, "user": cast.plain}),
    )
    assert logged_error(no_task) == f"GenericError: No such task: {MISSING}"
    assert logged_error(no_host) == "GenericError: No such host: nohost"
    assert (no_task.returncode, no_host.returncode) == (1, 1)
    assert (not_admin.returncode, last_error(not_admin)) == (2, "koji: error: This action requires admin privileges")
    assert not_freed.returncode == 1
    plain = cast.plain[0]
    assert logged_error(not_freed) == f"ActionNotAllowed: admin permission required (logged in as {plain})"
    assert where() == ("FREE", None)


def test_assign_a_finished_task_fails_quietly(koji_cli, admin, builder):
    host = unique("target")
    admin.addHost(host, ["x86_64"])
    closed = admin.makeTask("sleep", [1], channel=builder.channel)
    builder.run(closed)
    refused = koji_cli("assign-task", str(closed), host, check=False)
    assert (refused.returncode, refused.stdout) == (0, f"failed to assign task {closed} to host {host}\n")
