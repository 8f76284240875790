"""Reading the scheduler's notes (written by ``scheduler.note``), as Koji's QueryView answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.protocol import errors

m = tables.scheduler_log
t = tables.task
h = tables.host

FIELDS = {
    "id": m.c.id,
    "task_id": m.c.task_id,
    "host_id": m.c.host_id,
    "msg_ts": m.c.msg_time,
    "msg": m.c.msg,
    "method": t.c.method,
    "state": t.c.state,
    "owner": t.c.owner,
    "arch": t.c.arch,
    "channel_id": t.c.channel_id,
    "host_name": h.c.name,
    "host_ready": h.c.ready,
}
DEFAULT_FIELDS = ("id", "task_id", "host_id", "msg", "msg_ts")
_OPS = {
    "=": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
    "<": lambda c, v: c < v,
    ">": lambda c, v: c > v,
    "<=": lambda c, v: c <= v,
    ">=": lambda c, v: c >= v,
    "IN": lambda c, v: c.in_(list(v)),
    "NOT IN": lambda c, v: c.not_in(list(v)),
}


def _field(name: Any) -> Any:
    if name not in FIELDS:
        raise errors.ParameterError(f"Invalid field: {name!r}; known: {', '.join(FIELDS)}")
    return FIELDS[name]


def messages(ctx: Context, clauses: Any = None, fields: Any = None, opts: Any = None) -> list[dict]:
    names = list(fields or DEFAULT_FIELDS)
    query = select(*(_field(n).label(n) for n in names)).select_from(
        m.outerjoin(t, t.c.id == m.c.task_id).outerjoin(h, h.c.id == m.c.host_id)
    )
    for clause in clauses or []:
        if not isinstance(clause, (list, tuple)) or len(clause) != 3 or str(clause[1]).upper() not in _OPS:
            raise errors.ParameterError(f"Invalid clause: {clause!r}: give [field, op, value] with op in {list(_OPS)}")
        query = query.where(_OPS[str(clause[1]).upper()](_field(clause[0]), clause[2]))
    opts = opts or {"order": "id"}
    for part in str(opts.get("order") or "").split(","):
        part = part.strip()
        if part:
            column = _field(part.lstrip("-"))
            query = query.order_by(column.desc() if part.startswith("-") else column)
    if opts.get("limit") is not None:
        query = query.limit(int(opts["limit"]))
    return [dict(row._mapping) for row in ctx.conn.execute(query)]
