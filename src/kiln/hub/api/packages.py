"""Packages and tag package lists, with Koji's names and signatures.

Koji decides package list changes by its ``package_list`` policy; kiln,
without policies yet, asks for the ``tag`` permission (admin holds it).
"""

from __future__ import annotations

from typing import Any

from kiln.hub.api import batches, query_opts
from kiln.hub.argtypes import Id, QueryOpts, Ref
from kiln.hub.context import Context
from kiln.hub.domain import packages, tags, users
from kiln.hub.rpc import export
from kiln.protocol import errors


@export(perm="tag", writes=True)
def packageListAdd(
    ctx: Context,
    taginfo: Ref,
    pkginfo: Ref,
    owner: Ref | None = None,
    block: bool | None = None,
    extra_arches: str | list | None = None,
    force: bool = False,
    update: bool = False,
) -> None:
    packages.add(ctx, taginfo, pkginfo, owner, block, extra_arches, bool(force), bool(update))


@export(perm="tag", writes=True)
def packageListRemove(ctx: Context, taginfo: Ref, pkginfo: Ref, force: bool = False) -> None:
    packages.remove(ctx, taginfo, pkginfo)


@export(perm="tag", writes=True)
def packageListBlock(ctx: Context, taginfo: Ref, pkginfo: Ref, force: bool = False) -> None:
    packages.block(ctx, taginfo, pkginfo, bool(force))


@export(perm="tag", writes=True)
def packageListUnblock(ctx: Context, taginfo: Ref, pkginfo: Ref, force: bool = False) -> None:
    packages.unblock(ctx, taginfo, pkginfo)


@export(perm="tag", writes=True)
def packageListSetOwner(ctx: Context, taginfo: Ref, pkginfo: Ref, owner: Ref, force: bool = False) -> None:
    packages.set_owner(ctx, taginfo, pkginfo, owner)


@export(perm="tag", writes=True)
def packageListSetArches(
    ctx: Context, taginfo: Ref, pkginfo: Ref, arches: str | list | None, force: bool = False
) -> None:
    packages.set_arches(ctx, taginfo, pkginfo, arches)


def _package_key(b: dict) -> batches.Key | None:
    info = b["info"]
    if b["create"] or not (batches.plain_id(info) or isinstance(info, str)):
        return None  # refused, or a dict: as singly
    return ("id" if batches.plain_id(info) else "name"), info


@export(
    batch=batches.lookups(
        key_of=_package_key,
        get_many=packages.get_many,
        missing=lambda info: f"No such package: {info!r}",
        single=lambda ctx, **b: getPackage(ctx, **b),
    )
)
def getPackage(ctx: Context, info: Ref, strict: bool = False, create: bool = False) -> Any:
    """``{id, name}``.  ``create`` is refused: here packages come into being through packageListAdd."""
    if create:
        raise errors.GenericError("getPackage(create=True) is not supported: add the package to a tag's list")
    return packages.get(ctx, info, strict=bool(strict))


@export()
def getPackageID(ctx: Context, name: str, strict: bool = False) -> int | None:
    found = packages.get(ctx, name, strict=bool(strict))
    return found["id"] if found else None


@export()
def getPackageConfig(ctx: Context, tag: Ref, pkg: Ref, event: Id | None = None) -> Any:
    package = packages.get(ctx, pkg)
    if package is None:
        return None
    return packages.config(ctx, tags.get_id(ctx, tag), package["id"], event)


@export()
def listPackages(
    ctx: Context,
    tagID: Ref | None = None,
    userID: Ref | None = None,
    pkgID: Ref | None = None,
    prefix: str | None = None,
    inherited: bool = False,
    with_dups: bool = False,
    event: Id | None = None,
    queryOpts: QueryOpts | None = None,
    with_owners: bool = True,
    with_blocked: bool = True,
) -> Any:
    pkg_id = packages.get(ctx, pkgID, strict=True)["id"] if pkgID is not None else None
    if tagID is None and userID is None and pkg_id is None:
        found = [{"package_id": p["id"], "package_name": p["name"]} for p in packages.all_packages(ctx, prefix)]
        return query_opts.listing(found, queryOpts)
    if tagID is not None:
        tag_ids = [tags.get_id(ctx, tagID)]
    else:  # only tags with entries of their own can add any: one query, not one walk per tag
        live = {t["id"] for t in tags.list_tags(ctx)}
        tag_ids = [t for t in packages.tags_with_lists(ctx, event, pkg_id) if t in live]
    owner_id = users.find(ctx, userID, strict=True)["id"] if userID is not None else None
    found = []
    for tag_id in tag_ids:
        for entry in packages.list_for_tag(ctx, tag_id, bool(inherited), event, bool(with_dups), pkg_id):
            if tagID is None and entry["tag_id"] != tag_id:
                continue
            if owner_id is not None and entry["owner_id"] != owner_id:
                continue
            if prefix and not entry["package_name"].startswith(prefix):
                continue
            if not with_blocked and entry["blocked"]:
                continue
            if not with_owners:
                entry = {k: v for k, v in entry.items() if k not in ("owner_id", "owner_name")}
            found.append(entry)
    return query_opts.listing(found, queryOpts)


@export()
def listPackagesSimple(ctx: Context, prefix: str | None = None, queryOpts: QueryOpts | None = None) -> Any:
    """Every package as ``{package_id, package_name}``; ``prefix`` matched ignoring case, as Koji's ILIKE."""
    found = [
        {"package_id": p["id"], "package_name": p["name"]} for p in packages.all_packages(ctx, prefix, ignore_case=True)
    ]
    return query_opts.listing(found, queryOpts)
