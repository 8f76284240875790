"""moveBuild, moveAllBuilds, deleteBuild, resetBuild, buildReferences, untaggedBuilds, getAverageBuildDuration
and search, with Koji's signatures."""

from __future__ import annotations

from typing import Any

from kiln.hub.api import query_opts
from kiln.hub.argtypes import QueryOpts, Ref
from kiln.hub.context import Context
from kiln.hub.domain import build_lifecycle
from kiln.hub.domain import search as searching
from kiln.hub.rpc import LOGIN, export, has_perm


@export(access=LOGIN, writes=True)
def moveBuild(ctx: Context, tag1: Ref, tag2: Ref, build: Ref, force: bool = False) -> int:
    return build_lifecycle.move(ctx, tag1, tag2, build, bool(force), has_perm(ctx, "admin"))


@export(access=LOGIN, writes=True)
def moveAllBuilds(ctx: Context, tag1: Ref, tag2: Ref, package: Ref, force: bool = False) -> list:
    return build_lifecycle.move_all(ctx, tag1, tag2, package, bool(force), has_perm(ctx, "admin"))


@export(perm="admin", writes=True)
def deleteBuild(
    ctx: Context, build: Ref, strict: bool = True, min_ref_age: float = build_lifecycle.MIN_REF_AGE
) -> bool | None:
    return build_lifecycle.delete_build(ctx, build, bool(strict), min_ref_age)


@export(perm="admin", writes=True)
def resetBuild(ctx: Context, build: Ref) -> None:
    build_lifecycle.reset_build(ctx, build)


@export()
def buildReferences(ctx: Context, build: Ref, limit: int | None = None, lazy: bool = False) -> dict:
    return build_lifecycle.references(ctx, build, limit, bool(lazy))


@export()
def untaggedBuilds(
    ctx: Context, name: str | None = None, queryOpts: QueryOpts | None = None, draft: bool | None = None
) -> list | int:
    return query_opts.listing(build_lifecycle.untagged(ctx, name), queryOpts)


@export()
def getAverageBuildDuration(ctx: Context, package: Ref, age: float | None = None) -> float | None:
    return build_lifecycle.average_duration(ctx, package, age)


@export()
def search(ctx: Context, terms: str, type: str, matchType: str, queryOpts: QueryOpts | None = None) -> Any:  # noqa: A002
    return query_opts.listing(searching.search(ctx, terms, type, matchType), queryOpts)
