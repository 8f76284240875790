"""Whole-file uploads on Koji's fast upload: chunked, each chunk verified.

``upload_file`` sends a local file in chunks (each answered with the hub's
adler32 of what it wrote, compared with ours), then asks ``checkUpload``
for the whole file's size and digest.  ``LogFollower`` sends what a growing
file gained since the last time, so that a log is readable on the hub while
it is still being written.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path
from typing import Any

from kiln.protocol import errors

CHUNK_SIZE = 1 << 20


def _adler32_hex(data: bytes) -> str:
    return f"{zlib.adler32(data) & 0xFFFFFFFF:08x}"


def send_chunk(session: Any, data: bytes, path: str, name: str, offset: int, overwrite: bool = False) -> None:
    """One chunk, refused unless the hub wrote exactly these bytes where we asked."""
    reply = session.raw_upload(data, path, name, offset=offset, overwrite=overwrite)
    if reply.get("size") != len(data) or reply.get("offset") != offset:
        raise errors.GenericError(f"upload of {path}/{name}: the hub wrote {reply}, not {len(data)} bytes at {offset}")
    if reply.get("hexdigest") != _adler32_hex(data):
        raise errors.GenericError(f"upload of {path}/{name}: chunk at {offset} arrived corrupted")


def upload_file(
    session: Any, local: str | os.PathLike, path: str, name: str | None = None, chunk_size: int = CHUNK_SIZE
) -> int:
    """Upload ``local`` as ``path/name`` (replacing an earlier upload of it); returns its size.

    The finished file is checked as a whole (size and md5) with
    ``checkUpload``: a chunk lost between two verified ones still shows.
    """
    name = name or Path(local).name
    digest = hashlib.md5(usedforsecurity=False)
    offset = 0
    with open(local, "rb") as source:
        while True:
            data = source.read(chunk_size)
            if not data and offset:
                break
            send_chunk(session, data, path, name, offset, overwrite=offset == 0)
            digest.update(data)
            offset += len(data)
            if not data:  # an empty file: one empty chunk made it
                break
    found = session.checkUpload(path, name, verify="md5")
    if not found or found.get("size") != offset or found.get("hexdigest") != digest.hexdigest():
        raise errors.GenericError(f"upload of {path}/{name}: the hub holds {found}, not {offset} bytes we sent")
    return offset


class LogFollower:
    """Sends what a local file gained since the last ``send``, appending on the hub."""

    def __init__(self, session: Any, local: str | os.PathLike, path: str, name: str | None = None) -> None:
        self.session = session
        self.local = Path(local)
        self.path = path
        self.name = name or self.local.name
        self.sent = 0

    def send(self, chunk_size: int = CHUNK_SIZE) -> int:
        """Upload the new bytes (if any); returns how many went."""
        total = 0
        if not self.local.exists():
            return 0
        with open(self.local, "rb") as source:
            source.seek(self.sent)
            while data := source.read(chunk_size):
                send_chunk(self.session, data, self.path, self.name, self.sent, overwrite=self.sent == 0)
                self.sent += len(data)
                total += len(data)
        return total
