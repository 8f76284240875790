"""Hot read paths that skip SQLAlchemy's statement machinery.

Building and executing a Core statement costs tens of microseconds of
Python per call; the hub's hottest reads (the session check on every
logged-in call, ``getHost``) run on every request, so they go straight to
the DBAPI cursor.  SQL is written once with ``:name`` placeholders and
translated to each driver's paramstyle the first time it runs there.
Only reads belong here: writes go through Core, where the request notices
them (and so commits and advances the call number).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Connection

_PLACEHOLDER = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


class RawQuery:
    """A read-only SQL text, run on the request's connection's DBAPI cursor."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self._by_style: dict[str, str] = {}
        self._names: list[str] | None = None  # the same text always yields the same columns

    def _for(self, conn: Connection) -> str:
        # sqlite3 takes :name whatever SQLAlchemy's qmark setting says.
        style = "named" if conn.dialect.name == "sqlite" else conn.dialect.paramstyle
        text = self._by_style.get(style)
        if text is None:
            if style == "named":
                text = self.sql
            elif style == "pyformat":
                text = _PLACEHOLDER.sub(r"%(\1)s", self.sql.replace("%", "%%"))
            else:
                raise NotImplementedError(f"paramstyle {style}")
            self._by_style[style] = text
        return text

    def rows(self, conn: Connection, params: dict[str, Any]) -> tuple[list[str], list[tuple]]:
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if conn.dialect.name == "postgresql":
                # Server-side prepared at once: planning the session check costs
                # more than running it, and these texts run on every request.
                cursor.execute(self._for(conn), params, prepare=True)
            else:
                cursor.execute(self._for(conn), params)
            if self._names is None:
                # psycopg builds column objects on each .description: read it once.
                self._names = [d[0] for d in cursor.description]
            return self._names, cursor.fetchall()
        finally:
            cursor.close()

    def one(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any] | None:
        names, rows = self.rows(conn, params)
        return dict(zip(names, rows[0], strict=True)) if rows else None

    def all(self, conn: Connection, params: dict[str, Any]) -> list[dict[str, Any]]:
        names, rows = self.rows(conn, params)
        return [dict(zip(names, row, strict=True)) for row in rows]
