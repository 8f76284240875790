"""The later life of builds: moving between tags, what refers to them, deleting and resetting them.

Koji's rules: a build can be deleted only when nothing refers to it (no
tag holds it, no build root of a complete build used its packages, none used
them recently); DELETED keeps its records but removes its files.  Resetting
(admin, destructive) forgets its RPMs and taggings and leaves it CANCELED.  History keeps every tagging either way.
"""

from __future__ import annotations

import shutil
import time
from typing import Any

from sqlalchemy import delete, func, select, update

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.domain import builds, packages, rpms, tags
from kiln.protocol import errors
from kiln.protocol.constants import BuildState

b = tables.build
r = tables.rpminfo
tl = tables.tag_listing
br = tables.buildroot
bl = tables.buildroot_listing

MIN_REF_AGE = 604800  # a build used by a build root within a week is not deleted (Koji's default)


def references(ctx: Context, build_info: Any, limit: Any = None, lazy: bool = False) -> dict:
    """buildReferences: the tags holding the build, and the RPMs of complete builds made with its packages."""
    build = builds.get(ctx, build_info, strict=True)
    assert build is not None
    t = tables.tag
    found: dict[str, Any] = {
        "tags": [
            dict(row._mapping)
            for row in ctx.conn.execute(
                select(tl.c.tag_id, t.c.name)
                .select_from(tl.join(t, t.c.id == tl.c.tag_id))
                .where(tl.c.build_id == build["id"], versioned.active_clause(tl))
                .order_by(tl.c.tag_id)
            )
        ],
        "rpms": [],
        "archives": [],
        "component_of": [],
        "images": [],
        "last_used": None,
    }
    if lazy and found["tags"]:
        return found
    own = select(r.c.id).where(r.c.build_id == build["id"])
    used_in = select(bl.c.buildroot_id).where(bl.c.rpm_id.in_(own))
    made = (
        select(r.c.id, r.c.name, r.c.version, r.c.release, r.c.arch, r.c.build_id)
        .select_from(r.join(b, b.c.id == r.c.build_id))
        .where(r.c.buildroot_id.in_(used_in), b.c.state == BuildState.COMPLETE)
        .order_by(r.c.id)
    )
    if limit is not None:
        made = made.limit(int(limit))
    found["rpms"] = [dict(row._mapping) for row in ctx.conn.execute(made)]
    if lazy and found["rpms"]:
        return found
    last = ctx.conn.execute(
        select(func.max(tables.events.c.time))
        .select_from(br.join(tables.events, tables.events.c.id == br.c.create_event))
        .where(br.c.id.in_(used_in))
    ).scalar()
    found["last_used"] = last
    return found


def untagged(ctx: Context, name: Any = None) -> list[dict]:
    """untaggedBuilds: complete builds no tag holds now (of package ``name``)."""
    p = tables.package
    query = (
        select(b.c.id, p.c.name, b.c.version, b.c.release)
        .select_from(b.join(p, p.c.id == b.c.pkg_id))
        .where(
            b.c.state == BuildState.COMPLETE,
            b.c.id.not_in(select(tl.c.build_id).where(versioned.active_clause(tl))),
        )
        .order_by(p.c.name, b.c.id)
    )
    if name is not None:
        query = query.where(p.c.name == name)
    return [dict(row._mapping) for row in ctx.conn.execute(query)]


def _remove_files_on_commit(ctx: Context, build: dict) -> None:
    path = rpms.build_dir(ctx.settings.topdir, build)
    ctx.on_commit(lambda: shutil.rmtree(path, ignore_errors=True))


def delete_build(ctx: Context, build_info: Any, strict: bool = True, min_ref_age: Any = MIN_REF_AGE) -> bool | None:
    """deleteBuild: DELETED (its files removed) when nothing refers to it; False (or refused, ``strict``) if not."""
    build = builds.get(ctx, build_info, strict=True)
    assert build is not None
    if build["state"] == BuildState.DELETED:
        return None
    refs = references(ctx, build["id"], limit=10, lazy=True)
    reason = None
    if refs["tags"]:
        reason = f"Cannot delete build, tagged: {refs['tags']}"
    elif refs["rpms"]:
        reason = f"Cannot delete build, used in buildroots: {refs['rpms']}"
    elif refs["last_used"] is not None and time.time() - refs["last_used"] < float(min_ref_age):
        reason = "Cannot delete build, used in recent buildroot"
    if reason is not None:
        if strict:
            raise errors.GenericError(reason)
        return False
    ctx.conn.execute(update(b).where(b.c.id == build["id"]).values(state=BuildState.DELETED))
    _remove_files_on_commit(ctx, build)
    return True


def reset_build(ctx: Context, build_info: Any) -> None:
    """resetBuild: forget its RPMs and taggings (history keeps them); CANCELED, no task, files removed."""
    build = builds.get(ctx, build_info)
    if build is None:
        return
    own = select(r.c.id).where(r.c.build_id == build["id"])
    ctx.conn.execute(update(bl).where(bl.c.rpm_id.in_(own)).values(rpm_id=None))
    ctx.conn.execute(delete(r).where(r.c.build_id == build["id"]))
    versioned.revoke(ctx.conn, tl, {"build_id": build["id"]}, ctx.event_id(), ctx.user_id)
    ctx.conn.execute(
        update(b).where(b.c.id == build["id"]).values(state=BuildState.CANCELED, task_id=None, volume_id=0)
    )
    _remove_files_on_commit(ctx, build)


def move(ctx: Context, tag1: Any, tag2: Any, build_info: Any, force: bool, admin: bool) -> int:
    """moveBuild: a tagBuild task that tags into ``tag2`` and untags from ``tag1``."""
    source = tags.get(ctx, tag1, strict=True)
    build = builds.get(ctx, build_info, strict=True)
    assert source is not None and build is not None
    if source["id"] not in builds.tags_of(ctx, build["id"]):
        raise errors.TagError(f"build {build['nvr']} not in tag {source['name']}")
    return builds.request_tagging(ctx, tag2, build["id"], force, source["id"], admin)


def move_all(ctx: Context, tag1: Any, tag2: Any, package: Any, force: bool, admin: bool) -> list[int]:
    """moveAllBuilds: every build of the package in ``tag1`` moved, oldest tagging first; the tasks."""
    source = tags.get(ctx, tag1, strict=True)
    pkg = packages.get(ctx, package, strict=True)
    assert source is not None and pkg is not None
    tagged = builds.list_tagged(ctx, source["id"], package=pkg["id"])
    if not tagged:
        raise errors.GenericError(f"no builds of {pkg['name']} in tag {source['name']}")
    return [move(ctx, source["id"], tag2, entry["id"], force, admin) for entry in reversed(tagged)]


def average_duration(ctx: Context, package: Any, age: Any = None) -> float | None:
    """getAverageBuildDuration: mean seconds of the package's complete builds (of the last ``age`` months)."""
    pkg = packages.get(ctx, package)
    if pkg is None:
        return None
    query = select(func.avg(b.c.completion_time - b.c.start_time)).where(
        b.c.pkg_id == pkg["id"],
        b.c.state == BuildState.COMPLETE,
        b.c.start_time.is_not(None),
        b.c.completion_time.is_not(None),
    )
    if age is not None:
        query = query.where(b.c.completion_time > time.time() - float(age) * 30 * 86400)
    value = ctx.conn.execute(query).scalar()
    return float(value) if value is not None else None
