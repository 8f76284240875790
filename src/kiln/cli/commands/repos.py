"""The repos area: regen-repo and wait-repo, in koji 1.36's request-based form.

Against a hub of 1.35 or later (kiln's hub is one), koji asks for repos
through repo requests: ``repo.request`` answers either a repo that already
satisfies the request, or the request (and the newRepo task the hub started
for it), which ``repo.checkRequest`` then follows.  ``wait-repo`` without
``--request`` stays anonymous and polls ``repo.get``.  ``regen-repo
--make-task`` is the old way: a newRepo task of its own, watched.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context, UsageError, add_quiet_option
from kiln.cli.watch import poll_interval, running_in_background, watch_for
from kiln.protocol.constants import TaskState


def warn(message: str) -> None:
    print(message, file=sys.stderr)


def _nvr(text: str) -> dict[str, str]:
    name, _, rest = text.rpartition("-")
    name, _, version = name.rpartition("-")
    if not name or not version or not rest:
        raise CommandError(f"GenericError: invalid format: {text}")
    return {"name": name, "version": version, "release": rest}


def _names(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b, and c``: koji's way of naming builds in a message."""
    if len(words) < 3:
        return " and ".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


def _duration(start: float) -> str:
    elapsed = time.time() - start
    return f"{int(elapsed // 60)}:{int(elapsed % 60):02d}"


def _one_tag(ctx: Context, session: Any, none: str, many_targets: str, many_tags: str) -> dict[str, Any]:
    """The tag the one argument names, or with --target the build tag of the target it names."""
    args = ctx.options.args
    if not args:
        raise UsageError(none)
    if len(args) > 1:
        raise UsageError(many_targets if ctx.options.target else many_tags)
    if ctx.options.target:
        target = session.getBuildTarget(args[0])
        if not target:
            raise UsageError(f"No such build target: {args[0]}")
        return session.getTag(target["build_tag"], strict=True)
    tag = session.getTag(args[0])
    if not tag:
        raise UsageError(f"No such tag: {args[0]}")
    return tag


def _repo_opts(options: Any) -> dict[str, bool]:
    flags = (("debuginfo", options.debuginfo), ("src", options.source), ("separate_src", options.separate_source))
    return {name: True for name, on in flags if on}


def _print_repo(ctx: Context, repo: dict[str, Any]) -> None:
    print(f"Got repo {repo['id']}")
    print(f"Repo info: {ctx.profile.weburl}/repoinfo?repoID={repo['id']}")


class RepoWait:
    """Waiting for a repo of one tag that is new enough, has the options asked for and holds the builds."""

    def __init__(self, ctx: Context, session: Any, tag_id: int, builds: list[dict], min_event: Any, opts: Any) -> None:
        self.ctx, self.session = ctx, session
        self.tag = session.getTag(tag_id, strict=True)
        self.builds = builds
        self.min_event = session.tagLastChangeEvent(self.tag["id"]) if min_event == "last" else min_event
        self.opts = opts
        self.interval = poll_interval(ctx)
        self.timeout = ctx.options.timeout * 60.0
        self.start = time.time()

    def info(self, message: str) -> None:
        if self.ctx.options.verbose and not self.ctx.quiet:
            print(message)

    def pause(self) -> None:
        time.sleep(self.interval)

    def check_timeout(self, waiting_for: str) -> None:
        if time.time() - self.start > self.timeout:
            raise CommandError(f"Failed to get repo -- Unsuccessfully waited {_duration(self.start)} for {waiting_for}")

    def builds_present(self, event: int | None) -> bool:
        for build in self.builds:
            tagged = self.session.listTagged(self.tag["id"], event=event, package=build["name"], inherit=True)
            if not any((b["version"], b["release"]) == (build["version"], build["release"]) for b in tagged):
                return False
        return True

    def suits(self, repo: dict[str, Any]) -> bool:
        if repo["tag_id"] != self.tag["id"]:
            return False
        if self.min_event is not None and repo["create_event"] < self.min_event:
            return False
        if self.opts is not None and repo["opts"] != self.opts:
            return False
        return self.builds_present(repo["create_event"])

    def request(self, min_event: Any = None) -> dict[str, Any]:
        self.info("Requesting a repo")
        return self.session.repo.request(
            self.tag["id"], min_event=self.min_event if min_event is None else min_event, at_event=None, opts=self.opts
        )

    def follow(self, req: dict[str, Any]) -> dict[str, Any]:
        """checkRequest until the request has its repo; a request no longer active is a failure."""
        watched = ("task_id", "task_state", "repo_id", "active", "tries")
        seen = {key: req.get(key) for key in watched}
        while True:
            check = self.session.repo.checkRequest(req["id"])
            if check.get("repo"):
                return check["repo"]
            now = check["request"]
            for key in watched:
                if now[key] != seen[key]:
                    old, new = seen[key], now[key]
                    if key == "task_state":
                        old, new = (TaskState(v).name if v is not None else v for v in (old, new))
                    self.info(f"Request updated: {key}: {old} -> {new}")
                    seen[key] = now[key]
            self.check_timeout(f"a new {self.tag['name']} repo")
            if not now["active"]:
                if now["task_id"]:
                    state = TaskState(now["task_state"]).name
                    raise CommandError(
                        f"Failed to get repo -- Repo request inactive: task {now['task_id']} state is {state}"
                    )
                raise CommandError("Failed to get repo -- Repo request no longer active")
            self.pause()

    def wait(self, anonymous: bool) -> dict[str, Any]:
        """koji's RepoWatcher.waitrepo: poll repo.get (anonymous) or request a repo and follow the request."""
        self.info(f"Waiting on repo for {self.tag['name']}")
        min_event = self.min_event
        req = None
        while True:
            if req:
                repo = self.follow(req)
                if self.suits(repo):
                    return repo
                min_event = self.session.tagLastChangeEvent(self.tag["id"])
                req = None
            elif anonymous:
                repo = self.session.repo.get(self.tag["id"], min_event=min_event, at_event=None, opts=self.opts)
                if repo and self.suits(repo):
                    return repo
                # koji's client would poll on for ever here; kiln keeps to --timeout
                self.check_timeout(f"a new {self.tag['name']} repo")
            if self.builds:
                while not self.builds_present(None):
                    nvrs = [f"{b['name']}-{b['version']}-{b['release']}" for b in self.builds]
                    self.check_timeout(f"{_names(nvrs)} to appear in the {self.tag['name']} repo")
                    self.pause()
                min_event = self.session.tagLastChangeEvent(self.tag["id"])
            if not anonymous:
                check = self.request(min_event)
                if check.get("repo"):
                    if self.suits(check["repo"]):
                        return check["repo"]
                else:
                    req = check["request"]
                    self.info(f"Got request: {req['id']}")
                    if min_event is None:
                        min_event = req["min_event"]
            self.pause()


def _regen_task(ctx: Context) -> int:
    """--make-task: a newRepo task of the command's own, watched unless --nowait (or not in the foreground)."""
    options = ctx.options
    session = ctx.login_session()
    tag = _one_tag(
        ctx,
        session,
        "A tag name must be specified",
        "Only a single target may be specified",
        "Only a single tag name may be specified",
    )
    if not options.target and not session.getBuildTargets(buildTagID=tag["id"]):
        warn(f"{tag['name']} is not a build tag")
    if not tag["arches"]:
        warn(f"Tag {tag['name']} has an empty arch list")
    task_id = session.newRepo(tag["name"], **_repo_opts(options))
    print(f"Regenerating repo for tag: {tag['name']}")
    print(f"Created task: {task_id}")
    print(f"Task info: {ctx.profile.weburl}/taskinfo?taskID={task_id}")
    if options.wait or (options.wait is None and not running_in_background()):
        return watch_for(ctx, [task_id])
    return 0


def handle_regen_repo(ctx: Context) -> int:
    """Ask for a current repo of the tag: a repo request (koji 1.36 against a 1.35 hub), or with --make-task a task."""
    options = ctx.options
    if options.make_task:
        return _regen_task(ctx)
    session = ctx.login_session()
    tag = _one_tag(
        ctx,
        session,
        "A tag name must be specified",
        "Only a single target may be specified",
        "Only a single tag name may be specified",
    )
    if not tag["arches"]:
        warn(f"Tag {tag['name']} has an empty arch list")
    waiting = RepoWait(ctx, session, tag["id"], [], "last", _repo_opts(options) or None)
    check = waiting.request()
    if check["repo"]:
        _print_repo(ctx, check["repo"])
        return 0
    req = check["request"]
    if not options.wait:
        print(f"Got request: {req['id']}")
        if req.get("task_id"):
            print(f"Got task: {req['task_id']}")
            print(f"Task info: {ctx.profile.weburl}/taskinfo?taskID={req['task_id']}")
        return 0
    _print_repo(ctx, waiting.follow(req))
    return 0


def handle_wait_repo(ctx: Context) -> int:
    """Wait until the tag has a current repo (or, with --build, one holding those builds)."""
    options = ctx.options
    builds = [_nvr(text) for text in options.builds]
    if not options.args:
        raise UsageError("Please specify a tag name")
    if len(options.args) > 1:
        raise UsageError("Only one tag may be specified")
    if options.request:
        session = ctx.login_session()
    else:
        session = ctx.session()
        if options.request is None:
            warn("The --request option is recommended for faster results")
    tag = _one_tag(ctx, session, "", "", "")
    if not options.target and not session.getBuildTargets(buildTagID=tag["id"]):
        warn(f"{tag['name']} is not a build tag for any target")
        dest_of = session.getBuildTargets(destTagID=tag["id"])
        if dest_of:
            warn("Suggested tags: " + ", ".join(sorted({target["build_tag_name"] for target in dest_of})))
    if not options.request and not tag["extra"].get("repo.auto"):
        warn("This tag is not configured for automatic regeneration")
    for build in builds:
        latest = session.getLatestBuilds(tag["id"], package=build["name"])
        wanted = "{name}-{version}-{release}".format(**build)
        if not latest:
            warn(f"No {build['name']} builds in tag {tag['name']}")
        elif latest[0]["nvr"] != wanted:
            warn(f"nvr {wanted} is not current in tag {tag['name']}\n  latest build is {latest[0]['nvr']}")
    waiting = RepoWait(ctx, session, tag["id"], builds, None if builds else "last", None)
    try:
        repo = waiting.wait(anonymous=not options.request)
    except CommandError:
        if ctx.quiet:
            return 1
        raise
    if not ctx.quiet:
        _print_repo(ctx, repo)
    return 0


def _add_repo_options(parser: Any) -> None:
    parser.add_argument("args", nargs="*", metavar="tag")
    parser.add_argument("--target", action="store_true", help="interpret the argument as a build target name")


def register(subparsers: Any) -> None:
    """Add the repos commands."""
    regen = add_command(subparsers, "regen-repo", handle_regen_repo)
    _add_repo_options(regen)
    regen.add_argument("--wait", action="store_true", default=None, help="wait for the regen to finish")
    regen.add_argument("--nowait", action="store_false", dest="wait", default=None, help="do not wait")
    regen.add_argument("--make-task", action="store_true", help="directly create a newRepo task")
    regen.add_argument("--debuginfo", action="store_true", help="include debuginfo rpms in repo")
    regen.add_argument("--source", "--src", action="store_true", help="include source rpms in each of repos")
    regen.add_argument(
        "--separate-source", "--separate-src", action="store_true", help="include source rpms in separate src repo"
    )
    regen.add_argument("--timeout", type=int, default=120, help="wait timeout in minutes (default: 120)")
    regen.add_argument("-v", "--verbose", action="store_true", help="more verbose output")
    add_quiet_option(regen)

    wait = add_command(subparsers, "wait-repo", handle_wait_repo)
    _add_repo_options(wait)
    wait.add_argument(
        "--build", metavar="NVR", dest="builds", action="append", default=[], help="a build the repo must hold"
    )
    wait.add_argument("--request", action="store_true", default=None, help="create a repo request (requires auth)")
    wait.add_argument("--no-request", action="store_false", dest="request", default=None, help="do not (the default)")
    wait.add_argument("--timeout", type=int, default=120, help="minutes to wait before giving up (default: 120)")
    wait.add_argument("-v", "--verbose", action="store_true", help="be verbose")
    add_quiet_option(wait)
