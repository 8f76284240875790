"""A parent task waiting on its children.

While ``waiting`` is set the parent's weight does not count against its
host's capacity (it sleeps, as Koji documents); children it waits on are
``awaited``.  ``host.getHostTasks`` raises an ``alert`` on a waiting parent
whose awaited child finished, so the builder wakes it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import scheduler, tasks
from kiln.hub.domain.task_states import CANCELED, FINISHED, OPEN
from kiln.protocol import errors

t = tables.task
_FINISHED = [int(s) for s in FINISHED]


def _own_parent(ctx: Context, host_id: int, parent: Any) -> int:
    row = tasks.row(ctx, parent)
    tasks.assert_running_on(row, host_id, row.id)
    return row.id


def set_wait(ctx: Context, host_id: int, parent: Any, children: Any) -> None:
    """Mark the parent waiting and the given children (None: all) awaited."""
    parent_id = _own_parent(ctx, host_id, parent)
    if children is not None and not isinstance(children, (list, tuple)):
        raise errors.ParameterError("taskSetWait takes a list of task ids, or None for all children")
    ctx.conn.execute(update(t).where(t.c.id == parent_id).values(waiting=True))
    if children is None:
        ctx.conn.execute(update(t).where(t.c.parent == parent_id).values(awaited=True))
    elif children:
        ids = [tasks.task_id(c) for c in children]
        ctx.conn.execute(update(t).where(t.c.parent == parent_id, t.c.id.in_(ids)).values(awaited=True))
        ctx.conn.execute(
            update(t).where(t.c.parent == parent_id, t.c.id.not_in(ids), t.c.awaited == True).values(awaited=False)  # noqa: E712
        )
    scheduler.announce(ctx)  # the sleeping parent's weight no longer counts


def check(ctx: Context, parent_id: int) -> tuple[list[int], list[int]]:
    rows = ctx.conn.execute(
        select(t.c.id, t.c.state).where(t.c.parent == parent_id, t.c.awaited == True).order_by(t.c.id)  # noqa: E712
    )
    finished, unfinished = [], []
    for task_id, state in rows:
        (finished if state in _FINISHED else unfinished).append(task_id)
    return finished, unfinished


def wait(ctx: Context, host_id: int, parent: Any, timeout: Any = None) -> list[list[int]]:
    """``[finished, unfinished]`` among the awaited children; finished ones stop being awaited.

    ``timeout`` (kiln's, seconds): while none has finished, wait that long
    for one to (a task's end wakes the hub's waiters, as new work does), so a
    parent learns of it within milliseconds without polling.
    """
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
        raise errors.ParameterError(f"Invalid timeout: {timeout!r}: give seconds")
    parent_id = _own_parent(ctx, host_id, parent)
    deadline = time.monotonic() + min(max(float(timeout or 0), 0.0), ctx.settings.max_poll_seconds)
    while True:
        seq = ctx.wakeups.seq() if ctx.wakeups is not None else 0
        finished, unfinished = check(ctx, parent_id)
        remaining = deadline - time.monotonic()
        if finished or not unfinished or remaining <= 0 or ctx.wakeups is None or ctx.in_multicall:
            break
        ctx.pause()  # hand the connection back while waiting
        if ctx.wakeups.wait(seq, min(remaining, scheduler.WAIT_SLICE)) is None:
            finished, unfinished = check(ctx, parent_id)
            break
        _own_parent(ctx, host_id, parent_id)  # still this host's, still open
    if finished:
        ctx.conn.execute(update(t).where(t.c.id.in_(finished)).values(awaited=False))
    return [finished, unfinished]


def results(ctx: Context, host_id: int, parent: Any, children: Any, canfail: Any = None) -> list[list]:
    """``[[id, result], ...]``; ends the wait.  A failed child raises unless in ``canfail``."""
    parent_id = _own_parent(ctx, host_id, parent)
    canfail = {tasks.task_id(c) for c in canfail or []}
    ctx.conn.execute(update(t).where(t.c.id == parent_id).values(waiting=False))
    ctx.conn.execute(update(t).where(t.c.parent == parent_id).values(awaited=False))
    if children is None:
        children = ctx.conn.execute(
            select(t.c.id).where(t.c.parent == parent_id, t.c.state.in_(_FINISHED)).order_by(t.c.id)
        ).scalars()
    found = []
    for child in children:
        row = tasks.row(ctx, child)
        if row.state == CANCELED and row.id in canfail:
            found.append([row.id, {"faultCode": 1000, "faultString": f"Task {row.id} is canceled"}])
            continue
        found.append([row.id, tasks.result_of(ctx, row.id, raise_fault=row.id not in canfail)])
    return found


def host_tasks(ctx: Context, host_id: int) -> list[dict]:
    """``host.getHostTasks``: the tasks OPEN on this host, with ``alert`` on woken parents."""
    rows = ctx.conn.execute(
        select(t.c.id, t.c.waiting, t.c.weight).where(t.c.host_id == host_id, t.c.state == OPEN).order_by(t.c.id)
    )
    found = []
    for row in rows:
        task = dict(row._mapping)
        if task["waiting"] and check(ctx, task["id"])[0]:
            task["alert"] = True
        found.append(task)
    return found
