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

from sqlalchemy import bindparam, select

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.db.raw import RawSelect
from kiln.hub.domain import uploads
from kiln.protocol import errors

log = logging.getLogger(__name__)

DEFAULT_VOLUME = "DEFAULT"
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_TASK = RawSelect(select(tables.task.c.id).where(tables.task.c.id == bindparam("id")))


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


def walk(ctx: Context, task_id: int, with_stat: bool = True) -> list[tuple[str, os.stat_result | None]]:
    """Every regular file of the task's output, as (relative path, stat or None unless ``with_stat``), by path."""
    top = _open_task_dir(ctx, task_id)
    if top is None:
        return []
    found: list[tuple[str, os.stat_result | None]] = []
    try:
        _walk_dir(top, "", found, with_stat)
    finally:
        os.close(top)
    return sorted(found, key=lambda item: item[0])


def _walk_dir(dir_fd: int, prefix: str, found: list[tuple[str, os.stat_result | None]], with_stat: bool) -> None:
    """``found`` gets the regular files under ``dir_fd``; no symlink is followed.

    A task's log listing is polled by watchers: the entries' types (from
    the directory itself) pick the files and the directories to enter, and
    a file costs a system call only when its stat is asked for, where
    ``os.fwalk`` spends several more per directory making sure of what
    ``O_NOFOLLOW | O_DIRECTORY`` already does.
    """
    subdirs = []
    with os.scandir(dir_fd) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(entry.name)
            elif not entry.is_file(follow_symlinks=False):
                continue
            elif not with_stat:
                found.append((prefix + entry.name, None))
            else:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:  # gone since the listing
                    continue
                if stat.S_ISREG(info.st_mode):  # not swapped for something else since
                    found.append((prefix + entry.name, info))
    for name in subdirs:
        try:
            sub = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
        except OSError:  # gone, or swapped for a symlink or a file since the listing
            continue
        try:
            _walk_dir(sub, f"{prefix}{name}/", found, with_stat)
        finally:
            os.close(sub)


def list_output(
    ctx: Context, task_id: int, with_stat: bool = False, all_volumes: bool = False, strict: bool = False
) -> list | dict:
    """Koji's ``listTaskOutput`` shapes: names, ``{name: stat}``, ``{name: [volume]}``, ``{name: {volume: stat}}``."""
    if strict and _TASK.one(ctx.conn, {"id": task_id}) is None:
        raise errors.GenericError("Task doesn't exist")
    files = walk(ctx, task_id, with_stat)
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
        return _read_range(fd, min(start, info.st_size), size)  # past the end is nothing (and past lseek's range)
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
