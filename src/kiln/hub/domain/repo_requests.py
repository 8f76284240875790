"""Requests for repos (Koji 1.35's repo queue): what koji 1.36 clients and builders ask for.

``request`` answers with a READY repo when one is new enough; otherwise it
reuses or files a request, and a request gets its newRepo task at once (in
the createrepo channel, priority 15), so a waiting builder is working on it
within milliseconds; Koji leaves that to kojira's next pass.  ``fulfil``
closes the requests a READY repo satisfies.  ``check_queue`` (the repo
daemon's periodic call) retries requests whose task failed and files tasks
for requests that had to wait for a free slot.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import insert, select, update

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import events, ids, query_views, repos, tags
from kiln.hub.domain.times import timestamp_text
from kiln.protocol import errors
from kiln.protocol.constants import RepoState, TaskState

q = tables.repo_queue
tk = tables.task
u = tables.users

PRIORITY_DEFAULT = 20  # Koji's PRIO_DEFAULT: a request's priority is relative to it
MAX_REPO_TASKS = 10  # newRepo tasks running at once for requests (Koji's MaxRepoTasks)
RETRIES = 3  # newRepo tasks tried for one request before it is given up (Koji's RepoRetries)

_COLS = [
    q.c.id,
    q.c.owner,
    u.c.name.label("owner_name"),
    q.c.priority,
    q.c.tag_id,
    tables.tag.c.name.label("tag_name"),
    q.c.at_event,
    q.c.min_event,
    q.c.opts,
    q.c.create_time.label("create_ts"),
    q.c.update_time.label("update_ts"),
    q.c.active,
    q.c.task_id,
    tk.c.state.label("task_state"),
    q.c.tries,
    q.c.repo_id,
]
_FROM = (
    q.join(u, u.c.id == q.c.owner).join(tables.tag, tables.tag.c.id == q.c.tag_id).outerjoin(tk, tk.c.id == q.c.task_id)
)


# repo.queryQueue's view: Koji's RepoQueueQuery fields and defaults.
QUEUE_VIEW = query_views.View(
    name="RepoQueueQuery",
    columns={c.name: c for c in _COLS},
    source=_FROM,
    defaults=("id", "tag_id", "at_event", "min_event", "create_ts", "task_id", "tries", "repo_id", "opts", "active")
    + ("update_ts",),
    json_fields=frozenset({"opts"}),
    derived={"create_time": ("create_ts", timestamp_text), "update_time": ("update_ts", timestamp_text)},
)


def set_priority(ctx: Context, req_id: Any, priority: Any) -> None:
    """repo.setRequestPriority: an absolute priority, as Koji's (an unknown id changes nothing)."""
    req_id = ids.row_id(req_id, "request id")
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        raise errors.ParameterError(f"Invalid priority: {priority!r}") from None
    if not -(2**31) <= priority < 2**31:  # the column's 32 bits
        raise errors.ParameterError(f"Invalid priority: {priority!r} (a number within 32 bits)")
    ctx.conn.execute(update(q).where(q.c.id == req_id).values(priority=priority, update_time=time.time()))


def _shape(row: Any) -> dict:
    req = dict(row._mapping)
    req["opts"] = json.loads(req["opts"])
    req["active"] = bool(req["active"])
    from kiln.hub.domain.times import timestamp_text

    req["create_time"], req["update_time"] = timestamp_text(req["create_ts"]), timestamp_text(req["update_ts"])
    return dict(sorted(req.items()))


def get(ctx: Context, req_id: int) -> dict | None:
    row = ctx.conn.execute(select(*_COLS).select_from(_FROM).where(q.c.id == req_id)).first()
    return _shape(row) if row else None


def _event(ctx: Context, name: str, value: Any) -> int:
    event_id = ids.row_id(value, name)
    if events.get(ctx, event_id, strict=False) is None:
        raise errors.ParameterError(f"Invalid event: {event_id}")
    return event_id


def request(
    ctx: Context,
    tag_info: Any,
    min_event: Any = None,
    at_event: Any = None,
    opts: Any = None,
    priority: Any = None,
    force: bool = False,
    admin: bool = False,
) -> dict:
    """repo.request: ``{repo, request, duplicate}``, as Koji answers."""
    tag = tags.get(ctx, tag_info, strict=True)
    assert tag is not None
    wanted = repos.convert_opts(opts)
    if wanted.get("maven"):
        raise errors.GenericError("Maven support not enabled")
    if at_event is not None:
        if min_event is not None:
            raise errors.ParameterError("The min_event and at_event options conflict")
        at_event = _event(ctx, "at_event", at_event)
    elif min_event is None or min_event == "last":
        # Koji lags the default by RepoLag; kiln regenerates in seconds, so the last change it is.
        min_event = repos.last_change_event(ctx, tag["id"])
    else:
        min_event = _event(ctx, "min_event", min_event)
    if priority is None:
        priority = PRIORITY_DEFAULT
    else:
        if isinstance(priority, bool) or not isinstance(priority, int) or not -(2**30) <= priority < 2**30:
            raise errors.ParameterError(f"Invalid priority: {priority!r} (a number within 31 bits)")
        if priority < 0 and not admin:
            raise errors.ActionNotAllowed("only admins may create high-priority requests")
        priority = PRIORITY_DEFAULT + priority
    answer: dict[str, Any] = {"repo": None, "request": None, "duplicate": False}
    if ctx.conn.dialect.name == "postgresql":
        # Requests for one tag, one at a time: two at once would each file a request (and a task).
        ctx.conn.execute(select(tables.tag.c.id).where(tables.tag.c.id == tag["id"]).with_for_update())
    if not force:
        repo = repos.best(ctx, tag["id"], min_event=min_event, at_event=at_event, opts=wanted)
        if repo is not None:
            answer["repo"] = repo
            return answer
    query = select(q.c.id, q.c.priority).where(
        q.c.tag_id == tag["id"], q.c.active.is_(True), q.c.opts == json.dumps(wanted, sort_keys=True)
    )
    query = query.where(q.c.at_event == at_event) if at_event is not None else query.where(q.c.min_event >= min_event)
    existing = ctx.conn.execute(query.order_by(q.c.priority, q.c.id)).first()
    if existing is not None:
        if existing.priority > priority:
            ctx.conn.execute(update(q).where(q.c.id == existing.id).values(priority=priority))
        answer["request"], answer["duplicate"] = get(ctx, existing.id), True
        return answer
    now = time.time()
    values = {
        "owner": ctx.user_id,
        "priority": priority,
        "tag_id": tag["id"],
        "at_event": at_event,
        "min_event": None if at_event is not None else min_event,
        "opts": json.dumps(wanted, sort_keys=True),
        "create_time": now,
        "update_time": now,
        "active": True,
        "tries": 0,
    }
    req_id = ctx.conn.execute(insert(q).values(**values)).inserted_primary_key[0]
    if _running_tasks(ctx) < MAX_REPO_TASKS:
        _start_task(ctx, get(ctx, req_id))
    answer["request"] = get(ctx, req_id)
    return answer


def _running_tasks(ctx: Context) -> int:
    unfinished = (TaskState.FREE, TaskState.OPEN, TaskState.ASSIGNED)
    query = select(q.c.id).join(tk, tk.c.id == q.c.task_id).where(q.c.active.is_(True), tk.c.state.in_(unfinished))
    return len(ctx.conn.execute(query).all())


def _start_task(ctx: Context, req: dict | None) -> None:
    """A newRepo task for the request: Koji's args ``[tagspec, {opts[, event]}]``.

    Owned, as in Koji, by the repo queue user (``repo_queue_user``, kojira),
    not by whoever asked (a host waiting for a repo, often); by the requester
    where the hub has no such user.
    """
    from kiln.hub.domain import tasks, users

    assert req is not None
    kwargs: dict[str, Any] = {"__starstar": True, "opts": req["opts"]}
    if req["at_event"] is not None:
        kwargs["event"] = req["at_event"]
    args = [{"id": req["tag_id"], "name": req["tag_name"]}, kwargs]
    queue_user = users.find(ctx, ctx.settings.repo_queue_user) if ctx.settings.repo_queue_user else None
    owner = queue_user["id"] if queue_user else req["owner"]
    task_id = tasks.create(ctx, "newRepo", args, priority=15, channel="createrepo", owner=owner)
    ctx.conn.execute(
        update(q).where(q.c.id == req["id"]).values(task_id=task_id, tries=q.c.tries + 1, update_time=time.time())
    )


def check(ctx: Context, req_id: Any) -> dict:
    """repo.checkRequest: ``{request, repo}``, plus ``task`` while its task works on it."""
    req = get(ctx, ids.row_id(req_id, "request id"))
    if req is None:
        raise errors.GenericError("No such request")
    answer: dict[str, Any] = {"repo": None, "request": req}
    if req["repo_id"]:
        answer["repo"] = repos.info(ctx, req["repo_id"])
    elif req["task_id"]:
        from kiln.hub.domain import tasks

        answer["task"] = tasks.get(ctx, req["task_id"])
    return answer


def fulfil(ctx: Context, repo_id: int) -> None:
    """A repo became READY: the active requests it satisfies are answered by it."""
    repo = repos.info(ctx, repo_id, strict=True)
    assert repo is not None
    if repo["dist"]:
        return
    rows = ctx.conn.execute(
        select(q.c.id, q.c.at_event, q.c.min_event, q.c.opts).where(
            q.c.tag_id == repo["tag_id"], q.c.active.is_(True), q.c.repo_id.is_(None)
        )
    ).all()
    done = [
        row.id
        for row in rows
        if repos.matches(repo, json.loads(row.opts))
        and (
            row.at_event == repo["create_event"]
            if row.at_event is not None
            else (row.min_event or 0) <= repo["create_event"]
        )
    ]
    if done:
        ctx.conn.execute(
            update(q).where(q.c.id.in_(done)).values(repo_id=repo["id"], active=False, update_time=time.time())
        )


def check_queue(ctx: Context) -> dict:
    """The repo daemon's pass over the queue: retry failed tasks, start waiting ones; what it did."""
    query = select(*_COLS).select_from(_FROM).where(q.c.active.is_(True), q.c.repo_id.is_(None))
    if ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update(of=q, skip_locked=True)  # two daemons' passes never take one request twice
    rows = ctx.conn.execute(query.order_by(q.c.priority, q.c.id)).all()
    running = 0
    waiting, retried, given_up = [], 0, 0
    for req in (_shape(r) for r in rows):
        state = req["task_state"]
        if req["task_id"] is None:
            waiting.append(req)
        elif state in (TaskState.FAILED, TaskState.CANCELED) or (
            state == TaskState.CLOSED and not _closed_with_repo(ctx, req)
        ):
            if req["tries"] >= RETRIES:
                ctx.conn.execute(update(q).where(q.c.id == req["id"]).values(active=False, update_time=time.time()))
                given_up += 1
            else:
                waiting.append(req)
                retried += 1
        elif state != TaskState.CLOSED:
            running += 1
    started = 0
    for req in waiting:
        if running + started >= MAX_REPO_TASKS:
            break
        _start_task(ctx, req)
        started += 1
    return {"started": started, "retried": retried, "given_up": given_up, "running": running}


def _closed_with_repo(ctx: Context, req: dict) -> bool:
    """A finished task's repo answers the request (fulfil closed it when that repo became READY)."""
    query = select(tables.repo.c.id).where(
        tables.repo.c.task_id == req["task_id"], tables.repo.c.state == RepoState.READY
    )
    repo_id = ctx.conn.execute(query).scalar()
    if repo_id is None:
        return False
    repo = repos.info(ctx, repo_id)
    if repo is None or not repos.matches(repo, req["opts"]):
        return False
    fulfil(ctx, repo_id)
    return True


def stale(ctx: Context, tag_ids: list[int]) -> list[int]:
    """Of these tags, those changed since their newest repo (READY or being made) with no request new enough.

    Read-only, so that the repo daemon's frequent look takes no write lock.
    """
    rp = tables.repo
    found = []
    for tag_id in tag_ids:
        last = repos.last_change_event(ctx, tag_id)
        if last is None:
            continue
        newest = ctx.conn.execute(
            select(rp.c.create_event)
            .where(rp.c.tag_id == tag_id, rp.c.state.in_([RepoState.READY, RepoState.INIT]), rp.c.dist.is_(False))
            .order_by(rp.c.create_event.desc())
            .limit(1)
        ).scalar()
        if newest is not None and newest >= last:
            continue
        asked = ctx.conn.execute(
            select(q.c.id).where(q.c.tag_id == tag_id, q.c.active.is_(True), q.c.min_event >= last).limit(1)
        ).first()
        if asked is None:
            found.append(tag_id)
    return found


def auto_requests(ctx: Context, tag_ids: list[int]) -> list[int]:
    """Requests for the tags whose newest repo is older than their last change; the tags asked for."""
    asked = []
    for tag_id in stale(ctx, tag_ids):
        answer = request(ctx, tag_id, min_event="last", priority=5)
        if answer["request"] is not None and not answer["duplicate"]:
            asked.append(tag_id)
    return asked
