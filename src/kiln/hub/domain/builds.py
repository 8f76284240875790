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

from sqlalchemy import func, insert, select, update

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.domain import inheritance, names, packages, tags, users
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


def shape(mapping: Any) -> dict:
    """Koji's build dict (getBuild's keys) from a row's mapping; listBuilds drops ``id`` and ``cg_name``."""
    build = dict(mapping)
    build["build_id"] = build["id"]
    build["nvr"] = f"{build['name']}-{build['version']}-{build['release']}"
    build["draft"] = bool(build["draft"])
    build["extra"] = json.loads(build["extra"]) if build["extra"] else None
    for name in ("creation", "start", "completion"):
        build[f"{name}_time"] = timestamp_text(build[f"{name}_ts"])
    build.update(promotion_time=None, promotion_ts=None, promoter_id=None, promoter_name=None, cg_id=None, cg_name=None)
    return dict(sorted(build.items()))


def parse_nvr(text: str) -> tuple[str, str, str]:
    name, _, rest = text.rpartition("-")
    name, _, version = name.rpartition("-")
    if not name or not version or not rest:
        raise errors.GenericError(f"invalid format: {text}")
    return name, version, rest


def _where(info: Any) -> Any:
    if isinstance(info, bool):
        raise errors.ParameterError(f"Invalid build info: {info!r}")
    if isinstance(info, int):
        return b.c.id == info
    if isinstance(info, str):
        name, version, release = parse_nvr(info)
        return (p.c.name == name) & (b.c.version == version) & (b.c.release == release)
    if isinstance(info, dict):
        if info.get("id") is not None:
            return b.c.id == int(info["id"])
        try:
            return (p.c.name == info["name"]) & (b.c.version == info["version"]) & (b.c.release == info["release"])
        except KeyError:
            raise errors.ParameterError(
                f"Invalid build info: {info!r}: give id, or name, version and release"
            ) from None
    raise errors.ParameterError(f"Invalid type for build info: {type(info).__name__}")


def get(ctx: Context, info: Any, strict: bool = False) -> dict | None:
    row = ctx.conn.execute(select(*_COLUMNS).select_from(_FROM).where(_where(info))).first()
    if row is None:
        if strict:
            raise errors.GenericError(f"No such build: {info!r}")
        return None
    return shape(row._mapping)


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


def sql_order(order: Any) -> list | None:
    """``order`` ("-build_id,package_name") as SQL, or None when a key is not one the database sorts."""
    terms = [t.strip() for t in str(order or "").split(",") if t.strip()]
    if any(t.lstrip("-") not in SQL_ORDER for t in terms):
        return None
    return [SQL_ORDER[t.lstrip("-")].desc() if t.startswith("-") else SQL_ORDER[t] for t in terms] + [b.c.id]


def list_builds(
    ctx: Context,
    order: list | None = None,
    offset: int = 0,
    limit: int | None = None,
    count_only: bool = False,
    **filters: Any,
) -> list[dict] | int:
    """Builds matching Koji's listBuilds filters; ordered, sliced or counted by the database when asked.

    A page of the newest builds out of hundreds of thousands costs the page,
    not the whole list (the web's build list asks for that all day).
    """
    query = select(*_COLUMNS).select_from(_FROM).order_by(*(order or [b.c.id]))
    if filters.get("packageID") is not None:
        query = query.where(b.c.pkg_id == packages.get(ctx, filters["packageID"], strict=True)["id"])
    if filters.get("userID") is not None:
        query = query.where(b.c.owner == users.find(ctx, filters["userID"], strict=True)["id"])
    if filters.get("taskID") is not None:
        task_id = int(filters["taskID"])
        query = query.where(b.c.task_id.is_not(None) if task_id == -1 else b.c.task_id == task_id)
    if filters.get("prefix"):
        query = query.where(p.c.name.startswith(filters["prefix"], autoescape=True))
    if filters.get("pattern"):
        pattern = str(filters["pattern"]).replace("*", "%").replace("?", "_")
        query = query.where(func.lower(p.c.name + "-" + b.c.version + "-" + b.c.release).like(pattern.lower()))
    if filters.get("state") is not None:
        state = filters["state"]
        states = state if isinstance(state, list) else [state]
        query = query.where(b.c.state.in_([int(s) for s in states]))
    if filters.get("draft") is not None:
        query = query.where(b.c.draft.is_(bool(filters["draft"])))
    if filters.get("volumeID") is not None:
        query = query.where(b.c.volume_id == int(filters["volumeID"]))
    for key, column, op in (
        ("createdBefore", ev.c.time, "<"),
        ("createdAfter", ev.c.time, ">"),
        ("completeBefore", b.c.completion_time, "<"),
        ("completeAfter", b.c.completion_time, ">"),
    ):
        if filters.get(key) is not None:
            when = float(filters[key])
            query = query.where(column < when if op == "<" else column > when)
    if offset or limit is not None:
        query = query.offset(offset or None).limit(limit)
    if count_only:
        return ctx.conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    found = []
    for row in ctx.conn.execute(query):
        build = shape(row._mapping)
        del build["id"], build["cg_name"]
        found.append(build)
    return found


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
    walk = [{"parent_id": tag_id, "filter": []}]
    if inherit:
        walk += inheritance.full(ctx, tag_id, event)
    package_id = packages.get(ctx, package, strict=True)["id"] if package is not None else None
    owner_id = users.find(ctx, owner, strict=True)["id"] if owner is not None else None
    per_package: dict[int, int] = {}
    blocked = packages.blocked_in(ctx, tag_id, event) if inherit else set()
    found = []
    for link in walk:
        source = link["parent_id"]
        source_tag = tags.get(ctx, source, event=event)
        filters = [re.compile(f) for f in link["filter"]]
        query = (
            select(*_COLUMNS, tl.c.tag_id, tl.c.create_event.label("create_event"))
            .select_from(_FROM.join(tl, tl.c.build_id == b.c.id))
            .where(tl.c.tag_id == source, versioned.active_clause(tl, event))
            .order_by(tl.c.create_event.desc(), b.c.id.desc())
        )
        if package_id is not None:
            query = query.where(b.c.pkg_id == package_id)
        if owner_id is not None:
            query = query.where(b.c.owner == owner_id)
        if prefix:
            query = query.where(p.c.name.startswith(prefix, autoescape=True))
        for row in (dict(r._mapping) for r in ctx.conn.execute(query)):
            pkg = row["package_id"]
            if any(not f.match(row["name"]) for f in filters):
                continue
            if pkg in blocked:
                continue
            if latest:
                limit = 1 if latest is True else int(latest)
                if per_package.get(pkg, 0) >= limit:
                    continue
                per_package[pkg] = per_package.get(pkg, 0) + 1
            tagged = {k: v for k, v in row.items() if k not in ("tag_id", "create_event")}
            build = shape(tagged)
            build.update(
                tag_id=source, tag_name=source_tag["name"] if source_tag else None, create_event=row["create_event"]
            )
            found.append(dict(sorted(build.items())))
    return found


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
