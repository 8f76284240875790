"""Builds: one row per name-version-release, its state, and the tags it is in.

States are Koji's (BUILDING, COMPLETE, DELETED, FAILED, CANCELED).  An NVR is
built once: a second build of it is refused, whatever became of the first.
Tagging is a versioned row per (build, tag): every tag and untag is an event,
so ``list_tagged`` answers as of an event too.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, insert, literal_column, select, update

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.db.raw import RawSelect, SelectCache, Where
from kiln.hub.domain import ids, inheritance, names, packages, tags, users
from kiln.hub.domain.shapes import Shape
from kiln.hub.domain.times import timestamp_text
from kiln.protocol import errors
from kiln.protocol.constants import BuildState

b = tables.build
p = tables.package
u = tables.users
v = tables.volume
ev = tables.events
tl = tables.tag_listing
_EVR_PART = re.compile(r"^[A-Za-z0-9._+~^]+$")

_COLUMNS = [
    b.c.id,
    b.c.pkg_id.label("package_id"),
    p.c.name.label("package_name"),
    p.c.name,
    b.c.version,
    b.c.release,
    b.c.epoch,
    b.c.draft,
    b.c.state,
    b.c.task_id,
    b.c.owner.label("owner_id"),
    u.c.name.label("owner_name"),
    b.c.volume_id,
    v.c.name.label("volume_name"),
    b.c.create_event.label("creation_event_id"),
    ev.c.time.label("creation_ts"),
    b.c.start_time.label("start_ts"),
    b.c.completion_time.label("completion_ts"),
    b.c.source,
    b.c.extra,
]
_FROM = b.join(p, p.c.id == b.c.pkg_id).join(u, u.c.id == b.c.owner).join(v, v.c.id == b.c.volume_id)
_FROM = _FROM.join(ev, ev.c.id == b.c.create_event)


# What Koji adds to a build that kiln has no use for (content generators, draft promotion).
_NONE_KEYS = ("cg_id", "cg_name", "promoter_id", "promoter_name", "promotion_time", "promotion_ts")


def shape(mapping: Any) -> dict:
    """Koji's build dict (getBuild's keys) from a row's mapping; listBuilds drops ``id`` and ``cg_name``."""
    build = dict(mapping)
    build["build_id"] = build["id"]
    build["nvr"] = f"{build['name']}-{build['version']}-{build['release']}"
    build["draft"] = bool(build["draft"])
    build["extra"] = json.loads(build["extra"]) if build["extra"] else None
    build["creation_time"] = timestamp_text(build["creation_ts"])
    build["start_time"] = timestamp_text(build["start_ts"])
    build["completion_time"] = timestamp_text(build["completion_ts"])
    for key in _NONE_KEYS:
        build[key] = None
    return {key: build[key] for key in sorted(build)}


def parse_nvr(text: str) -> tuple[str, str, str]:
    name, _, rest = text.rpartition("-")
    name, _, version = name.rpartition("-")
    if not name or not version or not rest:
        raise errors.GenericError(f"invalid format: {text}")
    return name, version, rest


# A build as callers name it: by id, or by name, version and release.  The
# statements are written once with these conditions (``lookup`` gives their values).
WHERE = {
    "id": b.c.id == bindparam("id"),
    "nvr": and_(
        p.c.name == bindparam("name"), b.c.version == bindparam("version"), b.c.release == bindparam("release")
    ),
}
_BY = {form: RawSelect(select(*_COLUMNS).select_from(_FROM).where(where)) for form, where in WHERE.items()}


def lookup(info: Any) -> tuple[str, dict]:
    """How ``info`` (an id, an N-V-R, a dict) names a build: the ``WHERE`` form and its values.

    ParameterError for what names no build (a bool, a dict without id or N-V-R,
    another type); GenericError for a malformed N-V-R.
    """
    if isinstance(info, bool):
        raise errors.ParameterError(f"Invalid build info: {info!r}")
    if isinstance(info, int):
        return "id", {"id": ids.row_id(info, "build id")}
    if isinstance(info, str):
        name, version, release = parse_nvr(info)
        return "nvr", {"name": name, "version": version, "release": release}
    if isinstance(info, dict):
        if info.get("id") is not None:
            return "id", {"id": ids.row_id(info["id"], "build id")}
        return "nvr", ids.text_fields(info, ("name", "version", "release"), "build info", or_id=True)
    raise errors.ParameterError(f"Invalid type for build info: {type(info).__name__}")


def missing(info: Any) -> str:
    """The fault text of a strict read of a build that is not there: the same in every read and batch form."""
    return f"No such build: {info!r}"


def get(ctx: Context, info: Any, strict: bool = False) -> dict | None:
    form, params = lookup(info)
    row = _BY[form].one(ctx.conn, params)
    if row is None:
        if strict:
            raise errors.GenericError(missing(info))
        return None
    return shape(row)


def get_many(ctx: Context, build_ids: list[int]) -> dict[int, dict]:
    """Builds by id in one query (a multicall's run of getBuild); the ids not found are left out."""
    if not build_ids:
        return {}
    rows = ctx.conn.execute(select(*_COLUMNS).select_from(_FROM).where(b.c.id.in_(sorted(set(build_ids)))))
    found = {}
    for row in rows:
        build = shape(row._mapping)
        found[build["id"]] = build
    return found


def create(
    ctx: Context,
    name: Any,
    version: Any,
    release: Any,
    epoch: Any,
    owner: Any = None,
    state: BuildState = BuildState.COMPLETE,
    task_id: int | None = None,
    source: str | None = None,
    extra: dict | None = None,
) -> int:
    """A new build; refused when its NVR exists already, whatever its state."""
    for label, value in (("version", version), ("release", release)):
        if not isinstance(value, str) or not _EVR_PART.match(value) or value in (".", ".."):
            raise errors.GenericError(f"Invalid {label}: {value!r} (letters, digits and . _ + ~ ^ only, as RPM allows)")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0):
        raise errors.GenericError(f"Invalid epoch: {epoch!r}")
    package = packages.get(ctx, names.directory_name(names.internal_name(name), "package name"), create=True)
    assert package is not None
    nvr = f"{package['name']}-{version}-{release}"
    found = ctx.conn.execute(
        select(b.c.id, b.c.state).where(b.c.pkg_id == package["id"], b.c.version == version, b.c.release == release)
    ).first()
    if found is not None:
        raise errors.GenericError(f"Build already exists (id={found.id}, state={BuildState(found.state).name}): {nvr}")
    owner_id = users.find(ctx, owner, strict=True)["id"] if owner is not None else ctx.user_id
    if owner_id is None:
        raise errors.GenericError("a build needs an owner")
    now = time.time()
    values = {
        "pkg_id": package["id"],
        "version": version,
        "release": release,
        "epoch": epoch,
        "state": int(state),
        "task_id": task_id,
        "owner": owner_id,
        "create_event": ctx.event_id(),
        "start_time": now,
        "completion_time": now if state != BuildState.BUILDING else None,
        "volume_id": 0,
        "source": source,
        "extra": json.dumps(extra) if extra else None,
    }
    return ctx.conn.execute(insert(b).values(**values)).inserted_primary_key[0]


def cancel(ctx: Context, info: Any, admin: bool) -> bool:
    """A BUILDING build becomes CANCELED (and its task is cancelled); False if it was not building."""
    from kiln.hub.domain import task_actions

    build = get(ctx, info, strict=True)
    assert build is not None
    if build["owner_id"] != ctx.user_id and not admin:
        raise errors.ActionNotAllowed(f"Cannot cancel build {build['nvr']}: only its owner or an admin may")
    done = ctx.conn.execute(
        update(b)
        .where(b.c.id == build["id"], b.c.state == BuildState.BUILDING)
        .values(state=BuildState.CANCELED, completion_time=time.time())
    ).rowcount
    if not done:
        return False
    if build["task_id"] is not None:
        task_actions.cancel(ctx, build["task_id"], admin=True)
    return True


def end_building(ctx: Context, task_id: int, state: BuildState) -> None:
    """A task that ends without completing its BUILDING builds ends them too: CANCELED, or FAILED.

    Koji cancels a cancelled task's builds; kiln also fails a failed task's
    (its process may have died before it could say host.failBuild), so that
    no build stays BUILDING with nothing building it.
    """
    ctx.conn.execute(
        update(b)
        .where(b.c.task_id == task_id, b.c.state == BuildState.BUILDING)
        .values(state=int(state), completion_time=time.time())
    )


# queryOpts ``order`` keys the database sorts (the others are sorted in Python, after the query).
SQL_ORDER = {
    "build_id": b.c.id,
    "id": b.c.id,
    "package_name": p.c.name,
    "version": b.c.version,
    "release": b.c.release,
    "state": b.c.state,
    "owner_name": u.c.name,
    "completion_time": b.c.completion_time,
    "completion_ts": b.c.completion_time,
    "creation_time": ev.c.time,
    "creation_ts": ev.c.time,
    "nvr": p.c.name + "-" + b.c.version + "-" + b.c.release,  # Koji sorts the joined string, so does kiln
}


def sql_order(order: Any) -> list[str] | None:
    """``order`` ("-build_id,package_name") as its terms, or None when a key is not one the database sorts."""
    terms = [t.strip() for t in str(order or "").split(",") if t.strip()]
    if any(t.lstrip("-") not in SQL_ORDER for t in terms):
        return None
    return terms


def _where(ctx: Context, filters: dict) -> Where:
    """listBuilds' filters as a ``Where`` (its shape keys the compiled statement, its values the parameters)."""
    where = Where()
    if filters.get("packageID") is not None:
        where.add(b.c.pkg_id, "=", packages.get(ctx, filters["packageID"], strict=True)["id"])
    if filters.get("userID") is not None:
        where.add(b.c.owner, "=", users.find(ctx, filters["userID"], strict=True)["id"])
    if filters.get("taskID") is not None:
        task_id = int(filters["taskID"])
        where.add(b.c.task_id, *(("is not null",) if task_id == -1 else ("=", task_id)))
    if filters.get("prefix"):
        where.add(p.c.name, "prefix", str(filters["prefix"]))
    if filters.get("pattern"):
        pattern = str(filters["pattern"]).replace("*", "%").replace("?", "_")
        where.add(_NVR_LOWER, "like", pattern.lower())
    if filters.get("state") is not None:
        where.add(b.c.state, "in", _states(filters["state"]))
    if filters.get("draft") is not None:
        where.add(b.c.draft, "=", bool(filters["draft"]))
    if filters.get("volumeID") is not None:
        where.add(b.c.volume_id, "=", int(filters["volumeID"]))
    for key, column, op in (
        ("createdBefore", ev.c.time, "<"),
        ("createdAfter", ev.c.time, ">"),
        ("completeBefore", b.c.completion_time, "<"),
        ("completeAfter", b.c.completion_time, ">"),
    ):
        if filters.get(key) is not None:
            where.add(column, op, float(filters[key]))
    return where


def _states(value: Any) -> list[int]:
    """A build state or a list of them as numbers; ParameterError naming the one that is not a number.

    A number that is no state matches no build, as in Koji, on either database.
    """
    states = value if isinstance(value, (list, tuple)) else [value]
    for state in states:
        if isinstance(state, bool) or not isinstance(state, int):
            raise errors.ParameterError(f"Invalid build state: {state!r} (a number, or a list of them)")
    known = {int(state) for state in BuildState}
    return [state for state in states if state in known]


def list_builds(
    ctx: Context,
    order: list[str] | None = None,
    offset: int = 0,
    limit: int | None = None,
    count_only: bool = False,
    **filters: Any,
) -> list[dict] | int:
    """Builds matching Koji's listBuilds filters; ordered (``sql_order``'s terms), sliced or counted by the database.

    A page of the newest builds out of hundreds of thousands costs the page,
    not the whole list (the web's build list asks for that all day).
    """
    where = _where(ctx, filters)
    offset = int(offset or 0)
    limit = int(limit) if limit is not None else None
    terms = tuple(order or ())
    if count_only:
        query = _page_query(where, terms, offset, limit).order_by(None)
        return ctx.conn.execute(select(func.count()).select_from(query.subquery()), where.params).scalar_one()
    page = _PAGES.get((where.key, terms, offset, limit), lambda: _page_query(where, terms, offset, limit))
    params = where.params
    return _LISTED_SHAPE.all(page.rows(ctx.conn, params)[1])


_PAGES = SelectCache()
# A filter on an expression: one object, so that the filter's shape is the same call after call.
_NVR_LOWER = func.lower(p.c.name + "-" + b.c.version + "-" + b.c.release)


def _page_query(where: Where, terms: tuple[str, ...], offset: int, limit: int | None) -> Any:
    """listBuilds' statement for one shape of filters, order and paging (SelectCache builds it once)."""
    ordering = [SQL_ORDER[t.lstrip("-")].desc() if t.startswith("-") else SQL_ORDER[t] for t in terms]
    query = select(*_COLUMNS).select_from(_FROM).where(*where.clauses()).order_by(*(ordering or [b.c.id]))
    if terms:
        query = query.order_by(b.c.id)
    # Paging as numbers in the text, not parameters: PostgreSQL's generic
    # plan for a prepared LIMIT $n cannot know the page is small and sorts
    # every matching row (4 ms, not 0.3, for 50 of 10,000 builds).
    if offset:
        query = query.offset(literal_column(str(int(offset))))
    if limit is not None:
        query = query.limit(literal_column(str(int(limit))))
    return query


# -- tagging -------------------------------------------------------------------


def check_tag_access(ctx: Context, tag: dict, admin: bool, force: bool) -> None:
    """Who may tag into (or untag from) a tag: a locked tag only an admin forcing; a tag's ``perm`` its holders."""
    from kiln.hub import rpc

    if tag["locked"] and not (admin and force):
        raise errors.ActionNotAllowed(f"tag {tag['name']} is locked")
    if tag["perm"] and not rpc.has_perm(ctx, tag["perm"]):
        raise errors.ActionNotAllowed(f"{tag['perm']} permission required to tag into {tag['name']}")


def _assert_complete(build: dict) -> None:
    if build["state"] != BuildState.COMPLETE:
        raise errors.TagError(f"build {build['nvr']} not complete: state {BuildState(build['state']).name}")


def _assert_listed(ctx: Context, tag: dict, build: dict) -> None:
    """The tag's package list (inheritance included) has the build's package, unblocked."""
    entry = packages.config(ctx, tag["id"], build["package_id"])
    if entry is None:
        raise errors.TagError(f"package {build['name']} not in list for tag {tag['name']}")
    if entry["blocked"]:
        raise errors.TagError(f"package {build['name']} is blocked in tag {tag['name']}")


def request_tagging(ctx: Context, tag_info: Any, build_info: Any, force: bool, fromtag: Any, admin: bool) -> int:
    """Koji's tagBuild: check now, then a ``tagBuild`` task does the tagging (on a builder); its id."""
    tag = tags.get(ctx, tag_info, strict=True)
    build = get(ctx, build_info, strict=True)
    assert tag is not None and build is not None
    _assert_complete(build)
    check_tag_access(ctx, tag, admin, force)
    fromtag_id = None
    if fromtag is not None:
        source = tags.get(ctx, fromtag, strict=True)
        assert source is not None
        check_tag_access(ctx, source, admin, force)
        fromtag_id = source["id"]
    if not force:
        _assert_listed(ctx, tag, build)
    if versioned.live(ctx.conn, tl, {"tag_id": tag["id"], "build_id": build["id"]}):
        raise errors.TagError(f"build {build['nvr']} already tagged ({tag['name']})")
    from kiln.hub.domain import tasks

    args = [tag["id"], build["id"], bool(force), fromtag_id, False]
    return tasks.create(ctx, "tagBuild", args, priority=10)


def tag_build(ctx: Context, tag_info: Any, build_info: Any, force: bool = False, as_user: int | None = None) -> None:
    """Tag a COMPLETE build (``force``: retag one already there, ignore the package list and a lock).

    ``as_user``: whom history names (a tagBuild task's owner, when its host does the tagging).
    """
    tag = tags.get(ctx, tag_info, strict=True)
    build = get(ctx, build_info, strict=True)
    assert tag is not None and build is not None
    _assert_complete(build)
    if tag["locked"] and not force:
        raise errors.TagError(f"tag {tag['name']} is locked")
    if not force:
        _assert_listed(ctx, tag, build)
    where = {"tag_id": tag["id"], "build_id": build["id"]}
    event = ctx.event_id()
    user_id = as_user if as_user is not None else ctx.user_id
    if versioned.live(ctx.conn, tl, where):
        if not force:
            raise errors.TagError(f"build {build['nvr']} already tagged ({tag['name']})")
        versioned.revoke(ctx.conn, tl, where, event, user_id)
    versioned.create(ctx.conn, tl, where, event, user_id)


def untag_build(
    ctx: Context,
    tag_info: Any,
    build_info: Any,
    strict: bool = True,
    force: bool = False,
    as_user: int | None = None,
) -> None:
    tag = tags.get(ctx, tag_info, strict=True)
    build = get(ctx, build_info, strict=True)
    assert tag is not None and build is not None
    if tag["locked"] and not force:
        raise errors.TagError(f"tag {tag['name']} is locked")
    where = {"tag_id": tag["id"], "build_id": build["id"]}
    user_id = as_user if as_user is not None else ctx.user_id
    if not versioned.revoke(ctx.conn, tl, where, ctx.event_id(), user_id) and strict:
        raise errors.TagError(f"build {build['nvr']} not in tag {tag['name']}")


def list_tagged(
    ctx: Context,
    tag_info: Any,
    event: int | None = None,
    inherit: bool = False,
    prefix: str | None = None,
    latest: Any = False,
    package: Any = None,
    owner: Any = None,
) -> list[dict]:
    """Builds in a tag (and, with ``inherit``, its parents), newest tagging first, as Koji lists them.

    ``latest``: only the most recently tagged build of each package (a number
    N: the N most recent), counted along the inheritance, so a tag's own
    builds come before its parents'.  With ``inherit``, packages blocked in
    the tag are left out.
    """
    tag_id = tags.get_id(ctx, tag_info)
    parents = inheritance.full(ctx, tag_id, event) if inherit else []
    walk = [{"parent_id": tag_id, "filter": []}, *parents]
    package_id = packages.get(ctx, package, strict=True)["id"] if package is not None else None
    owner_id = users.find(ctx, owner, strict=True)["id"] if owner is not None else None
    per_package: dict[int, int] = {}
    blocked = packages.blocked_in(ctx, tag_id, event, parents) if inherit else set()
    where = Where()
    if package_id is not None:
        where.add(b.c.pkg_id, "=", package_id)
    if owner_id is not None:
        where.add(b.c.owner, "=", owner_id)
    if prefix:
        where.add(p.c.name, "prefix", prefix)
    params = {**where.params, "event": event}
    tagged = _TAGGED.get((where.key, event is None), lambda: _tagged_query(where, event is None))
    # Koji's reading: a number N is the N latest, anything else true or false
    limit = latest if isinstance(latest, int) and not isinstance(latest, bool) else int(bool(latest))
    found = []
    for link in walk:
        source = link["parent_id"]
        source_tag = tags.get(ctx, source, event=event)
        params["tag"] = source
        filters = [re.compile(f) for f in link["filter"]]
        for row in tagged.rows(ctx.conn, params)[1]:
            pkg = row[_TAGGED_PACKAGE]
            if pkg in blocked or any(not f.match(row[_TAGGED_NAME]) for f in filters):
                continue
            if limit:
                if per_package.get(pkg, 0) >= limit:
                    continue
                per_package[pkg] = per_package.get(pkg, 0) + 1
            build = _TAGGED_SHAPE.one(row)
            build["tag_name"] = source_tag["name"] if source_tag else None
            found.append(build)
    return found


_TAGGED = SelectCache()
_TAGGED_NAMES = [c.key for c in _COLUMNS] + ["tag_id", "create_event"]
_TAGGED_PACKAGE = _TAGGED_NAMES.index("package_id")
_TAGGED_NAME = _TAGGED_NAMES.index("name")


def _tagged_query(where: Where, current: bool) -> Any:
    """One tag's tagged builds, newest tagging first, for one shape of filters (now, or at ``:event``)."""
    active = versioned.active_clause(tl, None if current else bindparam("event", type_=Integer))
    return (
        select(*_COLUMNS, tl.c.tag_id, tl.c.create_event.label("create_event"))
        .select_from(_FROM.join(tl, tl.c.build_id == b.c.id))
        .where(tl.c.tag_id == bindparam("tag", type_=Integer), active, *where.clauses())
        .order_by(tl.c.create_event.desc(), b.c.id.desc())
    )


# getBuild's dict (``shape``) as a ``Shape`` of _COLUMNS' rows: listings shape every row with it.
_BUILD_SHAPING: dict[str, Any] = {
    "convert": {"draft": bool, "extra": lambda text: json.loads(text) if text else None},
    "derived": {"nvr": lambda row: f"{row['name']}-{row['version']}-{row['release']}"},
    "copy": {"build_id": "id"},
    "times": {"creation_time": "creation_ts", "start_time": "start_ts", "completion_time": "completion_ts"},
    "const": dict.fromkeys(_NONE_KEYS),
}
# listBuilds leaves out ``id`` and ``cg_name``; listTagged adds the tagging's tag and event.
_LISTED_SHAPE = Shape([c.key for c in _COLUMNS], drop=("id", "cg_name"), **_BUILD_SHAPING)
_TAGGED_SHAPE = Shape(_TAGGED_NAMES, **{**_BUILD_SHAPING, "const": {**_BUILD_SHAPING["const"], "tag_name": None}})


def tags_of(ctx: Context, build_id: int, event: int | None = None) -> list[int]:
    """The tags a build is in."""
    query = select(tl.c.tag_id).where(tl.c.build_id == build_id, versioned.active_clause(tl, event))
    return [r[0] for r in ctx.conn.execute(query)]


def host_tagging(
    ctx: Context, host_id: int, task_id: Any, tag_id: Any, build_id: Any, force: bool, fromtag: Any
) -> None:
    """host.tagBuild: the host running the tagBuild task tags the build for the task's owner."""
    from kiln.hub.domain import tasks

    row = tasks.row(ctx, task_id)
    tasks.assert_running_on(row, host_id, int(task_id))
    if fromtag is not None:
        untag_build(ctx, fromtag, build_id, strict=True, force=force, as_user=row.owner)
    tag_build(ctx, tag_id, build_id, force=force, as_user=row.owner)


def list_volumes(ctx: Context) -> list[dict]:
    """Every storage volume (kiln has only DEFAULT, id 0, unless an admin added more)."""
    return [dict(row._mapping) for row in ctx.conn.execute(select(v.c.id, v.c.name).order_by(v.c.id))]


def next_release(ctx: Context, build_info: Any, incr: Any = 1) -> str:
    """Koji's getNextRelease: the latest (by id) build of that name and version, its release moved on by ``incr``.

    Koji's three shapes: all digits ("7" -> "8"), a number and a dist tag
    ("3.el9" -> "4.el9"), and a third part that is a number ("1.el9.2" ->
    "1.el9.3"); no build yet gives ``incr`` itself.  Failed and canceled builds
    do not count.
    """
    try:
        incr = int(incr)
    except (TypeError, ValueError):
        raise errors.ParameterError("incr parameter must be an integer") from None
    if not isinstance(build_info, dict) or not {"name", "version"} <= build_info.keys():
        raise errors.ParameterError("build_info must be a struct with name and version")
    release = ctx.conn.execute(
        select(b.c.release)
        .select_from(b.join(p, p.c.id == b.c.pkg_id))
        .where(
            p.c.name == build_info["name"],
            b.c.version == build_info["version"],
            b.c.draft.is_(False),
            b.c.state.in_([BuildState.COMPLETE, BuildState.DELETED, BuildState.BUILDING]),
        )
        .order_by(b.c.id.desc())
        .limit(1)
    ).scalar()
    if not release:
        return str(incr)
    parts = release.split(".")
    if release.isascii() and release.isdigit():
        return str(int(release) + incr)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isdigit():
        return f"{int(parts[0]) + incr}.{parts[1]}"
    if len(parts) == 3 and parts[2].isascii() and parts[2].isdigit():
        return f"{parts[0]}.{parts[1]}.{int(parts[2]) + incr}"
    raise errors.BuildError(f"Unable to increment release value: {release}")
