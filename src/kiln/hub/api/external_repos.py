"""External repos: Koji's calls, answered as a Koji hub that has none defined.

kiln does not merge external repos into build roots yet; kojiweb's pages and
kojira's external-repo checks ask anyway, and get what a Koji site without
any would give them.
"""

from __future__ import annotations

from typing import Any

from kiln.hub.argtypes import Id, QueryOpts, Ref
from kiln.hub.context import Context
from kiln.hub.rpc import export
from kiln.protocol import errors


@export()
def getExternalRepo(ctx: Context, info: Ref, strict: bool = False, event: Id | None = None) -> dict | None:
    if strict:
        raise errors.GenericError(f"No such repo: {info}")
    return None


@export()
def listExternalRepos(
    ctx: Context,
    info: Ref | None = None,
    url: str | None = None,
    event: Id | None = None,
    queryOpts: QueryOpts | None = None,
) -> Any:
    return 0 if queryOpts and queryOpts.get("countOnly") else []


@export("repo.getExternalRepoData")
def getExternalRepoData(ctx: Context, erepo: Ref) -> dict | None:
    raise errors.GenericError(f"No such entry in table external_repo: {erepo}")


@export("repo.setExternalRepoData", perm="repo", writes=True)
def setExternalRepoData(ctx: Context, external_repo_id: Ref, data: dict | None) -> None:
    raise errors.GenericError(f"No such entry in table external_repo: {external_repo_id}")
