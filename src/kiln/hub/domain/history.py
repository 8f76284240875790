"""queryHistory: who changed what, when, read from the versioned tables.

Koji's shape: ``{table: [row, ...]}``, each row holding the table's own
columns, the names they point at (``user.name``, ``host.name``...), and the
bookkeeping ``create_event``/``revoke_event``, their times and editors.  A
filter that does not apply to a table drops that table from the answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, or_, select

from kiln.hub.argtypes import ID_MAX
from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import builds, channels, hosts, packages, tags, targets, users
from kiln.hub.domain.times import epoch_seconds
from kiln.protocol import errors

# For each table: the joins that name its references, as (column, table, label).
_REFERENCES: dict[str, list[tuple[str, Table, str]]] = {
    "user_perms": [("user_id", tables.users, "user.name"), ("perm_id", tables.permissions, "permission.name")],
    "host_config": [("host_id", tables.host, "host.name")],
    "host_channels": [("host_id", tables.host, "host.name"), ("channel_id", tables.channels, "channels.name")],
    "tag_config": [("tag_id", tables.tag, "tag.name")],
    "tag_extra": [("tag_id", tables.tag, "tag.name")],
    "tag_inheritance": [("tag_id", tables.tag, "tag.name"), ("parent_id", tables.tag, "parent.name")],
    "tag_packages": [("tag_id", tables.tag, "tag.name"), ("package_id", tables.package, "package.name")],
    "tag_package_owners": [
        ("tag_id", tables.tag, "tag.name"),
        ("package_id", tables.package, "package.name"),
        ("owner", tables.users, "owner.name"),
    ],
    "tag_listing": [("tag_id", tables.tag, "tag.name")],
    "group_config": [("tag_id", tables.tag, "tag.name"), ("group_id", tables.groups, "group.name")],
    "group_req_listing": [
        ("tag_id", tables.tag, "tag.name"),
        ("group_id", tables.groups, "group.name"),
        ("req_id", tables.groups, "req.name"),
    ],
    "group_package_listing": [("tag_id", tables.tag, "tag.name"), ("group_id", tables.groups, "group.name")],
    "build_target_config": [
        ("build_target_id", tables.build_target, "build_target.name"),
        ("build_tag", tables.tag, "build_tag.name"),
        ("dest_tag", tables.tag, "dest_tag.name"),
    ],
}
# Which table-specific filters apply to which tables (and to which column).
_FILTERS: dict[str, dict[str, str]] = {
    # as Koji's: a user filter also finds the packages the user owns
    "user": {"user_perms": "user_id", "tag_package_owners": "owner"},
    "permission": {"user_perms": "perm_id"},
    "host": {"host_config": "host_id", "host_channels": "host_id"},
    "channel": {"host_channels": "channel_id"},
    "tag": {
        "tag_config": "tag_id",
        "tag_extra": "tag_id",
        "tag_inheritance": ("tag_id", "parent_id"),
        "tag_packages": "tag_id",
        "tag_package_owners": "tag_id",
        "build_target_config": "dest_tag",  # as Koji's hub: a target's destination, not its build tag
        "tag_listing": "tag_id",
        "group_config": "tag_id",
        "group_req_listing": "tag_id",
        "group_package_listing": "tag_id",
    },
    "group": {"group_config": "group_id", "group_req_listing": "group_id", "group_package_listing": "group_id"},
    "package": {
        "tag_packages": "package_id",
        "tag_package_owners": "package_id",
        "tag_listing": "build.pkg_id",
        "group_package_listing": "package",  # by name: a group's package need not be a known package
    },
    "xkey": {"tag_extra": "key"},
    # kiln keeps no content generators or external repos: these filters leave no table
    "cg": {},
    "external_repo": {},
    "build": {"tag_listing": "build_id"},
    "build_target": {"build_target_config": "build_target_id"},
}


def _resolve(ctx: Context, name: str, value: Any) -> Any:
    if name in ("xkey", "cg", "external_repo"):
        return str(value)
    if name == "user":
        return users.find(ctx, value, strict=True)["id"]
    if name == "permission":
        return users.find_perm(ctx, value)
    if name == "host":
        host = hosts.get(ctx, value)
        return host["id"] if host else None
    if name == "tag":
        return tags.get_id(ctx, value)
    if name == "package":
        return packages.get(ctx, value, strict=True)["id"]
    if name == "build":
        return builds.get(ctx, value, strict=True)["id"]
    if name == "build_target":
        found = ctx.conn.execute(select(tables.build_target.c.id).where(targets._where(value))).scalar()
        if found is None:
            raise errors.GenericError(f"No such build target: {value!r}")
        return found
    if name == "group":
        from kiln.hub.domain import groups

        return groups.lookup(ctx, value, strict=True)["id"]
    channel = channels.get(ctx, value)
    return channel["id"] if channel else None


def query(ctx: Context, table_names: list[str] | None = None, **filters: Any) -> dict[str, list[dict]]:
    wanted = sorted(tables.VERSIONED_TABLES) if table_names is None else list(table_names)
    for name in wanted:
        if not isinstance(name, str) or name not in tables.VERSIONED_TABLES:
            raise errors.GenericError(f"No such history table: {name}")
    filters = _bounds(filters)
    specific = {k: _resolve(ctx, k, v) for k, v in filters.items() if k in _FILTERS and v is not None}
    editor = filters.get("editor")
    editor_id = users.find(ctx, editor, strict=True)["id"] if editor is not None else None
    result: dict[str, list[dict]] = {}
    for name in wanted:
        if any(name not in _FILTERS[k] for k in specific):
            continue
        result[name] = _rows(ctx, name, specific, editor_id, filters)
    return result


def _bounds(filters: dict) -> dict:
    """The time and event bounds as numbers: times as Koji takes them (seconds or an ISO date), events as ids."""
    found = dict(filters)
    for key in ("after", "before"):
        if found.get(key) is not None:
            found[key] = epoch_seconds(key, found[key])
    for key in ("afterEvent", "beforeEvent"):
        value = found.get(key)
        if value is not None and (type(value) is not int or not -ID_MAX - 1 <= value <= ID_MAX):
            raise errors.ParameterError(f"{key}: give an event id, not {value!r}")
    return found


def _rows(ctx: Context, name: str, specific: dict, editor_id: int | None, filters: dict) -> list[dict]:
    table = tables.VERSIONED_TABLES[name]
    ce, re_ = tables.events.alias("ce"), tables.events.alias("re")
    cu, ru = tables.users.alias("cu"), tables.users.alias("ru")
    columns = [table.c[c.name] for c in table.columns]
    columns += [ce.c.time.label("create_ts"), re_.c.time.label("revoke_ts")]
    columns += [cu.c.name.label("creator_name"), ru.c.name.label("revoker_name")]
    source = (
        table.join(ce, ce.c.id == table.c.create_event)
        .outerjoin(re_, re_.c.id == table.c.revoke_event)
        .outerjoin(cu, cu.c.id == table.c.creator_id)
        .outerjoin(ru, ru.c.id == table.c.revoker_id)
    )
    for i, (column, target, label) in enumerate(_REFERENCES[name]):
        alias = target.alias(f"ref{i}")
        source = source.join(alias, alias.c.id == table.c[column])
        columns.append(alias.c.name.label(label))
    build = None
    if name == "tag_listing":  # the CLI prints name-version-release: the build and its package, by name
        build, package = tables.build.alias("b"), tables.package.alias("p")
        source = source.join(build, build.c.id == table.c.build_id).join(package, package.c.id == build.c.pkg_id)
        columns += [package.c.name.label("name"), build.c.version, build.c.release, build.c.epoch]
        columns += [build.c.state.label("build.state")]
    query = select(*columns).select_from(source)
    for key, value in specific.items():
        if key == "package" and name == "group_package_listing":
            value = str(filters["package"])
        columns_of = _FILTERS[key][name]
        names_ = columns_of if isinstance(columns_of, tuple) else (columns_of,)
        matched = [build.c.pkg_id if c == "build.pkg_id" and build is not None else table.c[c] for c in names_]
        query = query.where(or_(*[column == value for column in matched]))
    active = filters.get("active")
    if active is not None:
        query = query.where(table.c.active.is_(True) if active else table.c.active.is_(None))
    if editor_id is not None:
        query = query.where(or_(table.c.creator_id == editor_id, table.c.revoker_id == editor_id))
    if filters.get("after") is not None:
        query = query.where(or_(ce.c.time > float(filters["after"]), re_.c.time > float(filters["after"])))
    if filters.get("before") is not None:
        query = query.where(or_(ce.c.time < float(filters["before"]), re_.c.time < float(filters["before"])))
    if filters.get("afterEvent") is not None:
        ev = int(filters["afterEvent"])
        query = query.where(or_(table.c.create_event > ev, table.c.revoke_event > ev))
    if filters.get("beforeEvent") is not None:
        ev = int(filters["beforeEvent"])
        query = query.where(
            or_(table.c.create_event < ev, and_(table.c.revoke_event.is_not(None), table.c.revoke_event < ev))
        )
    query = query.order_by(table.c.create_event)
    rows = []
    for row in ctx.conn.execute(query):
        data = dict(row._mapping)
        data["active"] = True if data["active"] else None
        for flag in ("enabled", "locked", "maven_support", "maven_include_all", "intransitive", "noconfig", "blocked"):
            if flag in data:
                data[flag] = bool(data[flag])
        _annotate(data, editor_id, filters)
        rows.append(dict(sorted(data.items())))
    return rows


def _annotate(row: dict, editor_id: int | None, filters: dict) -> None:
    """The ``_created_*``/``_revoked_*`` flags the CLI uses to pick lines."""
    if editor_id is not None:
        row["_created_by"] = row["creator_id"] == editor_id
        row["_revoked_by"] = row["revoker_id"] == editor_id
    revoke_ts, revoke_ev = row["revoke_ts"], row["revoke_event"]
    if filters.get("after") is not None:
        after = float(filters["after"])
        row["_created_after"] = row["create_ts"] > after
        row["_revoked_after"] = revoke_ts is not None and revoke_ts > after
    if filters.get("before") is not None:
        before = float(filters["before"])
        row["_created_before"] = row["create_ts"] < before
        row["_revoked_before"] = revoke_ts is not None and revoke_ts < before
    if filters.get("afterEvent") is not None:
        ev = int(filters["afterEvent"])
        row["_created_after_event"] = row["create_event"] > ev
        row["_revoked_after_event"] = revoke_ev is not None and revoke_ev > ev
    if filters.get("beforeEvent") is not None:
        ev = int(filters["beforeEvent"])
        row["_created_before_event"] = row["create_event"] < ev
        row["_revoked_before_event"] = revoke_ev is not None and revoke_ev < ev
