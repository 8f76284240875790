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

from kiln.protocol import errors

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Seconds libpq may take to connect to PostgreSQL (its connect_timeout) when the URL does not say.
CONNECT_TIMEOUT = 5


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
        # No bound on connections: on SQLite every writer queues at the one
        # write lock anyway, and a pool bound made a second queue in front of
        # it: with 20 builders checking in at once, a login waited out the
        # pool's 30 s for a 16th connection while 15 requests held theirs in
        # the lock's queue.  A connection is a file handle; a worker has at
        # most as many as its threads.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            pool_reset_on_return=None,
            pool_size=5,
            max_overflow=-1,
        )
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    # A database that does not answer must not hold a request for the OS's TCP timeout: libpq's
    # connect_timeout, unless the URL sets its own (?connect_timeout=N).
    connect_args = {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT}
    engine = create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        pool_pre_ping=False,
        pool_reset_on_return=None,
        connect_args=connect_args,
    )
    _configure_postgresql(engine)
    return engine


# What a database raises for a value it cannot take (a number out of a column's
# range, text where it wants a number): the caller's mistake, not the hub's.
DATA_ERRORS = (sqlalchemy.exc.DataError, psycopg.DataError, OverflowError)

# SQLSTATEs that say the server went away or takes no connections now, rather than that a
# statement failed: besides class 08 (connection exception), admin and crash shutdown, and
# "cannot connect now" (starting up, shutting down, in recovery).
_OFFLINE_STATES = ("57P01", "57P02", "57P03")


class DatabaseUnavailable(errors.ServerOffline):
    """The hub's database cannot be reached: no connection could be made, or the request's was lost.

    ``connecting`` says which: a request that could not connect is not tried again (the
    database did not answer just now), one whose connection died under it may be.  It is
    Koji's ServerOffline, with a text that never names the database's address: a call of a
    multicall that meets it is that call's fault as it stands.
    """

    def __init__(self, connecting: bool) -> None:
        super().__init__(OFFLINE_MESSAGE)
        self.connecting = connecting


# What a caller is told while the database cannot be reached.
OFFLINE_MESSAGE = "the hub's database is not available at the moment; try again later"


def is_offline(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached (refused, shut down, connection lost).

    A statement that failed (a constraint, a lock timeout, a cancelled query) is
    not.  Asked only once something has failed: a request that succeeds never
    pays for it.  SQLite has no outage of this kind.
    """
    for _ in range(4):  # the exception, what it wraps, what it was raised from
        if exc is None:
            return False
        if isinstance(exc, DatabaseUnavailable):
            return True
        if isinstance(exc, sqlalchemy.exc.DBAPIError):
            if exc.connection_invalidated:  # SQLAlchemy saw the disconnect itself
                return True
            exc = exc.orig
            continue
        if isinstance(exc, psycopg.Error):
            state = exc.sqlstate
            if state is None:  # libpq's own: refused, timed out, "the connection is closed"
                return isinstance(exc, psycopg.OperationalError)
            return state.startswith("08") or state in _OFFLINE_STATES
        exc = exc.__cause__
    return False


# The attribute of a disconnect error that says whether its connection had written (above).
WROTE_BEFORE_DISCONNECT = "kiln_wrote"


def wrote_before_disconnect(exc: BaseException | None) -> bool | None:
    """What a disconnect error noted about its connection's writes; None when it noted nothing."""
    for _ in range(4):
        if exc is None:
            return None
        noted = getattr(exc, WROTE_BEFORE_DISCONNECT, None)
        if noted is not None:
            return noted
        exc = exc.__cause__ or exc.__context__
    return None


def connect(engine: Engine) -> Connection:
    """A new connection; ``DatabaseUnavailable`` when the database cannot be reached."""
    try:
        return engine.connect()
    except sqlalchemy.exc.DBAPIError as exc:
        if is_offline(exc):
            raise DatabaseUnavailable(connecting=True) from exc
        raise


def connection_lost(conn: Connection) -> bool:
    """Whether ``conn`` died under its user (asked only after something failed)."""
    if conn.invalidated:
        return True
    if conn.closed:
        return False
    driver = conn.connection.driver_connection
    return bool(getattr(driver, "broken", False))


def ping(conn: Connection) -> None:
    """The cheapest question the database answers (the health check's), outside any transaction."""
    if conn.dialect.name == "postgresql":
        simple_query(conn, "SELECT 1")
    else:
        conn.connection.driver_connection.execute("SELECT 1").fetchall()


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

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        # SQLAlchemy is about to invalidate a connection it found dead, and with it conn.info:
        # the exception keeps whether the request had written (hub/app.py may then try again).
        if context.is_disconnect and context.connection is not None and context.sqlalchemy_exception is not None:
            try:
                wrote = bool(context.connection.info.get("wrote", True))
            except Exception:
                wrote = True
            setattr(context.sqlalchemy_exception, WROTE_BEFORE_DISCONNECT, wrote)


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
    fresh one.  Nothing pings a kept connection before use (that would cost
    a round trip a request): when one turns out dead (the database restarted
    or went away), the request's failure drops it with ``discard_idle``, and
    the hub may try that request once more on a new connection (hub/app.py).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        # Bumped by discard_idle: connections the pool made before it are not handed out again
        # (the pool's idle ones, e.g. a run-time update's, are as suspect as ours).  Pool events
        # run only when a connection is made or checked out of the pool, not per request.
        self._epoch = 0
        event.listen(engine, "connect", self._on_connect)
        event.listen(engine, "checkout", self._on_checkout)

    def _on_connect(self, _dbapi_conn: Any, record: Any) -> None:
        record.info[_EPOCH] = self._epoch

    def _on_checkout(self, _dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if record.info.get(_EPOCH, self._epoch) != self._epoch:
            # The pool drops this one and makes a new one (SQLAlchemy's documented way).
            raise sqlalchemy.exc.DisconnectionError("made before the database went away")

    def acquire(self) -> Connection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed or conn.invalidated:
            conn = connect(self.engine)
        return conn

    def release(self, conn: Connection, healthy: bool) -> None:
        if not healthy or conn.closed or conn.invalidated:
            # Not back to the pool: a connection in an unknown state (or a dead
            # one) would be handed out again, since nothing pings it.
            _drop(conn)
            return
        with self._lock:
            self._idle.append(conn)

    def discard_idle(self) -> None:
        """Drop every idle connection: the database went away, so they are all suspect."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._epoch += 1
        for conn in idle:
            _drop(conn)


_EPOCH = "kiln.epoch"


def _drop(conn: Connection) -> None:
    """Close ``conn`` for good (its pool slot is freed, its DBAPI connection closed); never raises."""
    try:
        if not conn.closed and not conn.invalidated:
            conn.invalidate()
        conn.close()
    except Exception:  # a dead connection may fail to say goodbye
        pass
