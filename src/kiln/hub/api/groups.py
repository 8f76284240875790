"""Comps groups of tags, with Koji's names and signatures (the ``tag`` permission changes them)."""

from __future__ import annotations

from typing import Any

from kiln.hub.argtypes import Id, IdOrName, Ref
from kiln.hub.context import Context
from kiln.hub.domain import groups
from kiln.hub.rpc import export


@export()
def getTagGroups(
    ctx: Context,
    tag: Ref,
    event: Id | None = None,
    inherit: bool = True,
    incl_pkgs: bool = True,
    incl_reqs: bool = True,
    incl_blocked: bool = False,
) -> list:
    return groups.read(ctx, tag, event, bool(inherit), bool(incl_pkgs), bool(incl_reqs), bool(incl_blocked))


@export(perm="tag", writes=True)
def groupListAdd(
    ctx: Context, taginfo: Ref, grpinfo: IdOrName, block: bool = False, force: bool = False, **opts: Any
) -> None:
    groups.add(ctx, taginfo, grpinfo, bool(block), bool(force), **opts)


@export(perm="tag", writes=True)
def groupListRemove(ctx: Context, taginfo: Ref, grpinfo: IdOrName, force: bool = False) -> None:
    groups.remove(ctx, taginfo, grpinfo, bool(force))


@export(perm="tag", writes=True)
def groupListBlock(ctx: Context, taginfo: Ref, grpinfo: IdOrName) -> None:
    groups.add(ctx, taginfo, grpinfo, block=True)


@export(perm="tag", writes=True)
def groupListUnblock(ctx: Context, taginfo: Ref, grpinfo: IdOrName) -> None:
    groups.unblock(ctx, taginfo, grpinfo)


@export(perm="tag", writes=True)
def groupPackageListAdd(
    ctx: Context, taginfo: Ref, grpinfo: IdOrName, pkg_name: str, block: bool = False, force: bool = False, **opts: Any
) -> None:
    groups.package_add(ctx, taginfo, grpinfo, pkg_name, bool(block), bool(force), **opts)


@export(perm="tag", writes=True)
def groupPackageListRemove(ctx: Context, taginfo: Ref, grpinfo: IdOrName, pkg_name: str) -> None:
    groups.package_remove(ctx, taginfo, grpinfo, pkg_name)


@export(perm="tag", writes=True)
def groupPackageListBlock(ctx: Context, taginfo: Ref, grpinfo: IdOrName, pkg_name: str) -> None:
    groups.package_add(ctx, taginfo, grpinfo, pkg_name, block=True)


@export(perm="tag", writes=True)
def groupPackageListUnblock(ctx: Context, taginfo: Ref, grpinfo: IdOrName, pkg_name: str) -> None:
    groups.package_unblock(ctx, taginfo, grpinfo, pkg_name)


@export(perm="tag", writes=True)
def groupReqListAdd(
    ctx: Context,
    taginfo: Ref,
    grpinfo: IdOrName,
    reqinfo: IdOrName,
    block: bool = False,
    force: bool = False,
    **opts: Any,
) -> None:
    groups.req_add(ctx, taginfo, grpinfo, reqinfo, bool(block), bool(force), **opts)


@export(perm="tag", writes=True)
def groupReqListRemove(
    ctx: Context, taginfo: Ref, grpinfo: IdOrName, reqinfo: IdOrName, force: bool | None = None
) -> None:
    groups.req_remove(ctx, taginfo, grpinfo, reqinfo, bool(force))


@export(perm="tag", writes=True)
def groupReqListBlock(ctx: Context, taginfo: Ref, grpinfo: IdOrName, reqinfo: IdOrName) -> None:
    groups.req_add(ctx, taginfo, grpinfo, reqinfo, block=True)


@export(perm="tag", writes=True)
def groupReqListUnblock(ctx: Context, taginfo: Ref, grpinfo: IdOrName, reqinfo: IdOrName) -> None:
    groups.req_unblock(ctx, taginfo, grpinfo, reqinfo)
