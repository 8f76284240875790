"""Task calls for users and admins (Koji's names and signatures)."""

from __future__ import annotations

from typing import Any

from kiln.hub.api import batches
from kiln.hub.argtypes import Id, IdOrName
from kiln.hub.context import Context
from kiln.hub.domain import build_requests, task_actions, task_lists, tasks
from kiln.hub.rpc import LOGIN, export, has_perm
from kiln.protocol import errors


@export(perm="admin", writes=True)
def makeTask(ctx: Context, *args: Any, **opts: Any) -> int:
    """Create a task by hand (admins; mainly for debugging), as Koji's makeTask."""
    if "owner" in opts:
        raise errors.ActionNotAllowed("The owner option is not allowed here")
    # Koji's makeTask passes both on to make_task(method, arglist, **opts): by
    # position or by name (koji make-task sends keywords).
    given = list(args)
    for name in ("method", "arglist")[len(given) :]:
        if name in opts:
            given.append(opts.pop(name))
    if len(given) != 2 or {"method", "arglist"} & set(opts):
        raise errors.ParameterError("makeTask takes (method, arglist, **opts)")
    task_id = tasks.create(ctx, given[0], given[1], **opts)
    task_actions.scheduler.announce(ctx)
    return task_id


@export(access=LOGIN, writes=True)
def build(
    ctx: Context,
    src: str,
    target: IdOrName | None,
    opts: dict | None = None,
    priority: int | None = None,
    channel: IdOrName | None = None,
) -> int:
    """Ask for a build of ``src`` (an SCM URL, or an uploaded .src.rpm's work path) for ``target``; the task id."""
    return build_requests.submit(ctx, src, target, opts, priority, channel, has_perm(ctx, "admin"))


@export(access=LOGIN, writes=True)
def chainBuild(
    ctx: Context,
    srcs: list,
    target: IdOrName | None,
    opts: dict | None = None,
    priority: int | None = None,
    channel: IdOrName | None = None,
) -> int:
    """Levels of builds, each level's built and in the build tag's repo before the next starts; the task id."""
    return build_requests.submit_chain(ctx, srcs, target, opts, priority, channel, has_perm(ctx, "admin"))


def _task_key(b: dict) -> batches.Key | None:
    """By id, one query per ``request`` flag; a list of ids as singly (a malformed id raises here)."""
    if isinstance(b["task_id"], (list, tuple)):
        return None
    return bool(b["request"]), tasks.task_id(b["task_id"])


@export(
    batch=batches.lookups(
        key_of=_task_key,
        get_many=lambda ctx, request, ids: tasks.get_many(ctx, ids, request=request),
        missing=lambda task_id: f"No such task: {task_id}",
        single=lambda ctx, **b: getTaskInfo(ctx, **b),
    )
)
def getTaskInfo(ctx: Context, task_id: Id | list, request: bool = False, strict: bool = False) -> Any:
    if isinstance(task_id, (list, tuple)):
        return [tasks.get(ctx, one, strict=strict, request=request) for one in task_id]
    return tasks.get(ctx, task_id, strict=strict, request=request)


@export()
def getTaskRequest(ctx: Context, taskId: Id) -> list:
    return tasks.request_of(ctx, taskId)


@export()
def getTaskResult(ctx: Context, taskId: Id, raise_fault: bool = True) -> Any:
    return tasks.result_of(ctx, taskId, raise_fault=raise_fault)


def _children_key(b: dict) -> batches.Key:
    """By parent id, one query per (``request``, ``strict``): only a strict run needs to know which tasks exist."""
    return (bool(b["request"]), bool(b["strict"])), tasks.task_id(b["task_id"])


def _children_many(ctx: Context, variant: tuple[bool, bool], ids: list) -> dict:
    """Every id's children (``[]`` for none); a strict run leaves out the tasks that do not exist, so they fault."""
    request, strict = variant
    found = tasks.children_many(ctx, ids, request=request)
    if strict:
        known = tasks.existing_ids(ctx, ids)
        return {task_id: kids for task_id, kids in found.items() if task_id in known}
    return found


@export(
    batch=batches.lookups(
        key_of=_children_key,
        get_many=_children_many,
        missing=lambda task_id: f"No such task: {task_id}",
        single=lambda ctx, **b: getTaskChildren(ctx, **b),
    )
)
def getTaskChildren(ctx: Context, task_id: Id, request: bool = False, strict: bool = False) -> list:
    if strict:
        tasks.get(ctx, task_id, strict=True)
    return tasks.children(ctx, task_id, request=request)


def _descendents_key(b: dict) -> batches.Key:
    """By root id, one query per ``request`` flag for all the trees (a malformed id raises here)."""
    return bool(b["request"]), tasks.task_id(b["task_id"])


@export(
    batch=batches.lookups(
        key_of=_descendents_key,
        # Every root gets an answer (an unknown one ``{str(id): []}``): nothing is missing.
        get_many=lambda ctx, request, ids: tasks.descendents_many(ctx, ids, request=request),
        missing=lambda task_id: f"No such task: {task_id}",
        single=lambda ctx, **b: getTaskDescendents(ctx, **b),
    )
)
def getTaskDescendents(ctx: Context, task_id: Id, request: bool = False) -> dict:
    return tasks.descendents(ctx, task_id, request=request)


@export()
def listTasks(ctx: Context, opts: dict | None = None, queryOpts: dict | None = None) -> Any:
    return task_lists.list_tasks(ctx, opts, queryOpts)


@export(access=LOGIN, writes=True)
def cancelTask(ctx: Context, task_id: Id, recurse: bool = True) -> None:
    task_actions.cancel(ctx, task_id, has_perm(ctx, "admin"), recurse=recurse)


@export(perm="admin", writes=True)
def cancelTaskFull(ctx: Context, task_id: Id, strict: bool = True) -> None:
    task_actions.cancel_full(ctx, task_id, strict=strict)


@export(access=LOGIN, writes=True)
def cancelTaskChildren(ctx: Context, task_id: Id) -> None:
    task_actions.cancel_children(ctx, task_id, has_perm(ctx, "admin"))


@export(access=LOGIN, writes=True)
def resubmitTask(ctx: Context, taskID: Id) -> int:
    return task_actions.resubmit(ctx, taskID, has_perm(ctx, "admin"))


@export(perm="admin", writes=True)
def setTaskPriority(ctx: Context, task_id: Id, priority: int, recurse: bool = True) -> None:
    task_actions.set_priority(ctx, task_id, priority, recurse=recurse)


@export(perm="admin", writes=True)
def assignTask(ctx: Context, task_id: Id, host: IdOrName, force: bool = False, override: bool = False) -> bool:
    return task_actions.assign(ctx, task_id, host, force=bool(force), override=bool(override))


@export(perm="admin", writes=True)
def freeTask(ctx: Context, task_id: Id) -> None:
    task_actions.free(ctx, task_id)


@export()
def taskFinished(ctx: Context, taskId: Id) -> bool:
    """Whether the task has ended (CLOSED, CANCELED or FAILED: ended, not succeeded), as kojid's dependantTask asks."""
    return tasks.finished(ctx, taskId)
