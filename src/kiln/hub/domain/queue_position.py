"""Where a FREE task stands: how many tasks are ahead of it for the hosts that can run it, and who could.

Computed with the scheduler's own rules (scheduler.py): a host can run a
task when it is enabled, serves the task's channel, has its arch (or the
task is noarch) and has not refused it; hosts take the best task first,
lowest priority number, then oldest.  So the tasks ahead of one are the FREE
tasks ordered before it that some host able to run it could run instead.
The web's task page and ``kiln why`` both ask the hub, so they and the
scheduler never disagree.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from kiln.hub.context import Context
from kiln.hub.domain import hosts, scheduler, tasks
from kiln.hub.domain.task_states import FREE

t = scheduler.t


def position(ctx: Context, task_id: int) -> dict:
    row = tasks.row(ctx, task_id)
    able = []
    for host in hosts.list_hosts(ctx, enabled=True, order=[hosts.h.c.name]):
        if scheduler.can_run(ctx, host, row):
            able.append(host)
    answer = {
        "task_id": row.id,
        "state": row.state,
        "ahead": None,
        "hosts": [_host(x) for x in able],
        "ready_hosts": [x["name"] for x in able if x["ready"]],
    }
    if row.state != FREE:
        return answer
    pairs = {(c, a) for x in able for c in scheduler.host_channels(ctx, x["id"]) for a in scheduler.host_arches(x)}
    before = or_(t.c.priority < row.priority, and_(t.c.priority == row.priority, t.c.id < row.id))
    counts = ctx.conn.execute(
        select(t.c.channel_id, t.c.arch, func.count())
        .where(t.c.state == FREE, before)
        .group_by(t.c.channel_id, t.c.arch)
    )
    answer["ahead"] = sum(n for channel_id, arch, n in counts if (channel_id, arch) in pairs)
    return answer


def _host(host: dict) -> dict:
    keys = ("id", "name", "ready", "task_load", "capacity")
    return {k: host[k] for k in keys}
