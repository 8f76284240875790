"""External repos: Koji's calls, answered as a Koji hub that has none defined.

kiln does not merge external repos into build roots yet; kojiweb's pages and
kojira's external-repo checks ask anyway, and get what a Koji site without
any would give them.
"""

from __future__ import annotations

from typing import Any

from kiln.hub.context import Context
from kiln.hub.rpc import export
from kiln.protocol import errors


def _checked(info: Any) -> Any:
    if isinstance(info, bool) or not isinstance(info, (int, str, dict)):
        raise errors.ParameterError(f"Invalid name or id value: {info!r}")
    return info


@export()
def getExternalRepo(ctx: Context, info: Any, strict: bool = False, event: Any = None) -> dict | None:
    _checked(info)
    if strict:
        raise errors.GenericError(f"No such repo: {info}")
    return None


@export()
def listExternalRepos(
    ctx: Context, info: Any = None, url: Any = None, event: Any = None, queryOpts: dict | None = None
) -> Any:
    return 0 if queryOpts and queryOpts.get("countOnly") else []


@export("repo.getExternalRepoData")
def getExternalRepoData(ctx: Context, erepo: Any) -> dict | None:
    raise errors.GenericError(f"No such entry in table external_repo: {_checked(erepo)}")


@export("repo.setExternalRepoData", perm="repo", writes=True)
def setExternalRepoData(ctx: Context, external_repo_id: Any, data: Any) -> None:
    raise errors.GenericError(f"No such entry in table external_repo: {_checked(external_repo_id)}")
