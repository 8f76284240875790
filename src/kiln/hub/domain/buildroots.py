"""Build roots on record: which host made one, for which task, in which state, holding what.

Builders report them (``host.newBuildRoot``, ``host.setBuildRootState``,
``host.updateBuildRootList``); a host may change only its own.  States only
move forward (INIT, WAITING, BUILDING, EXPIRED).
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import delete, insert, select, update

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import ids, tasks
from kiln.protocol import errors
from kiln.protocol.constants import BuildrootState, RepoState

br = tables.buildroot
bl = tables.buildroot_listing
h = tables.host
r = tables.rpminfo


def _columns() -> tuple[list, Any]:
    ce, re_ = tables.events.alias("ce"), tables.events.alias("re")
    rp, tg, rce = tables.repo, tables.tag, tables.events.alias("rce")
    columns = [
        br.c.id,
        br.c.arch,
        br.c.arch.label("container_arch"),
        br.c.container_type,
        br.c.extra,
        br.c.state,
        br.c.task_id,
        br.c.host_id,
        h.c.name.label("host_name"),
        br.c.repo_id,
        ce.c.id.label("create_event_id"),
        ce.c.time.label("create_ts"),
        re_.c.id.label("retire_event_id"),
        re_.c.time.label("retire_ts"),
        rp.c.state.label("repo_state"),
        rp.c.tag_id,
        tg.c.name.label("tag_name"),
        rp.c.create_event.label("repo_create_event_id"),
        rce.c.time.label("repo_create_event_time"),
    ]
    source = br.join(h, h.c.id == br.c.host_id).join(ce, ce.c.id == br.c.create_event)
    source = source.outerjoin(re_, re_.c.id == br.c.retire_event)
    source = source.outerjoin(rp, rp.c.id == br.c.repo_id).outerjoin(tg, tg.c.id == rp.c.tag_id)
    source = source.outerjoin(rce, rce.c.id == rp.c.create_event)
    return columns, source


def _shape(row: Any) -> dict:
    found = dict(row._mapping)
    found["extra"] = json.loads(found["extra"]) if found["extra"] else None
    found["create_event_time"] = found["create_ts"]
    found["retire_event_time"] = found["retire_ts"]
    found.update(
        br_type=0,
        cg_id=None,
        cg_name=None,
        cg_version=None,
        host_os=None,
        host_arch=None,
    )
    return dict(sorted(found.items()))


def new(ctx: Context, host_id: int, repo: Any, arch: Any, task_id: Any = None) -> int:
    if not isinstance(arch, str) or not arch or len(arch) > 16 or " " in arch:
        raise errors.ParameterError(f"Invalid arch: {arch!r}")
    if task_id is not None:
        task_id = ids.row_id(task_id, "task id")
        tasks.assert_running_on(tasks.row(ctx, task_id), host_id, task_id)
    if repo is not None:
        from kiln.hub.domain import repos

        repo = ids.row_id(repo, "repo id")
        state = repos.lock(ctx, repo)  # repoDelete takes the same lock before it counts users
        if state is None or state == RepoState.DELETED:
            raise errors.GenericError(f"repo {repo} is {'deleted' if state is not None else 'unknown'}")
    values = {
        "host_id": host_id,
        "arch": arch,
        "task_id": task_id,
        "repo_id": repo,
        "state": int(BuildrootState.INIT),
        "container_type": "chroot",
        "create_event": ctx.event_id(),
    }
    return ctx.conn.execute(insert(br).values(**values)).inserted_primary_key[0]


def _own(ctx: Context, host_id: int, buildroot_id: Any) -> Any:
    wanted = ids.row_id(buildroot_id, "buildroot id")
    row = ctx.conn.execute(select(br.c.id, br.c.host_id, br.c.state).where(br.c.id == wanted)).first()
    if row is None:
        raise errors.GenericError(f"No such buildroot: {buildroot_id}")
    if row.host_id != host_id:
        raise errors.ActionNotAllowed(f"buildroot {buildroot_id} belongs to another host")
    return row


def set_state(ctx: Context, host_id: int, buildroot_id: Any, state: Any) -> None:
    try:
        wanted = BuildrootState(int(state)) if not isinstance(state, str) else BuildrootState[state]
    except (KeyError, ValueError, TypeError):
        raise errors.ParameterError(f"Invalid buildroot state: {state!r}") from None
    row = _own(ctx, host_id, buildroot_id)
    if wanted < row.state:
        raise errors.GenericError(
            f"buildroot {buildroot_id} cannot go back from {BuildrootState(row.state).name} to {wanted.name}"
        )
    values: dict = {"state": int(wanted)}
    if wanted == BuildrootState.EXPIRED and row.state != BuildrootState.EXPIRED:
        values["retire_event"] = ctx.event_id()
    ctx.conn.execute(update(br).where(br.c.id == row.id).values(**values))


def set_list(ctx: Context, host_id: int, buildroot_id: Any, rpmlist: Any) -> None:
    """host.setBuildRootList: the first list, sent right after a build root's init (kojid), while it is INIT."""
    row = _own(ctx, host_id, buildroot_id)
    if row.state != BuildrootState.INIT:
        raise errors.GenericError(f"buildroot {row.id} in wrong state {row.state}")
    update_list(ctx, host_id, buildroot_id, rpmlist)


def update_list(ctx: Context, host_id: int, buildroot_id: Any, rpmlist: Any) -> None:
    """Replace what the build root holds: every installed package, by name, version, release, arch.

    Koji's host.updateBuildRootList only adds what is new, while the build root
    is BUILDING; kiln's builder sends the whole list whenever it changes.
    """
    row = _own(ctx, host_id, buildroot_id)
    if not isinstance(rpmlist, list):
        raise errors.ParameterError("rpmlist must be a list of package dicts")
    entries = []
    for item in rpmlist:
        keys = ("name", "version", "release", "arch")
        if not isinstance(item, dict) or not all(isinstance(item.get(key), str) for key in keys):
            raise errors.ParameterError(f"each package needs name, version, release and arch (text): {item!r}")
        entry: dict[str, Any] = {key: item[key] for key in keys}
        entry["epoch"] = item.get("epoch")
        if entry["epoch"] is not None and (isinstance(entry["epoch"], bool) or not isinstance(entry["epoch"], int)):
            raise errors.ParameterError(f"Invalid epoch of {entry['name']}: {entry['epoch']!r} (a number or nil)")
        known = ctx.conn.execute(
            select(r.c.id).where(*[r.c[k] == entry[k] for k in ("name", "version", "release", "arch")])
        ).scalar()
        entries.append({**entry, "rpm_id": known, "buildroot_id": row.id, "is_update": False})
    ctx.conn.execute(delete(bl).where(bl.c.buildroot_id == row.id))
    if entries:
        ctx.conn.execute(insert(bl), entries)


def get(ctx: Context, buildroot_id: Any, strict: bool = False) -> dict | None:
    """A build root by id (a number, or its text: Koji converts it with ``int()``)."""
    wanted = ids.row_id(buildroot_id, "buildroot id")
    columns, source = _columns()
    row = ctx.conn.execute(select(*columns).select_from(source).where(br.c.id == wanted)).first()
    if row is None:
        if strict:
            raise errors.GenericError(f"No such buildroot: {buildroot_id}")
        return None
    return _shape(row)


def query(ctx: Context, **filters: Any) -> list[dict]:
    columns, source = _columns()
    stmt = select(*columns).select_from(source).order_by(br.c.id)
    keyed = (
        ("hostID", br.c.host_id),
        ("taskID", br.c.task_id),
        ("buildrootID", br.c.id),
        ("repoID", br.c.repo_id),
        ("tagID", tables.repo.c.tag_id),
    )
    for key, column in keyed:
        value = filters.get(key)
        if isinstance(value, (list, tuple)):  # Koji takes a list of ids too (kojid sends buildrootID so)
            stmt = stmt.where(column.in_(ids.row_ids(value, key)))
        elif value is not None:
            stmt = stmt.where(column == ids.row_id(value, key))
    if filters.get("state") is not None:
        stmt = stmt.where(br.c.state.in_(_states(filters["state"])))
    if filters.get("rpmID") is not None:
        rpm_id = ids.row_id(filters["rpmID"], "rpmID")
        stmt = stmt.where(br.c.id.in_(select(bl.c.buildroot_id).where(bl.c.rpm_id == rpm_id)))
    return [_shape(row) for row in ctx.conn.execute(stmt)]


def _states(value: Any) -> list[int]:
    """A build root state or a list of them, as numbers (Koji's BR_STATES); ParameterError for anything else.

    A number that is no state matches no build root (as in Koji), on either database.
    """
    states = value if isinstance(value, (list, tuple)) else [value]
    for state in states:
        if isinstance(state, bool) or not isinstance(state, int):
            raise errors.ParameterError(f"Invalid buildroot state: {state!r} (a number, or a list of them)")
    known = {int(state) for state in BuildrootState}
    return [state for state in states if state in known]


def listing(ctx: Context, buildroot_id: Any) -> list[dict]:
    root = get(ctx, buildroot_id, strict=True)
    assert root is not None
    stmt = select(bl).where(bl.c.buildroot_id == root["id"]).order_by(bl.c.name, bl.c.arch)
    found = []
    for row in ctx.conn.execute(stmt):
        entry = dict(row._mapping)
        entry["id"] = entry.pop("rpm_id")
        entry["is_update"] = bool(entry["is_update"])
        entry["nvr"] = f"{entry['name']}-{entry['version']}-{entry['release']}"
        found.append(dict(sorted(entry.items())))
    return found


def expire_stale(ctx: Context, age: Any) -> list[int]:
    """Build roots still on record ``age`` seconds after their task ended (or, without a task, after
    their host last checked in): their builder is gone or forgot them.  EXPIRED now; their ids."""
    if isinstance(age, bool) or not isinstance(age, (int, float)) or age < 0:
        raise errors.ParameterError(f"Invalid age: {age!r}: give seconds")
    limit = time.time() - age
    t = tables.task
    ended = select(t.c.id).where(t.c.completion_time.is_not(None), t.c.completion_time < limit)
    silent = select(h.c.id).where((h.c.update_time.is_(None)) | (h.c.update_time < limit))
    stale = select(br.c.id).where(
        br.c.state != BuildrootState.EXPIRED,
        (br.c.task_id.in_(ended)) | (br.c.task_id.is_(None) & br.c.host_id.in_(silent)),
    )
    ids = [r[0] for r in ctx.conn.execute(stale)]
    if ids:
        ctx.conn.execute(
            update(br).where(br.c.id.in_(ids)).values(state=int(BuildrootState.EXPIRED), retire_event=ctx.event_id())
        )
    return ids
