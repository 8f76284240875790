"""kiln-builder's main loop: check in, watch, take work, over and over.

The daemon talks to the hub only over the wire, through one exclusive host
session, one call at a time, and stays single-threaded so that forking a
child per task is safe.  The loop reads as the story it is:

- ``check_in``: report the load and readiness (every ``checkin_seconds``);
- ``reap``: children that ended; a child that died without reporting gets
  its task failed here, with how it died;
- ``watch``: tasks the hub no longer lists OPEN on this host (cancelled, or
  freed by an admin) lose their processes at once: the whole process group;
- ``take``: wait for work (a long poll, short while tasks run so that a
  cancel is seen within ``check_seconds``), refuse methods without a
  handler (another host may have one), open the rest and fork for each.

A hub that does not answer (a restart, a balancer's 502, 503 or 504, a
ServerOffline) is waited out: each call is tried again every
``retry_interval`` seconds, ``max_retries`` times (kojid's 60 and 120),
and a step whose call gave up even so is tried again at the next turn of the
loop.  The running tasks go on meanwhile (their processes wait for the hub
just as long) and are never given up for an unreachable hub.

SIGTERM (or SIGINT) stops the daemon.  The waits (start-up, check-in and the
wait for work, a hub's retries included) end at once: the signal raises out
of them, so a stop never waits out a long poll.  Elsewhere the step in hand
finishes first (opening a task and forking for it, or reaping one, is never
cut in half).  Then ``stop``: the running tasks are killed (kojid's SIGTERM
does the same), the host is reported not ready, the hub frees the tasks (they
run again from the start) and the session ends.

On start it takes the host's lock back (``force_lock``), kills the process
groups a killed daemon's tasks left running (each task's work directory
names its group), frees the tasks the hub still lists as its own (no local
process runs them now) and removes the stale work directories.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from kiln.builder import runner
from kiln.builder.buildroot import BACKENDS
from kiln.builder.config import BuilderSettings
from kiln.builder.handler import BaseTaskHandler
from kiln.builder.hub_session import HostSession, patience
from kiln.builder.plugins import Plugins
from kiln.protocol import errors
from kiln.protocol.constants import TaskState
from kiln.protocol.xmlrpc import Fault, dumps

log = logging.getLogger("kiln.builder")

PGID_FILE = "pgid"


class _StopWaiting(BaseException):
    """Raised by SIGTERM inside a wait (``Daemon._stoppable``): a stop must not wait out a long poll.

    A BaseException, as KeyboardInterrupt is, so that no ``except Exception``
    on the way (the client's retries) takes it for a failed call.
    """


@dataclass
class Running:
    task: dict
    pid: int
    handler_class: type[BaseTaskHandler]
    workdir: Path
    subsessions: list[int]
    weight: float
    started: float = field(default_factory=time.monotonic)
    killed: bool = False


class Daemon:
    def __init__(self, settings: BuilderSettings, plugins: Plugins | None = None) -> None:
        self.settings = settings
        if settings.buildroot not in BACKENDS:
            raise errors.ConfigurationError(
                f"buildroot: unknown backend {settings.buildroot!r} (known: {', '.join(BACKENDS)})"
            )
        self.plugins = plugins or Plugins(settings.plugins)
        self.session = HostSession(
            settings.server, opts={"user": settings.login, "password": settings.password, **patience(settings)}
        )
        self.running: dict[int, Running] = {}
        self.stopping = False
        self.stop_signal = 0
        self._waiting = False  # in a wait SIGTERM may cut short (_stoppable)
        self._last_checkin = 0.0
        self._last_watch = 0.0
        self.tasks_root = Path(settings.workdir) / "tasks"

    # --- the story -------------------------------------------------------

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        try:
            with self._stoppable():
                self.start()
            while not self.stopping:
                try:
                    self.turn()
                except requests.RequestException as exc:
                    self._hub_away(exc)
        except _StopWaiting:
            pass  # what the hub assigned meanwhile stays ASSIGNED: the next getTasks hands it back first
        finally:
            self.stop()

    def turn(self) -> None:
        """One turn of the loop: check in, reap, watch, take."""
        with self._stoppable():
            self.check_in()
        self.reap()
        self.watch()
        self.take()

    def _hub_away(self, exc: Exception) -> None:
        """A call that gave up on the hub after its retries: the tasks run on, the loop tries again."""
        log.error("the hub did not answer (%s); tasks %s run on, trying again", exc, sorted(self.running))
        with self._stoppable():
            time.sleep(self.settings.retry_interval)

    def start(self) -> None:
        self.session.login()
        self.session.exclusiveSession(force=self.settings.force_lock)
        host = self.session.host.getHost()
        self.host_id = host["id"]
        log.info("kiln-builder for host %s (id %s) on %s", host["name"], host["id"], self.settings.server)
        if self.tasks_root.exists():
            for leftover in self.tasks_root.glob(f"*/{PGID_FILE}"):
                _kill_group(int(leftover.read_text()))  # a task process the killed daemon left running
            shutil.rmtree(self.tasks_root, ignore_errors=True)
        orphans = [t["id"] for t in self.session.host.getHostTasks()]
        if orphans:
            log.warning("freeing tasks a previous daemon left open: %s", orphans)
            self.session.host.freeTasks(orphans)
        self.tasks_root.mkdir(parents=True, exist_ok=True)
        self.check_in(force=True)

    def stop(self) -> None:
        """Kill the running tasks, report the host not ready, have the hub free the tasks, log out."""
        why = f"signal {self.stop_signal}: " if self.stop_signal else ""
        if self.running:
            tasks = sorted(self.running)
            log.info("%sstopping; killing running tasks %s, the hub frees them to run again", why, tasks)
        else:
            log.info("%sstopping; no task running", why)
        # A goodbye is worth a second try, not a hub's outage of retries.
        self.session.opts["max_retries"] = min(int(self.session.opts["max_retries"]), 1)
        self.session.opts["offline_retry"] = False
        deadline = time.monotonic() + self.settings.kill_grace_seconds  # one grace time for them all
        for item in list(self.running.values()):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(item.pid, signal.SIGTERM)
        freed = list(self.running)
        for item in list(self.running.values()):
            self._kill(item, deadline)
        if self.session.logged_in:  # not when a stop cut the start short
            try:
                self.session.host.updateHost(0.0, False)  # first: the freed tasks must not come back here
                if freed:
                    self.session.host.freeTasks(freed)
                self.session.logout()
            except Exception:
                log.warning("could not say goodbye to the hub", exc_info=True)
        log.info("stopped")

    def _on_term(self, signum: int, _frame: Any) -> None:
        # No logging here: the signal may come in the middle of a log call.
        self.stopping = True
        self.stop_signal = signum
        if self._waiting:
            self._waiting = False
            raise _StopWaiting

    @contextlib.contextmanager
    def _stoppable(self) -> Iterator[None]:
        """A wait that SIGTERM ends at once, raising _StopWaiting out of it (for ``run`` to catch)."""
        self._waiting = True  # before the check: a signal after it raises, one before it is seen here
        try:
            if self.stopping:
                raise _StopWaiting
            yield
        finally:
            self._waiting = False

    # --- steps -----------------------------------------------------------

    def load(self) -> float:
        return sum(item.weight for item in self.running.values())

    def check_in(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_checkin >= self.settings.checkin_seconds:
            self.session.host.updateHost(self.load(), True)
            self._last_checkin = now

    def reap(self) -> None:
        """Collect ended children; fail the tasks of those that died without reporting."""
        while self.running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            item = next((r for r in self.running.values() if r.pid == pid), None)
            if item is None:
                continue
            self._finish(item, status)

    def watch(self) -> None:
        """Kill the processes of tasks the hub no longer has OPEN here."""
        now = time.monotonic()
        if not self.running or now - self._last_watch < self.settings.check_seconds:
            return
        self._last_watch = now
        open_here = {t["id"] for t in self.session.host.getHostTasks()}
        for task_id, item in list(self.running.items()):
            if task_id not in open_here and not item.killed:
                state = self.session.getTaskInfo(task_id)["state"]
                if state in (TaskState.CLOSED, TaskState.FAILED):
                    continue  # its child reported and is on its way out
                log.info("task %s is %s on the hub: killing its processes", task_id, TaskState(state).name)
                self._kill(item)

    def take(self) -> None:
        timeout = self.settings.check_seconds if self.running else self.settings.poll_seconds
        with self._stoppable():
            asked = time.monotonic()
            log.debug("waiting up to %s s for work", timeout)
            offered = self.session.host.getTasks(timeout=timeout)  # ASSIGNED to this host
            if not offered and time.monotonic() - asked < min(timeout, 1.0) / 2:
                # An empty answer long before the timeout: the hub had no waiting
                # slot for us (or is stopping).  Asking again at once would spin.
                time.sleep(min(timeout, 1.0))
        for task in offered:
            if self.stopping:
                break
            if task["id"] not in self.running:
                self._take_one(task)

    # --- helpers ---------------------------------------------------------

    def _take_one(self, task: dict) -> None:
        task_id = task["id"]
        cls = self.plugins.handlers.get(task["method"])
        if cls is None:
            log.info("task %s: no handler for %s here; refusing it", task_id, task["method"])
            self.session.host.refuseTask(task_id, False, f"{self.settings.host} has no handler for {task['method']}")
            return
        if self.settings.capacity and self.load() >= self.settings.capacity:
            return
        opened = self.session.host.openTask(task_id)
        if opened is None:
            return
        try:
            self._spawn(opened, cls)
        except errors.RetryError:
            # A subsession the hub made, its reply lost: hand the task back (it runs again from the start).
            log.warning("task %s: its subsession's reply was lost; freeing the task", task_id, exc_info=True)
            shutil.rmtree(self.tasks_root / str(task_id), ignore_errors=True)
            self.session.host.freeTasks([task_id])

    def _spawn(self, task: dict, cls: type[BaseTaskHandler]) -> None:
        task_id = task["id"]
        workdir = self.tasks_root / str(task_id)
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        handler_session = self.session.call("subsession")  # session info, for the child's own client
        log_session = self.session.call("subsession")
        start = runner.TaskStart(
            task, cls, self.settings.server, handler_session, log_session, workdir, options=self.settings
        )
        pid = os.fork()
        if pid == 0:
            runner.child_main(start)  # never returns
        with contextlib.suppress(OSError):  # the child may have done it first
            os.setpgid(pid, pid)
        (workdir / PGID_FILE).write_text(str(pid))  # for a restarted daemon, should this one die
        subsessions = [handler_session["session-id"], log_session["session-id"]]
        self.running[task_id] = Running(task, pid, cls, workdir, subsessions, float(task.get("weight") or 0.0))
        log.info("task %s (%s) started in process %s", task_id, task["method"], pid)
        self.plugins.hook.kiln_builder_task_started(task=task, workdir=str(workdir))

    def _kill(self, item: Running, deadline: float | None = None) -> None:
        """SIGTERM to the task's process group, SIGKILL after the grace time (or at ``deadline``); then reap it."""
        item.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(item.pid, signal.SIGTERM)
        if deadline is None:
            deadline = time.monotonic() + self.settings.kill_grace_seconds
        while time.monotonic() < deadline:
            pid, status = os.waitpid(item.pid, os.WNOHANG)
            if pid:
                self._finish(item, status)
                return
            time.sleep(0.05)
        _kill_group(item.pid)
        _pid, status = os.waitpid(item.pid, 0)
        self._finish(item, status)

    def _finish(self, item: Running, status: int) -> None:
        task_id = item.task["id"]
        del self.running[task_id]
        _kill_group(item.pid)  # what the task left behind (fork's sleepers, build tools)
        outcome = "cancelled" if item.killed else "closed"
        if not item.killed:
            info = self.session.getTaskInfo(task_id)
            state = info["state"]
            if info["host_id"] != getattr(self, "host_id", info["host_id"]):
                # Freed while this host was out of reach past its host timeout: another
                # host has it (or had it), and this run's result was refused.
                log.warning("task %s: the hub gave it to another host while this one was out of reach", task_id)
                outcome = "taken back"
            elif state == TaskState.OPEN:
                how = _how_it_ended(status)
                log.error("task %s: its process %s without reporting; failing it", task_id, how)
                try:
                    self.session.host.failTask(task_id, dumps(Fault(1, f"the task's process {how}")))
                except errors.GenericError:
                    log.exception("task %s: could not fail it", task_id)
                outcome = "died"
            elif state == TaskState.FAILED:
                outcome = "failed"
        if item.killed:
            try:
                item.handler_class(task_id, item.task["method"], [], None, item.workdir / "work").cleanup()
            except Exception:
                log.exception("task %s: cleanup after cancel failed", task_id)
        shutil.rmtree(item.workdir, ignore_errors=True)
        for sid in item.subsessions:
            try:
                self.session.logoutChild(sid)
            except errors.GenericError:
                log.warning("could not close subsession %s", sid, exc_info=True)
        log.info("task %s %s after %.1f s", task_id, outcome, time.monotonic() - item.started)
        self.plugins.hook.kiln_builder_task_ended(task=item.task, state=outcome)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by signal {os.WTERMSIG(status)} ({signal.Signals(os.WTERMSIG(status)).name})"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"
