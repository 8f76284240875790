"""Tag inheritance: the links of a tag to its parents, and the full walk through them.

A link has a priority (lower first), an optional ``maxdepth`` (how many more
levels it reaches), ``intransitive`` (followed only from the tag it starts
at), ``noconfig`` (this parent's own configuration is not inherited; its
parents' still is, as in Koji) and a
``pkg_filter`` (a regular expression the packages coming through must match).
The full inheritance is a depth-first walk in priority order that prunes
loops and skips a tag already reached on terms at least as wide, as Koji's
does; its entries carry ``currdepth``, ``nextdepth`` and the ``filter`` list
gathered on the way.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Integer, bindparam, select

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.db.raw import RawSelect
from kiln.hub.domain import events, tags
from kiln.protocol import errors

ti = tables.tag_inheritance
t = tables.tag
LINK_FIELDS = ("parent_id", "priority", "maxdepth", "intransitive", "noconfig", "pkg_filter")


def _links_query(of_tag: bool, current: bool) -> RawSelect:
    """A tag's links to its parents (``of_tag``) or its children's links to it, now or at ``:event``."""
    active = versioned.active_clause(ti, None if current else bindparam("event", type_=Integer))
    key, name_of = (ti.c.tag_id, ti.c.parent_id) if of_tag else (ti.c.parent_id, ti.c.tag_id)
    query = (
        select(ti.c.tag_id, *[ti.c[f] for f in LINK_FIELDS], t.c.name)
        .select_from(ti.join(t, t.c.id == name_of))
        .where(key == bindparam("tag", type_=Integer), active)
        .order_by(ti.c.priority, ti.c.parent_id)
    )
    return RawSelect(query)


# Every inheritance walk reads these, link by link: compiled once, run on the cursor.
_LINKS = {(of_tag, current): _links_query(of_tag, current) for of_tag in (True, False) for current in (True, False)}


def _links(ctx: Context, tag_id: int, of_tag: bool, event: int | None) -> list[dict]:
    found = []
    event = events.as_of(event)
    for link in _LINKS[of_tag, event is None].all(ctx.conn, {"tag": tag_id, "event": event}):
        link["child_id"] = link["tag_id"]
        link["intransitive"] = bool(link["intransitive"])
        link["noconfig"] = bool(link["noconfig"])
        link["pkg_filter"] = link["pkg_filter"] or ""
        found.append(link)
    return found


def get_data(ctx: Context, tag_id: int, event: int | None = None) -> list[dict]:
    """The tag's own links to its parents (``name`` is the parent's), by priority."""
    links = _links(ctx, tag_id, True, event)
    for link in links:
        del link["tag_id"]
    return links


def get_descendants_data(ctx: Context, tag_id: int, event: int | None = None) -> list[dict]:
    """The links of the tags that inherit from this one (``tag_id`` and ``name`` are the child's)."""
    return _links(ctx, tag_id, False, event)


def _checked_link(ctx: Context, tag_id: int, link: Any) -> dict:
    if not isinstance(link, dict):
        raise errors.ParameterError(f"each inheritance link must be a dict, not {link!r}")
    missing = [f for f in LINK_FIELDS if f not in link]
    if missing:
        raise errors.GenericError(f"No value for {', '.join(missing)} in inheritance link {link!r}")
    parent_id = tags.get_id(ctx, link["parent_id"])
    if parent_id == tag_id:
        raise errors.GenericError("A tag cannot inherit from itself")
    try:
        priority = int(link["priority"])
        maxdepth = None if link["maxdepth"] in (None, "") else int(link["maxdepth"])
    except (TypeError, ValueError, OverflowError):
        raise errors.ParameterError(f"priority and maxdepth must be numbers in {link!r}") from None
    if not -(2**31) <= priority < 2**31 or not (maxdepth is None or maxdepth < 2**31):  # the columns' 32 bits
        raise errors.ParameterError(f"priority and maxdepth must be numbers within 32 bits in {link!r}")
    if maxdepth is not None and maxdepth < 0:
        raise errors.ParameterError(f"maxdepth cannot be negative in {link!r}")
    pkg_filter = link["pkg_filter"] or ""
    if not isinstance(pkg_filter, str):
        raise errors.ParameterError(f"pkg_filter must be a regular expression (text) in {link!r}")
    if pkg_filter:
        try:
            re.compile(pkg_filter)
        except re.error as exc:
            raise errors.GenericError(f"Invalid pkg_filter {pkg_filter!r}: {exc}") from None
    return {
        "parent_id": parent_id,
        "priority": priority,
        "maxdepth": maxdepth,
        "intransitive": bool(link["intransitive"]),
        "noconfig": bool(link["noconfig"]),
        "pkg_filter": pkg_filter,
    }


def set_data(ctx: Context, tag_id: int, data: Any, clear: bool = False) -> None:
    """Change the links given (``{"parent_id": P, "delete link": True}`` removes one); ``clear`` drops the rest."""
    if not isinstance(data, list):
        raise errors.ParameterError("inheritance data must be a list of links")
    current = {link["parent_id"]: {f: link[f] for f in LINK_FIELDS} for link in get_data(ctx, tag_id)}
    wanted = {} if clear else dict(current)
    for entry in data:
        if isinstance(entry, dict) and entry.get("delete link"):
            wanted.pop(tags.get_id(ctx, entry.get("parent_id")), None)
            continue
        link = _checked_link(ctx, tag_id, entry)
        wanted[link["parent_id"]] = link
    priorities = [link["priority"] for link in wanted.values()]
    duplicates = sorted({p for p in priorities if priorities.count(p) > 1})
    if duplicates:
        raise errors.GenericError(f"Inheritance priorities must be unique (pri {duplicates[0]} used more than once)")
    event = None
    for parent_id in set(current) | set(wanted):
        if current.get(parent_id) == wanted.get(parent_id):
            continue
        event = event or ctx.event_id()
        versioned.revoke(ctx.conn, ti, {"tag_id": tag_id, "parent_id": parent_id}, event, ctx.user_id)
        if parent_id in wanted:
            versioned.create(ctx.conn, ti, {"tag_id": tag_id, **wanted[parent_id]}, event, ctx.user_id)


def full(ctx: Context, tag_id: int, event: int | None = None, reverse: bool = False) -> list[dict]:
    """Every tag this one inherits from (``reverse``: every tag inheriting from it), depth first."""
    order: list[dict] = []
    reached: dict[int, list[tuple]] = {}
    _walk(ctx, tag_id, event, reverse, order, reached, {tag_id}, 0, None, False, [])
    return order


def _wider_or_equal(previous: tuple, nextdepth: int | None, filters: list, noconfig: bool) -> bool:
    """Whether an earlier visit already brought everything this one would."""
    prev_depth, prev_filters, prev_noconfig = previous
    deep_enough = prev_depth is None or (nextdepth is not None and prev_depth >= nextdepth)
    return deep_enough and set(prev_filters) <= set(filters) and (not prev_noconfig or noconfig)


def _walk(
    ctx: Context,
    tag_id: int,
    event: int | None,
    reverse: bool,
    order: list,
    reached: dict,
    path: set,
    depth: int,
    maxdepth: int | None,
    noconfig: bool,
    filters: list,
) -> None:
    if maxdepth is not None and maxdepth < 1:
        return
    depth += 1
    links = get_descendants_data(ctx, tag_id, event) if reverse else get_data(ctx, tag_id, event)
    for link in links:
        other = link["tag_id"] if reverse else link["parent_id"]
        if other in path:
            continue  # a loop: pruned
        if link["intransitive"] and len(path) > 1 and not reverse:
            continue  # intransitive links count only from the tag the walk started at
        if reverse:
            if link["maxdepth"] is not None and link["maxdepth"] < depth - 1:
                continue
            nextdepth = None
        elif link["maxdepth"] is None:
            nextdepth = None if maxdepth is None else maxdepth - 1
        elif maxdepth is None:
            nextdepth = link["maxdepth"]  # 0: the parent alone; 1: it and its parents; ...
        else:
            nextdepth = min(link["maxdepth"], maxdepth) - 1
        link_noconfig = noconfig or link["noconfig"]
        link_filters = filters + ([link["pkg_filter"]] if link["pkg_filter"] else [])
        if any(_wider_or_equal(p, nextdepth, link_filters, link_noconfig) for p in reached.get(other, [])):
            continue
        reached.setdefault(other, []).append((nextdepth, link_filters, link_noconfig))
        entry = {**link, "currdepth": depth, "nextdepth": nextdepth, "filter": link_filters}
        if not reverse:
            entry.pop("tag_id", None)
        order.append(entry)
        if link["intransitive"] and reverse:
            continue  # the child is listed, the tags inheriting from it are not
        _walk(ctx, other, event, reverse, order, reached, path | {other}, depth, nextdepth, link_noconfig, link_filters)
