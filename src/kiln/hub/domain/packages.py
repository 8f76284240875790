"""Packages and tag package lists: which packages a tag may hold, who owns them, which are blocked.

A tag's package list is its own entries plus what it inherits: walking the
full inheritance in order, the first entry for a package wins (so a block
in a child hides the package inherited from a parent), and a link's
``pkg_filter`` lets through only the names it matches.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Integer, bindparam, func, insert, literal_column, select

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.db.raw import RawSelect, SelectCache, Where
from kiln.hub.domain import events, ids, inheritance, names, tags, users
from kiln.protocol import errors

p = tables.package
tp = tables.tag_packages
tpo = tables.tag_package_owners
u = tables.users


_BY = {by: RawSelect(select(p.c.id, p.c.name).where(p.c[by] == bindparam("key"))) for by in ("id", "name")}


def get(ctx: Context, info: Any, strict: bool = False, create: bool = False) -> dict | None:
    """``{id, name}`` for a package id, name or dict; ``create`` makes an unknown name."""
    by, info = ids.name_or_id(info, "package info")
    row = _BY[by].one(ctx.conn, {"key": info})
    if row is not None:
        return row
    if create and by == "name":
        name = names.internal_name(info)
        new_id = ctx.conn.execute(insert(p).values(name=name)).inserted_primary_key[0]
        return {"id": new_id, "name": name}
    if strict or create:  # an id names a package that exists, or none: only a name can make one
        raise errors.GenericError(f"No such package: {info!r}")
    return None


def get_many(ctx: Context, by: str, keys: list) -> dict:
    """Packages by id (``by`` "id") or by name ("name") in one query, keyed by what was asked."""
    column = p.c.id if by == "id" else p.c.name
    rows = ctx.conn.execute(select(p.c.id, p.c.name).where(column.in_(sorted(set(keys)))))
    return {row._mapping[by]: dict(row._mapping) for row in rows}


def _own_entries(ctx: Context, tag_id: int, event: int | None, package_id: int | None = None) -> list[dict]:
    """A tag's own list entries (no inheritance), with owners."""
    owners = select(tpo.c.package_id, tpo.c.owner).where(tpo.c.tag_id == tag_id, versioned.active_clause(tpo, event))
    owners = owners.subquery()
    query = (
        select(
            tp.c.package_id,
            p.c.name.label("package_name"),
            tp.c.blocked,
            tp.c.extra_arches,
            owners.c.owner.label("owner_id"),
            u.c.name.label("owner_name"),
        )
        .select_from(
            tp.join(p, p.c.id == tp.c.package_id)
            .outerjoin(owners, owners.c.package_id == tp.c.package_id)
            .outerjoin(u, u.c.id == owners.c.owner)
        )
        .where(tp.c.tag_id == tag_id, versioned.active_clause(tp, event))
        .order_by(p.c.name)
    )
    if package_id is not None:
        query = query.where(tp.c.package_id == package_id)
    found = []
    for row in ctx.conn.execute(query):
        entry = dict(row._mapping)
        entry["blocked"] = bool(entry["blocked"])
        found.append(entry)
    return found


def list_for_tag(
    ctx: Context,
    tag_id: int,
    inherited: bool = False,
    event: int | None = None,
    with_dups: bool = False,
    package_id: int | None = None,
) -> list[dict]:
    """Entries of the tag's list (``tag_id``/``tag_name`` say where each comes from)."""
    event = events.as_of(event)
    walk = [{"parent_id": tag_id, "filter": []}]
    if inherited:
        walk += inheritance.full(ctx, tag_id, event)
    seen: set[int] = set()
    found = []
    for link in walk:
        source = link["parent_id"]
        source_name = tags.get(ctx, source, event=event)
        filters = [re.compile(f) for f in link["filter"]]
        for entry in _own_entries(ctx, source, event, package_id):
            if any(not f.match(entry["package_name"]) for f in filters):
                continue
            if entry["package_id"] in seen and not with_dups:
                continue
            seen.add(entry["package_id"])
            entry.update(tag_id=source, tag_name=source_name["name"] if source_name else None)
            found.append(entry)
    return found


def tags_with_lists(ctx: Context, event: int | None = None, package_id: int | None = None) -> list[int]:
    """The tags that have list entries of their own (of one package, if given): where a listing of
    every tag needs to look, rather than at each of thousands of tags."""
    event = events.as_of(event)
    query = select(tp.c.tag_id).where(versioned.active_clause(tp, event)).distinct()
    if package_id is not None:
        query = query.where(tp.c.package_id == package_id)
    return sorted(r[0] for r in ctx.conn.execute(query))


_BLOCKS_ANY = SelectCache()


def _blocks_any(where: Where, current: bool) -> Any:
    """Whether any of the tags blocks a package (now, or at ``:event``): one row or none."""
    active = versioned.active_clause(tp, None if current else bindparam("event", type_=Integer))
    query = select(tp.c.package_id).where(*where.clauses(), tp.c.blocked.is_(True), active)
    return query.limit(literal_column("1"))


def blocked_in(ctx: Context, tag_id: int, event: int | None = None, walk: list[dict] | None = None) -> set[int]:
    """The packages blocked in a tag, inheritance included: one walk for all of them.

    Most tags block nothing anywhere along their inheritance: one query over
    the walk's tags says so (getLatestBuilds asks on every call), and only
    then is the whole inherited list read to see which blocks hold.
    ``walk``: the tag's ``inheritance.full``, when the caller has it.
    """
    event = events.as_of(event)
    if walk is None:
        walk = inheritance.full(ctx, tag_id, event)
    where = Where()
    where.add(tp.c.tag_id, "in", [tag_id, *(link["parent_id"] for link in walk)])
    any_block = _BLOCKS_ANY.get((where.key, event is None), lambda: _blocks_any(where, event is None))
    if any_block.one(ctx.conn, {**where.params, "event": event}) is None:
        return set()
    return {e["package_id"] for e in list_for_tag(ctx, tag_id, inherited=True, event=event) if e["blocked"]}


def config(ctx: Context, tag_id: int, package_id: int, event: int | None = None) -> dict | None:
    """The entry that decides a package's fate in a tag (inheritance included), or None."""
    entries = list_for_tag(ctx, tag_id, inherited=True, event=event, package_id=package_id)
    return entries[0] if entries else None


def _owner_id(ctx: Context, owner: Any) -> int:
    return users.find(ctx, owner, strict=True)["id"]


def _extra_arches(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return names.arches(value)


def add(
    ctx: Context,
    tag_info: Any,
    pkg_info: Any,
    owner: Any = None,
    block: Any = None,
    extra_arches: Any = None,
    force: bool = False,
    update: bool = False,
) -> None:
    tag = tags.get(ctx, tag_info, strict=True)
    package = get(ctx, pkg_info, create=True)
    assert package is not None
    owner_id = _owner_id(ctx, owner) if owner is not None else None
    current = config(ctx, tag["id"], package["id"])
    own = _own_entries(ctx, tag["id"], None, package["id"])
    own_entry = own[0] if own else None
    if current is None and owner_id is None:
        raise errors.GenericError("owner not specified")
    if update and own_entry is None:
        raise errors.GenericError(f"cannot update: package {package['name']} is not in the list of tag {tag['name']}")
    if current is not None and current["blocked"] and not block and not force and current["tag_id"] != tag["id"]:
        raise errors.GenericError(f"package {package['name']} is blocked in tag {tag['name']}")
    blocked = bool(block) if block is not None else (own_entry["blocked"] if own_entry else False)
    if own_entry and own_entry["blocked"] and not blocked and not force:
        raise errors.GenericError(f"package {package['name']} is blocked in tag {tag['name']}: unblock it first")
    arches = _extra_arches(extra_arches) if extra_arches is not None else (own_entry or {}).get("extra_arches")
    new_owner = owner_id or (own_entry or {}).get("owner_id") or (current or {}).get("owner_id")
    event = None
    if own_entry is None or own_entry["blocked"] != blocked or own_entry["extra_arches"] != arches:
        event = ctx.event_id()
        where = {"tag_id": tag["id"], "package_id": package["id"]}
        versioned.replace(ctx.conn, tp, where, {"blocked": blocked, "extra_arches": arches}, event, ctx.user_id)
    if new_owner is not None and (own_entry is None or own_entry["owner_id"] != new_owner):
        event = event or ctx.event_id()
        where = {"tag_id": tag["id"], "package_id": package["id"]}
        versioned.replace(ctx.conn, tpo, where, {"owner": new_owner}, event, ctx.user_id)


def _own_or_fail(ctx: Context, tag_info: Any, pkg_info: Any) -> tuple[dict, dict, dict | None]:
    tag = tags.get(ctx, tag_info, strict=True)
    package = get(ctx, pkg_info, strict=True)
    assert package is not None
    own = _own_entries(ctx, tag["id"], None, package["id"])
    return tag, package, own[0] if own else None


def remove(ctx: Context, tag_info: Any, pkg_info: Any) -> None:
    tag, package, own = _own_or_fail(ctx, tag_info, pkg_info)
    if own is None:
        raise errors.GenericError(f"package {package['name']} is not in the list of tag {tag['name']}")
    event = ctx.event_id()
    where = {"tag_id": tag["id"], "package_id": package["id"]}
    versioned.revoke(ctx.conn, tp, where, event, ctx.user_id)
    versioned.revoke(ctx.conn, tpo, where, event, ctx.user_id)


def block(ctx: Context, tag_info: Any, pkg_info: Any, force: bool = False) -> None:
    """Block a package in a tag (Koji needs it listed here or in a parent; the owner stays)."""
    tag = tags.get(ctx, tag_info, strict=True)
    package = get(ctx, pkg_info, strict=True)
    assert package is not None
    current = config(ctx, tag["id"], package["id"])
    if current is None:
        raise errors.GenericError(f"package {package['name']} is not in tag listing for {tag['name']}")
    if current["blocked"] and current["tag_id"] == tag["id"]:
        return
    add(ctx, tag["id"], package["id"], owner=current["owner_id"], block=True, force=force)


def unblock(ctx: Context, tag_info: Any, pkg_info: Any) -> None:
    tag, package, own = _own_or_fail(ctx, tag_info, pkg_info)
    if own is None or not own["blocked"]:
        raise errors.GenericError(f"package {package['name']} is not blocked in tag {tag['name']}")
    event = ctx.event_id()
    where = {"tag_id": tag["id"], "package_id": package["id"]}
    inherited = [
        e
        for e in list_for_tag(ctx, tag["id"], inherited=True, with_dups=True, package_id=package["id"])
        if e["tag_id"] != tag["id"]
    ]
    if inherited:
        # the parent's entry shows through again: this tag's own entry goes
        versioned.revoke(ctx.conn, tp, where, event, ctx.user_id)
        versioned.revoke(ctx.conn, tpo, where, event, ctx.user_id)
    else:
        versioned.replace(
            ctx.conn, tp, where, {"blocked": False, "extra_arches": own["extra_arches"]}, event, ctx.user_id
        )


def set_owner(ctx: Context, tag_info: Any, pkg_info: Any, owner: Any) -> None:
    tag, package, own = _own_or_fail(ctx, tag_info, pkg_info)
    if own is None:
        raise errors.GenericError(f"package {package['name']} is not in the list of tag {tag['name']}")
    owner_id = _owner_id(ctx, owner)
    if own["owner_id"] != owner_id:
        where = {"tag_id": tag["id"], "package_id": package["id"]}
        versioned.replace(ctx.conn, tpo, where, {"owner": owner_id}, ctx.event_id(), ctx.user_id)


def set_arches(ctx: Context, tag_info: Any, pkg_info: Any, arches: Any) -> None:
    tag, package, own = _own_or_fail(ctx, tag_info, pkg_info)
    if own is None:
        raise errors.GenericError(f"package {package['name']} is not in the list of tag {tag['name']}")
    add(ctx, tag["id"], package["id"], extra_arches=arches if arches else "", update=True)


def all_packages(ctx: Context, prefix: str | None = None, ignore_case: bool = False) -> list[dict]:
    """Every package, by name; ``prefix`` is a plain prefix (``%`` and ``_`` are no wildcards here)."""
    query = select(p.c.id, p.c.name).order_by(p.c.name)
    if prefix and ignore_case:
        query = query.where(func.lower(p.c.name).startswith(str(prefix).lower(), autoescape=True))
    elif prefix:
        query = query.where(p.c.name.startswith(prefix, autoescape=True))
    return [dict(r._mapping) for r in ctx.conn.execute(query)]
