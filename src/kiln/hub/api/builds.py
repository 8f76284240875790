"""Build queries the koji CLI makes about any task (``taskinfo``, ``resubmit``).

kiln records no builds or build roots yet (the build pipeline is the next
capability), so no build and no build root matches any filter: the truthful
answer is an empty list, or 0 with ``countOnly``.  The signatures are Koji's,
so a misspelt keyword still fails as it would there.
"""

from __future__ import annotations

from typing import Any

from kiln.hub.context import Context
from kiln.hub.rpc import export


def _none(query_opts: dict | None) -> list | int:
    return 0 if (query_opts or {}).get("countOnly") else []


@export()
def listBuilds(
    ctx: Context,
    packageID: Any = None,
    userID: Any = None,
    taskID: Any = None,
    prefix: Any = None,
    state: Any = None,
    volumeID: Any = None,
    source: Any = None,
    createdBefore: Any = None,
    createdAfter: Any = None,
    completeBefore: Any = None,
    completeAfter: Any = None,
    type: Any = None,  # noqa: A002 - Koji's keyword
    typeInfo: Any = None,
    queryOpts: dict | None = None,
    pattern: Any = None,
    cgID: Any = None,
    draft: Any = None,
    promotedBefore: Any = None,
    promotedAfter: Any = None,
    promoter: Any = None,
) -> list | int:
    """Builds matching the filters: none yet."""
    return _none(queryOpts)


@export()
def listBuildroots(
    ctx: Context,
    hostID: Any = None,
    tagID: Any = None,
    state: Any = None,
    rpmID: Any = None,
    archiveID: Any = None,
    taskID: Any = None,
    buildrootID: Any = None,
    repoID: Any = None,
    queryOpts: dict | None = None,
) -> list | int:
    """Build roots matching the filters: none yet."""
    return _none(queryOpts)
