"""Events: the clock of history.  Every versioned change belongs to one."""

from __future__ import annotations

from sqlalchemy import func, select

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.protocol import errors

ev = tables.events


def get(ctx: Context, event_id: int, strict: bool = True) -> dict | None:
    row = ctx.conn.execute(select(ev.c.id, ev.c.time.label("ts")).where(ev.c.id == event_id)).first()
    if row is None:
        if strict:
            raise errors.GenericError(f"No such event: {event_id}")
        return None
    return dict(row._mapping)


def last(ctx: Context, before: float | None = None, strict: bool = True) -> dict | None:
    query = select(func.max(ev.c.id))
    if before is not None:
        if not isinstance(before, (int, float)) or isinstance(before, bool):
            raise errors.GenericError(f"Invalid type for before: {type(before)}")
        query = query.where(ev.c.time < before)
    event_id = ctx.conn.execute(query).scalar()
    if event_id is None:
        if strict:
            raise errors.GenericError("No event found" + (f" before {before}" if before else ""))
        return None
    return get(ctx, event_id)
