"""``/kojifiles``: the topdir, read-only over HTTP, where the koji client expects it (its ``topurl``).

GET and HEAD, single byte ranges (``Range: bytes=a-b``, ``a-``, ``-n``) for
resumed downloads, directory indexes for people browsing.  Nothing outside
topdir is reachable: paths with ``..`` are refused and every path is
resolved (symlinks included) and must stay under topdir.
"""

from __future__ import annotations

import email.utils
import errno
import html
import mimetypes
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

PREFIX = "/kojifiles"
CHUNK = 1 << 16
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")

StartResponse = Callable[..., object]


def serve(topdir: str, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD"):
        return _plain(start_response, "405 Method Not Allowed", "only GET and HEAD\n", [("Allow", "GET, HEAD")])
    relative = _path_info(environ)[len(PREFIX) :]
    if "\0" in relative or ".." in relative.split("/"):
        return _plain(start_response, "400 Bad Request", "bad path\n")
    root = Path(topdir).resolve()
    try:
        target = (root / relative.lstrip("/")).resolve(strict=True)
        info = target.stat()
    except (OSError, RuntimeError) as exc:
        return _unreachable(start_response, relative, exc)
    if target != root and root not in target.parents:
        return _plain(start_response, "404 Not Found", f"Not found: {PREFIX}{relative}\n")
    if stat.S_ISDIR(info.st_mode):
        if not environ.get("PATH_INFO", "").endswith("/"):
            location = quote(os.fsencode(PREFIX + relative.rstrip("/") + "/"))
            return _plain(start_response, "301 Moved Permanently", "\n", [("Location", location)])
        return _index(target, PREFIX + relative, method, start_response)
    if not stat.S_ISREG(info.st_mode):
        return _plain(start_response, "404 Not Found", f"Not found: {PREFIX}{relative}\n")
    return _file(target, info, environ, method, start_response)


def _path_info(environ: dict) -> str:
    """The request path as the file system names it.

    The server has already undone the %-escapes (PEP 3333: the bytes, as
    latin-1); as UTF-8 with surrogateescape, bytes that are not UTF-8 stay
    the file's own bytes, as ``os.fsdecode`` keeps them, so an index's links
    to such names work.  (Undoing %-escapes again would hide a name with a
    ``%`` in it.)
    """
    path = environ.get("PATH_INFO", "")
    try:
        return path.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # not a PEP 3333 server: take the text as it is
        return path


def _unreachable(start_response: StartResponse, relative: str, exc: BaseException) -> list[bytes]:
    """What a path the file system will not resolve is to the client, as nginx's static module answers it.

    A name longer than the file system allows (``ENAMETOOLONG``), a missing
    component, a file used as a directory or a symlink loop all mean no such
    file can be there: 404.  Only a permission problem is told apart (403).
    """
    if isinstance(exc, OSError) and exc.errno == errno.EACCES:
        return _plain(start_response, "403 Forbidden", f"Forbidden: {PREFIX}{relative}\n")
    return _plain(start_response, "404 Not Found", f"Not found: {PREFIX}{relative}\n")


def _file(
    path: Path, info: os.stat_result, environ: dict, method: str, start_response: StartResponse
) -> Iterable[bytes]:
    size = info.st_size
    start, end = 0, size - 1
    status = "200 OK"
    headers = [
        ("Content-Type", mimetypes.guess_type(path.name)[0] or "application/octet-stream"),
        ("Accept-Ranges", "bytes"),
        ("Last-Modified", email.utils.formatdate(info.st_mtime, usegmt=True)),
    ]
    wanted = environ.get("HTTP_RANGE")
    if wanted:
        parsed = _parse_range(wanted, size)
        if parsed is None:
            start_response("416 Range Not Satisfiable", [("Content-Range", f"bytes */{size}"), ("Content-Length", "0")])
            return [b""]
        start, end = parsed
        status = "206 Partial Content"
        headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
    length = max(end - start + 1, 0)
    headers.append(("Content-Length", str(length)))
    start_response(status, headers)
    if method == "HEAD" or length == 0:
        return [b""]
    return _read(path, start, length)


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # the last N bytes
        count = _position(last, size)
        if count == 0:
            return None
        return size - count, size - 1
    start = _position(first, size)
    end = min(_position(last, size), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


def _position(digits: str, size: int) -> int:
    """A range's number, capped at ``size``: any number of digits is valid (RFC 9110 14.1.1).

    ``int()`` refuses strings of more than 4,300 digits, but such a number is
    simply larger than the file, and RFC 9110 says what that means: a first
    position past the end is unsatisfiable (416), a last position past the end
    or a suffix longer than the file stops at the file's end.  So a number
    with more digits than the size is the size, and no long string is
    converted at all.
    """
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(size)):
        return size
    return min(int(digits), size)


def _read(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        while length > 0:
            data = handle.read(min(CHUNK, length))
            if not data:
                return
            length -= len(data)
            yield data


def _index(path: Path, url: str, method: str, start_response: StartResponse) -> Iterable[bytes]:
    rows = []
    for entry in sorted(path.iterdir(), key=lambda e: e.name):
        # a name that is not UTF-8 on disk: linked by its bytes, shown with replacement characters
        name = os.fsencode(entry.name) + (b"/" if entry.is_dir() else b"")
        shown = html.escape(name.decode("utf-8", "replace"))
        rows.append(f'<li><a href="{quote(name)}">{shown}</a></li>')
    title = html.escape(os.fsencode(url).decode("utf-8", "replace"))
    body = f"<!DOCTYPE html><html><head><title>Index of {title}</title></head><body><h1>Index of {title}</h1>"
    body += "<ul>" + "".join(rows) + "</ul></body></html>\n"
    data = body.encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [b""] if method == "HEAD" else [data]


def _plain(start_response: StartResponse, status: str, text: str, extra: list | None = None) -> list[bytes]:
    body = text.encode("utf-8", "replace")
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body))), *(extra or [])])
    return [body]
