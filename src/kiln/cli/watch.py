"""Watching tasks until they finish, printing what koji's ``watch_tasks`` prints.

Scripts parse these lines, so they are koji's, word for word (see
koji-api-notes §10): the header, one ``<indent><id> <label>: <state>`` line
on first sight of a task, ``<text>: <old> -> <new>`` on each change, the
``  N free  N open  N done  N failed`` line after a task finishes, and the
closing ``... completed successfully`` / ``failed`` / ``was canceled`` lines
for the top-level tasks.  Subtasks are found through ``getTaskChildren`` and
watched one level deeper.

How kiln differs, on purpose, without changing a printed line:

- A client has no long-poll call (``host.taskWait`` is for builders), so the
  watcher polls; the default interval is 0.5 s rather than koji's 6 s so a
  finished task shows at once.  To keep that cheap, one cycle is one
  multicall (every ``getTaskInfo`` and ``getTaskChildren`` koji would send
  one by one) plus a second one for newly found subtasks, and host names
  are looked up once per host.
- Ctrl-C prints koji's ``Tasks still running...`` message and
  :func:`watch_tasks` returns 1 (koji's exit status after an interrupt)
  rather than raising, so callers such as ``build --wait`` just return it.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

from kiln.client.task_labels import task_label
from kiln.protocol.constants import TaskState
from kiln.protocol.paths import PathInfo

if TYPE_CHECKING:
    from kiln.cli.context import Context
    from kiln.client import ClientSession

POLL_INTERVAL = 0.5

_FINISHED = frozenset({TaskState.CLOSED, TaskState.CANCELED, TaskState.FAILED})


def error_text(error: BaseException) -> str:
    """``Class: message`` as koji shows a task's failure (kiln's KojiImportError is koji's ImportError)."""
    name = type(error).__name__
    if name == "KojiImportError":
        name = "ImportError"
    return f"{name}: {str(error).strip()}"


def log_urls(session: ClientSession, task_id: int, topurl: str) -> list[str]:
    """The URLs of a task's output files that end in ``log``, on every volume, in the hub's order."""
    output = session.listTaskOutput(task_id, all_volumes=True)
    paths = PathInfo(topdir=topurl)
    return [
        f"{paths.task(task_id, volume)}/{name}"
        for name, volumes in output.items()
        for volume in volumes
        if name.endswith("log")
    ]


class TaskWatcher:
    """One watched task: its last seen info, its depth, and how koji shows its state."""

    def __init__(self, watch: _Watch, task_id: int, level: int = 0) -> None:
        self.watch = watch
        self.id = task_id
        self.level = level
        self.info: dict[str, Any] | None = None

    def text(self) -> str:
        indent = "  " * self.level
        if self.info:
            return f"{indent}{self.id} {task_label(self.info)}"
        return f"{indent}{self.id}"

    @property
    def done(self) -> bool:
        return self.info is not None and self.info["state"] in _FINISHED

    @property
    def success(self) -> bool:
        return self.info is not None and self.info["state"] == TaskState.CLOSED

    def state_text(self, info: dict[str, Any] | None, level: int = 0) -> str:
        """The state as koji words it: ``open (host)``, ``closed``, ``FAILED: Class: msg`` (+ logs)."""
        if not info:
            return "unknown"
        state = TaskState(info["state"])
        if state in (TaskState.OPEN, TaskState.ASSIGNED):
            name = state.name.lower()
            if info["host_id"]:
                return f"{name} ({self.watch.host_name(info['host_id'])})"
            return name
        if state == TaskState.FAILED:
            text = f"FAILED: {self.watch.failure(self.id)}"
            if self.watch.topurl:
                indent = "  " * (level + 1)
                logs = [indent + url for url in log_urls(self.watch.session, self.id, self.watch.topurl)]
                if logs:
                    text += f"\n{indent}Relevant logs:\n" + "\n".join(logs)
            return text
        return state.name.lower()

    def update(self, info: dict[str, Any] | None) -> bool:
        """Take the task's new info and print what changed; True when its state changed."""
        last, self.info = self.info, info
        if info is None:
            if not self.watch.quiet:
                print(f"No such task id: {self.id}")
            raise _NoSuchTask(self.id)
        if last is None:
            self.watch.say(f"{self.text()}: {self.state_text(info, level=self.level)}")
            return False
        if last["state"] != info["state"]:
            self.watch.say(f"{self.text()}: {self.state_text(last)} -> {self.state_text(info)}")
            return True
        return False


class _NoSuchTask(Exception):
    pass


class _Watch:
    """The state of one ``watch_tasks`` run: the tasks in the order seen, and lookups made once."""

    def __init__(self, session: ClientSession, quiet: bool, topurl: str | None) -> None:
        self.session = session
        self.quiet = quiet
        self.topurl = topurl
        self.tasks: dict[int, TaskWatcher] = {}
        self._hosts: dict[int, str] = {}

    def say(self, line: str) -> None:
        if not self.quiet:
            print(line)

    def host_name(self, host_id: int) -> str:
        if host_id not in self._hosts:
            self._hosts[host_id] = self.session.getHost(host_id)["name"]
        return self._hosts[host_id]

    def failure(self, task_id: int) -> str:
        try:
            self.session.getTaskResult(task_id)
        except Exception as exc:  # the stored fault, re-raised by the hub: exactly what we show
            return error_text(exc)
        return ""

    def counts_line(self) -> str:
        counts = {"free": 0, "open": 0, "done": 0, "failed": 0}
        for task in self.tasks.values():
            state = task.info["state"] if task.info else None
            if state == TaskState.FAILED:
                counts["failed"] += 1
            elif state in (TaskState.CLOSED, TaskState.CANCELED):
                counts["done"] += 1
            elif state in (TaskState.OPEN, TaskState.ASSIGNED):
                counts["open"] += 1
            elif state == TaskState.FREE:
                counts["free"] += 1
        return "  {free} free  {open} open  {done} done  {failed} failed".format(**counts)

    def fetch(self, infos_of: list[int], children_of: list[int]) -> tuple[dict[int, Any], dict[int, list]]:
        """One multicall: ``getTaskInfo(request=True)`` and ``getTaskChildren`` for the tasks given."""
        with self.session.multicall(strict=True) as m:
            infos = {task_id: m.getTaskInfo(task_id, request=True) for task_id in infos_of}
            children = {task_id: m.getTaskChildren(task_id) for task_id in children_of}
        return (
            {task_id: call.result for task_id, call in infos.items()},
            {task_id: call.result for task_id, call in children.items()},
        )

    def cycle(self) -> tuple[bool, int]:
        """One round over every task, as koji's loop does it; (all finished, exit code)."""
        known = list(self.tasks.values())
        infos, children = self.fetch([t.id for t in known if not t.done], [t.id for t in known])
        new = [c["id"] for t in known for c in children[t.id] if c["id"] not in self.tasks]
        new_infos, _ = self.fetch(list(dict.fromkeys(new)), []) if new else ({}, {})
        all_done, code = True, 0
        for task in known:
            changed = task.update(infos[task.id]) if task.id in infos else False
            if not task.done:
                all_done = False
            else:
                if changed:
                    self.say(self.counts_line())
                if task.level == 0 and not task.success:
                    code = 1
            for child in children[task.id]:
                if child["id"] not in self.tasks:
                    watcher = self.tasks[child["id"]] = TaskWatcher(self, child["id"], task.level + 1)
                    watcher.update(new_infos[child["id"]])
                    all_done = False
        return all_done, code

    def results(self) -> None:
        self.say("")
        for task in self.tasks.values():
            if task.level:
                continue
            state = task.info["state"] if task.info else None
            outcome = {
                TaskState.CLOSED: "completed successfully",
                TaskState.FAILED: "failed",
                TaskState.CANCELED: "was canceled",
            }.get(state, "has not completed")
            self.say(f"{task.text()} {outcome}")

    def interrupted(self) -> None:
        if self.quiet or not self.tasks:
            return
        progname = os.path.basename(sys.argv[0]) or "kiln"
        running = [f"{t.text()}: {t.state_text(t.info, level=t.level)}" for t in self.tasks.values() if not t.done]
        print(
            f"Tasks still running. You can continue to watch with the '{progname} watch-task' command.\n"
            "Running Tasks:\n" + "\n".join(running)
        )


def watch_tasks(
    session: ClientSession,
    task_ids: list[int],
    quiet: bool = False,
    poll_interval: float = POLL_INTERVAL,
    topurl: str | None = None,
) -> int:
    """Watch the tasks and their subtasks until all finish; the exit code koji's watch gives.

    0 when every top-level task closed, 1 when one failed or was canceled,
    when a task does not exist, or on Ctrl-C (after koji's message).
    """
    if not task_ids:
        return 0
    watch = _Watch(session, quiet, topurl)
    watch.say("Watching tasks (this may be safely interrupted)...")
    sys.stdout.flush()
    try:
        for task_id in task_ids:
            watch.tasks.setdefault(task_id, TaskWatcher(watch, task_id))
        while True:
            all_done, code = watch.cycle()
            if all_done:
                watch.results()
                return code
            sys.stdout.flush()
            time.sleep(poll_interval)
    except _NoSuchTask:
        return 1
    except KeyboardInterrupt:
        try:
            watch.interrupted()
        except KeyboardInterrupt:
            pass
        except Exception:  # the hub may be gone: the message matters less than a clean exit
            pass
        sys.stdout.flush()
        return 1


# --- what every watching command shares (build, resubmit, make-task, regen-repo, ...) ---


def poll_interval(ctx: Context) -> float:
    """The profile's ``poll_interval`` (koji's key), else kiln's default (koji's is 6 s)."""
    value = getattr(ctx.profile, "poll_interval", None)
    return POLL_INTERVAL if value is None else float(value)


def running_in_background() -> bool:
    """Koji's test for not watching: no terminal on stdin, or not the terminal's foreground process group."""
    try:
        return not os.isatty(0) or os.getpgrp() != os.tcgetpgrp(0)
    except OSError:
        return True


def watch_for(ctx: Context, task_ids: list[int], quiet: bool | None = None) -> int:
    """Log out (a watch can last hours and needs no login, as in koji) and watch the tasks; the exit code."""
    session = ctx.session()
    if session.logged_in:
        session.logout()
    quiet = ctx.quiet if quiet is None else quiet
    return watch_tasks(session, task_ids, quiet=quiet, poll_interval=poll_interval(ctx), topurl=ctx.profile.topurl)
