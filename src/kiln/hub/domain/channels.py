"""Channels: the groups of hosts that tasks are routed to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.db.raw import RawQuery
from kiln.hub.domain import events, ids, names
from kiln.protocol import errors

ch = tables.channels
hc = tables.host_channels


def _where(info: Any):
    key, value = ids.name_or_id(info, "channel")
    return ch.c.id == value if key == "id" else ch.c.name == value


def _shape(row: Any) -> dict:
    """Koji's channel dict, keys in alphabetical order as Koji sends them."""
    channel = dict(row._mapping)
    channel["enabled"] = bool(channel["enabled"])
    return dict(sorted(channel.items()))


_BY = {
    key: RawQuery(f"SELECT id, name, description, enabled, comment FROM channels WHERE {key} = :value")
    for key in ("id", "name")
}


def get(ctx: Context, info: Any, strict: bool = False) -> dict | None:
    if isinstance(info, (int, str)) and not isinstance(info, bool):
        found = _BY["name" if isinstance(info, str) else "id"].one(ctx.conn, {"value": info})
        row = dict(sorted({**found, "enabled": bool(found["enabled"])}.items())) if found else None
        if row is not None:
            return row
    else:
        row = ctx.conn.execute(select(ch).where(_where(info))).first()
    if row is None:
        if strict:
            raise errors.GenericError(f"No such channel: {info}")
        return None
    return _shape(row)


def list_channels(
    ctx: Context, host_id: int | None = None, event: int | None = None, enabled: bool | None = None
) -> list[dict]:
    event = events.as_of(event)
    query = select(ch)
    if host_id is not None:
        query = query.join(hc, hc.c.channel_id == ch.c.id).where(
            hc.c.host_id == host_id, versioned.active_clause(hc, event)
        )
    elif event is not None:
        raise errors.GenericError("list_channels with event and not host is not allowed.")
    if enabled is not None:
        query = query.where(ch.c.enabled.is_(bool(enabled)))
    return [_shape(r) for r in ctx.conn.execute(query.order_by(ch.c.id))]


def _check_text(label: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise errors.ParameterError(f"Channel {label} must be a string")


def add(ctx: Context, name: str, description: str | None = None) -> int:
    names.internal_name(name)
    _check_text("description", description)
    existing = ctx.conn.execute(select(ch.c.id).where(ch.c.name == name)).first()
    if existing:
        raise errors.GenericError(f"channel {name} already exists (id={existing.id})")
    return ctx.conn.execute(insert(ch).values(name=name, description=description, enabled=True)).inserted_primary_key[0]


def edit(ctx: Context, info: Any, name: Any = None, description: Any = None, comment: Any = None) -> bool:
    """Rename or describe a channel; False when nothing differs."""
    channel = get(ctx, info, strict=True)
    _check_text("description", description)
    _check_text("comment", comment)
    values = {
        k: v
        for k, v in (("name", name), ("description", description), ("comment", comment))
        if v is not None and channel[k] != v
    }
    if "name" in values:
        names.internal_name(values["name"])
        taken = ctx.conn.execute(select(ch.c.id).where(ch.c.name == values["name"])).first()
        if taken:
            raise errors.GenericError(f"channel {values['name']} already exists (id={taken.id})")
    if not values:
        return False
    ctx.conn.execute(update(ch).where(ch.c.id == channel["id"]).values(**values))
    return True


def set_enabled(ctx: Context, info: Any, enabled: bool, comment: str | None = None) -> None:
    _check_text("comment", comment)
    channel = get(ctx, info, strict=True)
    values: dict[str, Any] = {"enabled": enabled}
    if comment is not None:
        values["comment"] = comment
    ctx.conn.execute(update(ch).where(ch.c.id == channel["id"]).values(**values))


def remove(ctx: Context, info: Any, force: bool = False) -> None:
    """Delete a channel, as Koji's removeChannel did before 1.30.

    With hosts in it, only ``force`` removes it; its membership rows go with
    it (their history too, since it would name a channel that is gone).
    """
    channel = get(ctx, info, strict=True)
    members = ctx.conn.execute(
        select(hc.c.host_id).where(hc.c.channel_id == channel["id"], versioned.active_clause(hc))
    ).all()
    if members and not force:
        raise errors.GenericError(f"channel {channel['name']} has host references")
    ctx.conn.execute(delete(hc).where(hc.c.channel_id == channel["id"]))
    ctx.conn.execute(delete(ch).where(ch.c.id == channel["id"]))
