"""Waking builders that wait in ``host.getTasks`` when there may be work for them.

A request that makes work available (a new task, a freed or refused one, an
assignment) calls ``announce(ctx)``.  Waiters in every hub process learn of
it within milliseconds of the commit:

- in this process, at once (a condition variable);
- in other processes on PostgreSQL, through ``NOTIFY kiln_tasks``, sent in
  the writing transaction so that it is delivered only if it commits; one
  thread per process LISTENs, on a connection of its own (``listen_url``,
  the hub's ``listen_db``: LISTEN needs a session, which a transaction-pooling
  PgBouncer does not give) that it makes again whenever it is lost;
- in other processes on SQLite (one machine by construction), through the
  modification time of a file next to the database, which one thread per
  process polls every few milliseconds, and only while someone waits.

A wakeup only says "look again": the waiter then claims work through the
database, so a spurious or lost wakeup costs a query or a timeout, never a
wrong answer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiln.hub.context import Context

log = logging.getLogger(__name__)

CHANNEL = "kiln_tasks"
POLL_SECONDS = 0.002
# Seconds between attempts to listen again while the database is away.
RETRY_SECONDS = 1.0
# libpq settings for the listening connection, unless its URL sets them: a short connect
# timeout, and TCP keepalives so that a server that vanished without a word (a host down,
# a dropped route) is noticed within about a minute rather than never.
_LISTEN_OPTIONS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class Wakeups:
    """One per hub process."""

    def __init__(self, db_url: str, max_waiters: int, listen_url: str | None = None) -> None:
        self.db_url = db_url
        self.listen_url = listen_url or db_url
        self.max_waiters = max_waiters
        self._cond = threading.Condition()
        self._seq = 0
        self._waiters = 0
        self._thread: threading.Thread | None = None
        self._stop = False
        self._is_pg = db_url.startswith("postgresql")
        self._flag_path = None if self._is_pg else _flag_path(db_url)
        self._flag_mtime = self._mtime()

    # --- writers -------------------------------------------------------------

    def announce(self, ctx: Context) -> None:
        """There may be new work: wake waiters once this request commits."""
        if self._is_pg:
            ctx.at_commit(f"NOTIFY {CHANNEL}")
        ctx.on_commit(self._after_commit)

    def _after_commit(self) -> None:
        if self._flag_path is not None:
            try:
                now = time.time_ns()
                with open(self._flag_path, "a"):
                    pass
                os.utime(self._flag_path, ns=(now, now))
            except OSError:
                log.exception("could not touch %s", self._flag_path)
        self._bump()

    # --- waiters -------------------------------------------------------------

    def seq(self) -> int:
        """Take this before looking for work; ``wait`` returns early if it moved since."""
        return self._seq

    def wait(self, seq: int, timeout: float) -> bool | None:
        """Sleep until something was announced after ``seq`` (True) or ``timeout`` passes (False).

        Returns None at once, without waiting, when this process already has
        ``max_waiters`` waiting: the threads must stay free for other calls.
        """
        with self._cond:
            if self._waiters >= self.max_waiters or self._stop:
                return None
            self._ensure_thread()
            self._waiters += 1
            self._cond.notify_all()  # the SQLite poller sleeps while nobody waits
            try:
                woken = self._cond.wait_for(lambda: self._seq != seq or self._stop, timeout)
                return None if self._stop else woken
            finally:
                self._waiters -= 1

    def close(self) -> None:
        """The worker is shutting down: every waiter answers now, with what it has."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    @property
    def waiting(self) -> int:
        return self._waiters

    def _bump(self) -> None:
        with self._cond:
            self._seq += 1
            self._cond.notify_all()

    # --- the listening thread ------------------------------------------------

    def _ensure_thread(self) -> None:
        if not self._is_pg and self._flag_path is None:
            return  # an in-memory database: one process, local wakeups are all there is
        if self._thread is None or not self._thread.is_alive():
            target = self._listen_pg if self._is_pg else self._poll_file
            self._thread = threading.Thread(target=target, name="kiln-wakeups", daemon=True)
            self._thread.start()

    def _mtime(self) -> int:
        if self._flag_path is None:
            return 0
        try:
            return os.stat(self._flag_path).st_mtime_ns
        except OSError:
            return 0

    def _poll_file(self) -> None:
        while not self._stop:
            with self._cond:
                self._cond.wait_for(lambda: self._waiters > 0 or self._stop)
            mtime = self._mtime()
            if mtime != self._flag_mtime:
                self._flag_mtime = mtime
                self._bump()
            time.sleep(POLL_SECONDS)

    def _listen_pg(self) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        url = self.listen_url.replace("postgresql+psycopg://", "postgresql://", 1)
        given = conninfo_to_dict(url)
        options = {key: value for key, value in _LISTEN_OPTIONS.items() if key not in given}
        failing = False
        while not self._stop:
            try:
                with psycopg.connect(url, autocommit=True, **options) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if failing:
                        log.warning("listening for task wakeups again")
                        failing = False
                    self._bump()  # anything announced while we were not listening
                    for _ in conn.notifies():
                        self._bump()
            except Exception as exc:
                # Once per outage (the database restarting, stopped, unreachable), not every second.
                if not failing:
                    log.warning("listening for task wakeups failed (%s); retrying", _first_line(exc))
                    failing = True
                time.sleep(RETRY_SECONDS)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).splitlines()
    return lines[0] if lines else type(exc).__name__


def _flag_path(db_url: str) -> str | None:
    path = db_url.split("///", 1)[-1] if "///" in db_url else ""
    if not path or path == ":memory:":
        return None
    return path + "-wakeup"
