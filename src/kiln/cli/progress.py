"""Progress bars for uploads and downloads, drawn with rich only where a person watches.

A bar is drawn on stderr, and only when stderr is a terminal and the
command was not given ``--noprogress`` or ``--quiet``: stdout keeps exactly
the lines koji prints (``Uploading srpm: ...``, ``Downloading [1/2]: ...``),
and a pipe or a log file never sees a carriage return.  ``rich`` is
imported only when a bar is drawn, so commands that draw none (and
``kiln --help``) do not pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# update(done, total): bytes done so far, of total (None: unknown).
Update = Callable[[int, "int | None"], None]


def wanted(noprogress: bool = False, quiet: bool = False) -> bool:
    """Whether to draw a bar: a terminal to draw on, and no option saying not to."""
    if noprogress or quiet:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _ignore(done: int, total: int | None) -> None:
    return None


@contextmanager
def bar(description: str, enabled: bool, transient: bool = False, total: int | None = None) -> Iterator[Update]:
    """A bar for one file; yields the function that moves it (a no-op when not ``enabled``).

    A ``transient`` bar is wiped when done (import's, after which koji's
    ``uploading X... done`` line is written).  ``total`` is the size when
    known at the start.
    """
    if not enabled:
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=transient) as progress:
        task = progress.add_task(description, total=total)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update
