"""getRPMHeaders and getChangelogEntries, with Koji's signatures."""

from __future__ import annotations

from typing import Any

from kiln.hub.api import query_opts
from kiln.hub.context import Context
from kiln.hub.domain import rpm_files
from kiln.hub.rpc import export


@export()
def getRPMHeaders(
    ctx: Context, rpmID: Any = None, taskID: Any = None, filepath: Any = None, headers: Any = None, strict: bool = False
) -> dict:
    return rpm_files.header_fields(ctx, rpmID, taskID, filepath, headers, bool(strict))


@export()
def getChangelogEntries(
    ctx: Context,
    buildID: Any = None,
    taskID: Any = None,
    filepath: Any = None,
    author: Any = None,
    before: Any = None,
    after: Any = None,
    queryOpts: dict | None = None,
    strict: bool = False,
) -> Any:
    found = rpm_files.changelog_entries(ctx, buildID, taskID, filepath, author, before, after, bool(strict))
    return query_opts.listing(found, queryOpts)
