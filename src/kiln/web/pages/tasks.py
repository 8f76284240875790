"""The summary, the task list, a task and its files."""

from __future__ import annotations

import base64
from typing import Any

from kiln.client import ClientSession
from kiln.client.triage import why_failed
from kiln.protocol.constants import TaskState
from kiln.web import plugins
from kiln.web.listing import PageError, page_link, window
from kiln.web.pages.common import found, number, when


def index(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Running and recent top-level tasks, recent builds, and the hosts' load."""
    with session.multicall(strict=True) as m:
        recent = m.listTasks({"parent": None}, {"order": "-id", "limit": 20})
        active = {"parent": None, "state": [TaskState.OPEN, TaskState.ASSIGNED]}
        running = m.listTasks(active, {"order": "-id", "limit": 20})
        running_total = m.listTasks(active, {"countOnly": True})
        builds = m.listBuilds(queryOpts={"order": "-build_id", "limit": 10})
        hosts = m.listHosts(enabled=True, queryOpts={"order": "name"})
    return "index.html", {
        "recent": recent.result,
        "running": running.result,
        "running_total": running_total.result,
        "builds": builds.result,
        "hosts": hosts.result,
        "when": when,
    }


def taskinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    task_id = number(query, "taskID")
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
        made = m.listBuilds(taskID=task_id)
    result = None
    if task["state"] in (TaskState.CLOSED, TaskState.FAILED):
        result = session.getTaskResult(task_id, raise_fault=False)
    failed = task["state"] == TaskState.FAILED  # the page has the task and its tree already
    finding = why_failed(session, task_id, task, tree.result) if failed else None
    queue = session.callMethod("kiln.queuePosition", task_id) if task["state"] == TaskState.FREE else None
    descendants = _walk(tree.result, task_id)
    live = _live(session, task, descendants, output.result)
    return "taskinfo.html", {
        "task": task,
        "owner": owner.result,
        "host": host.result if host else None,
        "channel": channel.result if channel else None,
        "parent": parent.result if parent else None,
        **live,
        "request": readable_request(task["method"], task.get("request") or []),
        "builds": made.result,
        "result": result,
        "failed": isinstance(result, dict) and "faultCode" in result,
        "finding": finding,
        "queue": queue,
        "sections": plugins.sections("task", task),
        "when": when,
    }


FINISHED = (TaskState.CLOSED, TaskState.FAILED, TaskState.CANCELED)
TAIL_BYTES = 8192
TAIL_LINES = 40


def taskinfo_live(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """The part of a task's page that follows it (state, descendants, output, the end of its log):
    what the page's script fetches again every few seconds, in two hub requests."""
    task_id = number(query, "taskID")
    with session.multicall(strict=True) as m:
        task = m.getTaskInfo(task_id)
        tree = m.getTaskDescendents(task_id)
        output = m.listTaskOutput(task_id, stat=True)
    if not task.result:
        raise PageError(404, f"There is no task {task_id}.")
    return "taskinfo_live.html", _live(session, task.result, _walk(tree.result, task_id), output.result)


def _live(session: ClientSession, task: dict, descendants: list, output: dict) -> dict:
    """State, descendants, output files and the last lines of the task's newest log."""
    logs = sorted((info.get("st_mtime", 0), name) for name, info in output.items() if name.endswith(".log"))
    tail, tail_name = "", ""
    if logs:
        tail_name = logs[-1][1]
        size = int(output[tail_name].get("st_size", 0))
        start = max(0, size - TAIL_BYTES)
        data = base64.b64decode(session.downloadTaskOutput(task["id"], tail_name, start, TAIL_BYTES))
        lines = data.decode("utf-8", errors="replace").splitlines()
        tail = "\n".join(lines[1 if start else 0 :][-TAIL_LINES:])
    return {
        "task": task,
        "descendants": descendants,
        "output": sorted(output.items()),
        "finished": task["state"] in FINISHED and all(child["state"] in FINISHED for _depth, child in descendants),
        "tail": tail,
        "tail_name": tail_name,
        "task_dir": f"work/tasks/{task['id'] % 10000}/{task['id']}",
    }


# The names of the arguments of the methods kiln's builders run, as Koji's handlers take them.
REQUEST_NAMES = {
    "build": ("Source", "Build target", "Options"),
    "chainbuild": ("Sources", "Build target", "Options"),
    "buildSRPMFromSCM": ("Source", "Build tag", "Options"),
    "rebuildSRPM": ("SRPM", "Build tag", "Options"),
    "buildArch": ("SRPM", "Build tag", "Arch", "Keep SRPM", "Options"),
    "tagBuild": ("Tag", "Build", "Force", "From tag", "Ignore success"),
    "newRepo": ("Tag", "Options"),
    "createrepo": ("Repo", "Arch", "Old repo", "External repos"),
    "waitrepo": ("Tag", "Newer than", "Builds"),
    "buildNotification": ("Recipients", "Build", "Target", "Web URL"),
    "tagNotification": ("Recipients", "Success", "Tag", "From tag", "Build", "User", "Ignore success", "Message"),
    "sleep": ("Seconds",),
}


def readable_request(method: str, request: list) -> list[tuple[str, str]]:
    """A task's arguments as (name, value) rows: Koji's names where the method is known, options one a row."""
    names = REQUEST_NAMES.get(method, ())
    rows: list[tuple[str, str]] = []
    for at, value in enumerate(request):
        name = names[at] if at < len(names) else f"Argument {at + 1}"
        if isinstance(value, dict) and value:
            rows += [(f"{name}: {key}", _text(item)) for key, item in sorted(value.items())]
        elif isinstance(value, dict):
            continue  # no options
        else:
            rows.append((name, _text(value)))
    return rows


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return "" if value is None else str(value)


TASK_STATES = {
    "all": None,
    "active": [TaskState.FREE, TaskState.OPEN, TaskState.ASSIGNED],
    "free": [TaskState.FREE],
    "open": [TaskState.OPEN],
    "assigned": [TaskState.ASSIGNED],
    "closed": [TaskState.CLOSED],
    "failed": [TaskState.FAILED],
    "canceled": [TaskState.CANCELED],
}
TASK_ORDERS = ("id", "method", "arch", "state", "priority", "owner_name", "create_ts", "completion_ts")


TASK_VIEWS = ("tree", "toplevel", "flat")


def tasks(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Koji's task list: by state (``state``: all, active, closed, failed, canceled...), method, owner, host,
    channel and arch; ``view`` tree (top-level tasks with their descendants, Koji's default), toplevel or
    flat (every task; the only view of a host's tasks, as in Koji)."""
    shown = window("tasks", query, "-id", TASK_ORDERS)
    opts: dict[str, Any] = {"decode": True}
    state = query.get("state", "all")
    if state not in TASK_STATES:
        raise PageError(400, f"Unknown task state {state!r}.")
    if TASK_STATES[state] is not None:
        opts["state"] = TASK_STATES[state]
    view = query.get("view", "tree")
    if view not in TASK_VIEWS:
        raise PageError(400, f"view must be one of {', '.join(TASK_VIEWS)}, not {view!r}.")
    if query.get("hostID"):
        view = "flat"
    if view != "flat":
        opts["parent"] = None
    if query.get("method", "all") != "all":
        opts["method"] = query["method"]
    if query.get("arch"):
        opts["arch"] = [query["arch"]]
    lookups = {"owner": (session.getUser, "owner"), "hostID": (session.getHost, "host_id")}
    lookups["channelID"] = (session.getChannel, "channel_id")
    for key, (lookup, field) in lookups.items():
        if query.get(key):
            opts[field] = [found(lookup, query, key, key.removesuffix("ID"))["id"]]
    with session.multicall(strict=True) as m:
        listed = shown.ask(m, "listTasks", opts)
    rows = []
    if view == "tree" and listed.result.rows:
        with session.multicall(strict=True) as m:
            trees = [m.getTaskDescendents(task["id"]) for task in listed.result.rows]
        for task, tree in zip(listed.result.rows, trees, strict=True):
            rows += [(0, task)] + _walk(tree.result, task["id"])
    else:
        rows = [(0, task) for task in listed.result.rows]
    return "tasks.html", {
        "tasks": listed.result,
        "rows": rows,
        "state": state,
        "states": list(TASK_STATES),
        "view": view,
        "views": TASK_VIEWS,
        "method": query.get("method", "all"),
        "methods": ["all", *sorted({*REQUEST_NAMES, *plugins.method_names()}, key=str.lower)],
        "link": lambda **changes: page_link("tasks", query, start="", **changes),
        "when": when,
    }


def _walk(tree: dict, parent_id: int, depth: int = 1) -> list[tuple[int, dict]]:
    """getTaskDescendents' answer as (depth, task) rows, each task followed by its own children."""
    rows = []
    for child in tree.get(str(parent_id), []):
        rows.append((depth, child))
        rows += _walk(tree, child["id"], depth + 1)
    return rows


def getfile(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """A task's output file shown as text (``offset`` and ``size`` in bytes), as kojiweb's getfile."""
    task_id = number(query, "taskID")
    name = query.get("name")
    if not name:
        raise PageError(400, "This page needs name=, a file of the task's output.")
    offset = number(query, "offset") if "offset" in query else 0
    size = min(number(query, "size"), 4 * 1024 * 1024) if "size" in query else 1024 * 1024
    if offset < 0 or size <= 0:
        raise PageError(400, "offset must be 0 or more and size more than 0.")
    if name not in session.listTaskOutput(task_id):
        raise PageError(404, f"Task {task_id} has no output file {name!r}.")
    data = base64.b64decode(session.downloadTaskOutput(task_id, name, offset, size))
    return "getfile.html", {
        "task_id": task_id,
        "name": name,
        "offset": offset,
        "text": data.decode("utf-8", errors="replace"),
        "more": len(data) == size,
        "next": page_link("getfile", query, offset=offset + len(data)),
    }


def watchlogs(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Every log of a task tree, the end of each, followed as Koji's watchlogs follows them."""
    task_id = number(query, "taskID")
    with session.multicall(strict=True) as m:
        task = m.getTaskInfo(task_id)
        tree = m.getTaskDescendents(task_id)
    if not task.result:
        raise PageError(404, f"There is no task {task_id}.")
    family = [(0, task.result), *_walk(tree.result, task_id)][:MAX_WATCHED]
    with session.multicall(strict=True) as m:
        outputs = [m.listTaskOutput(t["id"], stat=True) for _depth, t in family]
    logs = []
    for (_depth, member), output in zip(family, outputs, strict=True):
        for name in sorted(n for n in output.result if n.endswith(".log")):
            logs.append((member, name, int(output.result[name].get("st_size", 0))))
    with session.multicall(strict=True) as m:
        ends = [m.downloadTaskOutput(t["id"], n, max(0, size - TAIL_BYTES), TAIL_BYTES) for t, n, size in logs]
    shown = []
    for (member, name, size), end in zip(logs, ends, strict=True):
        lines = base64.b64decode(end.result).decode("utf-8", errors="replace").splitlines()
        shown.append((member, name, "\n".join(lines[1 if size > TAIL_BYTES else 0 :][-TAIL_LINES:])))
    finished = all(t["state"] in FINISHED for _depth, t in family)
    template = "watchlogs_live.html" if query.get("fragment") == "live" else "watchlogs.html"
    return template, {"task": task.result, "logs": shown, "finished": finished}


MAX_WATCHED = 50  # tasks of a tree whose logs one page follows

PAGES = {"index": index, "tasks": tasks, "taskinfo": taskinfo, "getfile": getfile, "watchlogs": watchlogs}
LIVE = {"taskinfo": taskinfo_live, "watchlogs": watchlogs}
