"""Tags, inheritance and build targets, with Koji's names and signatures."""

from __future__ import annotations

from typing import Any

from kiln.hub.api import batches, query_opts
from kiln.hub.argtypes import Id, IdOrName, QueryOpts, Ref
from kiln.hub.context import Context
from kiln.hub.domain import builds, inheritance, packages, tags, targets
from kiln.hub.rpc import export
from kiln.protocol import errors


@export(perm="tag", writes=True)
def createTag(
    ctx: Context,
    name: str,
    parent: Ref | None = None,
    arches: str | list | None = None,
    perm: IdOrName | None = None,
    locked: bool = False,
    maven_support: bool = False,
    maven_include_all: bool = False,
    extra: dict | None = None,
) -> int:
    return tags.create(ctx, name, parent, arches, perm, locked, maven_support, maven_include_all, extra)


@export(perm="tag", writes=True)
def editTag2(ctx: Context, tagInfo: Ref, **kwargs: Any) -> None:
    tags.edit(ctx, tagInfo, **kwargs)


@export(perm="tag", writes=True)
def deleteTag(ctx: Context, tagInfo: Ref) -> None:
    tags.delete_tag(ctx, tagInfo)


def _tag_key(b: dict) -> batches.Key | None:
    """By id or name, current state only (an ``event`` or a dict is answered as singly)."""
    info = b["tagInfo"]
    if b["event"] is not None or not (batches.plain_id(info) or isinstance(info, str)):
        return None
    return ("id" if batches.plain_id(info) else "name", bool(b["blocked"])), info


@export(
    batch=batches.lookups(
        key_of=_tag_key,
        get_many=tags.get_many,
        missing=lambda info: f"No such tagInfo: {info!r}",
        single=lambda ctx, **b: getTag(ctx, **b),
    )
)
def getTag(ctx: Context, tagInfo: Ref, strict: bool = False, event: Id | None = None, blocked: bool = False) -> Any:
    return tags.get(ctx, tagInfo, strict=bool(strict), event=event, blocked=bool(blocked))


@export()
def getBuildConfig(ctx: Context, tag: Ref, event: Id | None = None) -> dict:
    return tags.build_config(ctx, tag, event)


@export()
def getTagExternalRepos(
    ctx: Context, tag_info: Ref | None = None, repo_info: Ref | None = None, event: Id | None = None
) -> list:
    """External repos of a tag: a Koji feature kiln does not have, so none, as such a hub answers."""
    if tag_info is not None:
        tags.get_id(ctx, tag_info)
    return []


@export()
def listTags(
    ctx: Context,
    build: Ref | None = None,
    package: Ref | None = None,
    perms: bool = True,
    queryOpts: QueryOpts | None = None,
    pattern: str | None = None,
) -> Any:
    """Every tag (``pattern``: a case-insensitive glob); with ``package``, the tags listing it."""
    if build is not None:
        build_id = builds.get(ctx, build, strict=True)["id"]
        return query_opts.listing(tags.list_tags(ctx, pattern, tag_ids=builds.tags_of(ctx, build_id)), queryOpts)
    if package is None:
        return query_opts.listing(tags.list_tags(ctx, pattern), queryOpts)
    pkg = packages.get(ctx, package, strict=True)
    assert pkg is not None
    found = []
    for tag in tags.list_tags(ctx, pattern):
        entry = packages.config(ctx, tag["id"], pkg["id"])
        if entry is not None and entry["tag_id"] == tag["id"]:
            tag.update(
                owner_id=entry["owner_id"],
                owner_name=entry["owner_name"],
                blocked=entry["blocked"],
                extra_arches=entry["extra_arches"],
            )
            found.append(tag)
    return query_opts.listing(found, queryOpts)


@export()
def getInheritanceData(ctx: Context, tag: Ref, event: Id | None = None) -> list:
    return inheritance.get_data(ctx, tags.get_id(ctx, tag), event)


@export(perm="tag", writes=True)
def setInheritanceData(ctx: Context, tag: Ref, data: list | dict, clear: bool = False) -> None:
    tag_id = tags.get(ctx, tag, strict=True)["id"]
    if isinstance(data, dict):
        data = [data]
    inheritance.set_data(ctx, tag_id, data, bool(clear))


@export()
def getFullInheritance(ctx: Context, tag: Ref, event: Id | None = None, reverse: bool = False, **kwargs: Any) -> list:
    """``stops`` and ``jumps`` (removed in Koji 1.26) are still accepted empty, as Koji's hub does."""
    for key, value in kwargs.items():
        if key not in ("stops", "jumps"):
            raise errors.ParameterError(f"getFullInheritance() got an unexpected keyword argument '{key}'")
        if value:
            raise errors.ParameterError(f"{key} option has been removed since 1.26")
    return inheritance.full(ctx, tags.get_id(ctx, tag), event, bool(reverse))


@export(perm="target", writes=True)
def createBuildTarget(ctx: Context, name: str, build_tag: Ref, dest_tag: Ref) -> None:
    targets.create(ctx, name, build_tag, dest_tag)


@export(perm="target", writes=True)
def editBuildTarget(ctx: Context, buildTargetInfo: Ref, name: str, build_tag: Ref, dest_tag: Ref) -> None:
    targets.edit(ctx, buildTargetInfo, name, build_tag, dest_tag)


@export(perm="target", writes=True)
def deleteBuildTarget(ctx: Context, buildTargetInfo: Ref) -> None:
    targets.delete(ctx, buildTargetInfo)


def _target_key(b: dict) -> batches.Key | None:
    """By id or name, current state only (an ``event`` or a dict is answered as singly)."""
    info = b["info"]
    if b["event"] is not None or not (batches.plain_id(info) or isinstance(info, str)):
        return None
    return ("id" if batches.plain_id(info) else "name"), info


@export(
    batch=batches.lookups(
        key_of=_target_key,
        get_many=targets.get_many,
        missing=lambda info: f"No such build target: {info!r}",
        single=lambda ctx, **b: getBuildTarget(ctx, **b),
    )
)
def getBuildTarget(ctx: Context, info: Ref, event: Id | None = None, strict: bool = False) -> Any:
    return targets.get(ctx, info, event, bool(strict))


@export()
def getBuildTargets(
    ctx: Context,
    info: Ref | None = None,
    event: Id | None = None,
    buildTagID: Ref | None = None,
    destTagID: Ref | None = None,
    queryOpts: QueryOpts | None = None,
) -> Any:
    return query_opts.listing(targets.list_targets(ctx, info, event, buildTagID, destTagID), queryOpts)


@export()
def getExternalRepoList(ctx: Context, tag_info: Ref, event: Id | None = None) -> list:
    """External repos a tag uses: kiln has none (as a Koji hub without any answers)."""
    tags.get_id(ctx, tag_info)
    return []
