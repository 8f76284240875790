"""What an RPM's file says: header fields and changelogs, read from the file where kiln keeps it.

Koji's getRPMHeaders and getChangelogEntries read the filed copy of a
build's package (topdir/packages) or a file in a task's output
(topdir/work/tasks/...), so they show what the package says of itself.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from kiln.hub.context import Context
from kiln.hub.domain import builds, rpms
from kiln.hub.domain.times import epoch_seconds
from kiln.protocol import errors
from kiln.protocol.constants import BuildState
from kiln.rpm import headers

MAX_HEADERS = 64
DEFAULT_HEADERS = ["name", "version", "release", "epoch", "arch", "summary", "description", "license", "url"]
DEFAULT_HEADERS += ["buildtime", "buildhost", "sourcerpm", "size"]


def _task_file(ctx: Context, task_id: Any, filepath: Any) -> Path:
    if not isinstance(filepath, str) or not filepath or filepath.startswith("/") or ".." in filepath.split("/"):
        raise errors.ParameterError(f"Invalid filepath: {filepath!r}")
    task_id = int(task_id)
    base = (Path(ctx.settings.topdir) / "work" / "tasks" / str(task_id % 10000) / str(task_id)).resolve()
    path = (base / filepath).resolve()
    if base not in path.parents:
        raise errors.ParameterError(f"Invalid filepath: {filepath!r}")
    return path


def _rpm_file(ctx: Context, rpm_id: Any, strict: bool = True) -> Path | None:
    """Where a build's RPM is filed; None (unless ``strict``) for an unknown RPM or one of a deleted build."""
    rpm = rpms.get(ctx, int(rpm_id), strict=strict)
    build = builds.get(ctx, rpm["build_id"], strict=True) if rpm is not None else None
    if rpm is None or build is None or build["state"] == BuildState.DELETED:
        if strict:
            raise errors.GenericError(f"No such rpm file: {rpm_id}")
        return None
    return rpms.build_dir(ctx.settings.topdir, build) / rpm["arch"] / rpms.filename(rpm)


def _locate(ctx: Context, rpm_id: Any, task_id: Any, filepath: Any, strict: bool = True) -> Path | None:
    if rpm_id is not None:
        return _rpm_file(ctx, rpm_id, strict)
    if task_id is not None and filepath is not None:
        return _task_file(ctx, task_id, filepath)
    raise errors.ParameterError("give rpmID, or taskID and filepath")


def header_fields(
    ctx: Context, rpm_id: Any = None, task_id: Any = None, filepath: Any = None, names: Any = None, strict: bool = False
) -> dict:
    """getRPMHeaders: the asked-for header fields (lower-case keys); {} for a missing file unless ``strict``."""
    path = _locate(ctx, rpm_id, task_id, filepath, strict)
    if path is None or not path.is_file():
        if strict:
            raise errors.GenericError(f"No such file: {path.name if path else rpm_id}")
        return {}
    if names is None:
        names = DEFAULT_HEADERS
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise errors.ParameterError("headers must be a list of header names")
    if len(names) > MAX_HEADERS:
        raise errors.ParameterError(f"at most {MAX_HEADERS} headers in one call")
    return headers.query(path, list(names))


def changelog_entries(
    ctx: Context,
    build_id: Any = None,
    task_id: Any = None,
    filepath: Any = None,
    author: Any = None,
    before: Any = None,
    after: Any = None,
    strict: bool = False,
) -> list[dict]:
    """getChangelogEntries: of a build (its source package) or a task's file; newest first."""
    if build_id is not None:
        build = builds.get(ctx, build_id, strict=True)
        sources = rpms.list_rpms(ctx, build_id=build["id"], arches="src")
        if not sources:
            if strict:
                raise errors.GenericError(f"build {build['nvr']} has no source package")
            return []
        path = _rpm_file(ctx, sources[0]["id"], strict)
    else:
        path = _locate(ctx, None, task_id, filepath)
    if path is None or not path.is_file():
        if strict:
            raise errors.GenericError(f"No such file: {path.name if path else build_id}")
        return []
    low = epoch_seconds("after", after) if after is not None else None
    high = epoch_seconds("before", before) if before is not None else None
    found = []
    for entry in headers.changelog(path):
        if author is not None and entry["author"] != author:
            continue
        if (low is not None and entry["date_ts"] <= low) or (high is not None and entry["date_ts"] >= high):
            continue
        # Koji's date: the naive ISO text of the time (no zone; kiln's hub runs in UTC)
        date = datetime.datetime.fromtimestamp(entry["date_ts"], datetime.UTC).replace(tzinfo=None).isoformat(" ")
        found.append({"date": date, **entry})
    return found
