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
from kiln.hub.domain import builds, ids, rpms
from kiln.hub.domain.times import epoch_seconds
from kiln.protocol import errors
from kiln.protocol.constants import BuildState
from kiln.rpm import headers

MAX_HEADERS = 64
DEFAULT_HEADERS = ["name", "version", "release", "epoch", "arch", "summary", "description", "license", "url"]
DEFAULT_HEADERS += ["buildtime", "buildhost", "sourcerpm", "size"]


MAX_NAME = 255  # bytes in one part of a path, as Linux file systems allow
MAX_PATH = 1024


def _task_file(ctx: Context, task_id: Any, filepath: Any) -> Path:
    """A file of a task's output named by its path there; a fault naming the path as given (never the hub's own)."""
    if not isinstance(filepath, str) or not filepath or filepath.startswith("/") or ".." in filepath.split("/"):
        raise errors.ParameterError(f"Invalid filepath: {_shown(filepath)}")
    parts = filepath.split("/")
    if len(filepath) > MAX_PATH or any(len(part.encode()) > MAX_NAME for part in parts):
        raise errors.ParameterError(
            f"Invalid filepath: {_shown(filepath)} (too long: at most {MAX_NAME} bytes a name, {MAX_PATH} in all)"
        )
    task_id = ids.row_id(task_id, "task id")
    base = (Path(ctx.settings.topdir) / "work" / "tasks" / str(task_id % 10000) / str(task_id)).resolve()
    path = (base / filepath).resolve()
    if base not in path.parents:
        raise errors.ParameterError(f"Invalid filepath: {_shown(filepath)}")
    return path


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_file(path: Path | None) -> bool:
    """Whether a regular file is there; a path the system cannot look at (too long, no access) is none."""
    try:
        return path is not None and path.is_file()
    except OSError:
        return False


def _rpm_file(ctx: Context, rpm_id: Any, strict: bool = True) -> Path | None:
    """Where a build's RPM is filed; None (unless ``strict``) for an unknown RPM or one of a deleted build."""
    rpm = rpms.get(ctx, rpm_id, strict=strict)
    build = builds.get(ctx, rpm["build_id"], strict=True) if rpm is not None else None
    if rpm is None or build is None or build["state"] == BuildState.DELETED:
        if strict:
            raise errors.GenericError(f"No such rpm file: {rpm_id}")
        return None
    return rpms.build_dir(ctx.settings.topdir, build) / rpm["arch"] / rpms.filename(rpm)


def _locate(
    ctx: Context, rpm_id: Any, task_id: Any, filepath: Any, strict: bool = True, first: str = "rpmID"
) -> Path | None:
    """The RPM's file, or a task's; as in Koji an empty or zero rpmID or taskID counts as not given."""
    if rpm_id:
        return _rpm_file(ctx, rpm_id, strict)
    if task_id:
        if not filepath:
            raise errors.GenericError("filepath must be specified with taskID")
        return _task_file(ctx, task_id, filepath)
    raise errors.GenericError(f"either {first} or taskID and filepath must be specified")


def header_fields(
    ctx: Context, rpm_id: Any = None, task_id: Any = None, filepath: Any = None, names: Any = None, strict: bool = False
) -> dict:
    """getRPMHeaders: the asked-for header fields (lower-case keys); {} for a missing file unless ``strict``."""
    path = _locate(ctx, rpm_id, task_id, filepath, strict)
    if path is None or not _is_file(path):
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
        path = _locate(ctx, None, task_id, filepath, first="buildID")
    if path is None or not _is_file(path):
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


def _internal_rpm(ctx: Context, rpm_info: Any, strict: bool, what: str, missing: str) -> tuple[dict, Path] | None:
    """The RPM and its filed package, for the calls that read a build's RPM; None (unless ``strict``) if out of reach.

    Koji's wording: an external RPM has no file of ours; ``missing`` names the file in the message.
    """
    if isinstance(rpm_info, str) and rpm_info.isdigit():
        rpm_info = int(rpm_info)
    rpm = rpms.get(ctx, rpm_info, strict=strict)
    if rpm is None:
        return None
    label = f"{rpm['name']}-{rpm['version']}-{rpm['release']}.{rpm['arch']}"
    if rpm["build_id"] is None:
        if strict:
            raise errors.GenericError(f"Can not get {what}, because RPM: {label} is not internal")
        return None
    path = _rpm_file(ctx, rpm["id"], strict=False)
    if path is None or not _is_file(path):
        if strict:
            raise errors.GenericError(f"{missing} of {label} doesn't exist")
        return None
    return rpm, path


def dependencies(ctx: Context, rpm_info: Any, dep_type: Any = None, strict: bool = False) -> list[dict]:
    """getRPMDeps: read from the package's header; [] for an RPM out of reach unless ``strict``."""
    found = _internal_rpm(ctx, rpm_info, strict, "dependencies", "RPM file")
    if found is None:
        return []
    deps = headers.dependencies(found[1])
    if dep_type is not None:
        deps = [d for d in deps if d["type"] == dep_type]
    return deps


def file_list(ctx: Context, rpm_info: Any) -> list[dict]:
    """listRPMFiles: never strict, as in Koji: [] for an RPM out of reach."""
    found = _internal_rpm(ctx, rpm_info, False, "RPM files", "RPM package file")
    return headers.files(found[1]) if found else []


def file_info(ctx: Context, rpm_info: Any, filename: Any, strict: bool = False) -> dict:
    """getRPMFile: the one file of that exact name, with ``rpm_id``; {} when out of reach unless ``strict``."""
    found = _internal_rpm(ctx, rpm_info, strict, "RPM file", "RPM package file")
    if found is None:
        return {}
    rpm, path = found
    for entry in headers.files(path):
        if entry["name"] == filename:
            return {"rpm_id": rpm["id"], **entry}
    if strict:
        raise errors.GenericError(f"No file: {filename} found in RPM: {path.name.removesuffix('.rpm')}")
    return {}
