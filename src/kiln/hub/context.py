"""The explicit context every API and domain function receives.

It replaces Koji's thread-local ``context`` global: the caller's session,
the request's database connection (checked out lazily, so calls that need no
database cost none) and the hub's settings travel as one argument.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine

from kiln.hub.db import tables
from kiln.hub.db.engine import (
    DatabaseUnavailable,
    KeptConnections,
    connect,
    connection_lost,
    wrote_before_disconnect,
)
from kiln.hub.db.raw import run_then_commit

if TYPE_CHECKING:
    from kiln.hub.auth import Session
    from kiln.hub.config import Settings
    from kiln.hub.plugins import Plugins


@dataclass
class Context:
    engine: Engine
    settings: Settings
    plugins: Plugins
    environ: dict = field(default_factory=dict)
    registry: Any = None  # rpc.Registry, for introspection calls
    session: Session | None = None
    write: bool = False  # the request may write: SQLite begins IMMEDIATE
    kept: KeptConnections | None = None  # the worker's connections; else one per request
    wakeups: Any = None  # hub.wakeups.Wakeups: tells waiting builders about new work
    in_multicall: bool = False  # the request's calls share one transaction: no pauses
    # Permission names by user id, read once per request (rpc.has_perm); the
    # session check fills in the caller's own.
    perms: dict[int, set[str]] = field(default_factory=dict)
    _conn: Connection | None = None
    paused: bool = False  # the request committed part of its work already (a long poll's pause)
    unavailable: bool = False  # a connection was needed and could not be made
    _event_id: int | None = None
    _on_commit: list[Callable[[], None]] = field(default_factory=list)
    _at_commit: list[tuple[str, dict]] = field(default_factory=list)
    _on_rollback: list[Callable[[], None]] = field(default_factory=list)

    @property
    def conn(self) -> Connection:
        """The request's connection, in its one transaction."""
        if self._conn is None:
            try:
                conn = self.kept.acquire() if self.kept else connect(self.engine)
            except DatabaseUnavailable:
                self.unavailable = True  # a multicall's calls each fail with it: the request says so once
                raise
            # Read by the engine's begin hook (db/engine.py): it decides how to BEGIN.
            conn.info["write"] = self.write
            conn.info["wrote"] = False
            if self.write:
                conn.begin()
            # A read-only request begins only when it first runs a Core
            # statement (SQLAlchemy's autobegin, the same begin hook): its
            # raw reads (db/raw.py) run before that, outside a transaction,
            # each seeing the latest commits, as every read does on
            # PostgreSQL under READ COMMITTED.
            self._conn = conn
        return self._conn

    @property
    def wrote(self) -> bool:
        return self._conn is not None and bool(self._conn.info.get("wrote"))

    @property
    def user_id(self) -> int | None:
        return self.session.user_id if self.session else None

    def event_id(self) -> int:
        """The event of the current call, created at its first versioned write."""
        if self._event_id is None:
            result = self.conn.execute(insert(tables.events).values(time=time.time()))
            self._event_id = result.inserted_primary_key[0]
        return self._event_id

    def new_call(self) -> None:
        """Each call of a multicall gets its own event, as in Koji."""
        self._event_id = None

    def on_commit(self, func: Callable[[], None]) -> None:
        """Run ``func`` once the request's transaction has committed (never if it rolls back)."""
        if func not in self._on_commit:
            self._on_commit.append(func)

    def on_rollback(self, func: Callable[[], None]) -> None:
        """Run ``func`` if the request fails or its commit does (undo work outside the transaction).

        A request that succeeds without writing to the database ends with a
        rollback too; that one keeps its work (see ``finish``).
        """
        self._on_rollback.append(func)

    def at_commit(self, sql: str, params: dict | None = None) -> None:
        """Run a statement last, just before COMMIT, and only if the request commits.

        For bookkeeping whose outcome nobody reads (the call number, a NOTIFY):
        on PostgreSQL these statements and the COMMIT travel in one round trip
        (db/raw.py, ``run_then_commit``), where each would otherwise wait for
        its own answer.  ``sql`` has ``:name`` placeholders for numbers only.
        """
        self._at_commit.append((sql, params or {}))

    def pause(self) -> None:
        """End the transaction so far and hand the connection back, e.g. before a long wait.

        What was written commits now; the next use of ``conn`` begins anew.
        """
        self.finish(self.wrote, failed=False)
        self._event_id = None
        self.paused = True

    def connection_lost(self) -> bool:
        """Whether the request's connection died under it (asked only once something failed)."""
        return self._conn is not None and connection_lost(self._conn)

    def may_have_written(self, exc: BaseException) -> bool:
        """Whether the request may have written anything, ``exc`` having ended it (asked only on failure).

        A connection SQLAlchemy invalidated has forgotten what it did; its
        error noted it (db/engine.py), else only a request declared read-only
        is known to have written nothing.
        """
        if self.paused:
            return True
        if self._conn is None:
            return False
        if self._conn.invalidated:
            noted = wrote_before_disconnect(exc)
            return self.write if noted is None else noted
        return self.wrote

    def drop_connection(self) -> None:
        """The connection is dead: close it for good rather than keep it (``finish`` still runs)."""
        if self._conn is not None and not self._conn.invalidated and not self._conn.closed:
            self._conn.invalidate()

    def finish(self, commit: bool, failed: bool = True) -> None:
        """Commit (or roll back) and let the connection go.

        ``failed=False`` says a rollback is only the end of a request that
        wrote nothing: the ``on_rollback`` undo then does not run.
        """
        conn, self._conn = self._conn, None
        callbacks, self._on_commit = self._on_commit, []
        statements, self._at_commit = self._at_commit, []
        undo, self._on_rollback = self._on_rollback, []
        if conn is None:
            return
        healthy = committed = False
        try:
            if commit:
                if statements:
                    run_then_commit(conn, statements)
                conn.commit()
                committed = True
            else:
                conn.rollback()
            healthy = True
        finally:
            if self.kept is not None:
                self.kept.release(conn, healthy)
            else:
                conn.close()
            if not committed and (commit or failed):
                for func in reversed(undo):
                    func()
        if committed:
            for func in callbacks:
                func()

    def remote_addr(self) -> str:
        return self.environ.get("REMOTE_ADDR", "")
