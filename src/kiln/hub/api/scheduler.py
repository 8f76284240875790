"""``scheduler.*``: what the scheduler did and why (Koji 1.34+'s names)."""

from __future__ import annotations

from kiln.hub.argtypes import Id, QueryOpts
from kiln.hub.context import Context
from kiln.hub.domain import queue_position, scheduler_log
from kiln.hub.rpc import export


@export("scheduler.getLogMessages")
def getLogMessages(
    ctx: Context, clauses: list | None = None, fields: list | str | None = None, opts: QueryOpts | None = None
) -> list:
    """Scheduler notes: ``clauses`` as ``[[field, op, value], ...]``, Koji's QueryView form."""
    return scheduler_log.messages(ctx, clauses, fields, opts)


@export("kiln.queuePosition")
def queuePosition(ctx: Context, taskID: Id) -> dict:
    """kiln's call: where a task stands in the queue.

    ``{task_id, state, ahead, hosts, ready_hosts}``: for a FREE task, ``ahead``
    is how many FREE tasks the hosts that can run it will take first (the
    scheduler's order: priority, then age), ``hosts`` those hosts (id, name,
    ready, task_load, capacity) and ``ready_hosts`` the names of the ready
    ones; for a task in any other state ``ahead`` is None.
    """
    return queue_position.position(ctx, taskID)
