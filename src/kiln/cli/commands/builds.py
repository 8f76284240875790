"""The builds area: list-builds, list-tagged, latest-build."""

from __future__ import annotations

from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import (
    Context,
    UsageError,
    add_event_options,
    add_json_option,
    add_quiet_option,
    print_event,
    print_json,
)

_BUILD_HEADER = f"{'Build':<40}  {'Tag':<20}  Built by\n{'-' * 40}  {'-' * 20}  {'-' * 16}"


def _build_line(build: dict[str, Any]) -> str:
    return f"{build['nvr']:<40}  {build['tag_name']:<20}  {build['owner_name']}"


def _rpm_line(rpm: dict[str, Any]) -> str:
    draft = f" (,draft_{rpm['build_id']})" if rpm.get("draft") else ""
    return f"{rpm['name']}-{rpm['version']}-{rpm['release']}.{rpm['arch']}{draft}"


def _tagged_query(ctx: Context) -> dict[str, Any]:
    options = ctx.options
    query: dict[str, Any] = {"latest": options.latest, "inherit": options.inherit}
    if options.latest_n is not None:
        query["latest"] = options.latest_n
    if options.package:
        query["package"] = options.package
    if options.arch:
        query["arch"] = options.arch
    if options.type:
        query["type"] = options.type
    elif options.no_draft:
        query["draft"] = False
    elif options.draft_only:
        query["draft"] = True
    return query


def handle_list_tagged(ctx: Context) -> int:
    """The builds (or RPMs) in a tag, sorted, optionally the latest ones, through inheritance."""
    options = ctx.options
    if options.no_draft and options.draft_only:
        raise UsageError("--draft-only conflicts with --no-draft")
    session = ctx.session()
    query = _tagged_query(ctx)
    event = ctx.query_event()
    if event:
        query["event"] = event["id"]
        if not ctx.quiet and not ctx.json:
            print_event(event)
    if not session.getTag(options.tag, event=event["id"] if event else None):
        raise UsageError(f"No such tag: {options.tag}")
    if options.rpms or options.arch:
        rpms, builds = session.listTaggedRPMS(options.tag, **query)
        if ctx.json:
            print_json({"rpms": rpms, "builds": builds})
            return 0
        lines = [_rpm_line(rpm) for rpm in rpms]
    else:
        builds = session.listTagged(options.tag, **query)
        if ctx.json:
            print_json(builds)
            return 0
        if not ctx.quiet:
            print(_BUILD_HEADER)
        lines = [_build_line(build) for build in builds]
    for line in sorted(lines):
        print(line)
    return 0


def handle_latest_build(ctx: Context) -> int:
    """The latest build of each package named (or of every package, with --all) in a tag."""
    options = ctx.options
    if options.all and options.packages:
        raise UsageError("A package name may not be combined with --all")
    if not options.all and not options.packages:
        raise UsageError("A tag name and package name must be specified")
    session = ctx.session()
    found: list[dict[str, Any]] = []
    header = not ctx.quiet
    for package in options.packages or [None]:
        if options.arch:
            rpms, _builds = session.getLatestRPMS(options.tag, package=package, arch=options.arch)
            found += rpms
            lines = [f"{rpm['name']}-{rpm['version']}-{rpm['release']}.{rpm['arch']}" for rpm in rpms]
        else:
            kwargs = {"type": options.type} if options.type else {}
            builds = session.getLatestBuilds(options.tag, package=package, **kwargs)
            found += builds
            lines = [_build_line(build) for build in builds]
            if header and not ctx.json:
                print(_BUILD_HEADER)
                header = False
        if not ctx.json:
            for line in sorted(lines):
                print(line)
    if ctx.json:
        print_json(found)
    return 0


_SORT_KEYS = ("build_id", "owner_name", "state")


def _int_or_lookup(word: str, lookup: Any, what: str) -> int:
    """An id given as a number, else the id ``lookup(word)`` finds (a usage error when none)."""
    if word.isdigit():
        return int(word)
    found = lookup(word)
    if found is None:
        raise UsageError(f"No such {what}: {word}")
    return found


def _builds_query(ctx: Context) -> dict[str, Any]:
    """listBuilds' arguments from the options (every name checked, as koji checks them)."""
    from kiln.protocol.constants import BuildState

    options = ctx.options
    session = ctx.session()
    query: dict[str, Any] = {key: getattr(options, key) for key in ("type", "prefix", "pattern", "source")}
    query = {key: value for key, value in query.items() if value is not None}
    if options.no_draft and options.draft_only:
        raise UsageError("--draft-only conflits with --no-draft")
    if options.no_draft or options.draft_only:
        query["draft"] = bool(options.draft_only)
    if options.cg:
        query["cgID"] = options.cg
    if options.package:
        query["packageID"] = _int_or_lookup(options.package, session.getPackageID, "package")
    if options.owner:
        query["userID"] = _int_or_lookup(options.owner, lambda name: (session.getUser(name) or {}).get("id"), "user")
    if options.state:
        if options.state.isdigit() and int(options.state) in {state.value for state in BuildState}:
            query["state"] = int(options.state)
        elif options.state in BuildState.__members__:
            query["state"] = BuildState[options.state].value
        else:
            raise UsageError(f"Invalid state: {options.state}")
    if options.task:
        if not options.task.isdigit():
            raise UsageError("Task id must be an integer")
        query["taskID"] = int(options.task)
    return query


def handle_list_builds(ctx: Context) -> int:
    """Builds matching the filters (one at least), sorted by id or the keys given."""
    import sys

    from kiln.protocol.constants import BuildState

    options = ctx.options
    session = ctx.session()
    query = _builds_query(ctx)
    if options.buildid:
        build_ref: int | str = int(options.buildid) if options.buildid.isdigit() else options.buildid
        build = session.getBuild(build_ref)
        if build is None:
            raise UsageError(f"No such build: '{build_ref}'")
        builds = [build]
    elif query:
        builds = session.listBuilds(**query)
    else:
        raise UsageError("Filter must be provided for list")
    keys = options.sort_key or ["build_id"]
    for key in keys:
        if key not in _SORT_KEYS:
            print(f"Invalid sort_key: {key}.", file=sys.stderr)
    builds = sorted(builds, key=lambda build: [build.get(key) for key in keys], reverse=options.reverse)
    if ctx.json:
        print_json(builds)
        return 0
    if not ctx.quiet:
        print(f"{'Build':<55}  {'Built by':<16}  State")
        print(f"{'-' * 55}  {'-' * 16}  {'-' * 16}")
    for build in builds:
        print(f"{build['nvr']:<55}  {build['owner_name']:<16}  {BuildState(build['state']).name}")
    return 0


def register(subparsers: Any) -> None:
    """Add the builds commands."""
    builds = add_command(subparsers, "list-builds", handle_list_builds)
    builds.add_argument("--package", help="builds of this package (name or id)")
    builds.add_argument("--buildid", help="the one build of this id or NVR")
    builds.add_argument("--state", help="builds in this state (name or number)")
    builds.add_argument("--task", help="builds of this task")
    builds.add_argument("--type", help="builds of this type")
    builds.add_argument("--prefix", help="builds whose names start with this")
    builds.add_argument("--pattern", help="builds whose NVR matches this glob")
    builds.add_argument("--cg", help="builds imported by this content generator")
    builds.add_argument("--source", help="builds whose source matches this glob")
    builds.add_argument("--owner", help="builds built by this user (name or id)")
    builds.add_argument("--draft-only", action="store_true", help="only draft builds")
    builds.add_argument("--no-draft", action="store_true", help="only regular builds")
    builds.add_argument(
        "-k",
        "--sort-key",
        action="append",
        default=[],
        metavar="FIELD",
        help="sort by this field: build_id, owner_name or state",
    )
    builds.add_argument("-r", "--reverse", action="store_true", help="print the list in reverse order")
    add_quiet_option(builds)
    add_json_option(builds)

    tagged = add_command(subparsers, "list-tagged", handle_list_tagged)
    tagged.add_argument("tag")
    tagged.add_argument("package", nargs="?")
    tagged.add_argument("--arch", action="append", default=[], help="list RPMs for this arch")
    tagged.add_argument("--rpms", action="store_true", help="show RPMs instead of builds")
    tagged.add_argument("--inherit", action="store_true", help="follow inheritance")
    tagged.add_argument("--latest", action="store_true", help="only show the latest builds or RPMs")
    tagged.add_argument("--latest-n", type=int, metavar="N", help="only show the latest N builds or RPMs")
    add_quiet_option(tagged)
    tagged.add_argument("--type", help="show builds of this type only")
    add_event_options(tagged)
    tagged.add_argument("--draft-only", action="store_true", help="only list draft builds or RPMs")
    tagged.add_argument("--no-draft", action="store_true", help="only list regular builds or RPMs")
    add_json_option(tagged)

    latest = add_command(subparsers, "latest-build", handle_latest_build)
    latest.add_argument("tag", help="a tag (not a target: use its build tag)")
    latest.add_argument("packages", nargs="*", metavar="package")
    latest.add_argument("--arch", help="list the latest RPMs of this arch")
    latest.add_argument("--all", action="store_true", help="the latest build of every package in the tag")
    add_quiet_option(latest)
    latest.add_argument("--type", help="show builds of this type only")
    add_json_option(latest)
