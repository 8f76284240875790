"""Downloading a file from a hub's ``/kojifiles`` (its topdir over HTTP), resuming a partial copy.

The CLI's ``download-build`` and ``download-task`` fetch files this way, as
koji's do: a file whose size is known and whose local copy is shorter is
continued with a ``Range`` request; a hub that answers the whole file
instead (200) or says the range is past the end (416) gets the file
rewritten from the start.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import requests

CHUNK_SIZE = 1 << 20


def remote_size(http: requests.Session, url: str) -> int | None:
    """The file's size from a HEAD request, or None when the hub does not say."""
    reply = http.head(url, timeout=30, allow_redirects=True)
    if reply.status_code == 200 and reply.headers.get("Content-Length"):
        return int(reply.headers["Content-Length"])
    return None


def download(
    http: requests.Session,
    url: str,
    dest: str | os.PathLike,
    offset: int = 0,
    progress: Callable[[int, int | None], None] | None = None,
    size: int | None = None,
) -> int:
    """Write ``url`` to ``dest`` (continuing after ``offset`` bytes already there); returns the bytes written.

    An HTTP error status raises ``requests.HTTPError``; a file left empty by
    a failed request is removed.
    """
    dest = Path(dest)
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    written = 0
    mode = "ab" if offset else "wb"
    try:
        with http.get(url, headers=headers, stream=True, timeout=300) as reply:
            if offset and reply.status_code in (200, 416):
                mode, offset = "wb", 0
            reply.raise_for_status()
            total = size or (int(reply.headers.get("Content-Length") or 0) + offset) or None
            with open(dest, mode) as out:
                for chunk in reply.iter_content(chunk_size=CHUNK_SIZE):
                    out.write(chunk)
                    written += len(chunk)
                    if progress:
                        progress(offset + written, total)
    finally:
        if dest.exists() and dest.stat().st_size == 0 and not written:
            dest.unlink()
    return written
