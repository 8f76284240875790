"""Uploads and task output: ``uploadFile``, ``checkUpload``, ``listTaskOutput``,
``downloadTaskOutput``, and the raw (fast) upload POST the koji client sends.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import parse_qs

from kiln.hub.context import Context
from kiln.hub.domain import task_output, uploads
from kiln.hub.rpc import ANYONE, LOGIN, export, internal_fault
from kiln.protocol import errors
from kiln.protocol.xmlrpc import Fault, dumps

log = logging.getLogger("kiln.hub.upload")

RAW_UPLOAD = "rawUpload"  # the name a fast upload's session check sees (not an RPC method)


def _int(value: Any, what: str, allow_none: bool = False) -> int | None:
    """An int, or its decimal text: XML-RPC's int is 32 bits, so Koji sends big ones as strings."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool):
        raise errors.ParameterError(f"Invalid {what}: {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):  # ValueError too for more than 4,300 digits: shown cut short
        shown = value if not isinstance(value, str) or len(value) <= 40 else value[:20] + "..."
        raise errors.ParameterError(f"Invalid {what}: {shown!r}") from None


@export(access=LOGIN)
def uploadFile(
    ctx: Context,
    path: str,
    name: str,
    size: Any,
    md5sum: Any,
    offset: Any,
    data: str,
    volume: str | None = None,
    checksum: Any = None,
) -> bool:
    """Write a chunk of base64 ``data`` at ``offset`` (-1: finish the file, checking its whole digest)."""
    try:
        contents = base64.b64decode(data, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise errors.GenericError("Invalid upload data: not base64") from None
    return uploads.upload_file(
        ctx,
        path,
        name,
        _int(size, "upload size", allow_none=True),
        checksum if checksum is not None else md5sum,
        _int(offset, "upload offset"),
        contents,
        volume,
    )


@export(access=ANYONE)
def checkUpload(
    ctx: Context, path: str, name: str, verify: str | None = None, tail: Any = None, volume: str | None = None
) -> dict | None:
    """Size and mtime of an uploaded file (None if there is none), with its digest when ``verify`` names one."""
    return uploads.check_upload(ctx, path, name, verify, _int(tail, "tail", allow_none=True), volume)


@export(access=ANYONE)
def listTaskOutput(
    ctx: Context, taskID: int, stat: bool = False, all_volumes: bool = False, strict: bool = False
) -> list | dict:
    """The files a task wrote, by path relative to its work directory."""
    return task_output.list_output(ctx, task_output.task_id_value(taskID), bool(stat), bool(all_volumes), strict)


@export(access=ANYONE)
def downloadTaskOutput(
    ctx: Context, taskID: int, fileName: str, offset: Any = 0, size: Any = -1, volume: str | None = None
) -> str:
    """``size`` bytes of a task's file from ``offset`` (negative: from the end), as base64 text."""
    size = _int(size, "size", allow_none=True)
    return task_output.download(
        ctx,
        task_output.task_id_value(taskID),
        fileName,
        _int(offset, "offset", allow_none=True) or 0,
        -1 if size is None else size,
        volume,
    )


def raw_upload(app: Any, environ: dict) -> str:
    """A fast-upload POST (``application/octet-stream``): one chunk, answered as an XML-RPC reply.

    The session is checked exactly as for a call (``app.authenticate``);
    nothing is written to the database, so, as in Koji, the call number does
    not advance.  The request's connection is given back before the body is
    read: a slow upload holds no transaction.
    """
    ctx = Context(app.engine, app.settings, app.plugins, environ, app.registry, kept=app.connections)
    try:
        if app.settings.offline:
            raise errors.ServerOffline(app.settings.offline_message or "server is offline")
        app.authenticate(ctx, environ, RAW_UPLOAD)
        if ctx.session is None:
            raise errors.ActionNotAllowed("you must be logged-in to upload a file")
        args = _upload_args(environ.get("QUERY_STRING", ""))
        with uploads.destination(ctx, args["path"], args["name"], args["volume"], create=True) as target:
            ctx.finish(False)
            result = uploads.write_chunk(
                target, environ["wsgi.input"], _length(environ), args["offset"], args["verify"], args["overwrite"]
            )
        log.info("upload: %s bytes at %s to %s", result["size"], result["offset"], target.rel)
        reply = dumps((result,), methodresponse=True)
    except errors.GenericError as exc:
        reply = dumps(Fault(exc.faultCode, str(exc)))
    except Exception as exc:
        reply = dumps(internal_fault(exc, "a raw upload"))
    finally:
        ctx.finish(False)
    return reply


def _upload_args(query: str) -> dict:
    try:
        args = parse_qs(query, strict_parsing=True)
    except ValueError:
        raise errors.GenericError("Invalid upload request: bad query string") from None

    def one(key: str, default: str | None = None) -> str | None:
        return args.get(key, [default])[0]

    overwrite = one("overwrite", "")
    return {
        "name": one("filename", ""),  # blank values are dropped: "filename=" is no name
        "path": one("filepath", ""),
        "verify": one("fileverify", ""),
        "overwrite": overwrite.lower() not in ("", "0", "false", "no"),
        "offset": _int(one("offset", "0"), "upload offset"),
        "volume": one("volume"),
    }


def _length(environ: dict) -> int | None:
    raw = environ.get("CONTENT_LENGTH")
    if raw in (None, ""):
        return None
    length = _int(raw, "Content-Length")
    if length < 0:
        raise errors.GenericError("Invalid upload request: bad Content-Length")
    return length
