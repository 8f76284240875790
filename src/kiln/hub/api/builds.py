"""Builds and tagged builds, with Koji's names and signatures.

Build roots are on record as builders report them (hub/domain/buildroots.py).
"""

from __future__ import annotations

from typing import Any

from kiln.hub.api import batches, query_opts
from kiln.hub.argtypes import Id, IdOrName, QueryOpts, Ref
from kiln.hub.context import Context
from kiln.hub.domain import build_imports, buildroots, builds, rpms
from kiln.hub.domain.times import epoch_seconds
from kiln.hub.rpc import LOGIN, export, has_perm
from kiln.protocol import errors


def _none(query_opts: dict | None) -> list | int:
    return 0 if (query_opts or {}).get("countOnly") else []


@export()
def listBuilds(
    ctx: Context,
    packageID: IdOrName | None = None,
    userID: IdOrName | None = None,
    taskID: Id | None = None,
    prefix: str | None = None,
    state: int | list | None = None,
    volumeID: Id | None = None,
    source: str | None = None,
    createdBefore: Any = None,
    createdAfter: Any = None,
    completeBefore: Any = None,
    completeAfter: Any = None,
    type: str | None = None,  # noqa: A002 - Koji's keyword
    typeInfo: Any = None,
    queryOpts: QueryOpts | None = None,
    pattern: str | None = None,
    cgID: IdOrName | None = None,
    draft: bool | None = None,
    promotedBefore: Any = None,
    promotedAfter: Any = None,
    promoter: IdOrName | None = None,
) -> list | int:
    """Builds matching the filters; ``type`` other than rpm matches none (kiln builds RPMs only)."""
    if type not in (None, "rpm") or cgID is not None or promoter is not None:
        return _none(queryOpts)
    filters = {
        "packageID": packageID,
        "userID": userID,
        "taskID": taskID,
        "prefix": prefix,
        "state": state,
        "pattern": pattern,
        "draft": draft,
        "volumeID": volumeID,
        "createdBefore": _when("createdBefore", createdBefore),
        "createdAfter": _when("createdAfter", createdAfter),
        "completeBefore": _when("completeBefore", completeBefore),
        "completeAfter": _when("completeAfter", completeAfter),
    }
    opts = queryOpts or {}
    order = builds.sql_order(opts.get("order"))
    if order is not None and not opts.get("asList") and not opts.get("group"):
        # the database orders, slices and counts
        return builds.list_builds(
            ctx,
            order=order,
            offset=int(opts.get("offset") or 0),
            limit=int(opts["limit"]) if opts.get("limit") is not None else None,
            count_only=bool(opts.get("countOnly")),
            **filters,
        )
    return query_opts.listing(builds.list_builds(ctx, **filters), queryOpts)


def _when(key: str, value: Any) -> float | None:
    return None if value is None else epoch_seconds(key, value)


@export()
def listVolumes(ctx: Context) -> list:
    return builds.list_volumes(ctx)


@export(
    batch=batches.lookups(
        key_of=lambda b: (None, b["buildInfo"]) if batches.plain_id(b["buildInfo"]) else None,
        get_many=lambda ctx, _variant, ids: builds.get_many(ctx, ids),
        missing=builds.missing,
        single=lambda ctx, **b: getBuild(ctx, **b),
    )
)
def getBuild(ctx: Context, buildInfo: Ref, strict: bool = False) -> dict | None:
    return builds.get(ctx, buildInfo, strict=bool(strict))


@export()
def getBuildLogs(ctx: Context, build: Ref) -> list:
    """The build's logs, ``[{name, dir, path}]`` (path under topdir, as /kojifiles serves it)."""
    return build_imports.build_logs(ctx, build)


@export(perm="admin", writes=True)
def createEmptyBuild(
    ctx: Context,
    name: str,
    version: str,
    release: str,
    epoch: int | None,
    owner: IdOrName | None = None,
    draft: bool = False,
) -> int:
    if draft:
        raise errors.GenericError("draft builds are not supported")
    return builds.create(ctx, name, version, release, epoch, owner)


@export(access=LOGIN, writes=True)
def cancelBuild(ctx: Context, buildID: Ref, strict: bool = False) -> bool:
    """Cancel a BUILDING build (owner or admin) and its task; False if it was not building."""
    done = builds.cancel(ctx, buildID, has_perm(ctx, "admin"))
    if not done and strict:
        raise errors.GenericError(f"Cannot cancel build {buildID!r}: it is not building")
    return done


@export(access=LOGIN, writes=True)
def tagBuild(ctx: Context, tag: Ref, build: Ref, force: bool = False, fromtag: Ref | None = None) -> int:
    """Ask for a build to be tagged: checked now, done by a ``tagBuild`` task; the task's id."""
    return builds.request_tagging(ctx, tag, build, bool(force), fromtag, has_perm(ctx, "admin"))


@export(perm="tag", writes=True)
def tagBuildBypass(ctx: Context, tag: Ref, build: Ref, force: bool = False, notify: bool = False) -> None:
    builds.tag_build(ctx, tag, build, bool(force))


@export(perm="tag", writes=True)
def untagBuildBypass(
    ctx: Context, tag: Ref, build: Ref, strict: bool = True, force: bool = False, notify: bool = False
) -> None:
    builds.untag_build(ctx, tag, build, bool(strict), bool(force))


@export(perm="tag", writes=True)
def untagBuild(ctx: Context, tag: Ref, build: Ref, strict: bool = True, force: bool = False) -> None:
    builds.untag_build(ctx, tag, build, bool(strict), bool(force))


@export()
def listTagged(
    ctx: Context,
    tag: Ref,
    event: Id | None = None,
    inherit: bool = False,
    prefix: str | None = None,
    latest: Any = False,
    package: IdOrName | None = None,
    owner: IdOrName | None = None,
    type: str | None = None,  # noqa: A002 - Koji's keyword
    strict: bool = True,
    extra: bool = False,
    draft: bool | None = None,
) -> list:
    if type not in (None, "rpm"):
        return []
    found = builds.list_tagged(ctx, tag, event, bool(inherit), prefix, latest, package, owner)
    if not extra:
        for build in found:
            build.pop("extra", None)
    return found


@export()
def getLatestBuilds(
    ctx: Context,
    tag: Ref,
    event: Id | None = None,
    package: IdOrName | None = None,
    type: str | None = None,  # noqa: A002 - Koji's keyword
    draft: bool | None = None,
) -> list:
    if type not in (None, "rpm"):
        return []
    return builds.list_tagged(ctx, tag, event, inherit=True, latest=True, package=package)


@export()
def listTaggedRPMS(
    ctx: Context,
    tag: Ref,
    event: Id | None = None,
    inherit: bool = False,
    latest: Any = False,
    package: IdOrName | None = None,
    arch: str | list | None = None,
    rpmsigs: bool = False,
    owner: IdOrName | None = None,
    type: str | None = None,  # noqa: A002 - Koji's keyword
    strict: bool = True,
    extra: bool = True,
    draft: bool | None = None,
) -> list:
    """``[rpms, builds]`` of the tag.

    With ``rpmsigs`` each RPM carries its ``sigkey``; kiln keeps no signatures,
    so it is None, as Koji's outer join gives for an unsigned RPM.
    """
    if type not in (None, "rpm"):
        return [[], []]
    found_rpms, found_builds = rpms.list_tagged_rpms(ctx, tag, event, bool(inherit), latest, package, arch)
    if rpmsigs:
        for rpm in found_rpms:
            rpm["sigkey"] = None
    return [found_rpms, found_builds]


@export()
def getLatestRPMS(
    ctx: Context,
    tag: Ref,
    package: IdOrName | None = None,
    arch: str | list | None = None,
    event: Id | None = None,
    rpmsigs: bool = False,
    type: str | None = None,  # noqa: A002 - Koji's keyword
    draft: bool | None = None,
) -> list:
    if type not in (None, "rpm"):
        return [[], []]
    return rpms.list_tagged_rpms(ctx, tag, event, inherit=True, latest=True, package=package, arch=arch)


@export()
def listBuildroots(
    ctx: Context,
    hostID: Id | None = None,
    tagID: Id | None = None,
    state: int | list | None = None,
    rpmID: Id | None = None,
    archiveID: Id | None = None,
    taskID: Id | None = None,
    buildrootID: Id | list | None = None,
    repoID: Id | None = None,
    queryOpts: QueryOpts | None = None,
) -> list | int:
    """Build roots matching the filters (by the tag of their repo, too); none hold archives in kiln."""
    if archiveID is not None:
        return _none(queryOpts)
    found = buildroots.query(
        ctx, hostID=hostID, state=state, rpmID=rpmID, taskID=taskID, buildrootID=buildrootID, repoID=repoID, tagID=tagID
    )
    opts = queryOpts
    if opts and opts.get("order"):  # Koji's column names may carry their table: buildroot.id
        opts = {**opts, "order": ",".join(f.replace("buildroot.", "") for f in str(opts["order"]).split(","))}
    return query_opts.listing(found, opts)


@export()
def getBuildroot(ctx: Context, buildrootID: Id | str, strict: bool = False) -> dict | None:
    return buildroots.get(ctx, buildrootID, strict=bool(strict))


@export()
def getBuildrootListing(ctx: Context, id: Id | str) -> list:  # noqa: A002 - Koji's keyword
    """What a build root held: each package with its ``id`` in rpminfo when kiln has it on record."""
    return buildroots.listing(ctx, id)


@export()
def getMavenBuild(ctx: Context, buildInfo: Ref, strict: bool = False) -> None:
    """Maven build data: kiln builds no Maven (``mavenEnabled`` is false), so none, as such a Koji hub says."""
    return _not_a_type(ctx, buildInfo, strict, "maven")


@export()
def getWinBuild(ctx: Context, buildInfo: Ref, strict: bool = False) -> None:
    """Windows build data: not a kiln feature (``winEnabled`` is false)."""
    return _not_a_type(ctx, buildInfo, strict, "win")


@export()
def getImageBuild(ctx: Context, buildInfo: Ref, strict: bool = False) -> None:
    """Image build data: kiln builds RPMs only."""
    return _not_a_type(ctx, buildInfo, strict, "image")


def _not_a_type(ctx: Context, build_info: Any, strict: bool, kind: str) -> None:
    build = builds.get(ctx, build_info, strict=bool(strict))
    if build is not None and strict:
        raise errors.GenericError(f"no {kind} info for build {build['nvr']}")
    return None


@export()
def getBuildType(ctx: Context, buildInfo: Ref, strict: bool = False) -> dict | None:
    """The build's types: an RPM build (``{"rpm": None}``) once it holds RPMs, as in Koji."""
    build = builds.get(ctx, buildInfo, strict=bool(strict))
    if build is None:
        return None
    return {"rpm": None} if rpms.list_rpms(ctx, build["id"]) else {}


def _whole_build(buildID: Any, buildrootID: Any, componentBuildrootID: Any, hostID: Any, arches: Any, **_: Any) -> bool:
    """A listRPMs call for all of a build's RPMs, no other filter: the usual one, answered in one query."""
    unfiltered = buildrootID is None and componentBuildrootID is None and hostID is None and not arches
    return buildID is not None and unfiltered


@export(
    batch=batches.lookups(
        key_of=lambda b: (
            (None, b["buildID"])
            if batches.plain_id(b["buildID"]) and b["imageID"] is None and not b["queryOpts"] and _whole_build(**b)
            else None
        ),
        get_many=lambda ctx, _variant, ids: rpms.of_builds(ctx, ids),
        missing=builds.missing,
        single=lambda ctx, **b: listRPMs(ctx, **b),
        strict=lambda _b: True,  # an unknown build is a fault, as the single call's
    )
)
def listRPMs(
    ctx: Context,
    buildID: Ref | None = None,
    buildrootID: Id | None = None,
    imageID: Id | None = None,
    componentBuildrootID: Id | None = None,
    hostID: Id | None = None,
    arches: str | list | None = None,
    queryOpts: QueryOpts | None = None,
    draft: bool | None = None,
) -> list | int:
    """RPMs of a build, made in a build root or by a host, or installed in a build root (kiln has no images)."""
    if imageID is not None:
        return _none(queryOpts)
    if _whole_build(buildID, buildrootID, componentBuildrootID, hostID, arches):
        found = rpms.of_build(ctx, buildID)
    else:
        build_id = builds.get(ctx, buildID, strict=True)["id"] if buildID is not None else None
        found = rpms.list_rpms(ctx, build_id, arches, buildrootID, componentBuildrootID, hostID)
    return query_opts.listing(found, queryOpts)


@export(
    batch=batches.lookups(
        key_of=lambda b: (None, b["build"]) if batches.plain_id(b["build"]) else None,
        get_many=lambda ctx, _variant, ids: rpms.of_builds(ctx, ids),
        missing=builds.missing,
        single=lambda ctx, **b: listBuildRPMs(ctx, **b),
        strict=lambda _b: True,  # an unknown build is a fault, as the single call's
    )
)
def listBuildRPMs(ctx: Context, build: Ref) -> list:
    return rpms.of_build(ctx, build)


@export(
    batch=batches.lookups(
        # ``multi`` answers a list: such a call is answered as a single one.
        key_of=lambda b: (None, b["rpminfo"]) if batches.plain_id(b["rpminfo"]) and not b["multi"] else None,
        get_many=lambda ctx, _variant, ids: rpms.get_many(ctx, ids),
        missing=rpms.missing,
        single=lambda ctx, **b: getRPM(ctx, **b),
    )
)
def getRPM(ctx: Context, rpminfo: Ref, strict: bool = False, multi: bool = False) -> Any:
    found = rpms.get(ctx, rpminfo, strict=bool(strict))
    if multi:
        return [found] if found else []
    return found


@export(perm="admin", writes=True)
def importRPM(ctx: Context, path: str, basename: str) -> dict:
    """Record the uploaded ``work/<path>/<basename>`` and file it with its build (made for a source RPM)."""
    return rpms.import_rpm(ctx, path, basename)


@export()
def listArchives(
    ctx: Context,
    buildID: Ref | None = None,
    buildrootID: Id | None = None,
    componentBuildrootID: Id | None = None,
    hostID: Id | None = None,
    type: str | None = None,  # noqa: A002 - Koji's keyword
    filename: str | None = None,
    size: int | None = None,
    checksum: str | None = None,
    checksum_type: int | str | None = None,
    typeInfo: Any = None,
    queryOpts: QueryOpts | None = None,
    imageID: Id | None = None,
    archiveID: Id | None = None,
    strict: bool = False,
) -> list | int:
    """Archives (non-RPM build outputs): not a kiln feature, so none, as such a Koji hub answers."""
    return _none(queryOpts)


@export()
def queryRPMSigs(
    ctx: Context, rpm_id: Ref | None = None, sigkey: str | None = None, queryOpts: QueryOpts | None = None
) -> list | int:
    """Signatures on record for RPMs: kiln keeps none yet (RPMs are imported unsigned).

    An ``rpm_id`` that names no RPM has none either, as in Koji; one that
    cannot name an RPM (a struct without its fields) is refused.
    """
    if rpm_id is not None:
        rpms.get(ctx, rpm_id)
    return _none(queryOpts)


# Koji's build types on a new install (schema.sql); kiln builds only rpm, and a
# Koji hub without Maven, Windows or image builds lists the same four.
_BTYPES = ({"id": 1, "name": "rpm"}, {"id": 2, "name": "maven"}, {"id": 3, "name": "win"}, {"id": 4, "name": "image"})


@export()
def listBTypes(ctx: Context, query: dict | None = None, queryOpts: QueryOpts | None = None) -> Any:
    """Build types, by ``name`` and ``id`` in ``query`` if given."""
    if query is not None and not isinstance(query, dict):
        raise errors.ParameterError("query must be a struct with name and/or id")
    query = query or {}
    found = [
        dict(b)
        for b in _BTYPES
        if ("name" not in query or b["name"] == query["name"]) and ("id" not in query or b["id"] == query["id"])
    ]
    return query_opts.listing(found, queryOpts)


@export()
def getNextRelease(ctx: Context, build_info: dict, incr: int | str = 1) -> str:
    return builds.next_release(ctx, build_info, incr)
