"""The scheduler: which host runs which task, decided in the database.

There is no scheduler process.  A builder asking for work (``host.getTasks``)
runs the scheduling for itself, in its own request:

1. its ASSIGNED tasks come back first (an admin's assignment, or an earlier
   claim it has not opened yet);
2. while its load (the weights of its OPEN and ASSIGNED tasks, not counting
   parents asleep waiting for children) is below its capacity, it claims the
   best FREE task it can run: one of its channels, its arches or noarch, not
   refused by it; best means lowest priority number, then oldest.  The
   candidates come from one index seek per (channel, arch) pair, so any
   number of tasks nobody can run costs nothing (Koji looks at the first 1,000
   free tasks only, so 1,000 unschedulable tasks stop it);
3. a claim is a conditional update (``state = FREE``) of a row locked with
   ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, or under SQLite's one writer: two
   hosts never get the same task, on any number of hub processes;
4. with nothing to claim it waits (``timeout``) for a wakeup (hub/wakeups.py)
   and tries again.

Periodic checks (dead hosts, stale assignments, weights of running tasks) run
inside host calls, at most every ``check_interval`` seconds across all hub
processes (a conditional update of ``scheduler_state`` elects the one that
does them).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import func, insert, select, update

from kiln.hub.context import Context
from kiln.hub.db import engine, tables, versioned
from kiln.hub.db.raw import RawQuery
from kiln.hub.domain import channels, hosts, weights
from kiln.hub.domain.task_states import ASSIGNED, FAILED, FREE, HUB, OPEN
from kiln.protocol import errors
from kiln.protocol.xmlrpc import Fault, dumps

log = logging.getLogger(__name__)

t = tables.task
r = tables.task_refusals
h = tables.host
hc = tables.host_channels

# Koji's get_tasks_for_host fields.
_OFFER = (t.c.id, t.c.state, t.c.channel_id, t.c.host_id, t.c.arch, t.c.method, t.c.priority, t.c.create_time)
CLAIMS_PER_CALL = 32
WAIT_SLICE = 10.0  # seconds a long poll sleeps before it looks again without a wakeup


def announce(ctx: Context) -> None:
    """There may be work for waiting builders once this request commits."""
    if ctx.wakeups is not None:
        ctx.wakeups.announce(ctx)


def note(ctx: Context, msg: str, task_id: int | None = None, host_id: int | None = None) -> None:
    """A line in the scheduler's log (Koji's scheduler_log_messages), and in the hub's."""
    log.info("%s%s%s", f"[task {task_id}] " if task_id else "", f"[host {host_id}] " if host_id else "", msg)
    ctx.conn.execute(
        insert(tables.scheduler_log).values(task_id=task_id, host_id=host_id, msg_time=time.time(), msg=msg)
    )


def _offer_shape(row: Any) -> dict:
    task = dict(row._mapping)
    task["create_ts"] = task.pop("create_time")
    return task


def assigned_to(ctx: Context, host_id: int) -> list[dict]:
    rows = ctx.conn.execute(
        select(*_OFFER)
        .where(t.c.host_id == host_id, t.c.state == ASSIGNED)
        .order_by(t.c.priority, t.c.create_time, t.c.id)
    )
    return [_offer_shape(row) for row in rows]


def load(ctx: Context, host_id: int, states: tuple = (OPEN, ASSIGNED), exclude: int | None = None) -> float:
    """The summed weight of a host's tasks in ``states``; parents asleep in a wait count nothing."""
    query = select(func.coalesce(func.sum(t.c.weight), 0.0)).where(
        t.c.host_id == host_id,
        t.c.state.in_([int(s) for s in states]),
        (t.c.waiting.is_(None)) | (t.c.waiting == False),  # noqa: E712 (SQL, not Python)
    )
    if exclude is not None:
        query = query.where(t.c.id != exclude)
    return float(ctx.conn.execute(query).scalar_one())


def host_channels(ctx: Context, host_id: int) -> list[int]:
    rows = ctx.conn.execute(
        select(hc.c.channel_id)
        .join(tables.channels, tables.channels.c.id == hc.c.channel_id)
        .where(hc.c.host_id == host_id, versioned.active_clause(hc), tables.channels.c.enabled == True)  # noqa: E712
    )
    return sorted(row[0] for row in rows)


def host_arches(host: dict) -> list[str]:
    return sorted({*(host.get("arches") or "").split(), "noarch"})


def can_run(ctx: Context, host: dict, task: Any) -> bool:
    """Whether a host may take this task at all: channel, arch, no refusal."""
    if task.arch not in host_arches(host) or task.channel_id not in host_channels(ctx, host["id"]):
        return False
    refused = ctx.conn.execute(select(r.c.task_id).where(r.c.task_id == task.id, r.c.host_id == host["id"])).first()
    return refused is None


def lock_host(ctx: Context, host_id: int) -> None:
    """One host's claims and opens happen one at a time: its load is read, then raised.

    (A host's task processes call through subsessions, so they can race.)  The
    host row is locked before any task row, in claims and opens alike.
    """
    if ctx.conn.dialect.name == "postgresql":
        ctx.conn.execute(select(h.c.id).where(h.c.id == host_id).with_for_update())


def _best_candidate(ctx: Context, host_id: int, channel_ids: list[int], arches: list[str]) -> Any:
    pg = ctx.conn.dialect.name == "postgresql"
    best = None
    for channel_id in channel_ids:
        for arch in arches:
            query = (
                select(t.c.id, t.c.priority, t.c.weight)
                .where(
                    t.c.state == FREE,
                    t.c.channel_id == channel_id,
                    t.c.arch == arch,
                    ~select(r.c.task_id).where(r.c.task_id == t.c.id, r.c.host_id == host_id).exists(),
                )
                .order_by(t.c.priority, t.c.id)
                .limit(1)
            )
            if pg:
                query = query.with_for_update(skip_locked=True, of=t)
            row = ctx.conn.execute(query).first()
            if row is not None and (best is None or (row.priority, row.id) < (best.priority, best.id)):
                best = row
    return best


def claim(ctx: Context, host: dict) -> int:
    """Assign FREE tasks to ``host`` while its load is below its capacity; how many it got."""
    if not host["enabled"] or not host["ready"]:
        return 0
    host_id = host["id"]
    lock_host(ctx, host_id)
    channel_ids = host_channels(ctx, host_id)
    if not channel_ids:
        return 0
    arches = host_arches(host)
    current = load(ctx, host_id)
    claimed = 0
    now = time.time()
    while current < host["capacity"] and claimed < CLAIMS_PER_CALL:
        best = _best_candidate(ctx, host_id, channel_ids, arches)
        if best is None:
            break
        won = ctx.conn.execute(
            update(t)
            .where(t.c.id == best.id, t.c.state == FREE)
            .values(state=ASSIGNED, host_id=host_id, assign_time=now)
        ).rowcount
        if won:
            claimed += 1
            current += best.weight
    return claimed


def tasks_for_host(ctx: Context, host_id: int, timeout: float | None = None) -> list[dict]:
    """``host.getTasks``: this host's ASSIGNED tasks, claiming more first; may wait for some."""
    wait = min(max(float(timeout or 0), 0.0), ctx.settings.max_poll_seconds)
    deadline = time.monotonic() + wait
    periodic_checks(ctx)  # before this request locks its own host row: see periodic_checks
    ctx.conn.execute(update(h).where(h.c.id == host_id).values(update_time=time.time()))  # a sign of life
    while True:
        seq = ctx.wakeups.seq() if ctx.wakeups is not None else 0
        host = hosts.get(ctx, host_id, strict=True)
        if claim(ctx, host):
            announce(ctx)  # others may have been skipped past rows we locked
        offered = assigned_to(ctx, host_id)
        remaining = deadline - time.monotonic()
        if offered or remaining <= 0 or ctx.wakeups is None or ctx.in_multicall:
            return offered
        ctx.pause()  # commit what the checks did; hand the connection back while waiting
        # In slices: a row another request held locked (and let go without news)
        # was skipped by the claim; looking again soon bounds what that costs.
        if ctx.wakeups.wait(seq, min(remaining, WAIT_SLICE)) is None:
            return offered  # every waiting slot is taken, or the hub stops: answer now
        periodic_checks(ctx)


def refuse(
    ctx: Context, host_id: int, task_id: int, soft: bool = True, msg: str = "", roles: set | None = None
) -> None:
    """A host will not run a task: record it, put the task back, and fail it if no host is left."""
    from kiln.hub.domain import task_actions

    row = ctx.conn.execute(select(t).where(t.c.id == task_id)).first()
    existing = ctx.conn.execute(select(r.c.task_id).where(r.c.task_id == task_id, r.c.host_id == host_id)).first()
    values = {"soft": bool(soft), "by_host": True, "msg": msg or "", "time": time.time()}
    if existing is None:
        ctx.conn.execute(insert(r).values(task_id=task_id, host_id=host_id, **values))
    else:
        ctx.conn.execute(update(r).where(r.c.task_id == task_id, r.c.host_id == host_id).values(**values))
    note(ctx, f"refused by host: {msg}" if msg else "refused by host", task_id, host_id)
    task_actions.move(ctx, row, FREE, roles or set(), host_id=None, assign_time=None)
    if not _anyone_left(ctx, row):
        channel = channels.get(ctx, row.channel_id)
        reason = (
            f"no host can run task {task_id} ({row.method}, arch {row.arch}, channel "
            f"{channel['name'] if channel else row.channel_id}): every ready host refused it"
            + (f"; the last said: {msg}" if msg else "")
        )
        fresh = ctx.conn.execute(select(t).where(t.c.id == task_id)).first()
        task_actions.move(ctx, fresh, FAILED, {HUB}, completion_time=time.time(), result=dumps(Fault(1000, reason)))
        note(ctx, reason, task_id)
    announce(ctx)


def _anyone_left(ctx: Context, task: Any) -> bool:
    """Whether a ready, enabled host that has not refused the task could still run it."""
    refused = set(ctx.conn.execute(select(r.c.host_id).where(r.c.task_id == task.id)).scalars())
    for host in hosts.list_hosts(ctx, channel_id=task.channel_id, ready=True, enabled=True):
        if host["id"] not in refused and task.arch in host_arches(host):
            return True
    return False


_LAST_SWEEP = RawQuery("SELECT last_sweep FROM scheduler_state WHERE id = 1")


def periodic_checks(ctx: Context, force: bool = False) -> bool:
    """Dead hosts, stale assignments and running weights; at most once per interval hub-wide.

    Call it before the request locks anything of its own (its host row): the
    elected request then takes rows in one order (scheduler_state, hosts,
    tasks by id) and skips rows others hold, so it neither waits on a host
    in the middle of a call (which is alive) nor deadlocks with one.
    """
    settings = ctx.settings
    now = time.time()
    st = tables.scheduler_state
    last = _LAST_SWEEP.one(ctx.conn, {})
    if not force and last is not None and last["last_sweep"] > now - settings.check_interval:
        return False  # a plain read first: the update below waits for whoever holds the row
    won = ctx.conn.execute(
        update(st)
        .where(st.c.id == 1, (st.c.last_sweep <= now - settings.check_interval) if not force else True)
        .values(last_sweep=now)
    ).rowcount
    if not won:
        return False
    freed = 0
    # After a hub outage nobody could check in: judge the hosts again next time.
    if last is None or now - last["last_sweep"] < settings.host_timeout:
        freed += _dead_hosts(ctx, now)
    freed += _stale_assignments(ctx, now)
    _running_weights(ctx, now)
    _statistics(ctx)
    if freed:
        announce(ctx)
    if not ctx.in_multicall:
        ctx.pause()  # commit now: the row elected this request; hold it no longer
    return True


STATISTICS_SECONDS = 600.0
_statistics_due = [0.0]


def _statistics(ctx: Context) -> None:
    """SQLite's planner statistics follow the tables as they grow: every ten minutes, and at the next
    sweep after a table has doubled (see db/engine.py)."""
    if ctx.conn.dialect.name != "sqlite":
        return
    if time.monotonic() < _statistics_due[0] and not engine.statistics_stale(ctx.conn):
        return
    _statistics_due[0] = time.monotonic() + STATISTICS_SECONDS
    ctx.conn.exec_driver_sql("ANALYZE")


def _locked(ctx: Context, query: Any) -> Any:
    """Rows this request may change now: others' locked rows are skipped (PostgreSQL)."""
    if ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return ctx.conn.execute(query).all()


def _dead_hosts(ctx: Context, now: float) -> int:
    """Silent hosts are not ready, and their tasks go back to the queue, whatever they last said."""
    limit = now - ctx.settings.host_timeout
    silent = (h.c.update_time.is_(None)) | (h.c.update_time < limit)
    holding = select(t.c.id).where(t.c.host_id == h.c.id, t.c.state.in_([int(OPEN), int(ASSIGNED)])).exists()
    dead = _locked(ctx, select(h.c.id, h.c.name).where(silent, (h.c.ready == True) | holding).order_by(h.c.id))  # noqa: E712
    freed = 0
    for host_id, name in dead:
        marked = ctx.conn.execute(update(h).where(h.c.id == host_id, silent, h.c.ready == True).values(ready=False))  # noqa: E712
        if marked.rowcount:
            note(
                ctx,
                f"host {name} has not checked in for {ctx.settings.host_timeout:g} s: marked not ready",
                None,
                host_id,
            )
        rows = _locked(
            ctx,
            select(t).where(t.c.host_id == host_id, t.c.state.in_([int(OPEN), int(ASSIGNED)])).order_by(t.c.id),
        )
        for row in rows:
            freed += _free(ctx, row, f"host {name} stopped checking in: task returned to the queue")
    return freed


def _stale_assignments(ctx: Context, now: float) -> int:
    limit = now - ctx.settings.assign_timeout
    rows = _locked(ctx, select(t).where(t.c.state == ASSIGNED, t.c.assign_time < limit).order_by(t.c.id))
    why = f"not opened within {ctx.settings.assign_timeout:g} s of its assignment: freed"
    return sum(_free(ctx, row, why) for row in rows)


def _free(ctx: Context, row: Any, why: str) -> int:
    """Put a task back (the hub's move); 0 if it changed meanwhile (e.g. just closed)."""
    from kiln.hub.domain import task_actions

    try:
        task_actions.move(ctx, row, FREE, {HUB}, host_id=None, assign_time=None)
    except errors.GenericError:
        return 0
    note(ctx, why, row.id, row.host_id)
    return 1


def _running_weights(ctx: Context, now: float) -> None:
    full = ctx.settings.weight_full_seconds
    rows = _locked(
        ctx,
        select(t.c.id, t.c.method, t.c.base_weight, t.c.weight, t.c.start_time)
        .where(t.c.state == OPEN)
        .order_by(t.c.id),
    )
    means: dict[str, float] = {}
    for row in rows:
        if row.method not in means:
            means[row.method] = weights.mean_duration(ctx, row.method)
        weight = weights.effective(row.base_weight, means[row.method], now - (row.start_time or now), full)
        if abs(weight - row.weight) > 1e-6:
            ctx.conn.execute(update(t).where(t.c.id == row.id, t.c.state == OPEN).values(weight=weight))
