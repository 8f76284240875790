"""Repos: the content of a tag at one event, as builders read it (Koji's repo table and layout).

A repo's life, as in Koji: ``init`` (host.repoInit, from a newRepo task)
records it INIT and writes its directory under topdir/repos/<tag>/<id>/: per
arch a ``pkglist`` of the tagged RPMs (paths through a ``toplink`` symlink to
topdir, so metadata names packages where they are filed), a ``blocklist``
and ``rpmlist.jsonl``, and ``repo.json``.  Builders run createrepo_c over the
pkglist and upload the metadata; ``done`` (host.repoDone) moves it into
``<arch>/repodata`` and makes the repo READY.  The repo daemon then expires
older repos and deletes expired ones nobody uses.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, literal, select, union_all, update

from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.db.raw import RawSelect
from kiln.hub.domain import groups, ids, inheritance, packages, query_views, rpms, storage, tags
from kiln.hub.domain.times import timestamp_text
from kiln.protocol import errors
from kiln.protocol.constants import BuildrootState, RepoState

rp = tables.repo
t = tables.tag
tk = tables.task
ev = tables.events

OPTION_NAMES = ("src", "debuginfo", "separate_src", "maven")
# Tables whose rows change what a tag's repo holds (Koji's tag_last_change_event).
_CONTENT_TABLES = (
    "tag_listing",
    "tag_inheritance",
    "tag_config",
    "tag_packages",
    "tag_extra",
    "group_config",
    "group_req_listing",
    "group_package_listing",
)


def _columns() -> list:
    create_ev, begin_ev, end_ev = ev.alias("create_ev"), ev.alias("begin_ev"), ev.alias("end_ev")
    cols = [
        rp.c.id,
        rp.c.tag_id,
        t.c.name.label("tag_name"),
        rp.c.creation_time.label("creation_ts"),
        rp.c.state_time.label("state_ts"),
        rp.c.create_event,
        create_ev.c.time.label("create_ts"),
        rp.c.begin_event,
        begin_ev.c.time.label("begin_ts"),
        rp.c.end_event,
        end_ev.c.time.label("end_ts"),
        rp.c.state,
        rp.c.dist,
        rp.c.opts,
        rp.c.custom_opts,
        rp.c.task_id,
        tk.c.state.label("task_state"),
    ]
    joined = (
        rp.join(t, t.c.id == rp.c.tag_id)
        .join(create_ev, create_ev.c.id == rp.c.create_event)
        .outerjoin(begin_ev, begin_ev.c.id == rp.c.begin_event)
        .outerjoin(end_ev, end_ev.c.id == rp.c.end_event)
        .outerjoin(tk, tk.c.id == rp.c.task_id)
    )
    return [cols, joined]


_COLS, _FROM = _columns()
# repo.query's view: Koji's RepoQuery fields and defaults.
VIEW = query_views.View(
    name="RepoQuery",
    columns={c.name: c for c in _COLS},
    source=_FROM,
    defaults=("id", "tag_id", "create_event", "state", "dist", "task_id", "opts", "custom_opts"),
    json_fields=frozenset({"opts", "custom_opts"}),
    derived={"creation_time": ("creation_ts", timestamp_text), "state_time": ("state_ts", timestamp_text)},
)


def _select() -> Any:
    return select(*_COLS).select_from(_FROM)


def _of_tag(by: str, key: Any) -> Any:
    """The repos of a tag named by id or by name: the tag's lookup joined in (``_FROM`` has the tag)."""
    return (rp.c.tag_id if by == "id" else t.c.name) == key


# repoInfo, getRepo and repo.get of a plain call, each in one query: see db/raw.py.
_BY_ID = RawSelect(_select().where(rp.c.id == bindparam("id")))


def _legacy_select(by: str, at_event: bool, since: bool) -> RawSelect:
    query = _select().where(_of_tag(by, bindparam("tag")), rp.c.dist == bindparam("dist"))
    if at_event:
        query = query.where(rp.c.create_event <= bindparam("event"))
    else:
        query = query.where(rp.c.state == bindparam("state"))
    if since:
        query = query.where(rp.c.create_event >= bindparam("min_event"))
    return RawSelect(query.order_by(rp.c.creation_time.desc(), rp.c.id.desc()).limit(1))


def _best_select(by: str, at_event: bool, since: bool) -> RawSelect:
    query = _select().where(
        _of_tag(by, bindparam("tag")), rp.c.dist == literal(False), rp.c.state == int(RepoState.READY)
    )
    if at_event:
        query = query.where(rp.c.create_event == bindparam("at_event"))
    elif since:
        query = query.where(rp.c.create_event >= bindparam("min_event"))
    return RawSelect(query.order_by(rp.c.create_event.desc(), rp.c.id.desc()))


_SHAPES = [(by, at, since) for by in ("id", "name") for at in (False, True) for since in (False, True)]
_LEGACY = {s: _legacy_select(*s) for s in _SHAPES}
_BEST = {s: _best_select(*s) for s in _SHAPES if not (s[1] and s[2])}  # at_event wins over min_event


def shape(row: Any) -> dict:
    """Koji's repo dict (all of RepoQuery's fields)."""
    repo = dict(row) if isinstance(row, dict) else dict(row._mapping)
    repo["dist"] = bool(repo["dist"])
    repo["opts"] = json.loads(repo["opts"])
    repo["custom_opts"] = json.loads(repo["custom_opts"])
    repo["creation_time"] = timestamp_text(repo["creation_ts"])
    repo["state_time"] = timestamp_text(repo["state_ts"])
    return dict(sorted(repo.items()))


def info(ctx: Context, repo_id: Any, strict: bool = False) -> dict | None:
    repo_id = ids.row_id(repo_id, "repo id")
    row = _BY_ID.one(ctx.conn, {"id": repo_id})
    if row is None:
        if strict:
            raise errors.GenericError(f"No such repo: {repo_id}")
        return None
    return shape(row)


def info_many(ctx: Context, repo_ids: list[int]) -> dict[int, dict]:
    """Repos by id in one query (a multicall's run of repoInfo); the ids not found are left out."""
    rows = ctx.conn.execute(_select().where(rp.c.id.in_(sorted(set(repo_ids)))))
    return {row.id: shape(row) for row in rows}


def _int_or_none(name: str, value: Any) -> int | None:
    """An event or task id, as Koji's ``int()`` reads it (text too); ParameterError if it is none."""
    return None if value is None else ids.row_id(value, name)


# -- options ------------------------------------------------------------------------


def convert_opts(opts: Any, strict: bool = True) -> dict:
    """Repo options as a dict of booleans; unknown names refused (``strict``) or dropped."""
    if opts is None:
        return {}
    if not isinstance(opts, dict):
        if strict:
            raise errors.ParameterError("Repo opts must be a dictionary")
        return {}
    clean = {}
    for key, value in opts.items():
        if key not in OPTION_NAMES:
            if strict:
                raise errors.ParameterError(f"Invalid repo option: {key}")
            continue
        if value is not None:
            clean[key] = bool(value)
    return clean


def tag_opts(tag: dict, override: Any = None) -> tuple[dict, dict]:
    """The options a repo of ``tag`` gets (its ``repo.opts`` extra over the defaults), and those overridden."""
    opts = dict.fromkeys(OPTION_NAMES, False)
    opts.update(convert_opts(tag["extra"].get("repo.opts"), strict=False))
    if "with_debuginfo" in tag["extra"] and "repo.opts" not in tag["extra"]:
        opts["debuginfo"] = bool(tag["extra"]["with_debuginfo"])
    opts["maven"] = False  # kiln has no Maven support
    custom = {}
    if override is not None:
        wanted = convert_opts(override)
        if wanted.get("maven"):
            raise errors.GenericError("Maven support not enabled")
        custom = {k: v for k, v in wanted.items() if opts[k] != v}
        opts.update(custom)
    return opts, custom


# -- tag change events --------------------------------------------------------------


def _tag_ids(ctx: Context, tag_id: int, event: int | None, inherit: bool) -> list[int]:
    ids = [tag_id]
    if inherit:
        ids += [link["parent_id"] for link in inheritance.full(ctx, tag_id, event)]
    return ids


def last_change_event(ctx: Context, tag_info: Any, before: Any = None, inherit: bool = True) -> int | None:
    """The newest event (below ``before``) that changed what the tag holds, its parents' changes included."""
    tag_id = tags.get_id(ctx, tag_info)
    before = _int_or_none("before", before)
    ids = _tag_ids(ctx, tag_id, None if before is None else before - 1, inherit)
    parts = []
    for name in _CONTENT_TABLES:
        table = tables.VERSIONED_TABLES[name]
        for column in (table.c.create_event, table.c.revoke_event):
            query = select(func.max(column).label("event")).where(table.c.tag_id.in_(ids))
            if before is not None:
                query = query.where(column < before)
            parts.append(query)
    found = [e for (e,) in ctx.conn.execute(union_all(*parts)) if e is not None]
    return max(found) if found else None


def first_change_event(ctx: Context, tag_id: int, after: Any = None, inherit: bool = True) -> int | None:
    """The oldest event after ``after`` that changed what the tag holds, or None if none did (no ``after``:
    the tag's creation)."""
    after = _int_or_none("after", after)
    if after is None:
        tc = tables.tag_config
        return ctx.conn.execute(select(func.min(tc.c.create_event)).where(tc.c.tag_id == tag_id)).scalar()
    ids = _tag_ids(ctx, tag_id, after, inherit)
    parts = []
    for name in _CONTENT_TABLES:
        table = tables.VERSIONED_TABLES[name]
        for column in (table.c.create_event, table.c.revoke_event):
            parts.append(select(func.min(column).label("event")).where(table.c.tag_id.in_(ids), column > after))
    found = [e for (e,) in ctx.conn.execute(union_all(*parts)) if e is not None]
    return min(found) if found else None


# -- making a repo ------------------------------------------------------------------


def repo_dir(topdir: str, tag_name: str, repo_id: int) -> Path:
    return Path(topdir) / "repos" / storage.component(tag_name, "tag name") / str(repo_id)


def _repo_arches(tag: dict, opts: dict) -> list[str]:
    arches = [a for a in (tag["arches"] or "").split() if a not in ("src", "noarch")]
    arches = list(dict.fromkeys(arches))
    if opts["separate_src"]:
        arches.append("src")
    return arches


def _is_debuginfo(name: str) -> bool:
    return name.endswith(("-debuginfo", "-debugsource")) or "-debuginfo-" in name


def _write_layout(
    path: Path, topdir: str, tag: dict, summary: dict, rpm_list: list[dict], blocked: list[str], comps: str
) -> None:
    """The directory builders read: repo.json, groups/, and per arch pkglist, blocklist, rpmlist.jsonl, toplink."""
    opts = summary["opts"]
    arches = _repo_arches(tag, opts)
    path.mkdir(parents=True)
    (path / "groups").mkdir()
    (path / "groups" / "comps.xml").write_text(comps)
    (path / "repo.json").write_text(json.dumps(summary, indent=2))
    lists: dict[str, list[dict]] = {arch: [] for arch in arches}
    for rpm in rpm_list:
        if not opts["debuginfo"] and _is_debuginfo(rpm["name"]):
            continue
        if rpm["arch"] == "src":
            targets = [a for a in arches if a != "src"] if opts["src"] else []
            if opts["separate_src"]:
                targets.append("src")
        elif rpm["arch"] == "noarch":
            targets = [a for a in arches if a != "src"]
        else:
            targets = [rpm["arch"]] if rpm["arch"] in lists else []
        for arch in targets:
            lists[arch].append(rpm)
    for arch, entries in lists.items():
        arch_dir = path / arch
        arch_dir.mkdir()
        os.symlink(os.path.relpath(topdir, arch_dir), arch_dir / "toplink")
        (arch_dir / "pkglist").write_text(
            "".join(
                f"toplink/packages/{r['build_name']}/{r['build_version']}/{r['build_release']}/"
                f"{r['arch']}/{rpms.filename(r)}\n"
                for r in entries
            )
        )
        (arch_dir / "rpmlist.jsonl").write_text("".join(json.dumps(r) + "\n" for r in entries))
        (arch_dir / "blocklist").write_text("".join(f"{name}\n" for name in blocked))


def init(
    ctx: Context, host_id: int | None, tag_info: Any, task_id: Any = None, event: Any = None, opts: Any = None
) -> list[int]:
    """host.repoInit: an INIT repo of the tag at ``event`` (else now), its directory written; ``[repo_id, event]``."""
    from kiln.hub.domain import tasks

    task_id = _int_or_none("task_id", task_id)
    event = _int_or_none("event", event)
    if task_id is not None:
        tasks.assert_running_on(tasks.row(ctx, task_id), host_id, task_id)
    tag = tags.get(ctx, tag_info, strict=True, event=event)
    assert tag is not None
    repo_opts, custom = tag_opts(tag, opts)
    if event is None:
        event_id = ctx.event_id()
    else:
        from kiln.hub.domain import events

        events.get(ctx, event, strict=True)
        event_id = event
    now = time.time()
    values = {
        "tag_id": tag["id"],
        "create_event": event_id,
        "begin_event": last_change_event(ctx, tag["id"], before=event_id + 1) or event_id,
        "end_event": first_change_event(ctx, tag["id"], event_id),
        "state": RepoState.INIT,
        "dist": False,
        "opts": json.dumps(repo_opts, sort_keys=True),
        "custom_opts": json.dumps(custom, sort_keys=True),
        "task_id": task_id,
        "creation_time": now,
        "state_time": now,
    }
    repo_id = ctx.conn.execute(insert(rp).values(**values)).inserted_primary_key[0]
    latest = not tag["extra"].get("repo_include_all", False)
    rpm_list, tagged = rpms.list_tagged_rpms(ctx, tag["id"], event=event_id, inherit=True, latest=latest)
    by_build = {b["id"]: b for b in tagged}
    for rpm in rpm_list:
        build = by_build[rpm["build_id"]]
        rpm["build_name"], rpm["build_version"], rpm["build_release"] = (
            build["name"],
            build["version"],
            build["release"],
        )
    blocked = sorted(
        p["package_name"] for p in packages.list_for_tag(ctx, tag["id"], inherited=True, event=event_id) if p["blocked"]
    )
    summary = {
        "id": repo_id,
        "tag": tag["name"],
        "tag_id": tag["id"],
        "task_id": task_id,
        "event_id": event_id,
        "opts": repo_opts,
        "custom_opts": custom,
        "with_src": repo_opts["src"],
        "with_separate_src": repo_opts["separate_src"],
        "with_debuginfo": repo_opts["debuginfo"],
    }
    path = repo_dir(ctx.settings.topdir, tag["name"], repo_id)
    if path.exists():  # left by a repo id handed out before, in a transaction that did not commit
        shutil.rmtree(path)
    comps = groups.comps_xml(groups.read(ctx, tag["id"], event=event_id))

    def remove() -> None:
        shutil.rmtree(path, ignore_errors=True)

    ctx.on_rollback(remove)
    try:
        _write_layout(path, ctx.settings.topdir, tag, summary, rpm_list, blocked, comps)
    except BaseException:
        remove()  # also when only this call's savepoint rolls back (a multicall goes on)
        raise
    return [repo_id, event_id]


def _upload_source(topdir: str, upload_path: Any, name: Any, allowed_tasks: set[int]) -> Path:
    """A file a createrepo task uploaded, under its own task directory (no other place in work/)."""
    if storage.task_of_upload_dir(upload_path) not in allowed_tasks:
        raise errors.ActionNotAllowed(f"repo metadata must come from the repo's own tasks, not {upload_path!r}")
    source = Path(topdir) / "work" / upload_path / storage.component(name, "file name")
    if source.is_symlink() or not source.is_file():
        raise errors.GenericError(f"no uploaded file {upload_path}/{name}")
    return source


def done(
    ctx: Context, host_id: int | None, repo_id: Any, data: Any, expire: bool = False, json_updates: Any = None
) -> None:
    """host.repoDone: the uploaded metadata moves into place and the repo is READY (EXPIRED with ``expire``)."""
    from kiln.hub.domain import tasks

    repo = info(ctx, repo_id, strict=True)
    assert repo is not None
    if repo["state"] != RepoState.INIT:
        raise errors.GenericError(f"Repo {repo['id']} not in INIT state (got {RepoState(repo['state']).name})")
    if repo["task_id"] is None:
        raise errors.ActionNotAllowed(f"repo {repo['id']} was not made by a task")
    tasks.assert_running_on(tasks.row(ctx, repo["task_id"]), host_id, repo["task_id"])
    if not isinstance(data, dict):
        raise errors.ParameterError("repoDone data must be a struct of arch: [upload path, [files]]")
    path = repo_dir(ctx.settings.topdir, repo["tag_name"], repo["id"])
    children = {r.id for r in ctx.conn.execute(select(tk.c.id).where(tk.c.parent == repo["task_id"]))} | {
        repo["task_id"]
    }
    moves = []
    for arch, entry in data.items():
        if not isinstance(arch, str) or arch in ("", ".", "..", "groups") or not (path / arch / "pkglist").is_file():
            raise errors.GenericError(f"repo {repo['id']} has no arch {arch!r}")
        if not isinstance(entry, (list, tuple)) or len(entry) != 2 or not isinstance(entry[1], (list, tuple)):
            raise errors.ParameterError(f"repoDone data for {arch} must be [upload path, [files]]")
        for name in entry[1]:
            source = _upload_source(ctx.settings.topdir, entry[0], name, children)
            moves.append((source, path / str(arch) / "repodata" / name))
    moved: list[tuple[Path, Path]] = []

    def put_back() -> None:
        for source, target in reversed(moved):
            if target.exists():
                os.replace(target, source)
        moved.clear()

    ctx.on_rollback(put_back)
    try:
        for source, target in moves:
            target.parent.mkdir(exist_ok=True)
            os.replace(source, target)
            moved.append((source, target))
        if json_updates:
            summary = json.loads((path / "repo.json").read_text())
            summary.update(json_updates)
            (path / "repo.json").write_text(json.dumps(summary, indent=2))
        set_state(ctx, repo["id"], RepoState.EXPIRED if expire else RepoState.READY)
    except BaseException:
        put_back()  # also when only this call's savepoint rolls back: the task may try again
        raise
    if not expire:
        ctx.on_commit(lambda: _link_latest(ctx.settings.topdir, repo))


def _link_latest(topdir: str, repo: dict) -> None:
    """``repos/<tag>/latest`` names the newest READY repo with the tag's own options (best effort)."""
    if repo["custom_opts"]:
        return
    link = Path(topdir) / "repos" / repo["tag_name"] / "latest"
    try:
        current = int(os.readlink(link)) if link.is_symlink() else None
    except ValueError:
        current = None
    if current is not None and current > repo["id"] and (link.parent / str(current)).is_dir():
        return
    temporary = link.with_name(f".latest-{repo['id']}")
    try:
        temporary.unlink(missing_ok=True)
        os.symlink(str(repo["id"]), temporary)
        os.replace(temporary, link)
    except OSError:
        temporary.unlink(missing_ok=True)


# -- states -------------------------------------------------------------------------


def set_state(ctx: Context, repo_id: int, state: Any) -> None:
    """Move a repo on; states only progress (INIT, READY, EXPIRED, PROBLEM), DELETED from any and for good."""
    try:
        new = RepoState(int(state)) if not isinstance(state, str) else RepoState[state.upper()]
    except (KeyError, ValueError, TypeError):
        raise errors.ParameterError(f"Unknown repo state: {state!r}") from None
    old = lock(ctx, repo_id)
    if old is None:
        raise errors.GenericError(f"No such repo: {repo_id}")
    old = RepoState(old)
    if old == new:
        return
    if old == RepoState.DELETED:
        raise errors.GenericError(f"Repo {repo_id} is deleted")
    if old > new and new != RepoState.DELETED:
        raise errors.GenericError(f"Invalid repo state transition for repo {repo_id}: {old.name} -> {new.name}")
    ctx.conn.execute(update(rp).where(rp.c.id == repo_id).values(state=new, state_time=time.time()))
    if new == RepoState.DELETED:
        # The hub removes a deleted repo's directory, whoever marks it: kiln's repo
        # daemon (repoDelete) or Koji's kojira (repo.setState, then its own rmtree,
        # which finds nothing left; it may not even be able to write topdir).
        repo = info(ctx, repo_id, strict=True)
        path = repo_dir(ctx.settings.topdir, repo["tag_name"], repo["id"])
        ctx.on_commit(lambda: shutil.rmtree(path, ignore_errors=True))
    if new == RepoState.READY:
        from kiln.hub.domain import repo_requests

        repo_requests.fulfil(ctx, repo_id)


def lock(ctx: Context, repo_id: int) -> int | None:
    """The repo's state, its row locked for this transaction on PostgreSQL (SQLite writes one at a time)."""
    query = select(rp.c.state).where(rp.c.id == repo_id)
    if ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return ctx.conn.execute(query).scalar()


def references(ctx: Context, repo_id: Any) -> list[dict]:
    """Build roots that still use the repo (not expired)."""
    br = tables.buildroot
    query = select(br.c.id, br.c.host_id, br.c.task_id, br.c.create_event, br.c.state).where(
        br.c.repo_id == ids.row_id(repo_id, "repo id"), br.c.state != BuildrootState.EXPIRED
    )
    return [dict(r._mapping) for r in ctx.conn.execute(query)]


def delete(ctx: Context, repo_id: Any) -> int:
    """Koji's repoDelete: DELETED (its directory removed once that commits) unless build roots use it.

    The number of such build roots; nothing changes when it is not 0.
    """
    repo = info(ctx, repo_id, strict=True)
    assert repo is not None
    lock(ctx, repo["id"])  # before counting: host.newBuildRoot takes the same lock to use it
    used = references(ctx, repo["id"])
    if used:
        return len(used)
    set_state(ctx, repo["id"], RepoState.DELETED)  # which removes its directory once that commits
    return 0


# -- finding repos ------------------------------------------------------------------


def legacy_get(
    ctx: Context, tag_info: Any, state: Any = None, event: Any = None, dist: bool = False, min_event: Any = None
) -> dict | None:
    """Koji's getRepo: the newest repo of the tag (READY unless ``state``; ``event``: made at or before it).

    The tag is looked up in the repo's query; only when no repo comes back
    does a second one tell a tag without such a repo (None) from no tag.
    """
    by, key = tags.lookup_key(tag_info)
    try:
        state, event, min_event = (
            _int_or_none(n, v) for n, v in (("state", state), ("event", event), ("min_event", min_event))
        )
    except errors.ParameterError:
        tags.get_id(ctx, tag_info)  # a missing tag is the fault, as it was when looked up first
        raise
    params: dict[str, Any] = {"tag": key, "dist": bool(dist)}
    if event:
        params["event"] = event
    else:
        params["state"] = int(RepoState.READY if state is None else state)
    if min_event is not None:
        params["min_event"] = min_event
    row = _LEGACY[by, bool(event), min_event is not None].one(ctx.conn, params)
    if row is None:
        tags.get_id(ctx, tag_info)
        return None
    return shape(row)


def legacy_get_many(ctx: Context, variant: tuple[str, int, bool], keys: list) -> dict:
    """getRepo for many tags (``variant``: by id or name, ``state``, ``dist``), in one query, keyed by tag.

    A multicall's run of getRepo (api/batches.py): as ``legacy_get`` answers
    each, None for a tag without such a repo and the fault of a missing tag.
    """
    by, state, dist = variant
    newest = (
        select(
            *_COLS,
            func.row_number()
            .over(partition_by=rp.c.tag_id, order_by=(rp.c.creation_time.desc(), rp.c.id.desc()))
            .label("newest"),
        )
        .select_from(_FROM)
        .where(_of_tag_in(by, keys), rp.c.dist == bool(dist), rp.c.state == state)
        .subquery()
    )
    query = select(*[newest.c[c.name] for c in _COLS]).where(newest.c.newest == 1)
    found: dict = {}
    for row in ctx.conn.execute(query):
        repo = shape(row)
        found[repo["tag_id" if by == "id" else "tag_name"]] = repo
    return _tags_without(ctx, by, keys, found)


def _of_tag_in(by: str, keys: list) -> Any:
    return (rp.c.tag_id if by == "id" else t.c.name).in_(sorted(set(keys)))


def _tags_without(ctx: Context, by: str, keys: list, found: dict) -> dict:
    """``found`` completed for the tags it lacks: None for one that exists, its fault for one that does not."""
    rest = sorted(set(keys) - set(found))
    if rest:
        column = t.c.id if by == "id" else t.c.name
        existing = set(ctx.conn.execute(select(column).where(column.in_(rest))).scalars())
        for key in rest:
            found[key] = None if key in existing else errors.GenericError(f"No such tagInfo: {key!r}")
    return found


def matches(repo: dict, wanted: dict) -> bool:
    """Koji's rule: the repo has every option asked for, and no custom option that was not."""
    return all(repo["opts"].get(k) == v for k, v in wanted.items()) and all(
        wanted.get(k) == v for k, v in repo["custom_opts"].items()
    )


def best(ctx: Context, tag_info: Any, min_event: Any = None, at_event: Any = None, opts: Any = None) -> dict | None:
    """repo.get: the newest READY repo of the tag made at ``at_event`` or since ``min_event``, with ``opts``.

    As in ``legacy_get``, the tag is looked up in the repos' query.
    """
    by, key = tags.lookup_key(tag_info)
    try:
        min_event, at_event = _int_or_none("min_event", min_event), _int_or_none("at_event", at_event)
        wanted = convert_opts(opts)
    except errors.ParameterError:
        tags.get_id(ctx, tag_info)  # a missing tag is the fault, as it was when looked up first
        raise
    params: dict[str, Any] = {"tag": key}
    if at_event is not None:
        params["at_event"] = at_event
    elif min_event is not None:
        params["min_event"] = min_event
    rows = _BEST[by, at_event is not None, at_event is None and min_event is not None].all(ctx.conn, params)
    if not rows:
        tags.get_id(ctx, tag_info)
    for row in rows:
        repo = shape(row)
        if matches(repo, wanted):
            return repo
    return None


def best_many(ctx: Context, variant: tuple[str, tuple], keys: list) -> dict:
    """repo.get for many tags (``variant``: by id or name, the options asked for), in one query, keyed by tag.

    A multicall's run of repo.get (api/batches.py): as ``best`` answers each,
    None for a tag without such a repo and the fault of a missing tag.
    """
    by, wanted = variant[0], dict(variant[1])
    query = (
        _select()
        .where(_of_tag_in(by, keys), rp.c.dist == literal(False), rp.c.state == RepoState.READY)
        .order_by(rp.c.tag_id, rp.c.create_event.desc(), rp.c.id.desc())
    )
    found: dict = {}
    for row in ctx.conn.execute(query):
        key = row.tag_id if by == "id" else row.tag_name
        if key not in found:
            repo = shape(row)
            if matches(repo, wanted):
                found[key] = repo
    return _tags_without(ctx, by, keys, found)


def active(ctx: Context) -> list[dict]:
    """Koji's getActiveRepos: every repo not DELETED, for the repo daemon."""
    return [shape(r) for r in ctx.conn.execute(_select().where(rp.c.state != RepoState.DELETED).order_by(rp.c.id))]


def watched_tags(ctx: Context) -> list[int]:
    """The tags whose repos the repo daemon keeps current: build tags of targets, and tags with ``repo.auto``."""
    btc, te = tables.build_target_config, tables.tag_extra
    found = {r[0] for r in ctx.conn.execute(select(btc.c.build_tag).where(versioned.active_clause(btc)))}
    for tag_id, value in ctx.conn.execute(
        select(te.c.tag_id, te.c.value).where(te.c.key == "repo.auto", versioned.active_clause(te))
    ):
        try:
            if value is not None and json.loads(value):
                found.add(tag_id)
        except ValueError:
            continue
    return sorted(found)


def update_end_events(ctx: Context) -> None:
    """repo.updateEndEvents: give each READY repo without one the first event that changed its tag since."""
    ready = ctx.conn.execute(
        select(rp.c.id, rp.c.tag_id, rp.c.create_event)
        .where(rp.c.state == RepoState.READY, rp.c.end_event.is_(None))
        .order_by(rp.c.id)
    ).all()
    for repo_id, tag_id, create_event in ready:
        end = first_change_event(ctx, tag_id, create_event)
        if end is not None:
            ctx.conn.execute(update(rp).where(rp.c.id == repo_id).values(end_event=end))
