"""Build targets: a name for "build in this tag, put the result in that one"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.db.raw import RawSelect
from kiln.hub.domain import events, ids, names, tags
from kiln.protocol import errors

bt = tables.build_target
btc = tables.build_target_config


def _query(event: int | None) -> Any:
    build_tag, dest_tag = tables.tag.alias("build_tag"), tables.tag.alias("dest_tag")
    return (
        select(
            bt.c.id,
            bt.c.name,
            btc.c.build_tag,
            build_tag.c.name.label("build_tag_name"),
            btc.c.dest_tag,
            dest_tag.c.name.label("dest_tag_name"),
        )
        .select_from(
            bt.join(btc, btc.c.build_target_id == bt.c.id)
            .join(build_tag, build_tag.c.id == btc.c.build_tag)
            .join(dest_tag, dest_tag.c.id == btc.c.dest_tag)
        )
        .where(versioned.active_clause(btc, event))
    )


def lookup_key(info: Any) -> tuple[str, int | str]:
    """``("id", n)`` or ``("name", text)``: how ``info`` (an id, a name or Koji's dict) names a target."""
    return ids.name_or_id(info, "build target info")


def _column(by: str) -> Any:
    return bt.c.id if by == "id" else bt.c.name


def _where(info: Any) -> Any:
    by, key = lookup_key(info)
    return _column(by) == key


# getBuildTarget of the current state, with both tags' names, in one query: see db/raw.py.
_CURRENT = {by: RawSelect(_query(None).where(_column(by) == bindparam("key"))) for by in ("id", "name")}


def get(ctx: Context, info: Any, event: int | None = None, strict: bool = False) -> dict | None:
    by, key = lookup_key(info)
    event = events.as_of(event)
    if event is None:
        target = _CURRENT[by].one(ctx.conn, {"key": key})
    else:
        row = ctx.conn.execute(_query(event).where(_column(by) == key)).first()
        target = None if row is None else dict(row._mapping)
    if target is None and strict:
        raise errors.GenericError(f"No such build target: {info!r}")
    return target


def get_many(ctx: Context, by: str, keys: list) -> dict:
    """Current targets by id or by name in one query, keyed by what was asked; those not found are left out.

    A multicall's run of getBuildTarget (api/batches.py).
    """
    rows = ctx.conn.execute(_query(None).where(_column(by).in_(sorted(set(keys)))))
    return {row._mapping[by]: dict(row._mapping) for row in rows}


def list_targets(
    ctx: Context, info: Any = None, event: int | None = None, build_tag: Any = None, dest_tag: Any = None
) -> list[dict]:
    query = _query(events.as_of(event)).order_by(bt.c.name)
    if info is not None:
        query = query.where(_where(info))
    if build_tag is not None:
        query = query.where(btc.c.build_tag == tags.get_id(ctx, build_tag))
    if dest_tag is not None:
        query = query.where(btc.c.dest_tag == tags.get_id(ctx, dest_tag))
    return [dict(r._mapping) for r in ctx.conn.execute(query)]


def _tag_ids(ctx: Context, build_tag: Any, dest_tag: Any) -> dict:
    found = {}
    for key, value in (("build_tag", build_tag), ("dest_tag", dest_tag)):
        tag = tags.get(ctx, value)
        if tag is None:
            raise errors.GenericError(f"No such {key.replace('_', ' ')}: {value!r}")
        found[key] = tag["id"]
    return found


def create(ctx: Context, name: Any, build_tag: Any, dest_tag: Any) -> None:
    name = names.internal_name(name)
    if get(ctx, name) is not None:
        raise errors.GenericError(f"A build target with the name {name!r} already exists")
    config = _tag_ids(ctx, build_tag, dest_tag)
    target_id = ctx.conn.execute(select(bt.c.id).where(bt.c.name == name)).scalar()
    if target_id is None:  # a deleted target's row is taken back, as in Koji
        target_id = ctx.conn.execute(insert(bt).values(name=name)).inserted_primary_key[0]
    versioned.create(ctx.conn, btc, {"build_target_id": target_id, **config}, ctx.event_id(), ctx.user_id)


def edit(ctx: Context, info: Any, name: Any, build_tag: Any, dest_tag: Any) -> None:
    target = get(ctx, info, strict=True)
    assert target is not None
    name = names.internal_name(name)
    if name != target["name"]:
        if ctx.conn.execute(select(bt.c.id).where(bt.c.name == name)).scalar() is not None:
            raise errors.GenericError(f"A build target with the name {name!r} already exists")
        ctx.conn.execute(bt.update().where(bt.c.id == target["id"]).values(name=name))
    config = _tag_ids(ctx, build_tag, dest_tag)
    if config != {"build_tag": target["build_tag"], "dest_tag": target["dest_tag"]}:
        where = {"build_target_id": target["id"]}
        versioned.replace(ctx.conn, btc, where, config, ctx.event_id(), ctx.user_id)


def delete(ctx: Context, info: Any) -> None:
    target = get(ctx, info, strict=True)
    assert target is not None
    versioned.revoke(ctx.conn, btc, {"build_target_id": target["id"]}, ctx.event_id(), ctx.user_id)
