"""Whole-file uploads on Koji's fast upload: chunked, each chunk verified, resumable.

``upload_file`` sends a local file in chunks (each answered with the hub's
adler32 of what it wrote, compared with ours), then asks ``checkUpload``
for the whole file's size and digest.  ``LogFollower`` sends what a growing
file gained since the last time, so that a log is readable on the hub while
it is still being written.

Resuming.  An upload cut short (Ctrl-C, a dropped connection, a killed
process) leaves a prefix of the file on the hub.  ``upload_file(...,
resume=True)`` first asks ``checkUpload`` for the size and md5 of what the
hub holds at ``path/name``; when that is a prefix of the local file (same
bytes, checked by digest, not trusted by size), sending starts after it.
Within one call, a connection error during a chunk is answered the same way
(up to ``retries`` times): ask what arrived, continue from there.
:class:`ResumeRecords` remembers, across processes, which work directory an
unfinished upload of a local file went to, so that a second ``kiln build``
of the same file finds it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from kiln.protocol import errors

CHUNK_SIZE = 1 << 20
LOCK_PATIENCE = 30.0  # seconds to wait, after a cut, for the hub to release the file

# progress(done, total): bytes the hub holds so far, of the file's size.
Progress = Callable[[int, int], None]


def _adler32_hex(data: bytes) -> str:
    return f"{zlib.adler32(data) & 0xFFFFFFFF:08x}"


def send_chunk(session: Any, data: bytes, path: str, name: str, offset: int, overwrite: bool = False) -> None:
    """One chunk, refused unless the hub wrote exactly these bytes where we asked."""
    reply = session.raw_upload(data, path, name, offset=offset, overwrite=overwrite)
    if reply.get("size") != len(data) or reply.get("offset") != offset:
        raise errors.GenericError(f"upload of {path}/{name}: the hub wrote {reply}, not {len(data)} bytes at {offset}")
    if reply.get("hexdigest") != _adler32_hex(data):
        raise errors.GenericError(f"upload of {path}/{name}: chunk at {offset} arrived corrupted")


def held_prefix(session: Any, local: str | os.PathLike, path: str, name: str) -> tuple[int, Any]:
    """How many leading bytes of ``local`` the hub already holds at ``path/name``, and their md5.

    Zero (and an empty digest) when the hub holds nothing, more than the
    local file, or bytes that differ from the local file's.
    """
    found = session.checkUpload(path, name, verify="md5")
    digest = hashlib.md5(usedforsecurity=False)
    if not found:
        return 0, digest
    size = int(found["size"])
    if size > os.path.getsize(local):
        return 0, hashlib.md5(usedforsecurity=False)
    with open(local, "rb") as source:
        left = size
        while left:
            data = source.read(min(left, CHUNK_SIZE))
            if not data:
                break
            digest.update(data)
            left -= len(data)
    if digest.hexdigest() != found.get("hexdigest"):
        return 0, hashlib.md5(usedforsecurity=False)
    return size, digest


class _Retries:
    """How long an upload goes on after a cut: ``retries`` lost connections, and a while for a busy lock.

    A LockError right after a cut is the hub still busy with the cut chunk
    (it lets go once it notices the chunk ended); before any cut it is
    another upload of the same file, and final.
    """

    def __init__(self, retries: int, interval: float) -> None:
        self.retries, self.interval = retries, interval
        self.failures = self.lock_waits = 0

    def pause(self, exc: Exception) -> None:
        """Wait before resuming, or re-raise ``exc`` when it is time to give up."""
        if isinstance(exc, errors.LockError):
            self.lock_waits += 1
            if not self.failures or self.lock_waits * 0.2 > LOCK_PATIENCE:
                raise exc
            time.sleep(0.2)
            return
        self.failures += 1
        if self.failures > self.retries:
            raise exc
        time.sleep(self.interval if self.failures > 1 else 0)


def _held_after_cut(
    session: Any, local: str | os.PathLike, path: str, name: str, patience: float = LOCK_PATIENCE
) -> tuple[int, Any]:
    """``held_prefix`` once the hub lets go of the file: after a cut connection, the hub's worker
    may still hold the upload's lock until it notices that the chunk it was reading has ended.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            return held_prefix(session, local, path, name)
        except errors.LockError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def upload_file(
    session: Any,
    local: str | os.PathLike,
    path: str,
    name: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    *,
    resume: bool = False,
    retries: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Upload ``local`` as ``path/name``; returns its size.

    Without ``resume`` an earlier upload of the name is replaced; with it,
    what the hub already holds of this file is kept and the rest sent.  A
    connection error during a chunk is retried from what the hub holds,
    ``retries`` times (the session's ``max_retries`` by default), after the
    session's ``retry_interval``.  The finished file is checked as a whole
    (size and md5) with ``checkUpload``: a chunk lost between two verified
    ones still shows.
    """
    name = name or Path(local).name
    total = os.path.getsize(local)
    if retries is None:
        retries = int(getattr(session, "opts", {}).get("max_retries", 0))
    interval = float(getattr(session, "opts", {}).get("retry_interval", 0))
    offset, digest = held_prefix(session, local, path, name) if resume else (0, hashlib.md5(usedforsecurity=False))
    retry = _Retries(retries, interval)
    if progress:
        progress(offset, total)
    with open(local, "rb") as source:
        source.seek(offset)
        while True:
            data = source.read(chunk_size)
            if not data and (offset or total):
                break
            try:
                # overwrite truncates at the offset: whatever a cut-off chunk left behind goes
                send_chunk(session, data, path, name, offset, overwrite=True)
            except (requests.RequestException, errors.LockError) as exc:
                retry.pause(exc)
                offset, digest = _held_after_cut(session, local, path, name)
                source.seek(offset)
                continue
            digest.update(data)
            offset += len(data)
            if progress:
                progress(offset, total)
            if not data:  # an empty file: one empty chunk made it
                break
    found = session.checkUpload(path, name, verify="md5")
    if not found or int(found.get("size", -1)) != offset or found.get("hexdigest") != digest.hexdigest():
        raise errors.GenericError(f"upload of {path}/{name}: the hub holds {found}, not the {offset} bytes we have")
    return total


class ResumeRecords:
    """Which work directory an unfinished upload of a local file went to, kept in a directory of small files.

    One record per (hub, user, file): the file is known by its real path,
    size and modification time, so a file changed since is a new upload.
    A record is written before the first chunk and dropped once the upload
    is complete, so a record found means an upload was cut short.
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    @staticmethod
    def key(server: str, user: str | None, local: str | os.PathLike) -> str:
        info = os.stat(local)
        ident = json.dumps([server, user, os.path.realpath(local), info.st_size, info.st_mtime_ns])
        return hashlib.sha256(ident.encode()).hexdigest()[:32]

    def _file(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> str | None:
        """The work directory of an unfinished upload of this file, or None."""
        try:
            return json.loads(self._file(key).read_text())["path"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, path: str, local: str | os.PathLike) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        record = {"path": path, "local": os.path.realpath(local), "started": time.time()}
        self._file(key).write_text(json.dumps(record))

    def drop(self, key: str) -> None:
        self._file(key).unlink(missing_ok=True)


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
