"""Task output: the files under ``topdir/work/tasks/<id % 10000>/<id>/``, listed and read.

Only regular files count.  Nothing is reached through a symlink: the task
directory is opened component by component with ``O_NOFOLLOW`` (see
domain/uploads.py), walked without following links, and a link in place of a
file is neither listed nor read.
"""

from __future__ import annotations

import base64
import logging
import os
import stat
from typing import Any

from sqlalchemy import select

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import uploads
from kiln.protocol import errors

log = logging.getLogger(__name__)

DEFAULT_VOLUME = "DEFAULT"
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def task_id_value(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.ParameterError(f"Invalid task id: {value!r}")
    return value


def _stat_map(info: os.stat_result) -> dict:
    """Koji's stat entry: the size as a string (it may pass 32 bits), times as floats."""
    return {
        "st_atime": info.st_atime,
        "st_ctime": info.st_ctime,
        "st_mtime": info.st_mtime,
        "st_size": str(info.st_size),
    }


def _open_task_dir(ctx: Context, task_id: int, below: list[str] | None = None) -> int | None:
    try:
        return uploads.open_dir(uploads.work_root(ctx), uploads.task_parts(task_id) + (below or []))
    except errors.GenericError as exc:  # a symlink or a file on the way: nothing to show
        log.warning("task %s output: %s", task_id, exc)
        return None


def walk(ctx: Context, task_id: int) -> list[tuple[str, os.stat_result]]:
    """Every regular file of the task's output, as (relative path, stat), sorted by path."""
    top = _open_task_dir(ctx, task_id)
    if top is None:
        return []
    found = []
    try:
        for dirpath, _dirs, filenames, dir_fd in os.fwalk(".", dir_fd=top):
            prefix = "" if dirpath == "." else dirpath[2:] + "/"
            for filename in filenames:
                info = os.stat(filename, dir_fd=dir_fd, follow_symlinks=False)
                if stat.S_ISREG(info.st_mode):
                    found.append((prefix + filename, info))
    finally:
        os.close(top)
    return sorted(found, key=lambda item: item[0])


def list_output(
    ctx: Context, task_id: int, with_stat: bool = False, all_volumes: bool = False, strict: bool = False
) -> list | dict:
    """Koji's ``listTaskOutput`` shapes: names, ``{name: stat}``, ``{name: [volume]}``, ``{name: {volume: stat}}``."""
    if strict:
        found = ctx.conn.execute(select(tables.task.c.id).where(tables.task.c.id == task_id)).first()
        if found is None:
            raise errors.GenericError("Task doesn't exist")
    files = walk(ctx, task_id)
    if not (with_stat or all_volumes):
        return [name for name, _info in files]
    if not with_stat:
        return {name: [DEFAULT_VOLUME] for name, _info in files}
    if not all_volumes:
        return {name: _stat_map(info) for name, info in files}
    return {name: {DEFAULT_VOLUME: _stat_map(info)} for name, info in files}


def read_output(
    ctx: Context, task_id: int, file_name: Any, offset: int = 0, size: int = -1, volume: Any = None
) -> bytes:
    """``size`` bytes (all when negative) of a task's file from ``offset`` (from the end when negative)."""
    uploads.check_volume(volume)
    if not isinstance(file_name, str) or ".." in file_name or "\0" in file_name:
        raise errors.GenericError(f"Invalid file name: {file_name}")
    missing = errors.GenericError(f'no file "{file_name}" output by task {task_id}')
    parts = [p for p in file_name.split("/") if p not in ("", ".")]
    if not parts:
        raise missing
    dir_fd = _open_task_dir(ctx, task_id, parts[:-1])
    if dir_fd is None:
        raise missing
    try:
        fd = os.open(parts[-1], _READ_FLAGS, dir_fd=dir_fd)
    except OSError:
        raise missing from None
    finally:
        os.close(dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise missing
        start = offset if offset >= 0 else max(info.st_size + offset, 0)
        return _read_range(fd, start, size)
    finally:
        os.close(fd)


def _read_range(fd: int, start: int, size: int) -> bytes:
    os.lseek(fd, start, os.SEEK_SET)
    pieces = []
    left = size
    while left != 0:
        piece = os.read(fd, uploads.PIECE * 16 if left < 0 else min(left, uploads.PIECE * 16))
        if not piece:
            break
        pieces.append(piece)
        if left > 0:
            left -= len(piece)
    return b"".join(pieces)


def download(ctx: Context, task_id: int, file_name: Any, offset: int = 0, size: int = -1, volume: Any = None) -> str:
    """Koji's ``downloadTaskOutput`` reply: the bytes as base64 text."""
    return base64.b64encode(read_output(ctx, task_id, file_name, offset, size, volume)).decode("ascii")
