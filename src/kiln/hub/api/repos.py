"""Repos and repo requests, with Koji's names: the old calls (newRepo, getRepo, ...) and 1.35's ``repo.*``."""

from __future__ import annotations

from typing import Any

from kiln.hub.api import batches
from kiln.hub.argtypes import Id, QueryOpts, Ref
from kiln.hub.context import Context
from kiln.hub.domain import buildroots, query_views, repo_requests, repos, tags, tasks
from kiln.hub.rpc import HOST, LOGIN, export, has_perm
from kiln.protocol import errors
from kiln.protocol.constants import RepoState


def _tag_variant(tag: Any) -> str | None:
    """How a call names its tag, "id" or "name"; None for a dict or a malformed one (answered as singly)."""
    if batches.plain_id(tag):
        return "id"
    return "name" if isinstance(tag, str) else None


def _repo_of_tag_key(b: dict) -> batches.Key | None:
    """The newest repo in a state (READY by default); an ``event`` or ``min_event`` is answered as singly."""
    by, state = _tag_variant(b["tag"]), b["state"]
    if by is None or b["event"] is not None or b["min_event"] is not None:
        return None
    if state is not None and not batches.plain_id(state):
        return None
    return (by, int(RepoState.READY if state is None else state), bool(b["dist"])), b["tag"]


@export(
    batch=batches.lookups(
        key_of=_repo_of_tag_key,
        get_many=repos.legacy_get_many,
        missing=lambda tag: f"No such tagInfo: {tag!r}",  # given by legacy_get_many itself
        single=lambda ctx, **b: getRepo(ctx, **b),
        strict=lambda b: False,  # a missing tag faults, a tag without such a repo is None
    )
)
def getRepo(
    ctx: Context,
    tag: Ref,
    state: int | str | None = None,
    event: Id | str | None = None,
    dist: bool = False,
    min_event: Id | str | None = None,
) -> dict | None:
    return repos.legacy_get(ctx, tag, state, event, bool(dist), min_event)


def _repo_key(b: dict) -> batches.Key | None:
    return (None, b["repo_id"]) if batches.plain_id(b["repo_id"]) else None


@export(
    batch=batches.lookups(
        key_of=_repo_key,
        get_many=lambda ctx, _variant, repo_ids: repos.info_many(ctx, repo_ids),
        missing=lambda repo_id: f"No such repo: {repo_id}",
        single=lambda ctx, **b: repoInfo(ctx, **b),
    )
)
def repoInfo(ctx: Context, repo_id: Id | str, strict: bool = False) -> dict | None:
    return repos.info(ctx, repo_id, strict=bool(strict))


@export()
def getActiveRepos(ctx: Context) -> list:
    return repos.active(ctx)


@export()
def tagLastChangeEvent(ctx: Context, tag: Ref, before: Id | str | None = None, inherit: bool = True) -> int | None:
    return repos.last_change_event(ctx, tag, before, bool(inherit))


@export()
def tagFirstChangeEvent(ctx: Context, tag: Ref, after: Id | str | None = None, inherit: bool = True) -> int | None:
    return repos.first_change_event(ctx, tags.get_id(ctx, tag), after, bool(inherit))


@export(access=LOGIN, writes=True)
def newRepo(
    ctx: Context,
    tag: Ref,
    event: Id | None = None,
    src: bool = False,
    debuginfo: bool = False,
    separate_src: bool = False,
) -> int:
    """A newRepo task for the tag (``repo`` or ``regen-repo`` permission), as koji regen-repo --make-task asks."""
    if not (has_perm(ctx, "repo") or has_perm(ctx, "regen-repo")):
        raise errors.ActionNotAllowed(f"regen-repo permission required (logged in as {ctx.session.user_name})")
    tags.get(ctx, tag, strict=True, event=event)
    kwargs: dict[str, Any] = {
        k: True for k, v in (("src", src), ("separate_src", separate_src), ("debuginfo", debuginfo)) if v
    }
    if event is not None:
        kwargs["event"] = event
    args = [tag, {"__starstar": True, **kwargs}] if kwargs else [tag]
    return tasks.create(ctx, "newRepo", args, priority=15, channel="createrepo")


@export(perm="repo", writes=True)
def repoExpire(ctx: Context, repo_id: Id | str) -> None:
    repos.set_state(ctx, int(repos.info(ctx, repo_id, strict=True)["id"]), RepoState.EXPIRED)


@export(perm="repo", writes=True)
def repoProblem(ctx: Context, repo_id: Id | str) -> None:
    repos.set_state(ctx, int(repos.info(ctx, repo_id, strict=True)["id"]), RepoState.PROBLEM)


@export(perm="repo", writes=True)
def repoDelete(ctx: Context, repo_id: Id | str) -> int:
    """DELETED unless build roots still use it (then their number, and no change); kiln's hub removes its files."""
    return repos.delete(ctx, repo_id)


@export("repo.setState", perm="repo", writes=True)
def setState(ctx: Context, repo_id: Id | str, state: int | str) -> None:
    repos.set_state(ctx, int(repos.info(ctx, repo_id, strict=True)["id"]), state)


@export("repo.references")
def references(ctx: Context, repo_id: Id | str) -> list:
    return repos.references(ctx, repo_id)


def _best_key(b: dict) -> batches.Key | None:
    """The newest READY repo with the options asked for; ``min_event``, ``at_event`` or bad options: singly."""
    by = _tag_variant(b["tag"])
    if by is None or b["min_event"] is not None or b["at_event"] is not None:
        return None
    try:
        wanted = repos.convert_opts(b["opts"])
    except errors.ParameterError:
        return None
    return (by, tuple(sorted(wanted.items()))), b["tag"]


@export(
    "repo.get",
    batch=batches.lookups(
        key_of=_best_key,
        get_many=repos.best_many,
        missing=lambda tag: f"No such tagInfo: {tag!r}",  # given by best_many itself
        single=lambda ctx, **b: get(ctx, **b),
        strict=lambda b: False,  # a missing tag faults, a tag without such a repo is None
    ),
)
def get(
    ctx: Context,
    tag: Ref,
    min_event: Id | str | None = None,
    at_event: Id | str | None = None,
    opts: dict | None = None,
) -> dict | None:
    return repos.best(ctx, tag, min_event, at_event, opts)


@export("repo.request", access=LOGIN, writes=True)
def request(
    ctx: Context,
    tag: Ref,
    min_event: Id | str | None = None,
    at_event: Id | str | None = None,
    opts: dict | None = None,
    priority: int | None = None,
    force: bool = False,
) -> dict:
    return repo_requests.request(ctx, tag, min_event, at_event, opts, priority, bool(force), has_perm(ctx, "admin"))


@export("repo.checkRequest")
def checkRequest(ctx: Context, req_id: Id | str) -> dict:
    return repo_requests.check(ctx, req_id)


@export("repo.query")
def query(ctx: Context, clauses: list | None, fields: list | str | None = None, opts: QueryOpts | None = None) -> Any:
    """Repos by Koji's clauses: ``[[field, op, value], ...]`` over RepoQuery's fields (kojira's first call)."""
    return query_views.run(ctx, repos.VIEW, clauses, fields, opts)


@export("repo.queryQueue")
def queryQueue(
    ctx: Context, clauses: list | None = None, fields: list | str | None = None, opts: QueryOpts | None = None
) -> Any:
    """Repo requests by Koji's clauses over RepoQueueQuery's fields."""
    return query_views.run(ctx, repo_requests.QUEUE_VIEW, clauses, fields, opts)


@export("repo.updateEndEvents", perm="repo", writes=True)
def updateEndEvents(ctx: Context) -> None:
    repos.update_end_events(ctx)


@export("repo.setRequestPriority", perm="admin", writes=True)
def setRequestPriority(ctx: Context, req_id: Id | str, priority: int) -> None:
    repo_requests.set_priority(ctx, req_id, priority)


@export("repo.checkQueue", perm="repo", writes=True)
def checkQueue(ctx: Context) -> dict:
    """The repo daemon's pass: retry requests whose task failed, start those that waited for a slot."""
    return repo_requests.check_queue(ctx)


@export("repo.autoRequests", perm="repo", writes=True)
def autoRequests(ctx: Context) -> list:
    """Request new repos for every build tag (of a target, or with ``repo.auto``) whose repo is out of date.

    Koji's call only covers tags with ``repo.auto``; kojira used to watch build
    tags itself.  kiln keeps both in this one call: the tags asked for.
    """
    return repo_requests.auto_requests(ctx, repos.watched_tags(ctx))


@export("repo.staleTags")
def staleTags(ctx: Context) -> list:
    """kiln's: the build tags (as autoRequests sees them) changed since their newest repo, with no request yet.

    A read: the repo daemon looks twice a second and asks (repo.request) only when this names a tag.
    """
    return repo_requests.stale(ctx, repos.watched_tags(ctx))


@export("host.repoInit", access=HOST, writes=True)
def repoInit(
    ctx: Context, tag: Ref, task_id: Id | None = None, event: Id | None = None, opts: dict | None = None
) -> list:
    return repos.init(ctx, ctx.session.host_id, tag, task_id, event, opts)


@export("host.repoDone", access=HOST, writes=True)
def repoDone(
    ctx: Context, repo_id: Id | str, data: dict, expire: bool = False, repo_json_updates: dict | None = None
) -> None:
    repos.done(ctx, ctx.session.host_id, repo_id, data, bool(expire), repo_json_updates)


@export("repo.expireBuildroots", perm="repo", writes=True)
def expireBuildroots(ctx: Context, age: float) -> list:
    """kiln's: expire build roots left on record ``age`` seconds after their task ended (the repo daemon's)."""
    return buildroots.expire_stale(ctx, age)
