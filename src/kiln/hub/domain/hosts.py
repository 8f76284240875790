"""Build hosts: accounts of type host with a versioned configuration."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.db.raw import RawQuery, SelectCache
from kiln.hub.domain import channels, events, ids, names, users
from kiln.protocol import errors
from kiln.protocol.constants import UserType

h = tables.host
hcfg = tables.host_config
hc = tables.host_channels

DEFAULT_CAPACITY = 2.0
_CONFIG = ("arches", "capacity", "description", "comment", "enabled")
_EDITABLE = ("arches", "capacity", "description", "comment")


def _host_query(event: int | None = None):
    return select(
        h.c.id,
        h.c.user_id,
        h.c.name,
        h.c.update_time.label("update_ts"),
        h.c.ready,
        h.c.task_load,
        hcfg.c.arches,
        hcfg.c.capacity,
        hcfg.c.description,
        hcfg.c.comment,
        hcfg.c.enabled,
    ).join(hcfg, and_(hcfg.c.host_id == h.c.id, versioned.active_clause(hcfg, event)))


def _where(info: Any):
    key, value = ids.name_or_id(info, "host")
    return h.c.id == value if key == "id" else h.c.name == value


def _shape(row: Any) -> dict:
    """Koji's host dict: booleans as booleans, keys in alphabetical order as Koji sends them."""
    host = row if isinstance(row, dict) else dict(row._mapping)
    host["ready"] = bool(host["ready"])
    host["enabled"] = bool(host["enabled"])
    return dict(sorted(host.items()))


_CURRENT_SQL = """
    SELECT h.id, h.user_id, h.name, h.update_time AS update_ts, h.ready, h.task_load,
           c.arches, c.capacity, c.description, c.comment, c.enabled
      FROM host h JOIN host_config c ON c.host_id = h.id AND c.active = :true
     WHERE h.{key} = :value
"""
# getHost runs on every builder check-in and in long multicalls: see db/raw.py.
_CURRENT_BY = {key: RawQuery(_CURRENT_SQL.format(key=key)) for key in ("id", "name")}


def get(ctx: Context, info: Any, strict: bool = False, event: int | None = None) -> dict | None:
    event = events.as_of(event)
    if event is None and isinstance(info, (int, str)) and not isinstance(info, bool):
        key = "name" if isinstance(info, str) else "id"
        row = _CURRENT_BY[key].one(ctx.conn, {"value": info, "true": True})
    else:
        row = ctx.conn.execute(_host_query(event).where(_where(info))).first()
    if row is None:
        if strict:
            raise errors.GenericError(f"Invalid hostInfo: {info}")
        return None
    return _shape(row)


_MANY_SQL = _CURRENT_SQL.replace("WHERE h.{key} = :value", "WHERE h.id {ids} OR h.name {names}")
# A list parameter: PostgreSQL takes an array, SQLite a JSON text it unpacks.
_MANY_BY_DIALECT = {
    "postgresql": RawQuery(_MANY_SQL.format(ids="= ANY(:ids)", names="= ANY(:names)")),
    "sqlite": RawQuery(
        _MANY_SQL.format(ids="IN (SELECT value FROM json_each(:ids))", names="IN (SELECT value FROM json_each(:names))")
    ),
}


def get_many(ctx: Context, infos: list[int | str]) -> dict[int | str, dict]:
    """Current hosts by id or name, in one query; the answer is keyed by what was asked."""
    ids = sorted({i for i in infos if isinstance(i, int)})
    host_names = sorted({i for i in infos if isinstance(i, str)})
    if not ids and not host_names:
        return {}
    conn = ctx.conn
    if conn.dialect.name == "sqlite":
        params: dict[str, Any] = {"ids": json.dumps(ids), "names": json.dumps(host_names)}
    else:
        params = {"ids": ids, "names": host_names}
    found: dict[int | str, dict] = {}
    for row in _MANY_BY_DIALECT[conn.dialect.name].all(conn, {**params, "true": True}):
        host = _shape(row)
        found[host["id"]] = found[host["name"]] = host
    return found


def list_hosts(
    ctx: Context,
    arches: list[str] | str | None = None,
    channel_id: int | None = None,
    ready: bool | None = None,
    enabled: bool | None = None,
    user_id: int | None = None,
    order: list | None = None,
) -> list[dict]:
    ready = None if ready is None else bool(ready)
    enabled = None if enabled is None else bool(enabled)
    params = {"channel_id": channel_id, "user_id": user_id}
    if order:
        query = _hosts_query(channel_id is not None, ready, enabled, user_id is not None).order_by(None)
        rows = [dict(r._mapping) for r in ctx.conn.execute(query.order_by(*order), params)]
    else:  # the plain listing (kojira's, the web's, the CLI's): compiled once per filter shape
        key = (channel_id is not None, ready, enabled, user_id is not None)
        rows = _LISTS.get(key, lambda: _hosts_query(*key)).all(ctx.conn, params)
    hosts = [_shape(r) for r in rows]
    if arches is not None:
        if not arches:
            raise errors.GenericError("arches option cannot be empty")
        wanted = {arches} if isinstance(arches, str) else set(_arch_names(arches))
        hosts = [x for x in hosts if wanted & set((x["arches"] or "").split())]
    return hosts


def _arch_names(arches: Any) -> list[str]:
    """listHosts' ``arches``: a list of arch names (Koji matches each as a word of a host's arches)."""
    if not isinstance(arches, (list, tuple)) or not all(isinstance(arch, str) for arch in arches):
        raise errors.ParameterError(f"Invalid arches: {arches!r}: give a list of architecture names")
    return list(arches)


_LISTS = SelectCache()


def _hosts_query(channel: bool, ready: bool | None, enabled: bool | None, user: bool) -> Any:
    """listHosts' statement for one shape of filters, ordered by id (values as parameters)."""
    query = _host_query().order_by(h.c.id)
    if channel:
        in_channel = select(hc.c.host_id).where(hc.c.channel_id == bindparam("channel_id"), versioned.active_clause(hc))
        query = query.where(h.c.id.in_(in_channel))
    if ready is not None:
        query = query.where(h.c.ready.is_(ready))
    if enabled is not None:
        query = query.where(hcfg.c.enabled.is_(enabled))
    if user:
        query = query.where(h.c.user_id == bindparam("user_id"))
    return query


def add(ctx: Context, hostname: str, arches: Any, krb_principal: str | None = None, force: bool = False) -> int:
    """A host account, its config, and membership of channel ``default``."""
    names.host_name(hostname)
    arch_text = names.arches(arches)
    if ctx.conn.execute(select(h.c.id).where(h.c.name == hostname)).first():
        raise errors.GenericError(f"host already exists: {hostname}")
    user = users.find(ctx, hostname)
    if user is not None:
        if not force or user["usertype"] != UserType.NORMAL:
            raise errors.GenericError(f"user {hostname} already exists and it is not a host")
        ctx.conn.execute(update(tables.users).where(tables.users.c.id == user["id"]).values(usertype=UserType.HOST))
        user_id = user["id"]
    else:
        user_id = users.create(ctx, hostname, krb_principal=krb_principal, usertype=UserType.HOST)
    host_id = ctx.conn.execute(
        insert(h).values(user_id=user_id, name=hostname, ready=False, task_load=0.0)
    ).inserted_primary_key[0]
    event = ctx.event_id()
    versioned.create(
        ctx.conn,
        hcfg,
        {"host_id": host_id, "arches": arch_text, "capacity": DEFAULT_CAPACITY, "enabled": True},
        event,
        ctx.user_id,
    )
    default = channels.get(ctx, "default")
    if default is not None:
        versioned.create(ctx.conn, hc, {"host_id": host_id, "channel_id": default["id"]}, event, ctx.user_id)
    ctx.plugins.hook.kiln_hub_host_added(ctx=ctx, host=get(ctx, host_id))
    return host_id


def _write_config(ctx: Context, host: dict, **changes: Any) -> None:
    config = {k: host[k] for k in _CONFIG}
    config.update(changes)
    versioned.replace(ctx.conn, hcfg, {"host_id": host["id"]}, config, ctx.event_id(), ctx.user_id)


def edit(ctx: Context, info: Any, **changes: Any) -> bool:
    """Change arches, capacity, description or comment; False when nothing differs.

    Other keywords are ignored, as Koji's editHost ignores them.
    """
    host = get(ctx, info, strict=True)
    updates: dict[str, Any] = {}
    for key in _EDITABLE:
        value = changes.get(key)
        if value is None:
            continue
        if key == "capacity":
            value = float(value)
        elif not isinstance(value, str):
            raise errors.ParameterError(f"Invalid type for value '{value}': {type(value)}, expected type <class 'str'>")
        elif key == "arches":
            value = names.arches(value)
        if host[key] != value:
            updates[key] = value
    if not updates:
        return False
    _write_config(ctx, host, **updates)
    return True


def set_enabled(ctx: Context, info: Any, enabled: bool) -> None:
    """Always a new history entry, even when unchanged, as in Koji."""
    host = get(ctx, info)
    if host is None:
        raise errors.GenericError(f"host does not exist: {info}")
    _write_config(ctx, host, enabled=enabled)


def _host_or_fail(ctx: Context, info: Any) -> dict:
    host = get(ctx, info)
    if host is None:
        raise errors.GenericError(f"host does not exist: {info}")
    return host


def _channel_or_fail(ctx: Context, info: Any) -> dict:
    channel = channels.get(ctx, info)
    if channel is None:
        raise errors.GenericError(f"channel does not exist: {info}")
    return channel


def add_to_channel(ctx: Context, hostname: Any, channel_name: str, create: bool = False, force: bool = False) -> None:
    host = _host_or_fail(ctx, hostname)
    channel = channels.get(ctx, channel_name)
    if channel is None:
        if not create:
            raise errors.GenericError(f"channel does not exist: {channel_name}")
        channel = channels.get(ctx, channels.add(ctx, channel_name), strict=True)
    if not channel["enabled"] and not force:
        raise errors.GenericError(f"channel {channel['name']} is disabled")
    if any(c["id"] == channel["id"] for c in channels.list_channels(ctx, host_id=host["id"])):
        raise errors.GenericError(f"host {host['name']} is already subscribed to the {channel['name']} channel")
    versioned.create(ctx.conn, hc, {"host_id": host["id"], "channel_id": channel["id"]}, ctx.event_id(), ctx.user_id)


def remove_from_channel(ctx: Context, hostname: Any, channel_name: Any) -> None:
    host = _host_or_fail(ctx, hostname)
    channel = _channel_or_fail(ctx, channel_name)
    if not versioned.revoke(
        ctx.conn, hc, {"host_id": host["id"], "channel_id": channel["id"]}, ctx.event_id(), ctx.user_id
    ):
        raise errors.GenericError(f"host {host['name']} is not subscribed to the {channel['name']} channel")


def all_arches(ctx: Context) -> list[str]:
    """Every arch some host builds for, sorted, once each (Koji's getAllArches)."""
    hc = tables.host_config
    found: set[str] = set()
    for (arches,) in ctx.conn.execute(select(hc.c.arches).where(versioned.active_clause(hc))):
        found.update((arches or "").split())
    return sorted(found)
