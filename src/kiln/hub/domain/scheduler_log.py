"""Reading the scheduler's notes (written by ``scheduler.note``), as Koji's QueryView answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import query_views
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
    if not isinstance(name, str) or name not in FIELDS:
        raise errors.ParameterError(f"Invalid field: {name!r}; known: {', '.join(FIELDS)}")
    return FIELDS[name]


def _typed(name: str, column: Any, value: Any) -> Any:
    """A clause's value as the field's column holds it, so no database compares unlike types.

    PostgreSQL refuses to compare an integer column with a boolean or a text
    column with a number, SQLite would quietly match nothing: refused alike.
    A number's text counts as the number, as PostgreSQL reads a literal.
    """
    kind = column.type.python_type
    if value is None:
        return None
    if kind is int and type(value) is str and len(value) < 30 and value.strip().lstrip("-").isdigit():
        value = int(value)
    if kind is float and type(value) is int:
        return float(value)
    if type(value) is not kind:
        raise errors.ParameterError(f"Invalid value for {name}: {value!r} (give {kind.__name__})")
    return value


def _condition(clause: Any) -> Any:
    name, op, value = query_views.clause_parts(clause, _OPS)
    column = _field(name)
    if op in ("IN", "NOT IN"):
        value = [_typed(name, column, one) for one in (value if isinstance(value, (list, tuple)) else [value])]
    else:
        value = _typed(name, column, value)
    if value is None and op in ("=", "!="):
        return column.is_(None) if op == "=" else column.is_not(None)
    return _OPS[op](column, value)


def messages(ctx: Context, clauses: list | None = None, fields: Any = None, opts: dict | None = None) -> Any:
    names = [fields] if isinstance(fields, str) else list(fields or DEFAULT_FIELDS)
    if names in (["*"], ["**"]):
        names = list(FIELDS)
    query = select(*(_field(n).label(n) for n in names)).select_from(
        m.outerjoin(t, t.c.id == m.c.task_id).outerjoin(h, h.c.id == m.c.host_id)
    )
    for clause in clauses or []:
        query = query.where(_condition(clause))
    opts = opts if opts is not None else {"order": "id"}
    for part in str(opts.get("order") or "").split(","):
        part = part.strip()
        if part:
            column = _field(part.lstrip("-"))
            query = query.order_by(column.desc() if part.startswith("-") else column)
    if opts.get("offset"):
        query = query.offset(int(opts["offset"]))
    if opts.get("limit") is not None:
        query = query.limit(int(opts["limit"]))
    if opts.get("countOnly"):
        return ctx.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = [dict(row._mapping) for row in ctx.conn.execute(query)]
    if opts.get("asList"):
        return [[row[name] for name in sorted(row)] for row in rows]
    return rows
