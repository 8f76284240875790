"""The pages: each takes a hub session and the query, and gives a template and its values.

The boxes of a page come from one multicall where they can, so a page
costs the hub one or two requests, not one per box.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from kiln.client import ClientSession
from kiln.protocol.constants import TaskState


class PageError(Exception):
    """What the visitor asked for is malformed (400) or does not exist (404): a page that says so."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def state_name(state: Any) -> str:
    try:
        return TaskState(int(state)).name.lower()
    except (TypeError, ValueError):
        return "unknown"


def _int(query: dict[str, str], name: str) -> int:
    value = query.get(name)
    if value is None:
        raise PageError(400, f"This page needs {name}=, a number.")
    try:
        return int(value)
    except ValueError:
        raise PageError(400, f"{name} must be a number, not {value!r}.") from None


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def index(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Running and recent top-level tasks, recent builds, and the hosts' load."""
    with session.multicall(strict=True) as m:
        recent = m.listTasks({"parent": None}, {"order": "-id", "limit": 20})
        running = m.listTasks({"parent": None, "state": [TaskState.OPEN, TaskState.ASSIGNED]}, {"order": "-id"})
        builds = m.listBuilds(queryOpts={"order": "-build_id", "limit": 10})
        hosts = m.listHosts()
    return "index.html", {
        "recent": recent.result,
        "running": running.result,
        "builds": builds.result,
        "hosts": sorted(hosts.result, key=lambda h: h["name"]),
        "when": when,
    }


def taskinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    task_id = _int(query, "taskID")
    task = session.getTaskInfo(task_id, request=True)
    if not task:
        raise PageError(404, f"There is no task {task_id}.")
    with session.multicall(strict=True) as m:
        tree = m.getTaskDescendents(task_id)
        output = m.listTaskOutput(task_id, stat=True)
        owner = m.getUser(task["owner"])
        host = m.getHost(task["host_id"]) if task["host_id"] else None
        channel = m.getChannel(task["channel_id"]) if task["channel_id"] else None
        parent = m.getTaskInfo(task["parent"]) if task["parent"] else None
    result = None
    if task["state"] in (TaskState.CLOSED, TaskState.FAILED):
        result = session.getTaskResult(task_id, raise_fault=False)
    descendants: list[tuple[int, dict]] = []

    def walk(parent_id: int, depth: int) -> None:
        for child in tree.result.get(str(parent_id), []):
            descendants.append((depth, child))
            walk(child["id"], depth + 1)

    walk(task_id, 1)
    return "taskinfo.html", {
        "task": task,
        "owner": owner.result,
        "host": host.result if host else None,
        "channel": channel.result if channel else None,
        "parent": parent.result if parent else None,
        "descendants": descendants,
        "output": sorted(output.result.items()),
        "result": result,
        "failed": isinstance(result, dict) and "faultCode" in result,
        "when": when,
        "task_dir": f"work/tasks/{task_id % 10000}/{task_id}",
    }


PAGES: dict[str, Callable[[ClientSession, dict[str, str]], tuple[str, dict]]] = {
    "index": index,
    "taskinfo": taskinfo,
}
