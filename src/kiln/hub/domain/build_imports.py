"""What a build task's host tells the hub: a build begun, its results imported, or its failure.

Koji's ``host.initBuild``, ``host.completeBuild``, ``host.failBuild`` and
``host.moveBuildToScratch``.  Each is for the host running the task (OPEN
there), and a build is changed only by its own task.  Importing is all or
nothing: every file is checked before anything is recorded, and a failure
part way removes what was filed (``storage.Filing``), so packages/ never
holds half a build and the build stays BUILDING for the task to fail.

Files stay in the task's output too (a hard link, Koji leaves a symlink), so
``listTaskOutput`` still shows what the task made.  The files must come
from the task's own output or its subtasks' (``tasks/<id % 10000>/<id>/``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import update

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import buildroots, builds, rpms, storage, tasks, users
from kiln.protocol import errors
from kiln.protocol.constants import BuildState
from kiln.rpm import headers

b = tables.build


def _task_on_host(ctx: Context, host_id: int, task_id: Any) -> Any:
    row = tasks.row(ctx, task_id)
    tasks.assert_running_on(row, host_id, row.id)
    return row


def _build_of_task(ctx: Context, build_id: Any, task_id: int) -> dict:
    if isinstance(build_id, bool) or not isinstance(build_id, int):
        raise errors.ParameterError(f"Invalid build id: {build_id!r}")
    build = builds.get(ctx, build_id, strict=True)
    assert build is not None
    if build["task_id"] != task_id:
        raise errors.ActionNotAllowed(f"build {build['nvr']} belongs to task {build['task_id']}, not {task_id}")
    return build


def init_build(ctx: Context, host_id: int, data: Any) -> int:
    """A BUILDING build for the task's NVR, owned by the task's owner; refused for an NVR built before.

    Only the task that began a build may ask again (a rerun of it): it gets the same build back.
    """
    if not isinstance(data, dict):
        raise errors.ParameterError("initBuild takes a struct: name, version, release, epoch, task_id")
    missing = [key for key in ("name", "version", "release", "task_id") if key not in data]
    if missing:
        raise errors.ParameterError(f"initBuild: missing {', '.join(missing)}")
    if data.get("draft"):
        raise errors.GenericError("draft builds are not supported")
    row = _task_on_host(ctx, host_id, data["task_id"])
    again = builds.get(ctx, {"name": data["name"], "version": data["version"], "release": data["release"]})
    if again is not None and again["state"] == BuildState.BUILDING and again["task_id"] == row.id:
        return again["id"]  # the task was run again (its builder restarted): the same build, as in Koji
    extra = data.get("extra")
    if extra is not None and not isinstance(extra, dict):
        raise errors.ParameterError(f"initBuild: extra must be a struct, not {type(extra).__name__}")
    return builds.create(
        ctx,
        data["name"],
        data["version"],
        data["release"],
        data.get("epoch"),
        owner=row.owner,
        state=BuildState.BUILDING,
        task_id=row.id,
        source=data.get("source"),
        extra=extra,
    )


def _paths(srpm: Any, rpm_paths: Any, brmap: Any, logs: Any) -> tuple[list[str], dict, dict]:
    if not isinstance(srpm, str):
        raise errors.ParameterError(f"Invalid srpm path: {srpm!r}")
    if not isinstance(rpm_paths, list) or not all(isinstance(p, str) for p in rpm_paths):
        raise errors.ParameterError("rpms must be a list of work-relative paths")
    brmap = {} if brmap is None else brmap
    logs = {} if logs is None else logs
    if not isinstance(brmap, dict) or not isinstance(logs, dict):
        raise errors.ParameterError("brmap and logs must be structs")
    for key, files in logs.items():
        if not isinstance(files, list) or not all(isinstance(p, str) for p in files):
            raise errors.ParameterError(f"logs[{key!r}] must be a list of work-relative paths")
        if key and (not isinstance(key, str) or "/" in key or key.startswith(".")):
            raise errors.ParameterError(f"Invalid log directory: {key!r}")
    # Koji keeps the first of several identical noarch RPMs (each arch's build makes one).
    kept: list[str] = []
    noarch: set[str] = set()
    for path in rpm_paths:
        name = path.rpartition("/")[2]
        if name.endswith(".noarch.rpm"):
            if name in noarch:
                continue
            noarch.add(name)
        kept.append(path)
    return kept, brmap, logs


def _task_files(ctx: Context, task_id: int) -> Any:
    """A reader of work-relative paths that takes only files the task (or one of its subtasks) uploaded.

    A build's files come from its own task tree's output, never from another
    task's or a user's upload area.
    """
    allowed = {task_id, *tasks.descendant_ids(ctx, task_id)}
    topdir = ctx.settings.topdir

    def read(relpath: Any) -> Path:
        directory, _, name = relpath.rpartition("/") if isinstance(relpath, str) else ("", "", "")
        if storage.task_of_upload_dir(directory) not in allowed or not name:
            raise errors.ActionNotAllowed(f"a build's files must come from its own tasks' output, not {relpath!r}")
        found = rpms.work_file(topdir, relpath)
        if (Path(topdir) / "work" / relpath).is_symlink():
            raise errors.GenericError(f"not a regular file: {relpath}")
        return found

    return read


def _buildroot_ids(ctx: Context, brmap: dict) -> dict[str, int]:
    found = {}
    for path, value in brmap.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise errors.ParameterError(f"brmap[{path!r}]: {value!r} is not a buildroot id")
        buildroots.get(ctx, value, strict=True)
        found[path] = value
    return found


def complete_build(
    ctx: Context, host_id: int, task_id: Any, build_id: Any, srpm: Any, rpm_paths: Any, brmap: Any, logs: Any
) -> dict:
    """Import the task's SRPM, RPMs and logs into the BUILDING build and make it COMPLETE; the build."""
    row = _task_on_host(ctx, host_id, task_id)
    build = _build_of_task(ctx, build_id, row.id)
    if build["state"] != BuildState.BUILDING:
        raise errors.GenericError(f"Unable to complete build: state is {BuildState(build['state']).name}")
    rpm_paths, brmap, logs = _paths(srpm, rpm_paths, brmap, logs)
    roots = _buildroot_ids(ctx, brmap)
    topdir = ctx.settings.topdir
    task_file = _task_files(ctx, row.id)
    # Everything is read and checked before anything is recorded or filed.
    files = [(path, task_file(path)) for path in [srpm, *rpm_paths]]
    read = [(path, source, headers.read(source)) for path, source in files]
    source_header = read[0][2]
    if source_header.arch != "src":
        raise errors.GenericError(f"not a source package: {srpm}")
    for key in ("name", "version", "release", "epoch"):
        found = getattr(source_header, key)
        if found != build[key]:
            raise errors.GenericError(f"Unable to complete build: {key} mismatch (build: {build[key]}, rpm: {found})")
    if any(h.arch == "src" for _p, _s, h in read[1:]):
        raise errors.GenericError("Unable to complete build: more than one source package")
    log_files = [(key, task_file(path)) for key, paths in logs.items() for path in paths]
    done = ctx.conn.execute(
        update(b)
        .where(b.c.id == build["id"], b.c.state == BuildState.BUILDING)
        .values(state=BuildState.COMPLETE, completion_time=time.time())
    ).rowcount
    if not done:
        raise errors.GenericError(f"Unable to complete build {build['nvr']}: it is no longer building")
    filing = storage.Filing(ctx)
    try:
        for path, source, header in read:
            rpms.record(ctx, source, header, build, filing, roots.get(path))
        logs_dir = logs_path(topdir, build)
        for key, source in log_files:
            filing.put(source, (logs_dir / key if key else logs_dir) / source.name)
    except BaseException:
        filing.undo()  # also when only this call's savepoint rolls back (a multicall)
        raise
    completed = builds.get(ctx, build["id"], strict=True)
    assert completed is not None
    return completed


def fail_build(ctx: Context, host_id: int, task_id: Any, build_id: Any) -> None:
    """The task's BUILDING build becomes FAILED (Koji refuses any other state, so do we)."""
    row = _task_on_host(ctx, host_id, task_id)
    build = _build_of_task(ctx, build_id, row.id)
    done = ctx.conn.execute(
        update(b)
        .where(b.c.id == build["id"], b.c.state == BuildState.BUILDING, b.c.completion_time.is_(None))
        .values(state=BuildState.FAILED, completion_time=time.time())
    ).rowcount
    if not done:
        raise errors.GenericError(f"cannot update build {build['id']}, state: {BuildState(build['state']).name}")


def move_to_scratch(ctx: Context, host_id: int, task_id: Any, srpm: Any, rpm_paths: Any, logs: Any) -> None:
    """A scratch build's files to scratch/<owner>/task_<id>/ (logs under logs/<arch>/); nothing on record."""
    row = _task_on_host(ctx, host_id, task_id)
    rpm_paths, _brmap, logs = _paths(srpm, rpm_paths, None, logs)
    topdir = ctx.settings.topdir
    owner = users.find(ctx, row.owner, strict=True)
    assert owner is not None
    target = Path(topdir) / "scratch" / storage.component(owner["name"], "user name") / f"task_{row.id}"
    task_file = _task_files(ctx, row.id)
    files = [(target, task_file(path)) for path in [srpm, *rpm_paths]]
    for key, paths in logs.items():
        where = target / "logs" / key if key else target / "logs"
        files += [(where, task_file(path)) for path in paths]
    filing = storage.Filing(ctx)
    try:
        for where, source in files:
            filing.put(source, where / source.name)
    except BaseException:
        filing.undo()
        raise


def logs_path(topdir: str, build: dict) -> Path:
    """Koji's build log directory: packages/<n>/<v>/<r>/data/logs."""
    return rpms.build_dir(topdir, build) / "data" / "logs"


def build_logs(ctx: Context, build_info: Any) -> list[dict]:
    """Koji's getBuildLogs: ``[{name, dir, path}]`` of the build's logs (path relative to topdir)."""
    build = builds.get(ctx, build_info, strict=True)
    assert build is not None
    topdir = Path(ctx.settings.topdir)
    top = logs_path(str(topdir), build)
    if not top.is_dir() or top.is_symlink():
        return []
    found = []
    for dirpath, _dirs, names in os.walk(top):
        subdir = os.path.relpath(dirpath, top)
        for name in sorted(names):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            relative = os.path.normpath(f"{top.relative_to(topdir)}/{subdir}/{name}")
            found.append({"name": name, "dir": subdir, "path": relative})
    return sorted(found, key=lambda entry: (entry["dir"], entry["name"]))
