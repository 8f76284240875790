"""Tags: a name and a versioned configuration (arches, permission, lock, extra).

Every change is an event (db/versioned.py); ``get`` answers as of an event
too, which is what repos and history read.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.db.raw import RawSelect
from kiln.hub.domain import events, ids, names, users
from kiln.protocol import errors

t = tables.tag
tc = tables.tag_config
te = tables.tag_extra
perms = tables.permissions

CONFIG_FIELDS = ("arches", "perm_id", "locked", "maven_support", "maven_include_all")


_FIELDS = (t.c.id, t.c.name, *[tc.c[f] for f in CONFIG_FIELDS], perms.c.name.label("perm"))
_KEYS = [c.name for c in _FIELDS]
_FLAGS = ("locked", "maven_support", "maven_include_all")


def lookup_key(info: Any) -> tuple[str, int | str]:
    """``("id", n)`` or ``("name", text)``: how ``info`` (an id, a name or Koji's dict) names a tag.

    The malformed ones (an id beyond 32 bits too) fault here, before any
    query, the same for every read and on both databases.
    """
    return ids.name_or_id(info, "tag info")


def _column(by: str) -> Any:
    return t.c.id if by == "id" else t.c.name


def _with_extra(where: Any, event: int | None = None) -> Any:
    """The tag's config and extra in one query: a row per extra key (one with a NULL key for a tag without).

    One round trip where config, then extra, took two; the tag's columns
    repeat on each row, which costs less than a second trip for the few keys
    a tag has.
    """
    return (
        select(*_FIELDS, te.c.key.label("extra_key"), te.c.value.label("extra_value"))
        .select_from(
            t.join(tc, tc.c.tag_id == t.c.id)
            .outerjoin(perms, perms.c.id == tc.c.perm_id)
            .outerjoin(te, and_(te.c.tag_id == t.c.id, versioned.active_clause(te, event)))
        )
        .where(where, versioned.active_clause(tc, event))
    )


# getTag of the current state (and every tag lookup in other calls): see db/raw.py.
_CURRENT = {by: RawSelect(_with_extra(_column(by) == bindparam("key")).order_by(te.c.key)) for by in ("id", "name")}
_ID_OF = {by: RawSelect(select(t.c.id).where(_column(by) == bindparam("key"))) for by in ("id", "name")}


def _from_rows(rows: Sequence[Sequence], blocked: bool) -> dict:
    """Koji's tag dict from ``_with_extra``'s rows of one tag."""
    n = len(_KEYS)
    tag = dict(zip(_KEYS, rows[0][:n], strict=True))
    for flag in _FLAGS:
        tag[flag] = bool(tag[flag])
    tag["extra"] = _extra_of(((row[n], row[n + 1]) for row in rows if row[n] is not None), blocked)
    return tag


def get(ctx: Context, info: Any, strict: bool = False, event: int | None = None, blocked: bool = False) -> dict | None:
    """Koji's tag dict: id, name, perm_id, perm, arches, locked, maven_*, extra (+query_event)."""
    by, key = lookup_key(info)
    event = events.as_of(event)
    if event is None:
        rows: Sequence = _CURRENT[by].rows(ctx.conn, {"key": key})[1]
    else:
        rows = ctx.conn.execute(_with_extra(_column(by) == key, event).order_by(te.c.key)).all()
    if not rows:
        if strict:
            raise errors.GenericError(f"No such tagInfo: {info!r}")
        return None
    tag = _from_rows(rows, blocked)
    if event is not None:
        tag["query_event"] = event
    return tag


def get_many(ctx: Context, variant: tuple[str, bool], keys: list) -> dict:
    """Current tags by id or by name in one query, keyed by what was asked; those not found are left out.

    A multicall's run of getTag (api/batches.py); ``variant`` is the key's
    kind and the ``blocked`` flag.
    """
    by, blocked = variant
    query = _with_extra(_column(by).in_(sorted(set(keys)))).order_by(t.c.id, te.c.key)
    found = {}
    for _, rows in itertools.groupby(ctx.conn.execute(query), key=lambda row: row[0]):
        tag = _from_rows(list(rows), blocked)
        found[tag[by]] = tag
    return found


def get_id(ctx: Context, info: Any) -> int:
    """The id of an existing tag (any tag ever made, even if its config was deleted)."""
    by, key = lookup_key(info)
    row = _ID_OF[by].one(ctx.conn, {"key": key})
    if row is None:
        raise errors.GenericError(f"No such tagInfo: {info!r}")
    return row["id"]


def _extra_of(pairs: Iterable[Sequence], blocked: bool) -> dict:
    """Extra as Koji gives it, from (key, JSON text) pairs; a NULL value is a blocked key."""
    found: dict = {}
    for key, value in pairs:
        if value is None:
            if blocked:
                found[key] = [True, None]
            continue
        parsed = json.loads(value)
        found[key] = [False, parsed] if blocked else parsed
    return found


def extra(ctx: Context, tag_id: int, event: int | None = None, blocked: bool = False) -> dict:
    query = select(te.c.key, te.c.value).where(te.c.tag_id == tag_id, versioned.active_clause(te, event))
    return _extra_of(ctx.conn.execute(query.order_by(te.c.key)), blocked)


def _arches(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return names.arches(value)


def _perm_id(ctx: Context, perm: Any) -> int | None:
    if perm is None or perm == "":
        return None
    if isinstance(perm, int) and not isinstance(perm, bool):
        perm = ids.row_id(perm, "permission id")
        if ctx.conn.execute(select(perms.c.id).where(perms.c.id == perm)).scalar() is None:
            raise errors.GenericError(f"No such permission: {perm}")
        return perm
    return users.find_perm(ctx, str(perm))


def _check_extra(extra_data: Any) -> dict:
    if extra_data is None:
        return {}
    if not isinstance(extra_data, dict):
        raise errors.ParameterError(f"extra must be a dict, not {type(extra_data).__name__}")
    for key, value in extra_data.items():
        if not isinstance(key, str) or not key:
            raise errors.ParameterError(f"Invalid extra key: {key!r}")
        try:
            json.dumps(value)
        except (TypeError, ValueError):  # base64 or a date: Koji's extra holds what JSON can
            raise errors.ParameterError(
                f"Invalid value for extra {key!r}: {type(value).__name__} is not JSON"
            ) from None
    return extra_data


def _extra_keys(value: Any, option: str) -> list[str]:
    """``remove_extra`` or ``block_extra``: a list of key names (one name alone is taken as such a list)."""
    if not value:
        return []
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, (list, tuple)) or not all(isinstance(key, str) and key for key in keys):
        raise errors.ParameterError(f"{option} must be a list of extra key names, not {value!r}")
    return list(keys)


def create(
    ctx: Context,
    name: Any,
    parent: Any = None,
    arches: Any = None,
    perm: Any = None,
    locked: bool = False,
    maven_support: bool = False,
    maven_include_all: bool = False,
    extra_data: Any = None,
) -> int:
    from kiln.hub.domain import inheritance

    name = names.directory_name(names.internal_name(name), "tag name")
    if get(ctx, name) is not None:
        raise errors.GenericError(f"A tag with the name {name!r} already exists")
    # A deleted tag's row stays (history names it); a new tag of that name takes it back, as in Koji.
    reused = ctx.conn.execute(select(t.c.id).where(t.c.name == name)).scalar()
    parent_id = get_id(ctx, parent) if parent is not None else None
    config = {
        "arches": _arches(arches),
        "perm_id": _perm_id(ctx, perm),
        "locked": bool(locked),
        "maven_support": bool(maven_support),
        "maven_include_all": bool(maven_include_all),
    }
    extra_data = _check_extra(extra_data)
    tag_id = reused if reused is not None else ctx.conn.execute(insert(t).values(name=name)).inserted_primary_key[0]
    event = ctx.event_id()
    versioned.create(ctx.conn, tc, {"tag_id": tag_id, **config}, event, ctx.user_id)
    for key, value in extra_data.items():
        versioned.create(ctx.conn, te, {"tag_id": tag_id, "key": key, "value": json.dumps(value)}, event, ctx.user_id)
    if parent_id is not None:
        inheritance.set_data(
            ctx,
            tag_id,
            [
                {
                    "parent_id": parent_id,
                    "priority": 0,
                    "maxdepth": None,
                    "intransitive": False,
                    "noconfig": False,
                    "pkg_filter": "",
                }
            ],
        )
    return tag_id


def edit(ctx: Context, info: Any, **kwargs: Any) -> None:
    """Koji's editTag2: name, arches, locked, perm/perm_id, maven_*, extra, remove_extra, block_extra."""
    known = {
        "name",
        "arches",
        "locked",
        "perm",
        "perm_id",
        "maven_support",
        "maven_include_all",
        "extra",
        "remove_extra",
        "block_extra",
    }
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise errors.ParameterError(f"editTag2: unknown option(s): {', '.join(unknown)}")
    tag = get(ctx, info, strict=True)
    tag_id = tag["id"]
    event = ctx.event_id()
    if kwargs.get("name") is not None and kwargs["name"] != tag["name"]:
        new_name = names.directory_name(names.internal_name(kwargs["name"]), "tag name")
        if ctx.conn.execute(select(t.c.id).where(t.c.name == new_name)).scalar() is not None:
            raise errors.GenericError(f"Name {new_name} already taken by tag")
        ctx.conn.execute(update(t).where(t.c.id == tag_id).values(name=new_name))
    config = {f: tag[f] for f in CONFIG_FIELDS}
    if "arches" in kwargs:
        config["arches"] = _arches(kwargs["arches"])
    if "perm" in kwargs or "perm_id" in kwargs:
        config["perm_id"] = _perm_id(ctx, kwargs.get("perm", kwargs.get("perm_id")))
    for flag in ("locked", "maven_support", "maven_include_all"):
        if kwargs.get(flag) is not None:
            config[flag] = bool(kwargs[flag])
    if config != {f: tag[f] for f in CONFIG_FIELDS}:
        versioned.replace(ctx.conn, tc, {"tag_id": tag_id}, config, event, ctx.user_id)
    new_extra = _check_extra(kwargs.get("extra"))
    remove = _extra_keys(kwargs.get("remove_extra"), "remove_extra")
    block = _extra_keys(kwargs.get("block_extra"), "block_extra")
    clash = set(new_extra) & (set(remove) | set(block))
    if clash or set(remove) & set(block):
        raise errors.GenericError(f"Can not both add/update and remove/block tag extra: {sorted(clash)}")
    current = extra(ctx, tag_id, blocked=True)
    for key, value in new_extra.items():
        if current.get(key) != [False, value]:
            versioned.replace(
                ctx.conn, te, {"tag_id": tag_id, "key": key}, {"value": json.dumps(value)}, event, ctx.user_id
            )
    for key in remove:
        if key not in current:
            raise errors.GenericError(f"Tag {tag['name']} has no extra {key!r} to remove")
        versioned.revoke(ctx.conn, te, {"tag_id": tag_id, "key": key}, event, ctx.user_id)
    for key in block:
        versioned.replace(ctx.conn, te, {"tag_id": tag_id, "key": key}, {"value": None}, event, ctx.user_id)


def delete_tag(ctx: Context, info: Any) -> None:
    """Revoke the tag's configuration, links (both ways), package list and the targets using it.

    Koji keeps a deleted tag's row so that history still names it; a new tag
    of the same name takes the row back.
    """
    tag = get(ctx, info, strict=True)
    tag_id = tag["id"]
    event = ctx.event_id()
    for table, column in (
        (tc, "tag_id"),
        (te, "tag_id"),
        (tables.tag_inheritance, "tag_id"),
        (tables.tag_inheritance, "parent_id"),
        (tables.tag_packages, "tag_id"),
        (tables.tag_package_owners, "tag_id"),
        (tables.build_target_config, "build_tag"),
        (tables.build_target_config, "dest_tag"),
    ):
        versioned.revoke(ctx.conn, table, {column: tag_id}, event, ctx.user_id)


def list_tags(ctx: Context, pattern: str | None = None, tag_ids: list[int] | None = None) -> list[dict]:
    query = (
        select(t.c.id, t.c.name, *[tc.c[f] for f in CONFIG_FIELDS], perms.c.name.label("perm"))
        .select_from(t.join(tc, tc.c.tag_id == t.c.id).outerjoin(perms, perms.c.id == tc.c.perm_id))
        .where(versioned.active_clause(tc))
        .order_by(t.c.name)
    )
    if tag_ids is not None:
        query = query.where(t.c.id.in_(tag_ids))
    matcher = re.compile(fnmatch.translate(pattern), re.IGNORECASE) if pattern else None
    found = []
    for row in ctx.conn.execute(query):
        tag = dict(row._mapping)
        if matcher and not matcher.match(tag["name"]):
            continue
        for flag in ("locked", "maven_support", "maven_include_all"):
            tag[flag] = bool(tag[flag])
        found.append(tag)
    return found


def build_config(ctx: Context, info: Any, event: int | None = None) -> dict:
    """The tag with its arches and extra as builds see them: inherited where the tag has none.

    Parents reached through a ``noconfig`` link give nothing; a blocked extra
    key stops the search for that key.  ``config_inheritance`` says where each
    value came from.
    """
    from kiln.hub.domain import inheritance

    event = events.as_of(event)
    tag = get(ctx, info, strict=True, event=event)
    assert tag is not None
    sources = [{"id": tag["id"], "name": tag["name"]}]
    for link in inheritance.full(ctx, tag["id"], event):
        if not link["noconfig"]:
            sources.append({"id": link["parent_id"], "name": link["name"]})
    found_extra: dict = {}
    extra_from: dict = {}
    decided: set = set()
    arches_from = None
    for source in sources:
        config = tag if source["id"] == tag["id"] else get(ctx, source["id"], event=event)
        if config is None:
            continue
        if tag["arches"] is None and arches_from is None and config["arches"]:
            tag["arches"], arches_from = config["arches"], source
        elif source["id"] == tag["id"] and tag["arches"]:
            arches_from = source
        for key, (blocked, value) in extra(ctx, source["id"], event, blocked=True).items():
            if key in decided:
                continue
            decided.add(key)
            if not blocked:
                found_extra[key] = value
                extra_from[key] = source
    tag["extra"] = found_extra
    tag["config_inheritance"] = {"extra": extra_from, "arches": arches_from}
    return tag
