"""``listTasks``: Koji's filters, ordering and paging, done in SQL.

Paging happens in the database (a page of 50 out of a million tasks reads
50 rows); the filters the CLI uses most (state, owner, host, parent) have
indexes (db/tables.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, literal_column, select

from kiln.hub import argtypes
from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.db.raw import SelectCache, Where
from kiln.hub.domain import ids, tasks
from kiln.hub.domain.shapes import Shape
from kiln.hub.domain.times import epoch_seconds
from kiln.protocol import errors
from kiln.protocol.xmlrpc import Fault, loads

t = tables.task
u = tables.users

_LIST_FILTERS = ("arch", "state")
_ID_FILTERS = ("owner", "host_id", "channel_id", "parent")
_TIME_FILTERS = {
    "createdBefore": ("create_time", "<"),
    "createdAfter": ("create_time", ">"),
    "startedBefore": ("start_time", "<"),
    "startedAfter": ("start_time", ">"),
    "completeBefore": ("completion_time", "<"),
    "completeAfter": ("completion_time", ">"),
    "completedBefore": ("completion_time", "<"),
    "completedAfter": ("completion_time", ">"),
}
KNOWN = {
    *_LIST_FILTERS,
    *(f"not_{n}" for n in _LIST_FILTERS),
    *_ID_FILTERS,
    *(f"not_{n}" for n in _ID_FILTERS),
    *_TIME_FILTERS,
    "method",
    "decode",
}
# Fields a caller may order by: Koji's aliases.
_ORDER = {
    **{name: t.c[name] for name in tasks.COLUMNS},
    "create_ts": t.c.create_time,
    "start_ts": t.c.start_time,
    "completion_ts": t.c.completion_time,
    "owner_name": u.c.name,
    "owner_type": u.c.usertype,
}


def _with_ts(names: tuple[str, ...]) -> Iterator[str]:
    for name in names:
        yield name
        if name.endswith("_time"):
            yield name.removesuffix("_time") + "_ts"


# queryOpts asList: the columns in the order of their names, as Koji's query
# processor sorts them (clients, kiln's CLI among them, read them so).
AS_LIST = tuple(sorted((*_with_ts(tasks.COLUMNS), "request", "result", "owner_name", "owner_type")))


def _as_list(key: str, value: Any) -> list:
    """arch and state filters: a list of names (arch) or numbers (state)."""
    kind = str if key.endswith("arch") else int
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(one, kind) and not isinstance(one, bool) for one in value
    ):
        raise errors.ParameterError(f"listTasks: {key} must be a list of {'names' if kind is str else 'numbers'}")
    return list(value)


def _ids(key: str, value: Any) -> int | list[int]:
    """owner, host_id, channel_id and parent filters: an id or a list of ids, as Koji's listTasks takes them."""
    found = ids.row_ids(value, f"listTasks {key}")
    return found if isinstance(value, (list, tuple)) else found[0]


_QUERY_OPTS = argtypes.checker(argtypes.QueryOpts | None)


def _conditions(opts: dict) -> Where:
    where = Where()
    for name in _LIST_FILTERS:
        if name in opts:
            where.add(t.c[name], "in", _as_list(name, opts[name]))
        if f"not_{name}" in opts:
            where.add(t.c[name], "not in", _as_list(f"not_{name}", opts[f"not_{name}"]))
    for name in _ID_FILTERS:
        column = t.c[name]
        for key, (null, many, one) in ((name, _POSITIVE), (f"not_{name}", _NEGATIVE)):
            if key not in opts:
                continue
            value = opts[key]
            if value is None:
                where.add(column, null)
            else:
                value = _ids(key, value)
                where.add(column, *((many, value) if isinstance(value, list) else (one, value)))
    if "method" in opts:
        if not isinstance(opts["method"], str):
            raise errors.ParameterError(f"listTasks: method must be a task method's name, not {opts['method']!r}")
        where.add(t.c.method, "=", opts["method"])
    for key, (column, op) in _TIME_FILTERS.items():
        if opts.get(key) is not None:
            where.add(t.c[column], op, epoch_seconds(key, opts[key]))
    return where


_POSITIVE = ("is null", "in", "=")
_NEGATIVE = ("is not null", "not in", "!=")


def _decode(document: str | None) -> Any:
    if not document:
        return document
    try:
        params, _ = loads(document)
    except Fault as fault:
        return {"faultCode": fault.faultCode, "faultString": fault.faultString}
    return list(params)


# queryOpts fields (a kiln extension, with asList): only these columns, in this
# order.  The CLI's list-tasks needs 8 of the 23 and its listing of thousands
# of tasks is bound by encoding and decoding them; Koji's hub ignores the key.
_PLAIN_FIELDS = frozenset(AS_LIST) - {name for name in AS_LIST if name.endswith(("_time", "_ts"))}


def _fields(query_opts: dict) -> tuple[str, ...] | None:
    fields = query_opts.get("fields")
    if fields is None or not query_opts.get("asList"):
        return None
    if not isinstance(fields, (list, tuple)) or not all(isinstance(f, str) for f in fields):
        raise errors.ParameterError("queryOpts fields must be a list of field names")
    unknown = [f for f in fields if f not in _PLAIN_FIELDS]
    if unknown:
        raise errors.ParameterError(f"Invalid field(s) for queryOpts fields: {', '.join(unknown)}")
    return tuple(fields)


def _values(row: Any, fields: tuple[str, ...], decode: bool) -> list:
    return [_decode(row[f]) if decode and f in ("request", "result") else row[f] for f in fields]


def list_tasks(ctx: Context, opts: dict | None = None, query_opts: dict | None = None) -> Any:
    if not isinstance(opts or {}, dict) or not isinstance(query_opts or {}, dict):
        raise errors.ParameterError("listTasks takes (opts, queryOpts) dicts")
    opts = dict(opts or {})
    query_opts = dict(query_opts or {})
    problem = _QUERY_OPTS({k: v for k, v in query_opts.items() if k != "fields"})  # fields: kiln's, below
    if problem is not None:
        raise errors.ParameterError(f"listTasks: queryOpts must be {problem}")
    unknown = sorted(set(opts) - KNOWN)
    if unknown:
        raise errors.ParameterError(f"listTasks: unknown option(s): {', '.join(unknown)}")
    where = _conditions(opts)
    if query_opts.get("countOnly"):
        query = select(func.count()).select_from(t).where(*where.clauses())
        if query_opts.get("limit") is None and not query_opts.get("offset"):
            return ctx.conn.execute(query, where.params).scalar_one()
        inner = select(t.c.id).where(*where.clauses()).offset(int(query_opts.get("offset") or 0))
        if query_opts.get("limit") is not None:
            inner = inner.limit(int(query_opts["limit"]))
        return ctx.conn.execute(select(func.count()).select_from(inner.subquery()), where.params).scalar_one()
    order = []
    for field in str(query_opts.get("order") or "").split(","):
        field = field.strip()
        if not field:
            continue
        if field.lstrip("-") not in _ORDER:
            raise errors.ParameterError(f"Invalid order field: {field.lstrip('-')}")
        order.append(field)
    offset = int(query_opts.get("offset") or 0)
    limit = int(query_opts["limit"]) if query_opts.get("limit") is not None else None
    key = (where.key, tuple(order), offset, limit)
    rows = _PAGES.get(key, lambda: _page_query(where, order, offset, limit))
    params = where.params
    names, found_rows = rows.rows(ctx.conn, params)
    decode = bool(opts.get("decode"))
    fields = _fields(query_opts)
    if fields is not None:
        index = [names.index(f) for f in fields]
        coded = {i for i, f in zip(index, fields, strict=True) if decode and f in ("request", "result")}
        return [[_decode(row[i]) if i in coded else row[i] for i in index] for row in found_rows]
    found = _LISTED[decode].all(found_rows)
    if query_opts.get("asList"):
        return [[task[name] for name in AS_LIST] for task in found]
    return found


_PAGES = SelectCache()
_SELECT_LISTED = (
    *tasks._SELECT,
    t.c.request,
    t.c.result,
    u.c.name.label("owner_name"),
    u.c.usertype.label("owner_type"),
)


def _page_query(where: Where, order: list[str], offset: int, limit: int | None) -> Any:
    """listTasks' statement for one shape of filters, order and paging (SelectCache builds it once)."""
    query = select(*_SELECT_LISTED).select_from(t.outerjoin(u, u.c.id == t.c.owner)).where(*where.clauses())
    ordering = [_ORDER[f.lstrip("-")].desc() if f.startswith("-") else _ORDER[f] for f in order]
    if ordering:
        query = query.order_by(*ordering)
    # Paging as numbers in the text, not parameters: PostgreSQL's generic
    # plan for a prepared LIMIT $n cannot know the page is small and sorts
    # every matching row (4 ms, not 0.3, for 50 of 10,000 builds).
    if offset:
        query = query.offset(literal_column(str(int(offset))))
    if limit is not None:
        query = query.limit(literal_column(str(int(limit))))
    return query


# A listed task in Koji's shape: getTaskInfo's keys plus request, result and
# the owner's name and type; ``decode``: request and result as data.
_LISTED = {
    decode: Shape(
        [c.key for c in _SELECT_LISTED],
        convert={"request": _decode, "result": _decode} if decode else None,
        # each ``*_time`` column holds seconds: sent as ``*_ts``, and as Koji's text under its own name
        copy={f"{name}_ts": f"{name}_time" for name in tasks.TIMES},
        times={f"{name}_time": f"{name}_time" for name in tasks.TIMES},
    )
    for decode in (False, True)
}
assert _LISTED[False].keys == AS_LIST
