"""Hot read paths that skip SQLAlchemy's statement machinery.

Building and executing a Core statement costs tens of microseconds of
Python per call; the hub's hottest reads (the session check on every
logged-in call, ``getHost``) run on every request, so they go straight to
the DBAPI cursor.  SQL is written once with ``:name`` placeholders and
translated to each driver's paramstyle the first time it runs there.
Only reads belong here: writes go through Core, where the request notices
them (and so commits and advances the call number).  The one exception is
``run_then_commit``: the bookkeeping a committing request does last.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Hashable
from typing import Any, ClassVar

from psycopg.pq import TransactionStatus
from sqlalchemy import bindparam, false, true
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from kiln.hub.db.engine import simple_query, take_pending_begin

_PLACEHOLDER = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


def _style(conn: Connection) -> str:
    # sqlite3 takes :name whatever SQLAlchemy's qmark setting says.
    return "named" if conn.dialect.name == "sqlite" else conn.dialect.paramstyle


def _in_style(sql: str, style: str) -> str:
    if style == "named":
        return sql
    if style == "pyformat":
        return _PLACEHOLDER.sub(r"%(\1)s", sql.replace("%", "%%"))
    raise NotImplementedError(f"paramstyle {style}")


def run_then_commit(conn: Connection, statements: list[tuple[str, dict[str, Any]]]) -> None:
    """Run ``statements`` and commit, in one round trip on PostgreSQL.

    There they go as one text with their values written in, the COMMIT
    last, through libpq's simple protocol (db/engine.py, ``simple_query``):
    one round trip and little Python, where psycopg's pipeline would save
    the trips but spend more CPU than it saves.  The caller's own
    ``conn.commit()`` then finds the transaction closed (psycopg asks libpq)
    and sends nothing.  Values must be numbers, booleans or None: the
    statements are the hub's own bookkeeping, never a user's text.
    Elsewhere the statements simply run (SQLite's are calls into a library,
    with no trip to pay for).
    """
    if conn.dialect.name == "postgresql":
        begin = take_pending_begin(conn)
        in_transaction = begin or conn.connection.driver_connection.info.transaction_status != TransactionStatus.IDLE
        parts = ["BEGIN"] if begin else []
        parts += [_PLACEHOLDER.sub(lambda m, p=params: _literal(p[m.group(1)]), sql) for sql, params in statements]
        if in_transaction:
            parts.append("COMMIT")
        simple_query(conn, "; ".join(parts))
        return
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        for sql, params in statements:
            for value in params.values():
                _literal(value)  # the same contract on both databases
            cursor.execute(sql, params)
    finally:
        cursor.close()


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    raise TypeError(f"only finite numbers, booleans and None are written into SQL, not {value!r}")


class RawQuery:
    """A read-only SQL text, run on the request's connection's DBAPI cursor."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self._by_style: dict[str, str] = {}
        self._names: list[str] | None = None  # the same text always yields the same columns

    def _for(self, conn: Connection) -> str:
        style = _style(conn)
        text = self._by_style.get(style)
        if text is None:
            text = self._by_style[style] = _in_style(self.sql, style)
        return text

    def rows(self, conn: Connection, params: dict[str, Any]) -> tuple[list[str], list[tuple]]:
        self._before(conn)
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if conn.dialect.name == "postgresql":
                # Server-side prepared at once: planning the session check costs
                # more than running it, and these texts run on every request.
                # A writing request's BEGIN still waits (db/engine.py): under
                # READ COMMITTED a read sees the same inside and outside it.
                cursor.execute(self._for(conn), params, prepare=True)
            else:
                cursor.execute(self._for(conn), params)
            if self._names is None:
                # psycopg builds column objects on each .description: read it once.
                self._names = [d[0] for d in cursor.description]
            return self._names, cursor.fetchall()
        finally:
            cursor.close()

    def _before(self, conn: Connection) -> None:
        pass

    def one(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any] | None:
        names, rows = self.rows(conn, params)
        return dict(zip(names, rows[0], strict=True)) if rows else None

    def all(self, conn: Connection, params: dict[str, Any]) -> list[dict[str, Any]]:
        names, rows = self.rows(conn, params)
        return [dict(zip(names, row, strict=True)) for row in rows]


class RawSelect(RawQuery):
    """A Core statement compiled once per database and run on the DBAPI cursor.

    The hot reads of the API (getTaskInfo, getBuild, getTag ... one object or
    one short list by a key) are written in Core once, at import, with
    ``bindparam`` for what the call gives; running them here skips the tens of
    microseconds Core spends per execution (cache key, result object) while
    the values come back as Core would give them: each column's result
    conversion (SQLite's 0/1 to bool, JSON text to data) is applied.  Lists
    of keys (``IN``) stay with Core, where a batch pays its cost once.
    """

    def __init__(self, statement: Any) -> None:
        super().__init__("")
        self.statement = statement
        # Per database: the values Core wrote into the statement (its literals
        # become parameters too), the conversions Core applies to values going
        # in, and those it applies to each column coming out.
        self._compiled: dict[str, tuple[dict[str, Any], list[tuple[str, Any]], list[tuple[int, Any]]]] = {}

    def _for(self, conn: Connection) -> str:
        name = conn.dialect.name
        text = self._by_style.get(name)
        if text is None:
            # Both drivers take named parameters: sqlite3 :name, psycopg %(name)s.
            dialect = sqlite.dialect(paramstyle="named") if name == "sqlite" else conn.dialect
            compiled = self.statement.compile(dialect=dialect)
            if compiled.post_compile_params:
                raise ValueError("RawSelect takes no expanding IN parameters: run lists through Core")
            fixed = {key: value for key, value in compiled.params.items() if value is not None}
            # Not public API (the same in RawWrite's first use): a change in
            # SQLAlchemy shows in the first test that reads a task.
            binds = list(compiled._bind_processors.items())
            results = [(i, c.type.result_processor(conn.dialect, None)) for i, c in enumerate(compiled._result_columns)]
            self._compiled[name] = (fixed, binds, [(i, f) for i, f in results if f is not None])
            self._names = [c.keyname for c in compiled._result_columns] or None
            text = self._by_style[name] = compiled.string
        return text

    def rows(self, conn: Connection, params: dict[str, Any]) -> tuple[list[str], list[tuple]]:
        self._for(conn)  # compiles on first use, filling _compiled
        fixed, binds, results = self._compiled[conn.dialect.name]
        params = {**fixed, **params}
        for key, proc in binds:
            value = params.get(key)
            if value is not None:
                params[key] = proc(value)
        names, rows = super().rows(conn, params)
        if results and rows:
            converted = []
            for row in rows:
                values = list(row)
                for i, proc in results:
                    values[i] = proc(values[i])
                converted.append(values)
            rows = converted
        return names, rows


class RawWrite(RawSelect):
    """A hot write (a Core statement, compiled once per database) on the DBAPI cursor.

    For the few writes that run on most requests of their kind (makeTask's
    INSERT): SQLAlchemy's execution around a statement costs more CPU than
    PostgreSQL spends running it.  The statement is still written in Core,
    once, for both databases; what Core would do around it is done here: the
    request is marked as one that wrote (so it commits and advances the call
    number) and, on PostgreSQL, its pending BEGIN goes first.
    """

    def _before(self, conn: Connection) -> None:
        if not conn.info.get("write", True):
            raise RuntimeError("a method declared read-only tried to write; declare it with writes=True")
        conn.info["wrote"] = True
        if conn.dialect.name == "postgresql" and take_pending_begin(conn):
            simple_query(conn, "BEGIN")


class Where:
    """A dynamic WHERE (listTasks' filters...) as a shape and values, kept apart.

    Tests are added as (column, operator, value); values become numbered
    parameters, so calls with the same filters but other values share one
    compiled statement (``SelectCache``): ``key`` is the shape, ``params`` the
    values, and ``clauses`` builds the Core conditions only when a shape is
    first seen.  Operators: ``=``, ``!=``, ``<``, ``>``, ``like`` (a pattern
    as given), ``prefix`` (text the column starts with, wildcards in it
    escaped), ``in``, ``not in``, ``is null``, ``is not null``.
    """

    _COMPARE: ClassVar[dict[str, Callable[[Any, Any], Any]]] = {
        "=": operator.eq,
        "!=": operator.ne,
        "<": operator.lt,
        ">": operator.gt,
    }

    def __init__(self) -> None:
        self.tests: list[tuple[Any, str, int]] = []
        self.params: dict[str, Any] = {}

    def add(self, column: Any, op: str, value: Any = None) -> None:
        i = len(self.tests)
        if op in ("in", "not in"):
            values = list(value)
            self.params.update((f"w{i}_{j}", v) for j, v in enumerate(values))
            self.tests.append((column, op, len(values)))
        elif op in ("is null", "is not null"):
            self.tests.append((column, op, 0))
        elif op == "prefix":
            escaped = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
            self.params[f"w{i}"] = escaped + "%"
            self.tests.append((column, op, 1))
        elif op in self._COMPARE or op == "like":
            self.params[f"w{i}"] = value
            self.tests.append((column, op, 1))
        else:
            raise ValueError(f"unknown operator {op!r}")

    @property
    def key(self) -> tuple:
        return tuple(self.tests)

    def clauses(self) -> list:
        out = []
        for i, (column, op, n) in enumerate(self.tests):
            if op in ("in", "not in"):
                if n == 0:  # as Core answers an empty IN: nothing is in it
                    out.append(false() if op == "in" else true())
                    continue
                binds = [bindparam(f"w{i}_{j}", type_=column.type) for j in range(n)]
                out.append(column.in_(binds) if op == "in" else column.not_in(binds))
            elif op == "is null":
                out.append(column.is_(None))
            elif op == "is not null":
                out.append(column.is_not(None))
            elif op == "like":
                out.append(column.like(bindparam(f"w{i}", type_=column.type)))
            elif op == "prefix":
                out.append(column.like(bindparam(f"w{i}", type_=column.type), escape="/"))
            else:
                out.append(self._COMPARE[op](column, bindparam(f"w{i}", type_=column.type)))
        return out


class SelectCache:
    """RawSelects of a dynamic query, one per shape (its filters, order, paging), built on first use.

    The shapes callers send are few (the CLI's, the web's, kojira's); the
    cache forgets everything past ``size`` of them rather than grow without
    bound under a caller sending ever new ones.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._selects: dict[Hashable, RawSelect] = {}

    def get(self, key: Hashable, build: Callable[[], Any]) -> RawSelect:
        found = self._selects.get(key)
        if found is None:
            if len(self._selects) >= self.size:
                self._selects.clear()
            found = self._selects[key] = RawSelect(build())
        return found
