"""Build targets: a name for "build in this tag, put the result in that one"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.domain import names, tags
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


def _where(info: Any) -> Any:
    if isinstance(info, dict):
        info = info.get("id", info.get("name"))
    if isinstance(info, int) and not isinstance(info, bool):
        return bt.c.id == info
    if isinstance(info, str):
        return bt.c.name == info
    raise errors.ParameterError(f"Invalid build target info: {info!r}")


def get(ctx: Context, info: Any, event: int | None = None, strict: bool = False) -> dict | None:
    row = ctx.conn.execute(_query(event).where(_where(info))).first()
    if row is None:
        if strict:
            raise errors.GenericError(f"No such build target: {info!r}")
        return None
    return dict(row._mapping)


def list_targets(
    ctx: Context, info: Any = None, event: int | None = None, build_tag: Any = None, dest_tag: Any = None
) -> list[dict]:
    query = _query(event).order_by(bt.c.name)
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
