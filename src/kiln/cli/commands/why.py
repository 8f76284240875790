"""``kiln why``: why a task or build failed (its log's first error), or what a waiting task waits for.

kiln's own command (koji has none like it).  The failure comes from
kiln.client.triage, the same function the web's task and build pages show;
the queue position from the hub's ``kiln.queuePosition``, the scheduler's
own rules.
"""

from __future__ import annotations

from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context
from kiln.client.triage import Finding, why_failed
from kiln.protocol.constants import TaskState


def handle_why(ctx: Context) -> int:
    session = ctx.session()
    word = ctx.options.item
    if word.isdigit():
        task = session.getTaskInfo(int(word))
        if not task:
            raise CommandError(f"No such task: {word}")
    else:
        build = session.getBuild(word)
        if not build:
            raise CommandError(f"No such build: {word}")
        if not build.get("task_id"):
            print(f"Build {build['nvr']} was imported, not built here: there is no task to look at.")
            return 0
        task = session.getTaskInfo(build["task_id"])
    state = TaskState(task["state"])
    if state in (TaskState.FREE, TaskState.ASSIGNED, TaskState.OPEN):
        print(waiting_lines(session, task))
        return 0
    finding = why_failed(session, task["id"])
    if finding is None:
        print(f"Task {task['id']} ({task['method']}) is {state.name.lower()}: nothing in it failed.")
        return 0
    print(failure_text(finding, ctx.profile.weburl))
    return 0


def waiting_lines(session: Any, task: dict) -> str:
    state = TaskState(task["state"])
    if state != TaskState.FREE:
        host = session.getHost(task["host_id"]) if task.get("host_id") else None
        where = f" on {host['name']}" if host else ""
        return f"Task {task['id']} ({task['method']}) is {state.name.lower()}{where}: it is not waiting."
    queue = session.callMethod("kiln.queuePosition", task["id"])
    if not queue["hosts"]:
        return f"Task {task['id']} ({task['method']}) is waiting, but no enabled host can run it (arch {task['arch']})."
    ahead, count = queue["ahead"], len(queue["hosts"])
    lines = [
        f"Task {task['id']} ({task['method']}) is waiting: {ahead} task{'s are' if ahead != 1 else ' is'} ahead of it "
        f"for the {count} host{'s' if count != 1 else ''} that can run it."
    ]
    ready = queue["ready_hosts"]
    lines.append(f"Ready now: {', '.join(ready)}" if ready else "None of them is ready now.")
    return "\n".join(lines)


def failure_text(finding: Finding, weburl: str | None) -> str:
    lines = [f"Task {finding.task_id} ({finding.method}) failed: {finding.summary}"]
    if finding.log:
        lines.append(f"{finding.log}, line {finding.line}:")
        lines += [f"  {line}" for line in finding.lines]
        if weburl:
            lines.append(
                f"Full log: {weburl.rstrip('/')}/getfile?taskID={finding.task_id}&name={finding.log}"
                f"&offset={finding.offset}"
            )
    return "\n".join(lines)


def register(subparsers: Any) -> None:
    """Add the why command."""
    why = add_command(subparsers, "why", handle_why)
    why.add_argument("item", metavar="TASK|NVR", help="a task id or a build's N-V-R")
