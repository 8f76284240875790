"""The builder's sessions with its hub: kojid's patience, and writes whose reply was lost.

Every session the builder holds (the daemon's, and each task process's
handler and log subsessions) waits out an unreachable hub the same way, as
kojid's do: a call that gets no answer (a connection refused or reset, a
timeout, a front proxy's 502, 503 or 504) is tried again every
``retry_interval`` seconds, ``max_retries`` times; a hub that answers
ServerOffline is waited for as long as it says so.  A fault is an answer and
is never retried.

A write whose reply was lost on its way back is refused on its retry with
RetryError: the call numbers tell the hub it has already done it.  That
means the call took effect, and :class:`HostSession` answers it as the hub
would have: ``closeTask`` and ``failTask`` are done once the task is CLOSED
(FAILED), ``openTask`` answers the task it opened, ``subtask`` the child it
made, ``newBuildRoot`` the build root it registered.  A task is finished
exactly once, and a handler is not failed for a write that worked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiln.client import ClientSession
from kiln.protocol import errors
from kiln.protocol.constants import TaskState
from kiln.protocol.xmlrpc import dumps

log = logging.getLogger("kiln.builder")


def patience(settings: Any) -> dict[str, Any]:
    """Client options for waiting out an unreachable hub, from the builder's settings (kojid's by default)."""
    return {
        "max_retries": int(getattr(settings, "max_retries", 120)),
        "retry_interval": float(getattr(settings, "retry_interval", 60.0)),
        "offline_retry": True,  # kojid's too: a hub offline for maintenance comes back
    }


class HostSession(ClientSession):
    """A host's session (the daemon's or a task's) that answers for its writes whose reply was lost."""

    def settle_replay(self, name: str, args: tuple, kwargs: dict, refused: errors.RetryError) -> Any:
        settle = _SETTLERS.get(name)
        if settle is None:
            raise refused
        answer = settle(self, _Call(args, kwargs), refused)
        log.info("%s had taken effect: answered %r", name, answer)
        return answer


class _Call:
    """A call's arguments, by position or by name."""

    def __init__(self, args: tuple, kwargs: dict) -> None:
        self.args, self.kwargs = args, kwargs

    def arg(self, index: int, name: str) -> Any:
        return self.args[index] if len(self.args) > index else self.kwargs.get(name)


def _done(_session: HostSession, _call: _Call, _refused: errors.RetryError) -> None:
    return None  # the call answers nothing: having taken effect is all there is to it


def _finished_as(state: TaskState) -> Callable[[HostSession, _Call, errors.RetryError], None]:
    def settle(session: HostSession, call: _Call, refused: errors.RetryError) -> None:
        task_id = call.arg(0, "task_id")
        if session.getTaskInfo(task_id)["state"] != state:
            raise refused  # something else happened: not ours to paper over
        return None

    return settle


def _opened(session: HostSession, call: _Call, refused: errors.RetryError) -> dict:
    task_id = call.arg(0, "task_id")
    task = session.getTaskInfo(task_id, request=True)
    if task is None or task["state"] != TaskState.OPEN or task["host_id"] != session.host.getHost()["id"]:
        raise refused
    task["request"] = dumps(tuple(task["request"]), methodname=task["method"])  # as openTask answers it
    return task


def _subtask_made(session: HostSession, call: _Call, refused: errors.RetryError) -> int:
    # Only the parent's own session makes its children, one call at a time: the newest is the one.
    parent, method = call.arg(2, "parent"), call.arg(0, "method")
    made = [c["id"] for c in session.getTaskChildren(parent) if c["method"] == method]
    if not made:
        raise refused
    return max(made)


def _buildroot_made(session: HostSession, call: _Call, refused: errors.RetryError) -> int:
    arch, task_id = call.arg(1, "arch"), call.arg(2, "task_id")
    made = [b["id"] for b in session.listBuildroots(taskID=task_id) if b["arch"] == arch] if task_id else []
    if not made:
        raise refused
    return max(made)


_SETTLERS: dict[str, Callable[[HostSession, _Call, errors.RetryError], Any]] = {
    "host.closeTask": _finished_as(TaskState.CLOSED),
    "host.failTask": _finished_as(TaskState.FAILED),
    "host.openTask": _opened,
    "host.subtask": _subtask_made,
    "host.newBuildRoot": _buildroot_made,
    "host.getTasks": lambda *_: [],  # what it assigned comes back with the next call
    "host.setTaskWeight": _done,
    "host.updateBuildRootList": _done,
    "host.refuseTask": _done,
    "host.freeTasks": _done,
    "host.failBuild": _done,
    "logoutChild": _done,
    "exclusiveSession": _done,
}
