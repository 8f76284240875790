"""Engines for SQLite and PostgreSQL: transactions, and SQLite's one-writer rule, in one place.

SQLite allows one writer at a time.  A deferred transaction that reads and
then writes can fail at once with "database is locked" when another writer
got there first, whatever the busy timeout.  So a request that will write
starts with ``BEGIN IMMEDIATE`` (it waits its turn for the write lock up
front) and a read-only request starts a plain ``BEGIN``.  The dispatcher
knows which before it begins, from the method's declaration; it says so by
setting ``conn.info["write"]`` before the transaction starts.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy.exc
from psycopg.pq import ExecStatus
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

SQLITE_BUSY_TIMEOUT_MS = 30_000


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine tuned for the hub: WAL on SQLite, small pool on PostgreSQL."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Every request ends its transaction itself (Context.finish), so the
        # pool's reset-on-return rollback would be a second, wasted one.
        engine = create_engine(url, connect_args={"check_same_thread": False}, pool_reset_on_return=None)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=False, pool_reset_on_return=None)
    _configure_postgresql(engine)
    return engine


# What a database raises for a value it cannot take (a number out of a column's
# range, text where it wants a number): the caller's mistake, not the hub's.
DATA_ERRORS = (sqlalchemy.exc.DataError, psycopg.DataError, OverflowError)

# conn.info key: a writing request's BEGIN, not yet sent (see below).
BEGIN_PENDING = "kiln.begin_pending"


def _configure_postgresql(engine: Engine) -> None:
    """Transactions only for requests that write, and their BEGIN sent late.

    Under READ COMMITTED a transaction buys a read nothing (each statement sees
    the latest commits anyway) and costs the BEGIN and ROLLBACK round trips.
    Connections live in autocommit; a writing request sends BEGIN itself, and
    psycopg's commit() and rollback() then end that transaction.  The BEGIN
    waits for the transaction's first statement through SQLAlchemy (the raw
    reads of db/raw.py, the session check first of all, run before it: under
    READ COMMITTED they see the same either way) or for the bookkeeping that
    ends the request (``raw.run_then_commit``), which carries it along.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.autocommit = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.info[BEGIN_PENDING] = bool(conn.info.get("write", True))

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn: Connection, *_: Any) -> None:
        if take_pending_begin(conn):
            simple_query(conn, "BEGIN")


def simple_query(conn: Connection, text: str) -> None:
    """Parameterless statements (several, with ``;``) straight to libpq, answered at once.

    One round trip and a few microseconds of Python, where a psycopg cursor
    costs tens; psycopg reads the transaction status from libpq, so it stays
    in step.  Raises psycopg's error for the statement that failed.
    """
    result = conn.connection.driver_connection.pgconn.exec_(text.encode())
    if result.status not in (ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK):
        raise psycopg.errors.error_from_result(result)


def take_pending_begin(conn: Connection) -> bool:
    """Whether the caller must send the transaction's BEGIN now (it is then no longer pending)."""
    if conn.info.get(BEGIN_PENDING):
        conn.info[BEGIN_PENDING] = False
        return True
    return False


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (see module doc).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Straight to the driver: this runs on every request that reads.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


def gather_statistics(engine: Engine) -> None:
    """Let SQLite's planner know the tables' shapes (PostgreSQL does this itself).

    Without statistics SQLite picks indexes by their first column alone:
    listTasks over a million tasks then sorts them instead of walking the
    primary key.  Not sampled: with ``analysis_limit`` the estimates were
    wrong enough to keep the bad plan; a full ANALYZE of a million tasks takes
    under a second.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.info["write"] = True
        with conn.begin():
            conn.exec_driver_sql("ANALYZE")


# Tables whose size decides SQLite's plans for the listings users page through.
GROWING_TABLES = ("task", "build", "package", "tag", "users", "host", "tag_listing", "tag_packages", "rpminfo")


def statistics_stale(conn: Connection) -> bool:
    """Whether a growing table has more than doubled (by a thousand rows at least) since SQLite's planner
    statistics were gathered.

    Statistics gathered on a nearly empty database are worse than none: with
    them, SQLite planned the build list over 10,000 builds to take 44 s
    instead of 30 ms.  A table's row count at the last ANALYZE is the first
    number of its indexes' rows in sqlite_stat1; its size now is its largest
    rowid, read from the end of its b-tree.
    """
    if conn.dialect.name != "sqlite":
        return False
    known: dict[str, int] = {}
    try:
        for table, stat in conn.exec_driver_sql("SELECT tbl, stat FROM sqlite_stat1"):
            known[table] = max(known.get(table, 0), int(str(stat).split()[0]))
    except Exception:  # no statistics at all yet: the table appears with the first ANALYZE
        return True
    for table in GROWING_TABLES:
        size = conn.exec_driver_sql(f"SELECT max(rowid) FROM {table}").scalar() or 0
        if size > 2 * known.get(table, 0) + 1000:
            return True
    return False


def default_state_dir() -> Path:
    """Where a hub with nothing configured keeps its database and topdir."""
    return Path(os.environ.get("KILN_STATE_DIR", Path.cwd() / ".kiln"))


class KeptConnections:
    """Open connections kept between requests, the last returned handed out first.

    A request takes one and gives it back; checking a connection out of
    SQLAlchemy's pool and back for every request (and building its
    ``Connection``) costs about 45 us a request, a lock and a list a fraction
    of one.  A sync worker keeps one; a gthread worker as many as its threads
    ever used at once, which the pool behind (its size and overflow) still
    bounds: kept connections stay checked out of it.  A connection whose
    transaction could not be ended cleanly is dropped and replaced by a
    fresh one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def acquire(self) -> Connection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect()
        return conn

    def release(self, conn: Connection, healthy: bool) -> None:
        if not healthy or conn.closed or conn.invalidated:
            conn.close()
            return
        with self._lock:
            self._idle.append(conn)
