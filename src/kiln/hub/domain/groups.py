"""Comps groups of tags (Koji's group_config, group_package_listing, group_req_listing).

A tag's groups are what build roots install before a build's own
requirements: ``build`` for buildArch, ``srpm-build`` for making a source
package.  They inherit like package lists: the nearest tag's entry for a
group (or for a package in a group) wins, and a blocked entry hides it.
Every change is an event, so repos carry the groups of their event as
``groups/comps.xml``.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import insert, select

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.domain import events, ids, inheritance, names, tags
from kiln.protocol import errors
from kiln.rpm.comps import packages_of

g = tables.groups
gc = tables.group_config
gp = tables.group_package_listing
gr = tables.group_req_listing

CONFIG_FIELDS = ("exported", "display_name", "is_default", "uservisible", "description", "langonly", "biarchonly")
PACKAGE_FIELDS = ("type", "basearchonly", "requires")
REQ_FIELDS = ("type", "is_metapkg")
PACKAGE_TYPES = ("mandatory", "default", "optional", "conditional")


def lookup(ctx: Context, info: Any, strict: bool = False, create: bool = False) -> dict | None:
    """A group by id or name (``create``: a new name is made)."""
    if isinstance(info, int) and not isinstance(info, bool):
        row = ctx.conn.execute(select(g.c.id, g.c.name).where(g.c.id == ids.row_id(info, "group id"))).first()
    elif isinstance(info, str) and info:
        row = ctx.conn.execute(select(g.c.id, g.c.name).where(g.c.name == info)).first()
        if row is None and create:
            names.internal_name(info)
            new_id = ctx.conn.execute(insert(g).values(name=info)).inserted_primary_key[0]
            return {"id": new_id, "name": info}
    else:
        raise errors.ParameterError(f"Invalid group info: {info!r}")
    if row is None:
        if strict:
            raise errors.GenericError(f"No such group: {info!r}")
        return None
    return dict(row._mapping)


def _walk(ctx: Context, tag_id: int, event: int | None, inherit: bool) -> list[int]:
    ids = [tag_id]
    if inherit:
        ids += [link["parent_id"] for link in inheritance.full(ctx, tag_id, event)]
    return ids


def tag_groups(
    ctx: Context, tag_info: Any, event: int | None = None, inherit: bool = True, pkgs: bool = True, reqs: bool = True
) -> dict[int, dict]:
    """Every group the tag has (blocked ones included), by group id, with their packages and requirements."""
    event = events.as_of(event)
    walk = _walk(ctx, tags.get_id(ctx, tag_info), event, inherit)
    found: dict[int, dict] = {}
    config = select(g.c.name, *[gc.c[c] for c in ("group_id", "tag_id", "blocked", *CONFIG_FIELDS)]).select_from(
        gc.join(g, g.c.id == gc.c.group_id)
    )
    for tag_id in walk:
        for row in ctx.conn.execute(config.where(gc.c.tag_id == tag_id, versioned.active_clause(gc, event))):
            found.setdefault(row.group_id, _clean(dict(row._mapping)))
    if pkgs:
        for group in found.values():
            group["packagelist"] = {}
        columns = [gp.c[c] for c in ("group_id", "tag_id", "package", "blocked", *PACKAGE_FIELDS)]
        for tag_id in walk:
            for row in ctx.conn.execute(
                select(*columns).where(gp.c.tag_id == tag_id, versioned.active_clause(gp, event))
            ):
                group = found.get(row.group_id)
                if group is not None and not group["blocked"]:
                    group["packagelist"].setdefault(row.package, _clean(dict(row._mapping)))
    if reqs:
        for group in found.values():
            group["grouplist"] = {}
        columns = [gr.c[c] for c in ("group_id", "tag_id", "req_id", "blocked", *REQ_FIELDS)]
        query = select(*columns, g.c.name).select_from(gr.join(g, g.c.id == gr.c.req_id))
        for tag_id in walk:
            for row in ctx.conn.execute(query.where(gr.c.tag_id == tag_id, versioned.active_clause(gr, event))):
                group, required = found.get(row.group_id), found.get(row.req_id)
                if group is None or group["blocked"] or required is None or required["blocked"]:
                    continue
                group["grouplist"].setdefault(row.req_id, _clean(dict(row._mapping)))
    return found


def _clean(row: dict) -> dict:
    for key in ("blocked", "exported", "uservisible", "biarchonly", "is_metapkg"):
        if key in row and row[key] is not None:
            row[key] = bool(row[key])
    return row


def read(
    ctx: Context,
    tag_info: Any,
    event: int | None = None,
    inherit: bool = True,
    pkgs: bool = True,
    reqs: bool = True,
    incl_blocked: bool = False,
) -> list[dict]:
    """getTagGroups: the tag's groups as lists, blocked entries left out unless asked for."""
    groups = list(tag_groups(ctx, tag_info, event, inherit, pkgs, reqs).values())
    for group in groups:
        for key in ("packagelist", "grouplist"):
            if key in group:
                group[key] = [e for e in group[key].values() if incl_blocked or not e["blocked"]]
    return [group for group in groups if incl_blocked or not group["blocked"]]


# The options' kinds: flags are read as true or false (None kept where the column allows it), text must be text.
_FLAGS = {"exported", "uservisible", "biarchonly", "is_metapkg"}
_MAYBE_FLAGS = {"is_default", "basearchonly"}
_TEXT = {"display_name"}
_MAYBE_TEXT = {"description", "langonly", "requires"}


def _opts(opts: dict, allowed: tuple[str, ...]) -> dict:
    unknown = sorted(set(opts) - set(allowed))
    if unknown:
        raise errors.ParameterError(f"unknown group option(s): {', '.join(unknown)}")
    if "type" in opts and (not isinstance(opts["type"], str) or opts["type"] not in PACKAGE_TYPES):
        raise errors.ParameterError(f"Invalid type: {opts['type']!r} (one of {', '.join(PACKAGE_TYPES)})")
    clean = dict(opts)
    for key, value in opts.items():
        if key in _FLAGS or (key in _MAYBE_FLAGS and value is not None):
            clean[key] = bool(value)
        elif (key in _TEXT or (key in _MAYBE_TEXT and value is not None)) and not isinstance(value, str):
            raise errors.ParameterError(f"Invalid {key}: {value!r} (text)")
    return clean


def add(ctx: Context, tag_info: Any, group_info: Any, block: bool = False, force: bool = False, **opts: Any) -> None:
    """groupListAdd: add (or change) the group in the tag."""
    tag = tags.get(ctx, tag_info, strict=True)
    group = lookup(ctx, group_info, create=True)
    assert tag is not None and group is not None
    values = _opts(opts, CONFIG_FIELDS)
    values["blocked"] = bool(block)
    previous = tag_groups(ctx, tag["id"], pkgs=False, reqs=False).get(group["id"])
    if previous is not None:
        if previous["blocked"] and not force:
            raise errors.GenericError(f"group {group['name']} is blocked in tag {tag['name']}")
        merged = {f: values.get(f, previous[f]) for f in (*CONFIG_FIELDS, "blocked")}
        if all(merged[f] == previous[f] for f in merged) and previous["tag_id"] == tag["id"]:
            return
        values = merged
    values.setdefault("display_name", group["name"])
    values.setdefault("exported", True)
    values.setdefault("uservisible", True)
    values.setdefault("biarchonly", False)
    where = {"group_id": group["id"], "tag_id": tag["id"]}
    versioned.replace(ctx.conn, gc, where, values, ctx.event_id(), ctx.user_id)


def _own(ctx: Context, table: Any, where: dict) -> dict | None:
    rows = versioned.live(ctx.conn, table, where)
    return rows[0] if rows else None


def remove(ctx: Context, tag_info: Any, group_info: Any, force: bool = False) -> None:
    tag = tags.get(ctx, tag_info, strict=True)
    group = lookup(ctx, group_info, strict=True)
    where = {"group_id": group["id"], "tag_id": tag["id"]}
    if not versioned.revoke(ctx.conn, gc, where, ctx.event_id(), ctx.user_id) and not force:
        raise errors.GenericError(f"group {group['name']} not found in tag {tag['name']}")


def unblock(ctx: Context, tag_info: Any, group_info: Any) -> None:
    tag = tags.get(ctx, tag_info, strict=True)
    group = lookup(ctx, group_info, strict=True)
    where = {"group_id": group["id"], "tag_id": tag["id"]}
    own = _own(ctx, gc, where)
    if own is None or not own["blocked"]:
        raise errors.GenericError(f"group {group['name']} is NOT blocked in tag {tag['name']}")
    versioned.revoke(ctx.conn, gc, where, ctx.event_id(), ctx.user_id)


def _group_in(ctx: Context, tag: dict, group: dict, pkgs: bool, reqs: bool) -> dict:
    present = tag_groups(ctx, tag["id"], pkgs=pkgs, reqs=reqs).get(group["id"])
    if present is None:
        raise errors.GenericError(f"group {group['name']} not present in tag {tag['name']}")
    if present["blocked"]:
        raise errors.GenericError(f"group {group['name']} is blocked in tag {tag['name']}")
    return present


def package_add(
    ctx: Context, tag_info: Any, group_info: Any, package: Any, block: bool = False, force: bool = False, **opts: Any
) -> None:
    """groupPackageListAdd: a package in the tag's group (``block``: hidden there)."""
    tag = tags.get(ctx, tag_info, strict=True)
    group = lookup(ctx, group_info, strict=True)
    if not isinstance(package, str) or not package or any(c.isspace() for c in package):
        raise errors.ParameterError(f"Invalid package name: {package!r}")
    values = _opts(opts, PACKAGE_FIELDS)
    previous = _group_in(ctx, tag, group, pkgs=True, reqs=False)["packagelist"].get(package)
    if previous is not None:
        if previous["blocked"] and not force:
            raise errors.GenericError(f"package {package} blocked in group {group['name']}, tag {tag['name']}")
        merged = {f: values.get(f, previous[f]) for f in PACKAGE_FIELDS}
        if not block and not force and all(merged[f] == previous[f] for f in merged):
            return
        values = merged
    values.setdefault("type", "mandatory")
    values["blocked"] = bool(block)
    where = {"group_id": group["id"], "tag_id": tag["id"], "package": package}
    versioned.replace(ctx.conn, gp, where, values, ctx.event_id(), ctx.user_id)


def package_remove(ctx: Context, tag_info: Any, group_info: Any, package: Any) -> None:
    tag = tags.get(ctx, tag_info, strict=True)
    group = lookup(ctx, group_info, strict=True)
    where = {"group_id": group["id"], "tag_id": tag["id"], "package": package}
    if not versioned.revoke(ctx.conn, gp, where, ctx.event_id(), ctx.user_id):
        raise errors.GenericError(f"package {package} not in group {group['name']} of tag {tag['name']}")


def package_unblock(ctx: Context, tag_info: Any, group_info: Any, package: Any) -> None:
    tag = tags.get(ctx, tag_info, strict=True)
    group = lookup(ctx, group_info, strict=True)
    where = {"group_id": group["id"], "tag_id": tag["id"], "package": package}
    own = _own(ctx, gp, where)
    if own is None or not own["blocked"]:
        raise errors.GenericError(f"package {package} is NOT blocked in group {group['name']}, tag {tag['name']}")
    versioned.revoke(ctx.conn, gp, where, ctx.event_id(), ctx.user_id)


def req_add(
    ctx: Context, tag_info: Any, group_info: Any, req_info: Any, block: bool = False, force: bool = False, **opts: Any
) -> None:
    """groupReqListAdd: the tag's group requires another group."""
    tag = tags.get(ctx, tag_info, strict=True)
    group = lookup(ctx, group_info, strict=True)
    required = lookup(ctx, req_info, strict=True)
    values = _opts(opts, REQ_FIELDS)
    previous = _group_in(ctx, tag, group, pkgs=False, reqs=True)["grouplist"].get(required["id"])
    if previous is not None:
        if previous["blocked"] and not force:
            raise errors.GenericError(
                f"requirement on group {required['name']} blocked in group {group['name']}, tag {tag['name']}"
            )
        merged = {f: values.get(f, previous[f]) for f in REQ_FIELDS}
        if not block and all(merged[f] == previous[f] for f in merged):
            return
        values = merged
    values.setdefault("type", "mandatory")
    values.setdefault("is_metapkg", False)
    values["blocked"] = bool(block)
    where = {"group_id": group["id"], "tag_id": tag["id"], "req_id": required["id"]}
    versioned.replace(ctx.conn, gr, where, values, ctx.event_id(), ctx.user_id)


def req_remove(ctx: Context, tag_info: Any, group_info: Any, req_info: Any, force: bool = False) -> None:
    tag = tags.get(ctx, tag_info, strict=True)
    group = lookup(ctx, group_info, strict=True)
    required = lookup(ctx, req_info, strict=True)
    where = {"group_id": group["id"], "tag_id": tag["id"], "req_id": required["id"]}
    if not versioned.revoke(ctx.conn, gr, where, ctx.event_id(), ctx.user_id) and not force:
        raise errors.GenericError(f"group {group['name']} does not require {required['name']} in tag {tag['name']}")


def req_unblock(ctx: Context, tag_info: Any, group_info: Any, req_info: Any) -> None:
    tag = tags.get(ctx, tag_info, strict=True)
    group = lookup(ctx, group_info, strict=True)
    required = lookup(ctx, req_info, strict=True)
    where = {"group_id": group["id"], "tag_id": tag["id"], "req_id": required["id"]}
    own = _own(ctx, gr, where)
    if own is None or not own["blocked"]:
        raise errors.GenericError(
            f"requirement on group {required['name']} is NOT blocked in group {group['name']}, tag {tag['name']}"
        )
    versioned.revoke(ctx.conn, gr, where, ctx.event_id(), ctx.user_id)


def comps_xml(groups: list[dict]) -> str:
    """The groups as a comps document, as yum/dnf and mock read them (required groups expanded)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">',
        "<comps>",
    ]
    for group in sorted(groups, key=lambda g: g["name"]):
        if not group.get("exported", True):
            continue
        lines += [
            "  <group>",
            f"    <id>{escape(group['name'])}</id>",
            f"    <name>{escape(group['display_name'] or group['name'])}</name>",
            f"    <description>{escape(group['description'] or '')}</description>",
            f"    <default>{'true' if group['is_default'] else 'false'}</default>",
            f"    <uservisible>{'true' if group['uservisible'] else 'false'}</uservisible>",
        ]
        if group.get("langonly"):
            lines.append(f"    <langonly>{escape(group['langonly'])}</langonly>")
        lines.append("    <packagelist>")
        entries = {p["package"]: p for p in group.get("packagelist", [])}
        for name in packages_of(groups, group["name"]):
            entries.setdefault(name, {"package": name, "type": "mandatory", "requires": None})
        for name in sorted(entries):
            entry = entries[name]
            requires = f" requires={quoteattr(entry['requires'])}" if entry.get("requires") else ""
            lines.append(f'      <packagereq type="{entry["type"]}"{requires}>{escape(name)}</packagereq>')
        lines += ["    </packagelist>", "  </group>"]
    lines.append("</comps>")
    return "\n".join(lines) + "\n"
