"""Koji's search: names of things matching a pattern, as ``koji search`` prints them.

A build's name is its N-V-R, an RPM's its file name (N-V-R.A.rpm).  ``glob``
matches case-insensitively with * and ?; ``regexp`` is a case-insensitive
regular expression searched anywhere in the name; anything else is an exact
match.  Regular expressions run in PostgreSQL (``~*``) or, on SQLite, in
Python; patterns whose backtracking could run away are refused.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import literal, select

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.protocol import errors

TYPES = ("package", "build", "tag", "target", "user", "host", "rpm", "maven", "win")


def _columns(kind: str) -> tuple[Any, Any, Any]:
    """(what to select from, the id, the name expression) for a kind of thing."""
    simple = {"package": tables.package, "tag": tables.tag, "target": tables.build_target, "user": tables.users}
    if kind in simple:
        table = simple[kind]
        return table, table.c.id, table.c.name
    if kind == "host":
        h, u = tables.host, tables.users
        return h.join(u, u.c.id == h.c.user_id), h.c.id, u.c.name
    if kind == "build":
        b, p = tables.build, tables.package
        name = p.c.name + literal("-") + b.c.version + literal("-") + b.c.release
        return b.join(p, p.c.id == b.c.pkg_id), b.c.id, name
    r = tables.rpminfo
    name = r.c.name + literal("-") + r.c.version + literal("-") + r.c.release + literal(".") + r.c.arch
    return r, r.c.id, name + literal(".rpm")


def search(ctx: Context, terms: Any, kind: Any, match_type: Any) -> list[dict]:
    if kind not in TYPES:
        raise errors.GenericError(f"No such search type: {kind}")
    if not isinstance(terms, str):
        raise errors.ParameterError(f"search terms must be a string, not {terms!r}")
    if kind in ("maven", "win"):
        return []  # kiln has no Maven or Windows builds
    source, id_column, name = _columns(kind)
    query = select(id_column.label("id"), name.label("name")).select_from(source)
    if match_type == "glob":
        pattern = terms.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = pattern.replace("*", "%").replace("?", "_")
        query = query.where(name.ilike(pattern, escape="\\"))
    elif match_type == "regexp":
        expression = _expression(terms)
        if ctx.conn.dialect.name == "postgresql":
            query = query.where(name.op("~*")(terms))
            expression = None
    else:
        query = query.where(name == terms)
    rows = [dict(r._mapping) for r in ctx.conn.execute(query.order_by(name))]
    if match_type == "regexp" and expression is not None:
        rows = [row for row in rows if expression.search(row["name"])]
    return rows


# A group with a quantifier inside, itself repeated: (a+)+, (x|y*)* ... the shapes whose backtracking
# can take exponential time.  Anyone may search, so such patterns are refused.
_NESTED_REPEAT = re.compile(r"\([^()]*[*+?}][^()]*\)\s*[*+{]")
MAX_PATTERN = 200


def _expression(terms: str) -> re.Pattern:
    if len(terms) > MAX_PATTERN or _NESTED_REPEAT.search(terms):
        raise errors.GenericError(
            f"Invalid regular expression {terms!r}: at most {MAX_PATTERN} characters, and no repeated group"
            " that itself repeats (such as (a+)+)"
        )
    try:
        return re.compile(terms, re.IGNORECASE)
    except re.error as exc:
        raise errors.GenericError(f"Invalid regular expression {terms!r}: {exc}") from None
