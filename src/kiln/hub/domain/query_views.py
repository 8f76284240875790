"""Koji's query views (repo.query, repo.queryQueue): clauses, fields and opts over one table's fields.

A clause is ``[field, op, value]`` or ``[field, value]`` (IN for a list,
= otherwise), all ANDed; ``fields`` is a list of names, ``'*'``/``'**'`` for
all of them, or None for the view's defaults; ``opts`` has ``order``,
``offset``, ``limit``, ``countOnly`` and ``asList`` (columns in the order of
their names, as Koji's query processor sorts them).  Clauses on a JSON field
(a repo's opts) compare parsed values in Python, as Koji's jsonb does in
PostgreSQL; the tables they apply to are small.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, and_, select

from kiln.hub.context import Context
from kiln.protocol import errors

_OPERATORS = ("IN", "=", "!=", ">", "<", ">=", "<=", "IS", "IS NOT", "@>", "<@")
_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


@dataclass
class View:
    name: str  # for messages: Koji names the query class
    columns: dict[str, Any]  # field -> SQL column (labelled)
    source: Any  # the FROM clause
    defaults: tuple[str, ...]
    json_fields: frozenset[str] = frozenset()
    # fields computed from others after the query (field -> (source field, function))
    derived: dict[str, tuple[str, Callable[[Any], Any]]] = field(default_factory=dict)

    def names(self) -> set[str]:
        return set(self.columns) | set(self.derived)


def _fields(view: View, fields: Any) -> list[str]:
    if fields in (None, [], ()):
        return list(view.defaults)
    if isinstance(fields, str):
        fields = sorted(view.names()) if fields in ("*", "**") else [fields]
    if not isinstance(fields, (list, tuple)):
        raise errors.ParameterError(f"Invalid fields for query {view.name}: {fields!r}")
    for name in fields:
        if not isinstance(name, str) or name not in view.names():
            raise errors.ParameterError(f"Invalid field for query {view.name}: {name}")
    return list(fields)


def clause_parts(clause: Any, operators: Any) -> tuple[Any, str, Any]:
    """``[field, op, value]``, or ``[field, value]`` (IN for a list, = otherwise), as Koji's QueryView reads them.

    ``operators``: those the caller's query takes (a container of upper-case names).
    """
    shape = f"give [field, op, value] with op in {list(operators)}"
    if not isinstance(clause, (list, tuple)) or len(clause) not in (2, 3):
        raise errors.ParameterError(f"Invalid clause: {clause!r}: {shape}")
    if len(clause) == 2:
        name, value = clause
        op = "IN" if isinstance(value, (list, tuple)) else "="
    else:
        name, op, value = clause
        op = op.upper() if isinstance(op, str) else op
    if op not in operators:
        raise errors.ParameterError(f"Invalid operator: {op} ({shape})")  # Koji's words first
    return name, op, value


def _clause(view: View, clause: Any) -> tuple[str, str, Any]:
    name, op, value = clause_parts(clause, _OPERATORS)
    if not isinstance(name, str) or name not in view.columns:
        raise errors.ParameterError(f"Invalid field for query {view.name}: {name}")
    if op in ("@>", "<@") and name not in view.json_fields:
        raise errors.ParameterError(f"Invalid operator for {name}: {op}")
    return name, op, value


def _operand(column: Any, value: Any) -> Any:
    """A clause's value as the field's column holds it, or ParameterError: PostgreSQL compares only like with like.

    Numbers given as text are read as numbers (Koji's PostgreSQL does so);
    an id beyond the column's 32 bits, a struct or an array is refused.
    """
    if value is None:
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = None
    if kind is bool:
        return bool(value)
    if isinstance(value, (list, tuple, dict)):
        raise errors.ParameterError(f"Invalid value for {column.key}: {value!r}")
    if kind is int:
        bits = 63 if isinstance(column.type, BigInteger) else 31
        try:
            number = int(value) if not isinstance(value, float) or value.is_integer() else None
        except (TypeError, ValueError):
            number = None
        if isinstance(value, bool) or number is None or not -(2**bits) <= number < 2**bits:
            raise errors.ParameterError(f"Invalid value for {column.key}: {value!r} (a whole number)")
        return number
    if kind is float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number):
            raise errors.ParameterError(f"Invalid value for {column.key}: {value!r} (a number)")
        return number
    if kind is str and not isinstance(value, str):
        raise errors.ParameterError(f"Invalid value for {column.key}: {value!r} (text)")
    return value


def _sql(column: Any, op: str, value: Any) -> Any:
    if op == "IN":
        values = value if isinstance(value, (list, tuple)) else [value]
        return column.in_([_operand(column, item) for item in values])
    value = _operand(column, value)
    if op in ("IS", "=") and value is None:
        return column.is_(None)
    if op in ("IS NOT", "!=") and value is None:
        return column.is_not(None)
    if op == "IS":
        return column.is_(value)
    if op == "IS NOT":
        return column.is_not(value)
    return _COMPARE[op](column, value)


def _json_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise errors.ParameterError(f"Invalid JSON value: {value!r}") from None
    return value


def _contains(outer: Any, inner: Any) -> bool:
    if isinstance(outer, dict) and isinstance(inner, dict):
        return all(k in outer and _contains(outer[k], v) for k, v in inner.items())
    return outer == inner


def _json_test(op: str, value: Any) -> Callable[[Any], bool]:
    wanted = _json_value(value)
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: v == wanted,
        "!=": lambda v: v != wanted,
        "IS": lambda v: v is wanted,
        "IS NOT": lambda v: v is not wanted,
        "@>": lambda v: _contains(v, wanted),
        "<@": lambda v: _contains(wanted, v),
        "IN": lambda v: v in (wanted if isinstance(wanted, list) else [wanted]),
    }
    if op not in tests:
        raise errors.ParameterError(f"Invalid operator for a JSON field: {op}")
    return tests[op]


def run(ctx: Context, view: View, clauses: Any, fields: Any = None, opts: Any = None) -> Any:
    """The rows (dicts of the asked fields, or lists with ``asList``) or their count."""
    if clauses is None:
        clauses = []
    if not isinstance(clauses, (list, tuple)):
        raise errors.ParameterError(f"Invalid clauses: {clauses!r}")
    opts = opts or {}
    if not isinstance(opts, dict):
        raise errors.ParameterError(f"Invalid opts: {opts!r}")
    wanted = _fields(view, fields)
    where, python_tests = [], []
    for clause in clauses:
        name, op, value = _clause(view, clause)
        if name in view.json_fields:
            python_tests.append((name, _json_test(op, value)))
        else:
            where.append(_sql(view.columns[name], op, value))
    ordering = []
    for term in str(opts.get("order") or "").split(","):
        term = term.strip()
        if not term:
            continue
        name = term.lstrip("-")
        if name not in view.columns:
            raise errors.ParameterError(f"Invalid field for query {view.name}: {name}")
        ordering.append(view.columns[name].desc() if term.startswith("-") else view.columns[name])
    needed = {name for name in wanted if name in view.columns} | {n for n, _ in python_tests}
    needed |= {view.derived[name][0] for name in wanted if name in view.derived}
    query = select(*(view.columns[n] for n in sorted(needed))).select_from(view.source)
    if where:
        query = query.where(and_(*where))
    if ordering:
        query = query.order_by(*ordering)
    offset, limit = int(opts.get("offset") or 0), opts.get("limit")
    if not python_tests:
        query = query.offset(offset or None).limit(int(limit) if limit else None)
    rows = [dict(row._mapping) for row in ctx.conn.execute(query)]
    for row in rows:
        for name in view.json_fields & row.keys():
            if isinstance(row[name], str):
                row[name] = json.loads(row[name])
    if python_tests:
        rows = [row for row in rows if all(test(row[name]) for name, test in python_tests)]
        rows = rows[offset:] if not limit else rows[offset : offset + int(limit)]
    if opts.get("countOnly"):
        return len(rows)
    shaped = []
    for row in rows:
        out = {}
        for name in wanted:
            out[name] = view.derived[name][1](row[view.derived[name][0]]) if name in view.derived else row[name]
        shaped.append(out)
    if opts.get("asList"):
        return [[row[name] for name in sorted(row)] for row in shaped]
    return shaped
