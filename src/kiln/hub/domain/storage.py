"""Filing files under topdir (packages/, scratch/) so that a request that does not commit leaves none.

The database rolls back by itself; files do not.  ``Filing`` puts files in
place (a hard link where it can, else a copy: the work area and the target
may be different filesystems) and remembers what it made, the directories
included, so that ``undo`` removes exactly that.  It is registered with
``ctx.on_rollback``, and a caller that catches its own failure (a call in a
multicall rolls back only its savepoint, and the request may still commit)
calls ``undo`` itself; undoing twice is harmless.

A full file system (or quota) is told as such (``store_full``), without the
server's paths; what was filed so far is undone like any other failure, and
the sources stay where they were, so the same call succeeds once there is room.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from kiln.hub.context import Context
from kiln.protocol import errors

log = logging.getLogger(__name__)

FULL = (errno.ENOSPC, errno.EDQUOT)


def store_full(rel: str, exc: OSError) -> errors.GenericError:
    """The fault for a full file system or quota: what could not be written, never where it lives."""
    return errors.GenericError(f"the hub's file store is full: {rel} could not be written ({os.strerror(exc.errno)})")


class Filing:
    def __init__(self, ctx: Context) -> None:
        self._files: list[Path] = []
        self._dirs: list[Path] = []
        self._topdir = Path(ctx.settings.topdir)
        ctx.on_rollback(self.undo)

    def _make_dirs(self, directory: Path) -> None:
        missing = []
        for parent in (directory, *directory.parents):
            if parent.exists():
                break
            missing.append(parent)
        for made in reversed(missing):
            try:
                made.mkdir()
            except FileExistsError:  # another request made it meanwhile: not ours to remove
                continue
            except OSError as exc:
                if exc.errno not in FULL:
                    raise
                raise self._full(made, exc) from None
            self._dirs.append(made)

    def put(self, source: Path, target: Path) -> Path:
        """``source`` at ``target`` (which must not exist yet), undone with the rest."""
        taken = errors.GenericError(f"already filed: {self._relative(target)}")
        if target.exists() or target.is_symlink():
            raise taken
        self._make_dirs(target.parent)
        try:
            os.link(source, target)
        except FileExistsError:
            raise taken from None
        except OSError:  # another filesystem, or links not allowed: a copy
            try:
                self._copy(source, target)
            except FileExistsError:
                raise taken from None
            except OSError as exc:
                if exc.errno not in FULL:
                    raise
                raise self._full(target, exc) from None
            return target
        self._files.append(target)
        return target

    def _copy(self, source: Path, target: Path) -> None:
        """``source``'s bytes and times at ``target``, made here (never another request's file, made meanwhile)."""
        with open(source, "rb") as src, open(target, "xb") as dst:
            self._files.append(target)
            shutil.copyfileobj(src, dst, 1 << 20)
        shutil.copystat(source, target)

    def _full(self, path: Path, exc: OSError) -> errors.GenericError:
        rel = self._relative(path)
        log.warning("filing %s: the file store is full: %s", rel, exc)
        return store_full(rel, exc)

    def _relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self._topdir))
        except ValueError:
            return path.name

    def undo(self) -> None:
        """Remove what was filed, then the directories made for it (those left empty)."""
        files, self._files = self._files, []
        dirs, self._dirs = self._dirs, []
        for path in reversed(files):
            path.unlink(missing_ok=True)
        for path in reversed(dirs):
            with contextlib.suppress(OSError):  # not empty (someone else's file), or gone already
                path.rmdir()


def component(name: Any, what: str) -> str:
    """``name`` as one path component under topdir: refused if it could lead elsewhere (``..``, ``/``, NUL)."""
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\0" in name:
        raise errors.GenericError(f"{what} {name!r} cannot name a directory under topdir")
    return name


_TASK_DIR = re.compile(r"^tasks/([0-9]+)/([0-9]+)$")


def task_of_upload_dir(upload_dir: Any) -> int | None:
    """The task whose output directory ``tasks/<id % 10000>/<id>`` this is (ASCII digits only), else None."""
    match = _TASK_DIR.match(upload_dir) if isinstance(upload_dir, str) else None
    if match is None or match.group(1) != str(int(match.group(2)) % 10000):
        return None
    return int(match.group(2))
