"""``/kojifiles``: the topdir, read-only over HTTP, where the koji client expects it (its ``topurl``).

GET and HEAD, single byte ranges (``Range: bytes=a-b``, ``a-``, ``-n``) for
resumed downloads, directory indexes for people browsing.  Nothing outside
topdir is reachable: paths with ``..`` are refused and every path is
resolved (symlinks included) and must stay under topdir.
"""

from __future__ import annotations

import email.utils
import html
import mimetypes
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import quote, unquote

PREFIX = "/kojifiles"
CHUNK = 1 << 16
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

StartResponse = Callable[..., object]


def serve(topdir: str, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD"):
        return _plain(start_response, "405 Method Not Allowed", "only GET and HEAD\n", [("Allow", "GET, HEAD")])
    relative = unquote(environ.get("PATH_INFO", "")[len(PREFIX) :])
    if "\0" in relative or ".." in relative.split("/"):
        return _plain(start_response, "400 Bad Request", "bad path\n")
    root = Path(topdir).resolve()
    try:
        target = (root / relative.lstrip("/")).resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError, RuntimeError):
        return _plain(start_response, "404 Not Found", f"Not found: {PREFIX}{relative}\n")
    if target != root and root not in target.parents:
        return _plain(start_response, "404 Not Found", f"Not found: {PREFIX}{relative}\n")
    info = target.stat()
    if stat.S_ISDIR(info.st_mode):
        if not environ.get("PATH_INFO", "").endswith("/"):
            location = quote(PREFIX + relative.rstrip("/") + "/")
            return _plain(start_response, "301 Moved Permanently", "\n", [("Location", location)])
        return _index(target, PREFIX + relative, method, start_response)
    if not stat.S_ISREG(info.st_mode):
        return _plain(start_response, "404 Not Found", f"Not found: {PREFIX}{relative}\n")
    return _file(target, info, environ, method, start_response)


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
        count = int(last)
        if count == 0:
            return None
        return max(size - count, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


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
        name = entry.name + ("/" if entry.is_dir() else "")
        rows.append(f'<li><a href="{quote(name)}">{html.escape(name)}</a></li>')
    title = html.escape(url)
    body = f"<!DOCTYPE html><html><head><title>Index of {title}</title></head><body><h1>Index of {title}</h1>"
    body += "<ul>" + "".join(rows) + "</ul></body></html>\n"
    data = body.encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [b""] if method == "HEAD" else [data]


def _plain(start_response: StartResponse, status: str, text: str, extra: list | None = None) -> list[bytes]:
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body))), *(extra or [])])
    return [body]
