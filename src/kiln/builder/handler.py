"""The task handler base class: what a builder-side task is, as in Koji.

A handler class names the methods it runs (``Methods``), may suggest a
weight (``_taskWeight``) and implements ``handler(*args, **kwargs)``; its
return value is the task's result.  It runs in a child process of the
daemon with a host session of its own (a subsession of the daemon's), and
gets helpers for what tasks do: make subtasks and wait for them, upload
files into the task's output, and log (into the task's log, which the hub
shows while the task runs).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from kiln.builder.buildroot import BACKENDS, BuildRoot, BuildRootRequest
from kiln.builder.scm import SCM, SCMError
from kiln.client.uploads import upload_file
from kiln.protocol import errors
from kiln.protocol.xmlrpc import decode_args

# A parent that waits asks the hub about its children in long polls of this
# many seconds (host.taskWait's timeout): the hub answers as soon as one ends.
WAIT_POLL_SECONDS = 10.0
WAIT_BUSY_HUB_SECONDS = 0.5


class _RunFromStart:
    def __repr__(self) -> str:
        return "RUN_FROM_START"


# What ``achieved`` answers when an earlier run of the task left nothing to carry on from.
RUN_FROM_START: Any = _RunFromStart()


def task_output_dir(task_id: int) -> str:
    """Koji's work directory of a task, relative to topdir/work: tasks/<id % 10000>/<id>."""
    return f"tasks/{task_id % 10000}/{task_id}"


class BaseTaskHandler:
    """Subclass this; set ``Methods`` and write ``handler``."""

    Methods: list[str] = []
    # None: the hub's weight for the method stands (its starting weight, raised
    # by recorded run times).  A number: the task asks for that weight.
    _taskWeight: float | None = None

    def __init__(
        self,
        task_id: int,
        method: str,
        params: list,
        session: Any,
        workdir: Path,
        options: Any = None,
    ) -> None:
        self.id = task_id
        self.method = method
        self.params = params
        self.session = session
        self.workdir = Path(workdir)
        self.options = options
        self.logger = logging.getLogger(f"kiln.builder.task.{task_id}")

    # --- to override -----------------------------------------------------

    def handler(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no handler")

    def weight(self) -> float | None:
        return self._taskWeight

    def achieved(self, *args: Any, **kwargs: Any) -> Any:
        """What an earlier run of this task already did: looked at before ``handler`` runs, with its arguments.

        A task runs again under the same id when its host was lost or its
        daemon restarted (the hub freed it), and its earlier run may have got
        far: begun or finished something on the hub, maybe without living to
        report.  A handler whose task makes things on the hub overrides this
        to find out, and finishes what is left: it returns the task's result
        when the work is done (the task closes with it and ``handler`` does
        not run), or ``RUN_FROM_START`` (the default) to run ``handler``.
        Subtasks need nothing here: asked for again under the same label, the
        hub gives the earlier run's child back (as Koji's does).
        """
        return RUN_FROM_START

    def cleanup(self) -> None:
        """Undo what the task set up outside its work directory (mounts, build roots).

        Runs after the task ends, also when it was cancelled and its
        processes killed (then in a fresh instance, in the daemon).
        """

    # --- helpers ---------------------------------------------------------

    def run(self) -> Any:
        args, kwargs = decode_args(self.params)
        result = self.achieved(*args, **kwargs)
        if result is not RUN_FROM_START:
            self.logger.info("an earlier run of task %s did its work: it closes with that run's result", self.id)
            return result
        return self.handler(*args, **kwargs)

    def subtask(self, method: str, arglist: list, **opts: Any) -> int:
        """A child task (its channel and arch are the parent's unless given)."""
        return self.session.host.subtask(method=method, arglist=arglist, parent=self.id, **opts)

    def wait(
        self,
        subtasks: int | list[int] | None = None,
        all: bool = False,  # noqa: A002 - Koji's name
        failany: bool = False,
        canfail: list[int] | None = None,
        timeout: float | None = None,
    ) -> dict:
        """Wait for children, as Koji's handlers do; returns ``{task id: result}`` of the finished ones.

        ``all``: wait for every one (else for the first to finish).
        ``failany`` (with ``all``): when a child fails, cancel the others and
        fail with its error at once.  ``canfail``: children whose failure is
        acceptable (their result is then the fault, as a dict).  ``timeout``:
        seconds, after which the unfinished children are cancelled and this
        task fails.
        """
        if isinstance(subtasks, int):
            subtasks = [subtasks]
        checked = set(canfail or [])
        self.session.host.taskSetWait(self.id, subtasks)
        started = time.monotonic()
        while True:
            poll = WAIT_POLL_SECONDS
            if timeout is not None:
                poll = max(0.0, min(poll, timeout - (time.monotonic() - started)))
            asked = time.monotonic()
            finished, unfinished = self.session.host.taskWait(self.id, timeout=poll)
            if not finished and unfinished and time.monotonic() - asked < poll / 2:
                # The hub answered at once (its waiting slots are full, or it stops): no spinning.
                time.sleep(WAIT_BUSY_HUB_SECONDS)
            if not unfinished:
                break
            if finished and not all:
                break
            if finished and failany:
                for task_id in set(finished) - checked:
                    try:
                        self.session.getTaskResult(task_id)
                    except errors.GenericError:
                        self.logger.info("task %s failed or was cancelled; cancelling the others", task_id)
                        self.session.cancelTaskChildren(self.id)
                        raise
                    checked.add(task_id)
            if timeout is not None and time.monotonic() - started > timeout:
                self.session.cancelTaskChildren(self.id)
                raise errors.GenericError(f"subtasks of task {self.id} did not finish within {timeout} seconds")
        results = self.session.host.taskWaitResults(self.id, subtasks, canfail=list(canfail or []))
        return dict(results)

    def checkout_scm(self, url: str, into: str = "source") -> dict:
        """Check ``url`` out into ``workdir/into``, if the builder's ``allowed_scms`` allows it.

        The checkout's log goes into the task's output as ``checkout.log``
        (also when it fails); the answer names the commit checked out.
        """
        scm = SCM.parse(url)
        scm.assert_allowed(getattr(self.options, "allowed_scms", "") or "")
        if getattr(self.options, "scm_policy", False):
            data = {
                "scm_url": url,
                "scm_host": scm.host,
                "scm_repository": scm.repository,
                "scm_module": scm.module,
                "scm_type": scm.kind.upper(),
                "user_id": self.session.getTaskInfo(self.id)["owner"],
                "method": self.method,
            }
            verdict, _, reason = self.session.host.evalPolicy("build_from_scm", data).partition(" ")
            if verdict != "allow":
                raise SCMError(f"SCM URL {url} refused by the hub's build_from_scm policy: {reason or verdict}")
        dest = self.workdir / into
        log_path = self.workdir.parent / "checkout.log"
        self.logger.info("checking out %s", url)
        try:
            commit = scm.checkout(dest, log_path)
        finally:
            if log_path.exists():
                self.upload_file(log_path)
        self.logger.info("checked out %s at %s", url, commit)
        return {"url": url, "commit": commit, "path": str(dest)}

    def repo_location(self, tag_name: str, repo_id: int, arch: str) -> str:
        """Where a tag's repo for an arch is read: the read-only topdir mount if set, else the hub's topurl.

        Koji's layout, ``repos/<tag>/<repo id>/<arch>``; the builder never writes there.
        """
        relative = f"repos/{tag_name}/{int(repo_id)}/{arch}"
        topdir = getattr(self.options, "topdir", "") or ""
        if topdir:
            return f"{topdir.rstrip('/')}/{relative}"
        topurl = getattr(self.options, "topurl", "") or ""
        if not topurl:
            raise errors.ConfigurationError("set topurl (or topdir) in the builder's config to read repos")
        return f"{topurl.rstrip('/')}/{relative}"

    def buildroot(self, request: BuildRootRequest, repo_id: int | None = None) -> BuildRoot:
        """A build root made by the builder's backend, in ``workdir/buildroot``.

        The requirements are resolved against the request's repo first:
        anything no package there provides fails the task, naming it.  The
        build root is put on record at the hub with every package it holds
        (``host.newBuildRoot``, ``host.updateBuildRootList``), and its state
        follows (BUILDING at the first command, EXPIRED when destroyed).  The
        handler runs commands with ``run`` and should ``destroy`` it (its
        ``cleanup`` is a good place).  ``repo_id``: the hub's repo the
        request's repo is, for the record.
        """
        backend = getattr(self.options, "buildroot", "namespace") or "namespace"
        if backend not in BACKENDS:
            raise errors.BuildrootError(f"unknown build root backend {backend!r} (known: {', '.join(BACKENDS)})")
        root = BACKENDS[backend](request, self.workdir / "buildroot", getattr(self.options, "build_user", None))
        self.logger.info("build root (%s): %s", backend, ", ".join(p.nvra for p in root.components))
        # On record at the hub: this build root, for this task, holding these packages.
        hub_id = self.session.host.newBuildRoot(repo_id, request.arch, self.id)
        components = [
            {"name": p.name, "version": p.version, "release": p.release, "epoch": p.epoch, "arch": p.arch}
            for p in root.components
        ]
        self.session.host.updateBuildRootList(hub_id, components, self.id)
        root.hub_id = hub_id
        root.reporter = lambda state: self.session.host.setBuildRootState(hub_id, state, self.id)
        return root

    def upload_file(self, path: str | Path, name: str | None = None) -> int:
        """Put a local file into this task's output (chunked, verified); returns its size."""
        return upload_file(self.session, path, task_output_dir(self.id), name)
