"""Archives (Maven, Windows and image build outputs): Koji's calls, answered as a hub that has none.

kiln builds RPMs only, so no archive exists; kojiweb's archive pages and a
build page's archive lists get what a Koji hub gives for an unknown archive.
"""

from __future__ import annotations

from kiln.hub.argtypes import Id, QueryOpts
from kiln.hub.context import Context
from kiln.hub.domain import ids
from kiln.hub.rpc import export
from kiln.protocol import errors


def _archive_id(archive_id: Id | str) -> int:
    return ids.row_id(archive_id, "archive id")


@export()
def getArchive(ctx: Context, archive_id: Id | str, strict: bool = False) -> dict | None:
    if strict:
        raise errors.GenericError(f"No such archive: {_archive_id(archive_id)}")
    _archive_id(archive_id)
    return None


@export()
def listArchiveFiles(
    ctx: Context, archive_id: Id | str, queryOpts: QueryOpts | None = None, strict: bool = False
) -> list:
    """Koji looks the archive up strictly whatever ``strict`` says: an unknown one is an error."""
    raise errors.GenericError(f"No such archive: {_archive_id(archive_id)}")


@export()
def getArchiveFile(ctx: Context, archive_id: Id | str, filename: str, strict: bool = False) -> dict | None:
    raise errors.GenericError(f"No such archive: {_archive_id(archive_id)}")


@export()
def getArchiveType(
    ctx: Context,
    filename: str | None = None,
    type_name: str | None = None,
    type_id: Id | None = None,
    strict: bool = False,
) -> dict | None:
    if filename is None and type_name is None and type_id is None:
        raise errors.GenericError("one of filename, type_name, or type_id must be specified")
    if strict:
        raise errors.GenericError(f"No such archive type: {type_name or type_id or filename}")
    return None
