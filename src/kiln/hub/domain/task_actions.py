"""Changing tasks: every state change goes through ``move``, which asks task_states.

Callers pass the roles the caller holds towards the task (``roles_of``); the
API layer says whether the caller is an admin, since permissions are its
business.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import builds, hosts, scheduler, task_states, tasks, weights
from kiln.hub.domain.task_states import (
    ADMIN,
    ASSIGNED,
    ASSIGNED_HOST,
    CANCELED,
    CLOSED,
    ELIGIBLE_HOST,
    FAILED,
    FINISHED,
    FREE,
    OPEN,
    OWNER,
    PARENT_HOST,
    RUNNING_HOST,
)
from kiln.protocol import errors
from kiln.protocol.constants import BuildState, TaskState
from kiln.protocol.xmlrpc import Fault, loads

t = tables.task


def move(ctx: Context, row: Any, new: int, roles: set | frozenset, **values: Any) -> None:
    """Change a task's state if the table allows it for ``roles``; refuse with a fault otherwise."""
    task_states.check(row.id, row.state, new, roles)
    if row.state == OPEN and new != OPEN:
        values.setdefault("waiting", None)  # a wait belongs to the run that set it
    changed = ctx.conn.execute(
        update(t).where(t.c.id == row.id, t.c.state == row.state).values(state=int(new), **values)
    ).rowcount
    if changed != 1:
        raise errors.GenericError(f"task {row.id} changed state meanwhile; nothing was done, try again")
    if row.state == OPEN and new != OPEN:
        ctx.conn.execute(update(t).where(t.c.parent == row.id, t.c.awaited == True).values(awaited=False))  # noqa: E712


def roles_of(ctx: Context, row: Any, admin: bool) -> set[str]:
    """The roles the caller holds towards this task (ELIGIBLE_HOST is judged by open_task)."""
    roles: set[str] = set()
    session = ctx.session
    if session is None:
        return roles
    if admin:
        roles.add(ADMIN)
    if session.user_id == row.owner:
        roles.add(OWNER)
    host_id = session.host_id if session.lock_held else None
    if host_id is not None:
        if row.host_id == host_id and row.state == OPEN:
            roles.add(RUNNING_HOST)
        if row.host_id == host_id and row.state == ASSIGNED:
            roles.add(ASSIGNED_HOST)
        if row.parent is not None:
            parent = ctx.conn.execute(select(t.c.host_id, t.c.state).where(t.c.id == row.parent)).first()
            if parent is not None and parent.host_id == host_id and parent.state == OPEN:
                roles.add(PARENT_HOST)
    return roles


# --- the builder's side ---------------------------------------------------------


def open_task(ctx: Context, host_id: int, task_id: Any) -> dict | None:
    """ASSIGNED->OPEN or FREE->OPEN for this host; None when it may not take the task, as Koji."""
    scheduler.lock_host(ctx, host_id)
    row = tasks.row(ctx, task_id, lock=True)
    host = hosts.get(ctx, host_id, strict=True)
    roles = roles_of(ctx, row, admin=False)
    if row.state == FREE and host["enabled"] and scheduler.can_run(ctx, host, row):
        roles.add(ELIGIBLE_HOST)
    if not task_states.allowed(row.state, OPEN, roles):
        return None
    # A host starts work only while its running load is below its capacity.
    if scheduler.load(ctx, host_id, states=(OPEN,), exclude=row.id) >= host["capacity"]:
        return None
    now = time.time()
    weight = weights.effective(
        row.base_weight, weights.mean_duration(ctx, row.method), 0.0, ctx.settings.weight_full_seconds
    )
    move(ctx, row, OPEN, roles, host_id=host_id, start_time=now, weight=weight)
    opened = tasks.get(ctx, row.id)
    opened["request"] = row.request  # the XML document, as Koji's openTask returns it
    return opened


def _result_document(response: Any, fault: bool) -> str:
    """The result as kojid sends it: a methodResponse with one value, or a fault for failTask."""
    if not isinstance(response, str):
        raise errors.ParameterError("the task result must be an XML-RPC methodResponse document (a string)")
    try:
        params, method = loads(response)
        is_fault = False
    except Fault:
        is_fault, params, method = True, (None,), None
    except ValueError as exc:
        raise errors.ParameterError(f"the task result is not an XML-RPC response document: {exc}") from None
    if method is not None or len(params) != 1:
        raise errors.ParameterError("the task result must be a methodResponse holding one value")
    if fault and not is_fault:
        raise errors.ParameterError("failTask takes a fault document as the task's result")
    if is_fault and not fault:
        raise errors.ParameterError("closeTask takes a result, not a fault: use failTask")
    return response


def finish(ctx: Context, host_id: int, task_id: Any, response: Any, state: TaskState) -> None:
    """OPEN->CLOSED or OPEN->FAILED by the host running the task, with its result document."""
    document = _result_document(response, fault=state == FAILED)
    row = tasks.row(ctx, task_id, lock=True)
    roles = roles_of(ctx, row, admin=False)
    tasks.assert_running_on(row, host_id, row.id)
    now = time.time()
    move(ctx, row, state, roles, result=document, completion_time=now, waiting=None)
    if state == CLOSED:
        weights.record_run(ctx, row.method, now - (row.start_time or now))
    else:
        builds.end_building(ctx, row.id, BuildState.FAILED)
    scheduler.announce(ctx)


def free_host_tasks(ctx: Context, host_id: int, task_ids: Any) -> None:
    """``host.freeTasks``: tasks no longer open here are skipped silently, as in Koji."""
    if not isinstance(task_ids, (list, tuple)):
        raise errors.ParameterError("freeTasks takes a list of task ids")
    for task_id in task_ids:
        row = tasks.row(ctx, task_id, lock=True)
        if row.state != OPEN or row.host_id != host_id:
            continue
        move(ctx, row, FREE, roles_of(ctx, row, admin=False), host_id=None, assign_time=None)
        scheduler.note(ctx, "freed by its host", row.id, host_id)
    scheduler.announce(ctx)


def set_weight(ctx: Context, host_id: int, task_id: Any, weight: Any) -> None:
    try:
        start = float(weight)
    except (TypeError, ValueError):
        raise errors.ParameterError(f"Invalid weight: {weight!r}") from None
    if start < 0:
        raise errors.ParameterError(f"Invalid weight: {weight!r}: weights are not negative")
    row = tasks.row(ctx, task_id, lock=True)
    tasks.assert_running_on(row, host_id, row.id)
    running = time.time() - (row.start_time or time.time())
    effective = weights.effective(
        start, weights.mean_duration(ctx, row.method), running, ctx.settings.weight_full_seconds
    )
    ctx.conn.execute(update(t).where(t.c.id == row.id).values(base_weight=start, weight=effective))


def subtask(ctx: Context, host_id: int, method: Any, arglist: Any, parent: Any, **opts: Any) -> int:
    """A child of a task this host runs; a repeated label returns the existing child."""
    if "owner" in opts:
        raise errors.ActionNotAllowed("The owner option is not allowed here")
    kwargs = opts.pop("kwargs", None)
    tasks.check_options(opts)
    prow = tasks.row(ctx, parent, lock=True)
    tasks.assert_running_on(prow, host_id, prow.id)
    if opts.get("label") is not None:
        existing = ctx.conn.execute(
            select(t.c.id).where(t.c.parent == prow.id, t.c.label == opts["label"])
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    if kwargs:
        if not isinstance(kwargs, dict):
            raise errors.ParameterError("kwargs must be a struct")
        arglist = [*arglist, {**kwargs, "__starstar": True}]
    task_id = tasks.create(ctx, method, arglist, **{**opts, "parent": prow.id})  # Koji's: the given parent
    scheduler.announce(ctx)
    return task_id


# --- users and admins -----------------------------------------------------------


def cancel(ctx: Context, task_id: Any, admin: bool, recurse: bool = True) -> None:
    """Cancel a task and (with ``recurse``) its unfinished descendants; a finished task is left alone."""
    row = tasks.row(ctx, task_id, lock=True)
    roles = roles_of(ctx, row, admin)
    if not roles & {OWNER, ADMIN, PARENT_HOST}:
        raise errors.ActionNotAllowed("Cannot cancel task, not owner")  # Koji's words, which scripts match
    if row.state in FINISHED:
        return
    move(ctx, row, CANCELED, roles, completion_time=time.time())
    builds.end_building(ctx, row.id, BuildState.CANCELED)
    if recurse:
        _cancel_below(ctx, row.id)
    scheduler.announce(ctx)


def _cancel_below(ctx: Context, task_id: int) -> None:
    """Cancel every unfinished descendant, a generation at a time.

    The cascade follows from an allowed cancellation of the ancestor: the hub
    does it.  Updating a generation before reading the next waits for any
    request holding one of its rows (a host adding a subtask under it), so a
    child created meanwhile is seen and cancelled too.
    """
    active = [int(s) for s in task_states.ACTIVE]
    parents = [task_id]
    while parents:
        ctx.conn.execute(
            update(t)
            .where(t.c.parent.in_(parents), t.c.state.in_(active))
            .values(state=int(CANCELED), completion_time=time.time(), waiting=None)
        )
        parents = list(ctx.conn.execute(select(t.c.id).where(t.c.parent.in_(parents))).scalars())


def cancel_children(ctx: Context, task_id: Any, admin: bool) -> None:
    row = tasks.row(ctx, task_id, lock=True)
    roles = roles_of(ctx, row, admin)
    if not roles & {OWNER, ADMIN, RUNNING_HOST}:
        raise errors.ActionNotAllowed("Cannot cancel task, not owner")
    _cancel_below(ctx, row.id)
    scheduler.announce(ctx)


def cancel_full(ctx: Context, task_id: Any, strict: bool = True) -> None:
    """Cancel the whole family of a task, from its top-level ancestor down (admins)."""
    row = tasks.row(ctx, task_id, lock=True)
    seen = {row.id}
    while row.parent is not None:
        if strict:
            raise errors.GenericError(f"Task {row.id} is not top-level (parent={row.parent})")
        row = tasks.row(ctx, row.parent, lock=True)
        if row.id in seen:
            raise errors.GenericError(f"Task LOOP at task {row.id}")
        seen.add(row.id)
    if row.state not in FINISHED:
        move(ctx, row, CANCELED, {ADMIN}, completion_time=time.time())
        builds.end_building(ctx, row.id, BuildState.CANCELED)
    _cancel_below(ctx, row.id)
    scheduler.announce(ctx)


def free(ctx: Context, task_id: Any) -> None:
    """``freeTask`` (admins): an OPEN or ASSIGNED task goes back to the queue."""
    row = tasks.row(ctx, task_id, lock=True)
    if row.state == FREE:
        return
    if row.state in FINISHED:
        raise errors.GenericError(f"Cannot free task {row.id}, state is {TaskState(row.state).name}")
    move(ctx, row, FREE, {ADMIN}, host_id=None, assign_time=None)
    scheduler.note(ctx, "freed by an admin", row.id, row.host_id)
    scheduler.announce(ctx)


def assign(ctx: Context, task_id: Any, host: Any, force: bool = False, override: bool = False) -> bool:
    """``assignTask`` (admins): True when assigned; False, as Koji, when it needs ``force``."""
    row = tasks.row(ctx, task_id, lock=True)
    target = hosts.get(ctx, host, strict=True)
    if row.state == ASSIGNED and row.host_id == target["id"]:
        return True
    if row.state != FREE and not force:
        return False  # as Koji: the CLI prints "failed to assign task"
    if row.state in FINISHED:  # Koji would reopen it; we refuse
        raise errors.GenericError(f"task {row.id} is {TaskState(row.state).name}: it cannot be assigned")
    move(ctx, row, ASSIGNED, {ADMIN}, host_id=target["id"], assign_time=time.time())
    scheduler.note(ctx, "assigned by an admin" + (" (override)" if override else ""), row.id, target["id"])
    scheduler.announce(ctx)
    return True


def resubmit(ctx: Context, task_id: Any, admin: bool) -> int:
    """A new FREE task with the same method, arguments, arch, channel and priority, owned by the caller (as Koji)."""
    row = tasks.row(ctx, task_id)
    if row.state not in (CANCELED, FAILED):
        raise errors.GenericError("only canceled or failed tasks may be resubmitted")
    if row.parent is not None:
        raise errors.GenericError("only top-level tasks may be resubmitted")
    roles = roles_of(ctx, row, admin)
    if not task_states.allowed(row.state, FREE, roles):
        raise errors.GenericError("only the task owner or an admin may resubmit a task")
    new_id = tasks.create(
        ctx,
        row.method,
        tasks.decode_request(row.request),
        arch=row.arch,
        channel=row.channel_id,
        priority=row.priority,
    )
    scheduler.announce(ctx)
    return new_id


def set_priority(ctx: Context, task_id: Any, priority: Any, recurse: bool = True) -> None:
    row = tasks.row(ctx, task_id, lock=True)
    if row.state in FINISHED:
        raise errors.GenericError("Finished task's priority can't be updated")
    try:
        value = int(priority)
    except (TypeError, ValueError):
        raise errors.ParameterError(f"Invalid priority: {priority!r}") from None
    ids = [row.id] + (tasks.descendant_ids(ctx, row.id) if recurse else [])
    ctx.conn.execute(update(t).where(t.c.id.in_(ids)).values(priority=value))
    scheduler.announce(ctx)
