"""Uploads into ``topdir/work``: where a file may go, who may write it, and the writing.

Every path stays inside ``topdir/work``.  The directory is walked one
component at a time from an open descriptor, each component opened with
``O_NOFOLLOW`` (and created with ``mkdir`` relative to its parent), and the
file itself is opened the same way: neither ``..`` nor a symlink planted
anywhere on the way leads a read or a write outside the work area, and no
check can be raced by swapping a directory for a link after it was made.

Ownership follows Koji's rules:

- a directory under ``tasks/<id % 10000>/<id>/`` is written only by the host
  whose (exclusive) session holds that task OPEN;
- any other directory belongs to the user whose upload made it: its id is in
  the directory's ``.user`` file, and other users are refused.

A file being written is locked (``flock``); a second writer at the same time
gets LockError rather than interleaved bytes.

A full file system (or quota) is told as such, without the server's paths,
and a chunk that did not fit is taken back: a file this upload created is
removed, a file that was there is cut back to where the chunk began.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import re
import secrets
import stat
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import storage, tasks
from kiln.protocol import errors

log = logging.getLogger(__name__)

PIECE = 65536
DIR_MODE = 0o755
FILE_MODE = 0o644
OWNER_FILE = ".user"
NAME_MAX = 255  # bytes in one file name, on every file system Linux hosts a topdir on
_DIGITS = re.compile(r"[0-9]+")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_FULL = storage.FULL


class Adler32:
    """adler32 with hashlib's interface; Koji writes it as 8 lowercase hex digits."""

    name = "adler32"

    def __init__(self, data: bytes = b"") -> None:
        self._value = zlib.adler32(data)

    def update(self, data: bytes) -> None:
        self._value = zlib.adler32(data, self._value)

    def hexdigest(self) -> str:
        return f"{self._value:08x}"


def _md5(data: bytes = b"") -> Any:
    return hashlib.md5(data, usedforsecurity=False)


VERIFY_CLASSES: dict[str, Callable[..., Any]] = {"adler32": Adler32, "md5": _md5, "sha256": hashlib.sha256}


def verify_class(verify: str | None) -> Callable[..., Any] | None:
    """The digest for a ``fileverify``/checksum name; None when none is asked for."""
    if not verify:
        return None
    found = VERIFY_CLASSES.get(verify) if isinstance(verify, str) else None
    if found is None:
        raise errors.GenericError(f"Unsupported verify type: {verify}")
    return found


def check_volume(volume: Any) -> None:
    """kiln has one volume, the default one."""
    if volume not in (None, "DEFAULT"):
        raise errors.GenericError(f"No such volume: {volume}")


def work_root(ctx: Context) -> str:
    return os.path.join(ctx.settings.topdir, "work")


def task_parts(task_id: int) -> list[str]:
    """``tasks/<id % 10000>/<id>``, Koji's task work directory, as components."""
    return ["tasks", str(task_id % 10000), str(task_id)]


# -- paths ------------------------------------------------------------------------


def split_dir(reldir: Any) -> list[str]:
    """The components of an upload directory relative to the work area."""
    bad = not isinstance(reldir, str) or reldir.startswith("/")
    parts = [] if bad else [p for p in reldir.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise errors.ParameterError(f"Invalid upload directory: {reldir}")
    for part in parts:
        problem = _name_problem(part)
        if problem:
            raise errors.ParameterError(f"Invalid upload directory: {_quoted(reldir)} ({problem})")
    return parts


def check_name(name: Any) -> str:
    """Refused before anything is made: a name no file can have here, or one that is hidden (``.user``)."""
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise errors.ParameterError(f"Invalid upload filename: {name}")
    problem = _name_problem(name)
    if problem:
        raise errors.ParameterError(f"Invalid upload filename: {_quoted(name)} ({problem})")
    return name


def _name_problem(part: str) -> str | None:
    """Why ``part`` cannot name a file: control characters (which would also garble logs and replies), or length."""
    if _CONTROL.search(part):
        return "control characters are not allowed"
    if len(os.fsencode(part)) > NAME_MAX:
        return f"a name longer than {NAME_MAX} bytes"
    return None


def _quoted(text: str) -> str:
    """A caller's name in a message: escaped, and cut short when long."""
    return repr(text if len(text) <= 40 else text[:20] + "...")


def open_dir(root: str, parts: Sequence[str], create: bool = False) -> int | None:
    """A descriptor of ``root/parts...``, reached without following any symlink.

    Missing components are made when ``create``; otherwise a missing one gives
    None.  A symlink or a non-directory on the way is a GenericError.
    """
    if create:
        os.makedirs(root, exist_ok=True)
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    for index, part in enumerate(parts):
        try:
            child = _open_child(fd, part, create, "/".join(parts[: index + 1]))
        finally:
            os.close(fd)
        if child is None:
            return None
        fd = child
    return fd


def _open_child(fd: int, part: str, create: bool, rel: str) -> int | None:
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    for _attempt in range(3):
        try:
            return os.open(part, flags, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                return None
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise errors.GenericError(f"cannot open {rel}: {exc.strerror}") from None
            if stat.S_ISLNK(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode):
                raise errors.GenericError(f"symlinks are not allowed in upload paths: {rel}") from None
            raise errors.GenericError(f"not a directory: {rel}") from None
        with suppress(FileExistsError):  # another upload made it meanwhile
            os.mkdir(part, DIR_MODE, dir_fd=fd)
    raise errors.GenericError(f"cannot make directory {rel}")


@dataclass
class Target:
    """An upload destination: the open directory and the file's name in it."""

    dir_fd: int
    name: str
    rel: str  # relative to the work area, for messages


@contextmanager
def destination(
    ctx: Context, reldir: Any, name: Any, volume: Any = None, create: bool = False
) -> Iterator[Target | None]:
    """Where ``reldir/name`` lives; None when its directory does not exist (and not ``create``).

    With ``create`` (a write) the caller's right to the directory is checked
    first: the host holding the task for task directories, the ``.user`` owner
    for the rest.
    """
    check_volume(volume)
    parts = split_dir(reldir)
    check_name(name)
    task_id = task_dir_id(parts, reldir) if create else None
    if task_id is not None:
        assert_task_host(ctx, task_id)
    elif create and ctx.session is None:
        raise errors.ActionNotAllowed("you must be logged-in to upload a file")
    rel = "/".join(parts)
    with _store_errors(rel):
        dir_fd = open_dir(work_root(ctx), parts, create)
    if dir_fd is None:
        yield None
        return
    try:
        if create and task_id is None:
            with _store_errors(rel):
                claim_dir(dir_fd, rel, ctx.session.user_id)
        yield Target(dir_fd, name, f"{rel}/{name}")
    finally:
        os.close(dir_fd)


# -- who may write ----------------------------------------------------------------


def task_dir_id(parts: Sequence[str], reldir: Any) -> int | None:
    """The task whose directory ``parts`` is in, or None outside ``tasks/``."""
    if parts[0] != "tasks":
        return None
    if len(parts) < 3 or not _DIGITS.fullmatch(parts[2]) or parts[1:3] != task_parts(int(parts[2]))[1:]:
        raise errors.GenericError(f"Invalid task upload directory: {reldir}")
    return int(parts[2])


def assert_task_host(ctx: Context, task_id: int) -> None:
    """Only the host whose exclusive session holds the task OPEN writes in its directory."""
    session = ctx.session
    if session is None:
        raise errors.ActionNotAllowed("you must be logged-in to upload a file")
    if session.host_id is None:
        raise errors.ActionNotAllowed(f"only the host running task {task_id} may upload to its directory")
    if not session.lock_held:
        raise errors.AuthError("This method requires an exclusive session")
    t = tables.task
    row = ctx.conn.execute(select(t.c.state, t.c.host_id).where(t.c.id == task_id)).first()
    tasks.assert_running_on(row, session.host_id, task_id)


def claim_dir(dir_fd: int, rel: str, user_id: int) -> None:
    """The directory belongs to the user named in its ``.user``; the first uploader claims it."""
    for _attempt in range(3):
        owner = _read_owner(dir_fd, rel)
        if owner is None and _write_owner(dir_fd, user_id):
            return
        if owner is not None:
            if owner != user_id:
                raise errors.ActionNotAllowed(f"Invalid upload directory, not owner: {rel}")
            return
    raise errors.GenericError(f"cannot claim upload directory {rel}")


def _read_owner(dir_fd: int, rel: str) -> int | None:
    try:
        fd = os.open(OWNER_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError:
        raise errors.GenericError(f"Invalid upload directory, bad owner file: {rel}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise errors.GenericError(f"Invalid upload directory, bad owner file: {rel}")
        text = os.read(fd, 64)
    finally:
        os.close(fd)
    try:
        return int(text.decode("ascii").strip())
    except ValueError:
        raise errors.GenericError(f"Invalid upload directory, bad owner file: {rel}") from None


def _write_owner(dir_fd: int, user_id: int) -> bool:
    """Write ``.user`` whole or not at all (a link of a finished file); False if one appeared."""
    temp = f"{OWNER_FILE}.{secrets.token_hex(8)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE, dir_fd=dir_fd)
    try:
        try:
            _write_all(fd, str(user_id).encode())
        finally:
            os.close(fd)
        os.link(temp, OWNER_FILE, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temp, dir_fd=dir_fd)


# -- files ------------------------------------------------------------------------


def open_file(target: Target, write: bool, create: bool = False) -> tuple[int, bool]:
    """``(fd, existed)`` for a regular file at the target, never through a symlink.

    Raises FileNotFoundError when it is missing and not ``create``.
    """
    flags = (os.O_RDWR if write else os.O_RDONLY) | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    existed = True
    try:
        fd = os.open(target.name, flags, dir_fd=target.dir_fd)
    except FileNotFoundError:
        if not create:
            raise
        existed = False
        try:
            fd = os.open(target.name, flags | os.O_CREAT | os.O_EXCL, FILE_MODE, dir_fd=target.dir_fd)
        except FileExistsError:
            return open_file(target, write)
    except OSError as exc:
        if exc.errno in _FULL:
            raise _store_full(target.rel, exc) from None
        if exc.errno == errno.ELOOP:
            raise errors.GenericError(f"destination is a symlink: {target.rel}") from None
        if exc.errno == errno.EISDIR:
            raise errors.GenericError(f"destination not a file: {target.rel}") from None
        raise errors.GenericError(f"cannot open {target.rel}: {exc.strerror}") from None
    info = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = f"destination not a file: {target.rel}"
    elif write and info.st_nlink > 1:
        problem = f"destination has other links: {target.rel}"
    if problem:
        os.close(fd)
        raise errors.GenericError(problem)
    return fd, existed


def lock(fd: int, target: Target, exclusive: bool) -> None:
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        raise errors.LockError(f"{target.rel} is locked by another upload") from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _copy_body(body: BinaryIO, fd: int, length: int | None, digest: Any) -> int:
    """Stream the request body into ``fd``; returns the bytes written."""
    size = 0
    while length is None or size < length:
        piece = body.read(PIECE if length is None else min(PIECE, length - size))
        if not piece:
            break
        size += len(piece)
        if digest is not None:
            digest.update(piece)
        _write_all(fd, piece)
    if length is not None and size != length:
        raise errors.GenericError(f"upload body ended early: {size} of {length} bytes")
    return size


def write_chunk(target: Target, body: BinaryIO, length: int | None, offset: int, verify: str, overwrite: bool) -> dict:
    """One chunk of a fast upload, as Koji's hub writes it; returns Koji's reply.

    ``offset`` -1 appends; with ``overwrite`` the file is cut at ``offset``
    first.  A chunk that would leave a gap, or (without ``overwrite``) end
    short of data already there, is refused before anything is written.
    """
    digest_class = verify_class(verify)
    if offset < -1:
        raise errors.ParameterError(f"Invalid upload offset: {offset}")
    try:
        fd, existed = open_file(target, write=True, create=offset in (0, -1))
    except FileNotFoundError:
        raise _missing_offset(target, offset) from None
    try:
        lock(fd, target, exclusive=True)
        current = os.fstat(fd).st_size
        if existed and offset == 0 and not overwrite:
            raise errors.GenericError(f"upload path exists: {target.rel}")
        if offset == -1:
            offset = current
        _check_offset(target, offset, current)
        if not overwrite and length is not None and offset + length < current:
            raise errors.GenericError(
                f"Incorrect upload length for {target.rel} - Expected {offset + length}, actual {current}"
            )
        if overwrite:
            os.ftruncate(fd, offset)
        os.lseek(fd, offset, os.SEEK_SET)
        digest = digest_class() if digest_class else None
        with _taken_back_if_full(fd, target, created=not existed):
            size = _copy_body(body, fd, length, digest)
        if not overwrite and length is None:
            actual = os.fstat(fd).st_size
            if actual != offset + size:
                raise errors.GenericError(
                    f"Incorrect upload length for {target.rel} - Expected {offset + size}, actual {actual}"
                )
    finally:
        os.close(fd)
    reply: dict = {"size": size, "fileverify": verify, "offset": offset}
    if digest is not None:
        reply["hexdigest"] = digest.hexdigest()
    return reply


def _store_full(rel: str, exc: OSError) -> errors.GenericError:
    """The fault for a full file system or quota: what could not be written, never where it lives."""
    log.warning("upload of %s: the file store is full: %s", rel, exc)
    return storage.store_full(rel, exc)


@contextmanager
def _store_errors(rel: str) -> Iterator[None]:
    """Making a directory or its ``.user`` on a full store: said plainly, not as the bare OSError."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        raise _store_full(rel, exc) from None


@contextmanager
def _taken_back_if_full(fd: int, target: Target, created: bool) -> Iterator[None]:
    """A write that runs out of space leaves no partial chunk: the client sends it again, whole, later.

    The file this upload created is removed (if the name is still ours); a
    file that was there is cut back to its size before the write, which,
    shrinking, needs no space.
    """
    before = os.fstat(fd).st_size
    try:
        yield
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        with suppress(OSError):
            if (
                created
                and os.stat(target.name, dir_fd=target.dir_fd, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            ):
                os.unlink(target.name, dir_fd=target.dir_fd)
            else:
                os.ftruncate(fd, before)
        raise _store_full(target.rel, exc) from None


def _check_offset(target: Target, offset: int, current: int) -> None:
    if offset > current:
        raise errors.GenericError(
            f"Incorrect upload offset for {target.rel}: the file has {current} bytes, the chunk starts at {offset}"
        )


def _missing_offset(target: Target, offset: int) -> errors.GenericError:
    return errors.GenericError(
        f"Incorrect upload offset for {target.rel}: the file has 0 bytes, the chunk starts at {offset}"
    )


def upload_file(
    ctx: Context,
    reldir: Any,
    name: Any,
    size: int | None,
    checksum: Any,
    offset: int,
    contents: bytes,
    volume: Any = None,
) -> bool:
    """Koji's legacy ``uploadFile``: False when a chunk or the whole file fails its check.

    ``checksum`` is an md5 hex string or a ``[type, hex]`` pair; ``offset`` -1
    ends the upload: ``size`` is then the whole length and the digest the
    whole file's.
    """
    if isinstance(checksum, str):
        verify, expected = "md5", checksum
    elif checksum is None:
        verify, expected = None, None
    elif isinstance(checksum, (list, tuple)) and len(checksum) == 2:
        verify, expected = checksum
    else:
        raise errors.GenericError(f"Invalid checksum: {checksum!r}")
    digest_class = verify_class(verify)
    if offset < -1:
        raise errors.ParameterError(f"Invalid upload offset: {offset}")
    if size is not None and size < 0:
        raise errors.ParameterError(f"Invalid upload size: {size} (it cannot be negative)")
    if offset != -1:
        if size is not None and size != len(contents):
            return False
        if digest_class is not None and expected != digest_class(contents).hexdigest():
            return False
    with destination(ctx, reldir, name, volume, create=True) as target:
        try:
            fd, existed = open_file(target, write=True, create=offset in (0, -1))
        except FileNotFoundError:
            raise _missing_offset(target, offset) from None
        try:
            lock(fd, target, exclusive=True)
            if existed and offset == 0 and not target.name.endswith(".log"):
                # logs may be sent again from the start, for live viewing
                raise errors.GenericError(f"file already exists: {target.rel}")
            return _write_legacy(fd, target, not existed, size, digest_class, expected, offset, contents)
        finally:
            os.close(fd)


def _write_legacy(
    fd: int,
    target: Target,
    created: bool,
    size: int | None,
    digest_class: Any,
    expected: Any,
    offset: int,
    contents: bytes,
) -> bool:
    if offset == 0 or (offset == -1 and size == len(contents)):
        os.ftruncate(fd, 0)
    current = os.fstat(fd).st_size
    _check_offset(target, offset, current)
    os.lseek(fd, current if offset == -1 else offset, os.SEEK_SET)
    with _taken_back_if_full(fd, target, created):
        _write_all(fd, contents)
    if offset != -1:
        return True
    if size is not None:
        if size > os.fstat(fd).st_size:
            return False  # never pad a short file with zeros
        os.ftruncate(fd, size)
    if digest_class is not None:
        return expected == _file_digest(fd, digest_class, 0)
    return True


def _file_digest(fd: int, digest_class: Any, start: int) -> Any:
    os.lseek(fd, start, os.SEEK_SET)
    digest = digest_class()
    while piece := os.read(fd, PIECE):
        digest.update(piece)
    return digest.hexdigest()


def check_upload(
    ctx: Context, reldir: Any, name: Any, verify: Any = None, tail: Any = None, volume: Any = None
) -> dict | None:
    """Size and mtime of an upload, with its digest (or its last ``tail`` bytes') if asked."""
    digest_class = verify_class(verify)
    if tail is not None and (not isinstance(tail, int) or tail < 0):
        raise errors.GenericError(f"Invalid tail value: {tail!r}")
    with destination(ctx, reldir, name, volume) as target:
        if target is None:
            return None
        try:
            fd, _ = open_file(target, write=False)
        except FileNotFoundError:
            return None
        try:
            lock(fd, target, exclusive=False)
            info = os.fstat(fd)
            data: dict = {"size": info.st_size, "mtime": info.st_mtime}
            if digest_class is not None:
                start = max(info.st_size - tail, 0) if tail is not None else 0
                data["sumlength"] = info.st_size - start
                data["hexdigest"] = _file_digest(fd, digest_class, start)
            return data
        finally:
            os.close(fd)
