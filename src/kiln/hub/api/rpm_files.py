"""What a build's RPM files say (headers, changelogs, dependencies, file lists), with Koji's signatures."""

from __future__ import annotations

from typing import Any

from kiln.hub.api import query_opts
from kiln.hub.argtypes import Id, QueryOpts, Ref
from kiln.hub.context import Context
from kiln.hub.domain import rpm_files
from kiln.hub.rpc import export


@export()
def getRPMHeaders(
    ctx: Context,
    rpmID: Ref | None = None,
    taskID: Id | None = None,
    filepath: str | None = None,
    headers: list | None = None,
    strict: bool = False,
) -> dict:
    return rpm_files.header_fields(ctx, rpmID, taskID, filepath, headers, bool(strict))


@export()
def getChangelogEntries(
    ctx: Context,
    buildID: Ref | None = None,
    taskID: Id | None = None,
    filepath: str | None = None,
    author: str | None = None,
    before: Any = None,
    after: Any = None,
    queryOpts: QueryOpts | None = None,
    strict: bool = False,
) -> Any:
    found = rpm_files.changelog_entries(ctx, buildID, taskID, filepath, author, before, after, bool(strict))
    return query_opts.listing(found, queryOpts)


# asList rows: the columns in the order Koji's hub gives them.
_DEP_COLUMNS = ("name", "version", "flags", "type")
_FILE_COLUMNS = ("name", "digest", "size", "flags", "digest_algo", "user", "group", "mtime", "mode")


def _rows(rows: list[dict], opts: dict | None, columns: tuple[str, ...]) -> Any:
    found = query_opts.listing(rows, opts)
    if opts and opts.get("asList") and isinstance(found, list):
        return [[row[c] for c in columns] for row in found]
    return found


@export()
def getRPMDeps(
    ctx: Context, rpmID: Ref, depType: int | None = None, queryOpts: QueryOpts | None = None, strict: bool = False
) -> Any:
    return _rows(rpm_files.dependencies(ctx, rpmID, depType, bool(strict)), queryOpts, _DEP_COLUMNS)


@export()
def listRPMFiles(ctx: Context, rpmID: Ref, queryOpts: QueryOpts | None = None) -> Any:
    return _rows(rpm_files.file_list(ctx, rpmID), queryOpts, _FILE_COLUMNS)


@export()
def getRPMFile(ctx: Context, rpmID: Ref, filename: str, strict: bool = False) -> dict:
    return rpm_files.file_info(ctx, rpmID, filename, bool(strict))
