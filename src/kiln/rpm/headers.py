"""What an RPM file says about itself, read with the ``rpm`` tool (Debian's package gives it).

``rpm -qp`` with a query format is the one reader every RPM-based site
trusts; signatures and digests are not checked here (kiln checks the
upload's own digest; signing is a separate matter).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kiln.protocol import errors

_FIELDS = ("NAME", "VERSION", "RELEASE", "EPOCH", "ARCH", "SOURCERPM", "BUILDTIME", "SIGMD5")
_FORMAT = "\\t".join(f"%{{{f}}}" for f in _FIELDS) + "\\n"


@dataclass(frozen=True)
class RpmHeader:
    name: str
    version: str
    release: str
    epoch: int | None
    arch: str  # "src" for a source package
    sourcerpm: str | None  # the source package's file name; None for a source package
    buildtime: int
    payloadhash: str  # SIGMD5, hex

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @property
    def filename(self) -> str:
        return f"{self.nvr}.{self.arch}.rpm"


def read(path: str | Path) -> RpmHeader:
    try:
        lines = _rpm_query(path, _FORMAT).splitlines()
    except errors.GenericError as exc:
        raise errors.GenericError(f"not an RPM file: {Path(path).name}: {str(exc)[-200:]}") from None
    if len(lines) != 1 or lines[0].count("\t") != len(_FIELDS) - 1:
        raise errors.GenericError(f"not an RPM file: {Path(path).name}")
    name, version, release, epoch, arch, sourcerpm, buildtime, sigmd5 = lines[0].split("\t")
    source = sourcerpm in ("(none)", "")
    return RpmHeader(
        name=name,
        version=version,
        release=release,
        epoch=None if epoch == "(none)" else int(epoch),
        arch="src" if source else arch,
        sourcerpm=None if source else sourcerpm,
        buildtime=int(buildtime),
        payloadhash=sigmd5,
    )


# Header tags whose values are lists (Koji answers them as lists, as rpm's
# bindings do); others are single values.  Numbers come back as ints.
_LIST_PREFIXES = ("FILE", "CHANGELOG", "REQUIRE", "PROVIDE", "CONFLICT", "OBSOLETE", "RECOMMEND", "SUGGEST")
_LIST_PREFIXES += ("SUPPLEMENT", "ENHANCE", "ORDER", "TRIGGER")
_LIST_TAGS = {"BASENAMES", "DIRNAMES", "DIRINDEXES", "OLDFILENAMES", "SOURCE", "PATCH", "PREFIXES", "INSTPREFIXES"}
_LIST_TAGS |= {"FILENAMES", "PLATFORM", "POLICIES", "CLASSDICT", "DEPENDSDICT"}
_NUMBER_TAGS = {"EPOCH", "BUILDTIME", "SIZE", "LONGSIZE", "INSTALLTIME", "ARCHIVESIZE", "LONGARCHIVESIZE"}
_NUMBER_TAGS |= {"CHANGELOGTIME", "FILESIZES", "LONGFILESIZES", "FILEMODES", "FILEMTIMES", "FILEFLAGS"}
_NUMBER_TAGS |= {"FILEINODES", "FILEDEVICES", "FILERDEVS", "FILEVERIFYFLAGS", "DIRINDEXES", "REQUIREFLAGS"}
_NUMBER_TAGS |= {"PROVIDEFLAGS", "CONFLICTFLAGS", "OBSOLETEFLAGS"}
_TAG_NAME = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_UNIT, _RECORD = "\x1f", "\x1e"


def _rpm_query(path: str | Path, query_format: str) -> str:
    try:
        done = subprocess.run(
            ["rpm", "-qp", "--nosignature", "--nodigest", "--qf", query_format, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
        )
    except FileNotFoundError:
        raise errors.GenericError("the rpm tool is not installed on the hub") from None
    if done.returncode != 0 or "unknown tag" in done.stderr:
        said = done.stderr.replace(str(path), Path(path).name).strip()  # the file, not where the hub keeps it
        raise errors.GenericError(f"cannot read the headers of {Path(path).name}: {said[-300:]}")
    return done.stdout


def query(path: str | Path, names: list[str]) -> dict[str, object]:
    """The named header tags of an RPM (any case), as Koji's getRPMHeaders answers; an unknown tag is an error.

    One ``rpm`` run reads them all.
    """
    tags = []
    for name in names:
        tag = str(name).upper()
        if not tag or not set(tag) <= _TAG_NAME:
            raise errors.ParameterError(f"Invalid header name: {name!r}")
        tags.append(tag)
    if not tags:
        return {}
    try:
        raw = _rpm_query(path, "".join(f"[%{{{tag}}}{_UNIT}]{_RECORD}" for tag in tags))
    except errors.GenericError as exc:
        unknown = re.search(r'unknown tag: "([^"]+)"', str(exc))
        if unknown:
            raise errors.GenericError(f"No such rpm header field: {unknown.group(1).lower()}") from None
        raise
    records = raw.split(_RECORD)
    found: dict[str, object] = {}
    for name, tag, record in zip(names, tags, records, strict=False):
        values: list[object] = [v for v in record.split(_UNIT)[:-1] if v != "(none)"]
        if tag in _NUMBER_TAGS:
            values = [int(v) for v in values if str(v).lstrip("-").isdigit()]
        if tag in _LIST_TAGS or tag.startswith(_LIST_PREFIXES):
            found[str(name).lower()] = values
        else:
            found[str(name).lower()] = values[0] if values else None
    return found


def changelog(path: str | Path) -> list[dict]:
    """An RPM's changelog entries, newest first: ``{date_ts, author, text}``."""
    raw = _rpm_query(path, f"[%{{CHANGELOGTIME}}{_UNIT}%{{CHANGELOGNAME}}{_UNIT}%{{CHANGELOGTEXT}}{_RECORD}]")
    entries = []
    for record in raw.split(_RECORD)[:-1]:
        when, author, text = record.split(_UNIT, 2)
        if when == "(none)":
            continue
        entries.append({"date_ts": int(when), "author": author, "text": text})
    return entries


# Koji's dependency types (koji.DEP_*), in the order its getRPMDeps lists them.
DEPENDENCY_TYPES = (
    ("REQUIRE", 0),
    ("PROVIDE", 1),
    ("CONFLICT", 3),
    ("OBSOLETE", 2),
    ("SUGGEST", 4),
    ("ENHANCE", 5),
    ("SUPPLEMENT", 6),
    ("RECOMMEND", 7),
)
_GROUP = "\x1d"


def dependencies(path: str | Path) -> list[dict]:
    """Every dependency of an RPM: ``{name, version, flags, type}``, by type in Koji's order, each in header order.

    ``flags`` is rpm's raw sense bitmask; ``version`` is "" for an unversioned one.
    """
    query_format = _GROUP.join(
        f"[%{{{tag}NAME}}{_UNIT}%{{{tag}VERSION}}{_UNIT}%{{{tag}FLAGS}}{_RECORD}]" for tag, _ in DEPENDENCY_TYPES
    )
    groups = _rpm_query(path, query_format).split(_GROUP)
    found = []
    for (_, dep_type), group in zip(DEPENDENCY_TYPES, groups, strict=True):
        for record in group.split(_RECORD)[:-1]:
            name, version, flags = record.split(_UNIT)
            found.append({"name": name, "version": version, "flags": int(flags), "type": dep_type})
    return found


# rpm's FILEDIGESTALGO numbers (PGP hash algorithm ids) by the names Koji gives them.
_DIGEST_ALGORITHMS = {1: "md5", 2: "sha1", 3: "ripemd160", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}
_FILE_TAGS = ("FILENAMES", "FILEDIGESTS", "FILESIZES", "FILEFLAGS", "FILEUSERNAME", "FILEGROUPNAME")
_FILE_TAGS += ("FILEMTIMES", "FILEMODES")


def files(path: str | Path) -> list[dict]:
    """An RPM's files in header order, with the keys of Koji's listRPMFiles.

    ``digest`` (and its old name ``md5``) is "" for directories, links and
    ghosts; ``digest_algo`` is the package's one algorithm.
    """
    row = _UNIT.join(f"%{{{tag}}}" for tag in _FILE_TAGS)
    raw = _rpm_query(path, f"%{{FILEDIGESTALGO}}{_GROUP}[{row}{_RECORD}]")
    algo_text, _, records = raw.partition(_GROUP)
    algorithm = _DIGEST_ALGORITHMS.get(int(algo_text), "unknown") if algo_text.isdigit() else "md5"
    found = []
    for record in records.split(_RECORD)[:-1]:
        name, digest, size, flags, user, group, mtime, mode = record.split(_UNIT)
        digest = "" if digest == "(none)" else digest
        found.append(
            {
                "name": name,
                "digest": digest,
                "md5": digest,
                "digest_algo": algorithm,
                "size": int(size),
                "flags": int(flags),
                "user": user,
                "group": group,
                "mtime": int(mtime),
                "mode": int(mode),
            }
        )
    return found
