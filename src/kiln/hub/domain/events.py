"""Events: the clock of history.  Every versioned change belongs to one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import ids
from kiln.protocol import errors

ev = tables.events


def as_of(event: Any) -> int | None:
    """The event a read is "as of" (None: now), read as Koji reads it: true and false are the numbers 1 and 0.

    A read's SQL compares event columns with it, where PostgreSQL refuses a
    boolean and SQLAlchemy a comparison with True; anything but a number is
    refused here.
    """
    if event is None:
        return None
    return ids.row_id(int(event) if isinstance(event, bool) else event, "event")


def get(ctx: Context, event_id: int, strict: bool = True) -> dict | None:
    event_id = ids.row_id(event_id, "event id")
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
