"""Helpers for versioned tables: every change is an event, nothing is lost.

A live row has ``active`` TRUE and no ``revoke_event``.  Changing a row
revokes it (``active`` NULL, ``revoke_event`` and ``revoker_id`` set) and
inserts its successor; removing only revokes.  Reading "as of event E" picks
rows created at or before E and not revoked by then.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, insert, or_, select, update
from sqlalchemy.engine import Connection


def active_clause(table: Table, event: int | ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    """Rows in force now, or at ``event`` when given (a number, or a bound parameter of a statement compiled once)."""
    if event is None:
        return table.c.active.is_(True)
    return and_(
        table.c.create_event <= event,
        or_(table.c.revoke_event.is_(None), table.c.revoke_event > event),
    )


def create(conn: Connection, table: Table, values: dict[str, Any], event: int, user_id: int | None) -> None:
    """Insert a live row made at ``event`` by ``user_id``."""
    conn.execute(insert(table).values(**values, create_event=event, creator_id=user_id, active=True))


def revoke(conn: Connection, table: Table, where: dict[str, Any], event: int, user_id: int | None) -> int:
    """Revoke the live rows matching ``where``; returns how many."""
    clauses = [table.c[k] == v for k, v in where.items()]
    result = conn.execute(
        update(table)
        .where(table.c.active.is_(True), *clauses)
        .values(active=None, revoke_event=event, revoker_id=user_id)
    )
    return result.rowcount


def replace(
    conn: Connection,
    table: Table,
    where: dict[str, Any],
    values: dict[str, Any],
    event: int,
    user_id: int | None,
) -> None:
    """Revoke the live row matching ``where`` and insert its successor."""
    revoke(conn, table, where, event, user_id)
    create(conn, table, {**where, **values}, event, user_id)


def live(conn: Connection, table: Table, where: dict[str, Any], event: int | None = None) -> list[dict]:
    """The rows matching ``where`` in force now (or at ``event``)."""
    clauses = [table.c[k] == v for k, v in where.items()]
    rows = conn.execute(select(table).where(active_clause(table, event), *clauses))
    return [dict(r._mapping) for r in rows]
