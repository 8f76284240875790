"""RPMs: the files of builds, on record (rpminfo) and on disk under topdir/packages, as Koji lays them out.

``import_rpm`` takes an uploaded file (under topdir/work), reads its header,
finds (or, for a source package, makes) its build, records it and puts it at
``packages/<name>/<version>/<release>/<arch>/<file>`` of its build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.db.raw import RawSelect
from kiln.hub.domain import builds, ids, storage
from kiln.protocol import errors
from kiln.protocol.constants import BuildState
from kiln.rpm import headers

r = tables.rpminfo
_FIELDS = [
    r.c.id,
    r.c.build_id,
    r.c.buildroot_id,
    r.c.name,
    r.c.version,
    r.c.release,
    r.c.epoch,
    r.c.arch,
    r.c.draft,
    r.c.external_repo_id,
    r.c.payloadhash,
    r.c.size,
    r.c.buildtime,
    r.c.metadata_only,
    r.c.extra,
]


def shape(mapping: Any) -> dict:
    """Koji's RPM dict (getRPM's keys, sorted) from a row's mapping."""
    rpm = dict(mapping)
    rpm["draft"] = bool(rpm["draft"])
    rpm["metadata_only"] = bool(rpm["metadata_only"])
    rpm["extra"] = json.loads(rpm["extra"]) if rpm["extra"] else None
    rpm["external_repo_name"] = "INTERNAL"
    rpm["nvr"] = f"{rpm['name']}-{rpm['version']}-{rpm['release']}"
    return {key: rpm[key] for key in sorted(rpm)}


# getRPM by id or by N-V-R.A, written once (the hot reads skip Core's per-call work).
_BY_ID = RawSelect(select(*_FIELDS).where(r.c.id == bindparam("id")))
_BY_NVRA = RawSelect(
    select(*_FIELDS).where(
        r.c.name == bindparam("name"),
        r.c.version == bindparam("version"),
        r.c.release == bindparam("release"),
        r.c.arch == bindparam("arch"),
    )
)

# A build's RPMs with the build itself, in one query (one round trip on
# PostgreSQL): the build outer-joined to its RPMs, so that a build without
# any still gives a row (its RPM columns empty) and an unknown build none.
# ``build_id`` is the build's own, so it is there in that row too.
_B = builds.b
_OF_BUILD_COLUMNS = [_B.c.id.label("build_id") if c is r.c.build_id else c for c in _FIELDS]
_WITH_RPMS = _B.outerjoin(r, r.c.build_id == _B.c.id)
_OF_BUILD = {
    "id": RawSelect(select(*_OF_BUILD_COLUMNS).select_from(_WITH_RPMS).where(builds.WHERE["id"]).order_by(r.c.id)),
    "nvr": RawSelect(
        select(*_OF_BUILD_COLUMNS)
        .select_from(_B.join(builds.p, builds.p.c.id == _B.c.pkg_id).outerjoin(r, r.c.build_id == _B.c.id))
        .where(builds.WHERE["nvr"])
        .order_by(r.c.id)
    ),
}


def build_dir(topdir: str, build: dict) -> Path:
    """Koji's packages/<name>/<version>/<release>; each part refused if it could lead outside."""
    parts = [storage.component(build[key], key) for key in ("name", "version", "release")]
    return Path(topdir).joinpath("packages", *parts)


def _upload_path(topdir: str, path: Any, basename: Any) -> Path:
    for part in (path, basename):
        if not isinstance(part, str) or not part or part.startswith("/") or ".." in part.split("/"):
            raise errors.GenericError(f"Invalid upload path: {path!r}/{basename!r}")
    if "/" in basename:
        raise errors.GenericError(f"Invalid file name: {basename!r}")
    work = (Path(topdir) / "work").resolve()
    found = (work / path / basename).resolve()
    if work not in found.parents or not found.is_file():
        raise errors.GenericError(f"No such file: {path}/{basename}")
    return found


def work_file(topdir: str, relpath: Any) -> Path:
    """A file under topdir/work named by its work-relative path (as builders name their uploads)."""
    if not isinstance(relpath, str) or "/" not in relpath:
        raise errors.GenericError(f"Invalid upload path: {relpath!r}")
    path, _, basename = relpath.rpartition("/")
    return _upload_path(topdir, path, basename)


def import_rpm(ctx: Context, path: Any, basename: Any) -> dict:
    """Record an uploaded RPM and file it with its build; refused, with nothing changed, when it cannot be.

    Koji's importRPM: into COMPLETE builds only (a source RPM makes its build).
    """
    source = _upload_path(ctx.settings.topdir, path, basename)
    header = headers.read(source)
    if basename != header.filename:
        raise errors.GenericError(f"bad filename: {basename} (expected {header.filename})")
    if header.arch == "src":
        build = builds.get(ctx, header.nvr)
        if build is None:
            build_id = builds.create(ctx, header.name, header.version, header.release, header.epoch)
            build = builds.get(ctx, build_id, strict=True)
    else:
        assert header.sourcerpm is not None
        srpm_nvr = header.sourcerpm.removesuffix(".src.rpm")
        build = builds.get(ctx, srpm_nvr)
        if build is None:
            raise errors.GenericError(f"No such build: {srpm_nvr} (import its source package first)")
    assert build is not None
    if build["state"] != BuildState.COMPLETE:
        raise errors.GenericError(f"cannot import into build {build['nvr']}: it is not complete")
    rpm = record(ctx, source, header, build, storage.Filing(ctx))

    def forget_upload() -> None:
        source.unlink(missing_ok=True)

    ctx.on_commit(forget_upload)
    return rpm


def record(
    ctx: Context,
    source: Path,
    header: headers.RpmHeader,
    build: dict,
    filing: storage.Filing,
    buildroot_id: int | None = None,
) -> dict:
    """Put an RPM of ``build`` on record and file it at packages/<n>/<v>/<r>/<arch>/ (undone with ``filing``).

    The caller has checked that the build may take it (its state); here the
    RPM must belong to the build (its source RPM, or the build's NVR for a
    source package) and must not be on record already.
    """
    if source.name != header.filename:
        raise errors.GenericError(f"bad filename: {source.name} (expected {header.filename})")
    if header.arch == "src":
        if header.nvr != build["nvr"]:
            raise errors.GenericError(f"srpm mismatch for {source.name}: build is {build['nvr']}")
    elif header.sourcerpm != f"{build['nvr']}.src.rpm":
        raise errors.GenericError(f"srpm mismatch for {source.name}: {header.sourcerpm}")
    nvra = (header.name, header.version, header.release, header.arch)
    clash = ctx.conn.execute(
        select(r.c.id).where(r.c.name == nvra[0], r.c.version == nvra[1], r.c.release == nvra[2], r.c.arch == nvra[3])
    ).first()
    if clash is not None:
        raise errors.GenericError(f"RPM already imported: {header.filename} (id {clash.id})")
    values = {
        "build_id": build["id"],
        "buildroot_id": buildroot_id,
        "name": header.name,
        "version": header.version,
        "release": header.release,
        "epoch": header.epoch,
        "arch": header.arch,
        "draft": False,
        "external_repo_id": 0,
        "payloadhash": header.payloadhash,
        "size": source.stat().st_size,
        "buildtime": header.buildtime,
        "metadata_only": False,
    }
    rpm_id = ctx.conn.execute(insert(r).values(**values)).inserted_primary_key[0]
    filing.put(source, build_dir(ctx.settings.topdir, build) / header.arch / header.filename)
    return get(ctx, rpm_id, strict=True)


def get(ctx: Context, info: Any, strict: bool = False) -> dict | None:
    """An RPM by id (a number, or its text as Koji takes it), N-V-R.A text, or a dict of either."""
    if isinstance(info, str) and info.strip().isdigit():
        info = ids.row_id(info, "rpm id")
    if isinstance(info, int) and not isinstance(info, bool):
        row = _BY_ID.one(ctx.conn, {"id": ids.row_id(info, "rpm id")})
    elif isinstance(info, str):
        base = info.removesuffix(".rpm")
        nvr, _, arch = base.rpartition(".")
        try:
            name, version, release = builds.parse_nvr(nvr)
        except errors.GenericError:
            raise errors.GenericError(f"invalid format: {info} (an rpm is named by id or N-V-R.A)") from None
        row = _BY_NVRA.one(ctx.conn, {"name": name, "version": version, "release": release, "arch": arch})
    elif isinstance(info, dict):
        if info.get("id") is not None:
            row = _BY_ID.one(ctx.conn, {"id": ids.row_id(info["id"], "rpm id")})
        else:
            row = _BY_NVRA.one(
                ctx.conn, ids.text_fields(info, ("name", "version", "release", "arch"), "rpm info", or_id=True)
            )
    else:
        raise errors.ParameterError(f"Invalid rpm info: {info!r}")
    if row is None:
        if strict:
            raise errors.GenericError(missing(info))
        return None
    return shape(row)


def missing(info: Any) -> str:
    """The fault text of a strict read of an RPM that is not there: getRPM's, one call or a batch's."""
    return f"No such rpm: {info!r}"


def get_many(ctx: Context, rpm_ids: list[int]) -> dict[int, dict]:
    """RPMs by id in one query (a multicall's run of getRPM); the ids not found are left out."""
    if not rpm_ids:
        return {}
    rows = ctx.conn.execute(select(*_FIELDS).where(r.c.id.in_(sorted(set(rpm_ids)))))
    return {row.id: shape(row._mapping) for row in rows}


def of_build(ctx: Context, build_info: Any) -> list[dict]:
    """listBuildRPMs: the RPMs of a build named as getBuild takes it, in id order; an unknown build faults.

    One query, the build and its RPMs together, where asking for the build
    and then for its RPMs cost two.
    """
    form, params = builds.lookup(build_info)
    rows = _OF_BUILD[form].all(ctx.conn, params)
    if not rows:
        raise errors.GenericError(builds.missing(build_info))
    return [shape(row) for row in rows if row["id"] is not None]


def of_builds(ctx: Context, build_ids: list[int]) -> dict[int, list[dict]]:
    """The RPMs of many builds by id in one query (a multicall's run of listBuildRPMs).

    Every build found has its list, empty when it has no RPMs; the ids of
    no build are left out.
    """
    if not build_ids:
        return {}
    query = (
        select(*_OF_BUILD_COLUMNS).select_from(_WITH_RPMS).where(_B.c.id.in_(sorted(set(build_ids)))).order_by(r.c.id)
    )
    found: dict[int, list[dict]] = {}
    for row in ctx.conn.execute(query):
        listed = found.setdefault(row.build_id, [])
        if row.id is not None:
            listed.append(shape(row._mapping))
    return found


def list_rpms(
    ctx: Context,
    build_id: int | None = None,
    arches: Any = None,
    buildroot_id: Any = None,
    component_of: Any = None,
    host_id: Any = None,
) -> list[dict]:
    """listRPMs: of a build; made in a build root (``buildroot_id``) or by a host's build roots
    (``host_id``); or installed in a build root (``component_of``: those adds ``is_update``)."""
    br, bl = tables.buildroot, tables.buildroot_listing
    columns = list(_FIELDS)
    source: Any = r
    if component_of is not None:
        source = r.join(bl, bl.c.rpm_id == r.c.id)
        columns.append(bl.c.is_update)
    query = select(*columns).select_from(source).order_by(r.c.id)
    if build_id is not None:
        query = query.where(r.c.build_id == build_id)
    if buildroot_id is not None:
        query = query.where(r.c.buildroot_id == ids.row_id(buildroot_id, "buildroot id"))
    if component_of is not None:
        query = query.where(bl.c.buildroot_id == ids.row_id(component_of, "buildroot id"))
    if host_id is not None:
        host = ids.row_id(host_id, "host id")
        query = query.where(r.c.buildroot_id.in_(select(br.c.id).where(br.c.host_id == host)))
    if arches:
        query = query.where(r.c.arch.in_(_arches(arches)))
    found = []
    for row in ctx.conn.execute(query):
        rpm = shape(row._mapping)
        if "is_update" in rpm:
            rpm["is_update"] = bool(rpm["is_update"])
        found.append(rpm)
    return found


def _arches(value: Any) -> list[str]:
    """An arch or a list of them, as Koji's ``arches`` filters take them; GenericError (Koji's) for another type."""
    found = [value] if isinstance(value, str) else value
    if not isinstance(found, (list, tuple)) or not all(isinstance(arch, str) for arch in found):
        raise errors.GenericError(f"Invalid type for arches: {value!r} (an arch or a list of arches)")
    return list(found)


def list_tagged_rpms(
    ctx: Context,
    tag_info: Any,
    event: int | None = None,
    inherit: bool = False,
    latest: Any = False,
    package: Any = None,
    arch: Any = None,
) -> list[list[dict]]:
    """Koji's listTaggedRPMS: ``[rpms, builds]`` of the builds ``list_tagged`` finds (one query for the RPMs)."""
    tagged = builds.list_tagged(ctx, tag_info, event=event, inherit=inherit, latest=latest, package=package)
    if not tagged:
        return [[], []]
    by_build = {build["id"]: build for build in tagged}
    query = select(*_FIELDS).where(r.c.build_id.in_(list(by_build))).order_by(r.c.id)
    if arch:
        query = query.where(r.c.arch.in_(_arches(arch)))
    found = []
    for row in ctx.conn.execute(query):
        rpm = shape(row._mapping)
        rpm["tag_id"], rpm["tag_name"] = by_build[rpm["build_id"]]["tag_id"], by_build[rpm["build_id"]]["tag_name"]
        found.append(rpm)
    return [found, tagged]


def filename(rpm: dict) -> str:
    return f"{rpm['name']}-{rpm['version']}-{rpm['release']}.{rpm['arch']}.rpm"
