"""Tasks: creating them and reading them back, in Koji's shapes.

A task's request is stored as Koji stores it, a whole XML-RPC ``methodCall``
document, and its result as a ``methodResponse`` document (or a fault
document for a failed task), so that they come back exactly as sent.
State changes live in ``task_actions.py``; the rules in ``task_states.py``.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Float, bindparam, insert, select

from kiln.hub import argtypes
from kiln.hub.argtypes import Id, IdOrName, Ref
from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.db.raw import RawSelect, RawWrite
from kiln.hub.domain import channels, ids, users, weights
from kiln.hub.domain.shapes import Shape, column_names
from kiln.hub.domain.times import timestamp_text
from kiln.protocol import errors
from kiln.protocol.constants import PRIO_DEFAULT, TaskState
from kiln.protocol.xmlrpc import Fault, dumps, loads

t = tables.task

# Koji's task fields, in the order its QueryProcessor lists them.
COLUMNS = (
    "id",
    "state",
    "create_time",
    "start_time",
    "completion_time",
    "channel_id",
    "host_id",
    "parent",
    "label",
    "waiting",
    "awaited",
    "owner",
    "method",
    "arch",
    "priority",
    "weight",
)
_SELECT = [t.c[name] for name in COLUMNS]
MAKE_OPTIONS = ("parent", "label", "owner", "channel", "arch", "priority", "assign")
# What each may hold, as Koji's make_task reads them (argtypes' vocabulary).
_OPTION_CHECKS = {
    key: argtypes.checker(hint)
    for key, hint in {
        "parent": Id | None,
        "label": str | None,
        "owner": IdOrName | None,
        "channel": Ref | None,
        "arch": str | None,
        "priority": Any,  # the koji CLI's make-task sends it as text: converted below
        "assign": Ref | None,
    }.items()
}
TIMES = ("create", "start", "completion")


def shape(row: Any, request: bool = False) -> dict:
    """Koji's task dict: ``*_time`` as text, ``*_ts`` as float seconds, keys sorted."""
    task = dict(row) if isinstance(row, dict) else dict(row._mapping)
    for name in TIMES:
        ts = task.pop(f"{name}_time")
        task[f"{name}_ts"] = ts
        task[f"{name}_time"] = timestamp_text(ts)
    if "request" in task:
        if request:
            task["request"] = decode_request(task["request"])
        else:
            task.pop("request")
    return dict(sorted(task.items()))


def decode_request(document: str) -> list:
    params, _method = loads(document)
    return list(params)


def task_arch(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 16 or " " in value.strip():
        raise errors.ParameterError(f"Invalid arch: {value!r}: give one architecture name, e.g. x86_64 or noarch")
    return value.strip()


# Channel lookups by name for new tasks, per process, for a few seconds: a
# makeTask on PostgreSQL is a string of round trips, and this one rarely
# changes (a channel disabled takes effect here within CACHE_SECONDS).
CACHE_SECONDS = 5.0
_channels_seen: dict[tuple[str, Any], tuple[float, dict | None]] = {}


def _channel_info(ctx: Context, channel: Any) -> dict | None:
    key = (str(ctx.engine.url), channel)
    now = time.monotonic()
    cached = _channels_seen.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    info = channels.get(ctx, channel)
    if len(_channels_seen) > 1000:
        _channels_seen.clear()
    _channels_seen[key] = (now + CACHE_SECONDS, info)
    return info


def _channel_id(ctx: Context, channel: Any) -> int:
    info = channels.get(ctx, channel) if isinstance(channel, (dict, bool)) else _channel_info(ctx, channel)
    if info is None:
        raise errors.GenericError(f"No such channel: {channel}")
    if not info["enabled"]:
        raise errors.GenericError(f"Channel {info['name']} is disabled.")
    return info["id"]


def check_options(opts: dict) -> None:
    """make_task's options are known and hold what Koji's make_task reads from them; else ParameterError."""
    unknown = sorted(set(opts) - set(MAKE_OPTIONS))
    if unknown:
        raise errors.ParameterError(f"unknown task option(s): {', '.join(unknown)}")
    for key, value in opts.items():
        problem = _OPTION_CHECKS[key](value)
        if problem is not None:
            raise errors.ParameterError(f"task option {key} must be {problem}, not {value!r}")


def create(ctx: Context, method: Any, arglist: Any, **opts: Any) -> int:
    """A new FREE task (ASSIGNED with ``assign``); Koji's ``make_task``.

    Channel: the one asked for, else the parent's for a subtask, else
    ``default`` (Koji's default channel policy).  A subtask defaults to its
    parent's owner and arch and to a priority one better than the parent's.
    """
    check_options(opts)
    if not isinstance(method, str) or not method:
        raise errors.ParameterError(f"Invalid task method: {method!r}")
    if not isinstance(arglist, (list, tuple)):
        raise errors.ParameterError(f"task arguments must be a list, not {type(arglist).__name__}")
    parent = opts.get("parent")
    values: dict[str, Any] = {}
    if parent is not None:
        pdata = ctx.conn.execute(
            select(t.c.state, t.c.owner, t.c.channel_id, t.c.priority, t.c.arch).where(t.c.id == int(parent))
        ).first()
        if pdata is None:
            raise errors.GenericError(f"Invalid parent task: {parent}")
        if pdata.state != TaskState.OPEN:
            raise errors.GenericError(f"Parent task (id {parent}) is not open")
        values.update(
            parent=int(parent),
            label=opts.get("label"),
            owner=pdata.owner,
            priority=pdata.priority - 1,
            arch=pdata.arch,
            channel_id=pdata.channel_id,
        )
    else:
        if opts.get("label") is not None:
            raise errors.ParameterError("only subtasks have labels")
        owner = opts.get("owner")
        if owner is None:
            if ctx.user_id is None:
                raise errors.GenericError("task must have an owner")
            owner = ctx.user_id
        elif not isinstance(owner, int):
            owner = users.find(ctx, owner, strict=True)["id"]
        values.update(parent=None, label=None, owner=owner, priority=PRIO_DEFAULT, arch="noarch")
        values["channel_id"] = _channel_id(ctx, "default")
    if opts.get("channel") is not None:
        values["channel_id"] = _channel_id(ctx, opts["channel"])
    if opts.get("arch") is not None:
        values["arch"] = task_arch(opts["arch"])
    if opts.get("priority") is not None:
        try:
            values["priority"] = int(opts["priority"])
        except (TypeError, ValueError):
            raise errors.ParameterError(f"Invalid priority: {opts['priority']!r}") from None
    now = time.time()
    start = weights.starting(method)
    values.update(
        state=TaskState.FREE,
        create_time=now,
        method=method,
        request=dumps(tuple(arglist), methodname=method),
        base_weight=start,
        full_seconds=max(ctx.settings.weight_full_seconds, 1e-9),
    )
    if opts.get("assign") is not None:
        from kiln.hub.domain import hosts

        host = hosts.get(ctx, opts["assign"], strict=True)
        values.update(state=TaskState.ASSIGNED, host_id=host["id"], assign_time=now)
    row = dict.fromkeys(_INSERTED)
    row.update(values, w_start=start, w_method=method)
    return _INSERT.one(ctx.conn, row)["id"]


# Built once and run raw (db/raw.py): SQLAlchemy's work around a statement
# costs more than the insert itself.  The starting weight is raised by the method's recorded mean run time (see
# weights.py) in the insert itself: one round trip fewer on PostgreSQL.
_COLUMNS = [c.name for c in t.columns if c.name not in ("id", "weight")]
_INSERTED = [*_COLUMNS, "w_start", "w_method", "full_seconds"]
_INSERT = RawWrite(
    insert(t)
    .values(
        {
            **{name: bindparam(name) for name in _COLUMNS},
            "weight": weights.initial_weight_sql(
                bindparam("w_start", type_=Float), bindparam("w_method"), bindparam("full_seconds", type_=Float)
            ),
        }
    )
    .returning(t.c.id)
)


_BY_ID = {
    request: RawSelect(select(*_SELECT, *([t.c.request] if request else [])).where(t.c.id == bindparam("id")))
    for request in (False, True)
}


def get(ctx: Context, task_id: Any, strict: bool = False, request: bool = False) -> dict | None:
    task_id = _task_id(task_id)
    row = _BY_ID[bool(request)].one(ctx.conn, {"id": task_id})
    if row is None:
        if strict:
            raise errors.GenericError(f"No such task: {task_id}")
        return None
    return shape(row, request=request)


def get_many(ctx: Context, task_ids: list[int], request: bool = False) -> dict[int, dict]:
    """Tasks by id in one query (a multicall's run of getTaskInfo); the ids not found are left out."""
    if not task_ids:
        return {}
    columns = _SELECT + ([t.c.request] if request else [])
    rows = ctx.conn.execute(select(*columns).where(t.c.id.in_(sorted(set(task_ids)))))
    return {row.id: shape(row, request=request) for row in rows}


def finished(ctx: Context, task_id: Any) -> bool:
    """Whether the task has ended, in any of the three ways."""
    task = get(ctx, task_id, strict=True)
    return task["state"] in (TaskState.CLOSED, TaskState.CANCELED, TaskState.FAILED)


def row(ctx: Context, task_id: Any, lock: bool = False) -> Any:
    """The raw row of a task (all columns), locked for update on PostgreSQL when asked."""
    task_id = _task_id(task_id)
    query = select(t).where(t.c.id == task_id)
    if lock and ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    found = ctx.conn.execute(query).first()
    if found is None:
        raise errors.GenericError(f"No such task: {task_id}")
    return found


def task_id(value: Any) -> int:
    """A task id as callers give it (a number, or its text); ParameterError for anything else."""
    return _task_id(value)


def _task_id(value: Any) -> int:
    return ids.row_id(value, "task id")


def request_of(ctx: Context, task_id: Any) -> list:
    return decode_request(row(ctx, task_id).request)


def result_of(ctx: Context, task_id: Any, raise_fault: bool = True) -> Any:
    """The result of a finished task; a failed task's fault is raised, as Koji does."""
    found = row(ctx, task_id)
    state = TaskState(found.state)
    if state == TaskState.CANCELED:
        raise errors.GenericError(f"Task {found.id} is canceled")
    if state not in (TaskState.CLOSED, TaskState.FAILED):
        raise errors.GenericError(f"Task {found.id} is not finished")
    try:
        params, _ = loads(found.result)
    except Fault as fault:
        if raise_fault:
            raise errors.from_fault(fault.faultCode, fault.faultString) from None
        return {"faultCode": fault.faultCode, "faultString": fault.faultString}
    return params[0]


_TIMED = [name.removesuffix("_time") for name in COLUMNS if name.endswith("_time")]


def _columns(request: bool) -> list:
    """The task columns named as Koji's answer names them: a ``*_time`` column holds seconds, sent as ``*_ts``."""
    named = [t.c[n].label(n.removesuffix("_time") + "_ts") if n.endswith("_time") else t.c[n] for n in COLUMNS]
    return named + ([t.c.request] if request else [])


def _shape(request: bool) -> Shape:
    """``shape``'s dict for rows of ``_columns(request)``, the key order worked out once.

    A task tree's reads shape every row they return, and ``shape``'s
    copying, popping and sorting cost more than the row's query on SQLite.
    """
    return Shape(
        column_names(select(*_columns(request))),
        {"request": decode_request} if request else None,
        times={f"{n}_time": f"{n}_ts" for n in _TIMED},
    )


_SHAPES = {request: _shape(request) for request in (False, True)}
_PARENT = COLUMNS.index("parent")  # where a row of _columns() holds its parent
_CHILDREN = {
    request: RawSelect(select(*_columns(request)).where(t.c.parent == bindparam("parent")).order_by(t.c.id))
    for request in (False, True)
}
_CHILDREN_OF_MANY = {
    request: select(*_columns(request)).where(t.c.parent.in_(bindparam("parents", expanding=True))).order_by(t.c.id)
    for request in (False, True)
}


def children(ctx: Context, task_id: Any, request: bool = False) -> list[dict]:
    _names, rows = _CHILDREN[bool(request)].rows(ctx.conn, {"parent": _task_id(task_id)})
    return _SHAPES[bool(request)].all(rows)


def children_many(ctx: Context, parent_ids: list[int], request: bool = False) -> dict[int, list[dict]]:
    """Children of many tasks in one query (a multicall's run of getTaskChildren); ``[]`` for a task without."""
    found: dict[int, list[dict]] = {parent: [] for parent in parent_ids}
    if not found:
        return found
    shape_one = _SHAPES[bool(request)].one
    for row in ctx.conn.execute(_CHILDREN_OF_MANY[bool(request)], {"parents": sorted(found)}):
        found[row[_PARENT]].append(shape_one(row))
    return found


_EXISTING = select(t.c.id).where(t.c.id.in_(bindparam("ids", expanding=True)))


def existing_ids(ctx: Context, task_ids: list[int]) -> set[int]:
    """Which of these tasks exist, in one query: a strict run of getTaskChildren faults for the others."""
    if not task_ids:
        return set()
    return set(ctx.conn.execute(_EXISTING, {"ids": sorted(set(task_ids))}).scalars())


def _below(seeds: Any) -> Any:
    """The ids of the tasks ``seeds`` picks (a root's children) and of every task below them, as a recursive CTE.

    One query for a whole tree, on SQLite and PostgreSQL alike, where a walk
    level by level pays a query (a round trip on PostgreSQL) per level or
    per task.  UNION, not UNION ALL: a cycle in ``parent`` ends the walk.
    """
    below = select(t.c.id).where(seeds).cte("below", recursive=True)
    return below.union(select(t.c.id).where(t.c.parent == below.c.id))


def _tree(request: bool, seeds: Any) -> Any:
    # IN, not a JOIN: with a JOIN, SQLite's planner walked the whole table in id
    # order (to spare a sort) probing the tree for each row.
    below = _below(seeds)
    return select(*_columns(request)).where(t.c.id.in_(select(below.c.id))).order_by(t.c.id)


_TREE = {request: RawSelect(_tree(request, t.c.parent == bindparam("root"))) for request in (False, True)}
_TREES = {request: _tree(request, t.c.parent.in_(bindparam("roots", expanding=True))) for request in (False, True)}
_BELOW_ROOT = _below(t.c.parent == bindparam("root"))
_DESCENDANT_IDS = RawSelect(select(_BELOW_ROOT.c.id).order_by(_BELOW_ROOT.c.id))


def _by_parent(rows: Any, request: bool) -> dict[int, list[dict]]:
    shape_one = _SHAPES[request].one
    found: dict[int, list[dict]] = {}
    for row in rows:  # by id, so each parent's list is in id order
        found.setdefault(row[_PARENT], []).append(shape_one(row))
    return found


def _levels(root: int, by_parent: dict[int, list[dict]]) -> dict[str, list[dict]]:
    """Koji's answer from the children of every task in the tree: the tree breadth first from ``root``."""
    found: dict[str, list[dict]] = {}
    pending = [root]
    for current in pending:
        key = str(current)
        if key in found:  # a cycle in ``parent``
            continue
        kids = by_parent.get(current, [])
        found[key] = kids
        pending.extend(k["id"] for k in kids)
    return found


def descendents(ctx: Context, task_id: Any, request: bool = False) -> dict[str, list[dict]]:
    """``{str(id): [child, ...]}`` for the task and every task below it, as Koji answers."""
    root = _task_id(task_id)
    _names, rows = _TREE[bool(request)].rows(ctx.conn, {"root": root})
    return _levels(root, _by_parent(rows, bool(request)))


def descendents_many(ctx: Context, roots: list[int], request: bool = False) -> dict[int, dict[str, list[dict]]]:
    """Several trees in one query (a multicall's run of getTaskDescendents), one answer per root."""
    if not roots:
        return {}
    rows = ctx.conn.execute(_TREES[bool(request)], {"roots": sorted(set(roots))})
    by_parent = _by_parent(rows, bool(request))
    return {root: _levels(root, by_parent) for root in set(roots)}


def descendant_ids(ctx: Context, task_id: int) -> list[int]:
    """Every task below ``task_id``, in one query."""
    _names, rows = _DESCENDANT_IDS.rows(ctx.conn, {"root": task_id})
    return [row[0] for row in rows]


def assert_running_on(row: Any, host_id: int | None, task_id: int) -> None:
    """Koji's assertHost: the task (``row``, or None if missing) is OPEN on this host."""
    if row is None or row.state != TaskState.OPEN or row.host_id != host_id:
        raise errors.ActionNotAllowed(f"host {host_id} does not own task {task_id}")
