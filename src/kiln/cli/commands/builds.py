"""The builds area: listing builds, buildinfo, and tagging builds (tag-build, untag-build, move-build).

Paths printed by ``buildinfo``, ``--paths`` and ``list-untagged`` are under
the profile's topdir, or koji's default ``/mnt/koji`` when it sets none, as
koji prints them.
"""

from __future__ import annotations

from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import (
    CommandError,
    Context,
    UsageError,
    add_event_options,
    add_json_option,
    add_quiet_option,
    print_event,
    print_json,
)

_BUILD_HEADER = f"{'Build':<40}  {'Tag':<20}  Built by\n{'-' * 40}  {'-' * 20}  {'-' * 16}"


def _build_line(build: dict[str, Any], path: str | None = None) -> str:
    return f"{path or build['nvr']:<40}  {build['tag_name']:<20}  {build['owner_name']}"


def path_info(ctx: Context) -> Any:
    """Koji's file layout under the profile's topdir (koji's /mnt/koji when none is set)."""
    from kiln.protocol.paths import DEFAULT_TOPDIR, PathInfo

    return PathInfo(ctx.profile.topdir or DEFAULT_TOPDIR)


def _warn(message: str) -> None:
    import sys

    print(message, file=sys.stderr)


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


def _tagged_rpm_lines(ctx: Context, rpms: list[dict[str, Any]], builds: list[dict[str, Any]]) -> list[str]:
    """list-tagged's RPM lines: NVRA (signature key first with --sigs), or paths with --paths."""
    import os

    options = ctx.options
    if not options.paths:
        prefix = (lambda rpm: f"{rpm['sigkey']} ") if options.sigs else (lambda rpm: "")
        return [prefix(rpm) + _rpm_line(rpm) for rpm in rpms]
    paths = path_info(ctx)
    build_dirs = {}
    for build in builds:
        build_dir = paths.build(build)
        if options.sigs and not os.path.isdir(build_dir):
            _warn(f"Build directory not found: {build_dir}")
        else:
            build_dirs[build["id"]] = build_dir
    lines = []
    for rpm in rpms:
        build_dir = build_dirs.get(rpm["build_id"])
        if build_dir is None:
            continue
        if not options.sigs:
            lines.append(f"{build_dir}/{paths.rpm(rpm)}")
        elif os.path.exists(signed := f"{build_dir}/{paths.signed(rpm, rpm['sigkey'])}"):
            lines.append(signed)
    return lines


def handle_list_tagged(ctx: Context) -> int:
    """The builds (or RPMs) in a tag, sorted, optionally the latest ones, through inheritance."""
    import os

    options = ctx.options
    if options.no_draft and options.draft_only:
        raise UsageError("--draft-only conflicts with --no-draft")
    session = ctx.session()
    query = _tagged_query(ctx)
    if options.sigs:
        query["rpmsigs"] = True
    event = ctx.query_event()
    if event:
        query["event"] = event["id"]
        if not ctx.quiet and not ctx.json:
            print_event(event)
    if not session.getTag(options.tag, event=event["id"] if event else None):
        raise UsageError(f"No such tag: {options.tag}")
    if options.sigs and options.paths:
        packages_dir = f"{path_info(ctx).topdir}/packages"
        if not os.path.exists(packages_dir):
            raise CommandError(f"'list-tagged --sigs --paths' requires accessible {packages_dir}")
    if options.rpms or options.arch or options.sigs:
        rpms, builds = session.listTaggedRPMS(options.tag, **query)
        if ctx.json:
            print_json({"rpms": rpms, "builds": builds})
            return 0
        lines = _tagged_rpm_lines(ctx, rpms, builds)
    else:
        builds = session.listTagged(options.tag, **query)
        if ctx.json:
            print_json(builds)
            return 0
        if not ctx.quiet:
            print(_BUILD_HEADER)
        paths = path_info(ctx) if options.paths else None
        lines = [_build_line(build, paths and paths.build(build)) for build in builds]
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
    paths = path_info(ctx) if options.paths else None
    for package in options.packages or [None]:
        if options.arch:
            rpms, builds = session.getLatestRPMS(options.tag, package=package, arch=options.arch)
            found += rpms
            if paths:
                package_names = {build["build_id"]: build["package_name"] for build in builds}
                lines = [
                    f"{paths.build({**rpm, 'name': package_names[rpm['build_id']]})}/{paths.rpm(rpm)}" for rpm in rpms
                ]
            else:
                lines = [f"{rpm['name']}-{rpm['version']}-{rpm['release']}.{rpm['arch']}" for rpm in rpms]
        else:
            kwargs = {"type": options.type} if options.type else {}
            builds = session.getLatestBuilds(options.tag, package=package, **kwargs)
            found += builds
            lines = [_build_line(build, paths and paths.build(build)) for build in builds]
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


def parse_time(text: str) -> float:
    """A time option as koji reads one: seconds since the epoch, or a date/time in local time.

    koji hands the text to dateutil's parser; kiln does too when dateutil is
    installed, and otherwise reads ISO forms (``2020-12-31``, ``2020-12-31 12:35``).
    """
    import argparse
    import time
    from datetime import datetime

    try:
        return float(text)
    except ValueError:
        pass
    try:
        try:
            from dateutil.parser import parse
        except ImportError:
            parse = datetime.fromisoformat
        return time.mktime(parse(text).timetuple())
    except (ValueError, OverflowError) as exc:
        raise argparse.ArgumentTypeError(f"invalid time specification: {text!r}") from exc


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
    if options.volume:
        query["volumeID"] = _int_or_lookup(
            options.volume,
            lambda name: next((v["id"] for v in session.listVolumes() if v["name"] == name), None),
            "volume",
        )
    if options.before:
        query["completeBefore"] = options.before
    if options.after:
        query["completeAfter"] = options.after
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


def _changelog_text(entries: list[dict[str, Any]]) -> str:
    """Changelog entries as koji's formatChangelog writes them: a heading, the text, a blank line."""
    import time

    text = ""
    for entry in entries:
        date = entry["date"]
        if isinstance(date, (int, float)):
            day = time.localtime(date)
        else:
            day = time.strptime(str(date).split(".")[0][:19], "%Y-%m-%d %H:%M:%S")
        text += f"* {time.strftime('%a %b %d %Y', day)} {entry['author']}\n{entry['text']}\n\n"
    return text


def _print_build(ctx: Context, info: dict[str, Any], task: dict[str, Any] | None, tags: list[str]) -> None:
    from kiln.cli.output import format_time_long
    from kiln.client.task_labels import task_label
    from kiln.protocol.constants import BuildState

    state = BuildState(info["state"]).name
    print(f"BUILD: {info['name']}-{info['version']}-{info['release']} [{info['id']}]")
    if info.get("draft"):
        print("Draft: YES")
    print(f"State: {state}")
    if state == "BUILDING":
        print(f"Reserved by: {info.get('cg_name')}")
    print(f"Built by: {info['owner_name']}")
    if info.get("source") is not None:
        print(f"Source: {info['source']}")
    if "volume_name" in info:
        print(f"Volume: {info['volume_name']}")
    print(f"Task: {task['id']} {task_label(task)}" if task else "Task: none")
    print(f"Finished: {format_time_long(info['completion_ts'])}")
    if info.get("promotion_ts"):
        print(f"Promoted by: {info['promoter_name']}")
        print(f"Promoted at: {format_time_long(info['promotion_ts'])}")
    print(f"Tags: {' '.join(tags)}")
    if info.get("extra"):
        print(f"Extra: {info['extra']!r}")
    if info["rpms"]:
        paths = path_info(ctx)
        print("RPMs:")
        for rpm in info["rpms"]:
            line = f"{paths.build(info)}/{paths.rpm(rpm)}"
            keys = ", ".join(sorted(sig["sigkey"] for sig in rpm["sigs"] if sig["sigkey"]))
            print(f"{line}\tSignatures: {keys}" if keys else line)
    if ctx.options.changelog and info.get("changelog"):
        print("Changelog:")
        print(_changelog_text(info["changelog"]))


def handle_buildinfo(ctx: Context) -> int:
    """Each build named (NVR or id): its state, owner, task, tags and RPMs, as koji prints them.

    With ``--json``, each build as getBuild gives it, with the hub's ``tags``,
    ``rpms`` (each with its ``sigs``), ``task`` and, with --changelog, ``changelog``.
    """
    session = ctx.session()
    found = []
    missing = False
    for word in ctx.options.builds:
        ref: int | str = int(word) if word.isdigit() else word
        info = session.getBuild(ref)
        if info is None:
            _warn(f"No such build: {ref}\n")
            missing = True
            continue
        task_id = info.get("task_id") or (info.get("extra") or {}).get("container_koji_task_id")
        task = session.getTaskInfo(task_id, request=True) if task_id else None
        tags = [tag["name"] for tag in session.listTags(ref)]
        info = {**info, "tags": tags, "task": task, "rpms": session.listRPMs(buildID=info["id"])}
        with session.multicall(strict=True) as calls:
            sigs = [calls.queryRPMSigs(rpm["id"]) for rpm in info["rpms"]]
        for rpm, answer in zip(info["rpms"], sigs, strict=True):
            rpm["sigs"] = answer.result
        if ctx.options.changelog:
            info["changelog"] = session.getChangelogEntries(info["id"])
        found.append(info)
        if not ctx.json:
            _print_build(ctx, info, task, tags)
    if ctx.json:
        print_json(found)
    return 1 if missing else 0


# buildReferences' keys, in the order and with the labels koji's list-untagged shows them
_REFERENCE_LABELS = (("rpms", "rpms"), ("component_of", "images/archives"), ("archives", "archives buildroots"))


def handle_list_untagged(ctx: Context) -> int:
    """Builds in no tag (of one package), by NVR or path, with what still refers to them."""
    options = ctx.options
    session = ctx.session()
    query = {}
    if options.package:
        if session.getPackageID(options.package) is None:
            raise CommandError(f"No such package: {options.package}")
        query["name"] = options.package
    builds = session.untaggedBuilds(**query)
    if options.show_references:
        with session.multicall(strict=True, batch=10000) as calls:
            answers = [calls.buildReferences(build["id"]) for build in builds]
        for build, answer in zip(builds, answers, strict=True):
            build["references"] = answer.result
    if ctx.json:
        print_json(builds)
        return 0
    paths = path_info(ctx)
    lines = []
    for build in builds:
        line = paths.build(build) if options.paths else f"{build['name']}-{build['version']}-{build['release']}"
        if options.show_references:
            refs = build["references"]
            shown = [f"{label}: {refs[key]}" for key, label in _REFERENCE_LABELS if refs.get(key)]
            line += " " + ", ".join(shown)
        lines.append(line)
    if options.show_references:
        print("(Showing build references)")
    for line in sorted(lines):
        print(line)
    return 0


def _wait(ctx: Context, task_ids: list[int]) -> int:
    """Watch the tasks unless --nowait, or unless in the background without --wait (koji's rule)."""
    from kiln.cli.watch import running_in_background, watch_for

    wait = ctx.options.wait
    if wait or (wait is None and not running_in_background()):
        return watch_for(ctx, task_ids)
    return 0


def handle_tag_build(ctx: Context) -> int:
    """A tagBuild task for each build named, watched (unless --nowait) until it tags the build."""
    options = ctx.options
    if len(options.args) < 2:
        raise UsageError("This command takes at least two arguments: a tag name/ID and one or more package n-v-r's")
    session = ctx.login_session()
    tag, *nvrs = options.args
    task_ids = []
    for nvr in nvrs:
        task_id = session.tagBuild(tag, nvr, force=options.force)
        task_ids.append(task_id)
        print(f"Created task {task_id}")
    return _wait(ctx, task_ids)


def handle_move_build(ctx: Context) -> int:
    """A tagBuild task per build (every build of a package, with --all) from one tag to another."""
    options = ctx.options
    if len(options.args) < 3:
        what = "package names" if options.all else "package n-v-r's"
        with_all = ", with --all," if options.all else ""
        raise UsageError(f"This command{with_all} takes at least three arguments: two tags and one or more {what}")
    session = ctx.login_session()
    source, dest, *words = options.args
    task_ids: list[int] = []
    if options.all:
        for word in words:
            if not session.getPackage(word):
                print(f"No such package: {word}, skipping.")
                continue
            task_ids += session.moveAllBuilds(source, dest, word, options.force)
        return _wait(ctx, task_ids)
    builds: list[dict[str, Any]] = []
    for word in words:
        build = session.getBuild(word)
        if not build:
            print(f"No such build: {word}, skipping.")
        elif build not in builds:
            builds.append(build)
    for build in builds:
        task_id = session.moveBuild(source, dest, build["id"], options.force)
        task_ids.append(task_id)
        name = build.get("package_name") or build["name"]
        print(f"Created task {task_id}, moving {name}-{build['version']}-{build['release']}")
    return _wait(ctx, task_ids)


def _nvr(entry: dict[str, Any]) -> str:
    return f"{entry['name']}-{entry['version']}-{entry['release']}"


def _active_taggings(session: Any, tag: str, packages: list[str | None]) -> list[dict[str, Any]]:
    """The tag's current tag_listing entries (of each package), from the history as koji reads them."""
    found: list[dict[str, Any]] = []
    for package in packages:
        kwargs = {"package": package} if package else {}
        found += session.queryHistory(tag=tag, active=True, **kwargs)["tag_listing"]
    return found


def _builds_to_untag(ctx: Context, session: Any, tag: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The tag_listing entries to untag; None when an NVR named is not in the tag (and no --force)."""
    options = ctx.options
    tag_word, words = options.args[0], options.args[1:]
    if options.all:
        return _active_taggings(session, tag_word, words)
    if options.non_latest:
        tagged = _active_taggings(session, tag_word, words if words or not options.force else [None])
        tagged.sort(key=lambda entry: entry["create_event"], reverse=True)
        seen: set[str] = set()
        older = []
        for entry in tagged:
            if entry["name"] in seen:
                older.append(entry)
            elif options.verbose:
                print(f"Leaving latest build for package {entry['name']}: {_nvr(entry)}")
            seen.add(entry["name"])
        return older
    # a package the hub does not know has no builds in the tag: its NVRs are reported below
    names = [name for name in sorted({word.rsplit("-", 2)[0] for word in words}) if session.getPackageID(name)]
    index = {_nvr(entry): entry for entry in _active_taggings(session, tag_word, names)} if names else {}
    chosen = []
    for nvr in words:
        if nvr in index:
            chosen.append(index[nvr])
            continue
        _warn(f"No such build: {nvr}" if not session.getBuild(nvr) else f"Build {nvr} not in tag {tag['name']}")
        if not options.force:
            return None
    return chosen


def handle_untag_build(ctx: Context) -> int:
    """Untag builds named by NVR, or every (--all) or every older (--non-latest) build of packages."""
    options = ctx.options
    if options.non_latest and options.force:
        if not options.args:
            raise UsageError("Please specify a tag")
    elif len(options.args) < 2:
        raise UsageError(
            "This command takes at least two arguments: a tag name/ID and one or more package n-v-r's or package names"
        )
    session = ctx.login_session()
    tag = session.getTag(options.args[0])
    if not tag:
        raise UsageError(f"No such tag: {options.args[0]}")
    builds = _builds_to_untag(ctx, session, tag)
    if builds is None:
        return 1
    builds.reverse()
    with session.multicall(strict=True) as calls:
        for build in builds:
            if options.test:
                print(f"would have untagged {_nvr(build)}")
                continue
            if options.verbose:
                print(f"untagging {_nvr(build)}")
            calls.untagBuild(tag["name"], _nvr(build), force=options.force)
    return 0


def _add_wait_options(parser: Any, what: str) -> None:
    parser.add_argument("--wait", action="store_true", default=None, help=f"wait on {what}, even in the background")
    parser.add_argument("--nowait", action="store_false", dest="wait", help=f"do not wait on {what}")


def register(subparsers: Any) -> None:
    """Add the builds commands."""
    builds = add_command(subparsers, "list-builds", handle_list_builds)
    builds.add_argument("--package", help="builds of this package (name or id)")
    builds.add_argument("--buildid", help="the one build of this id or NVR")
    builds.add_argument("--before", type=parse_time, help="builds completed before this time (timestamp or date)")
    builds.add_argument("--after", type=parse_time, help="builds completed after this time (timestamp or date)")
    builds.add_argument("--state", help="builds in this state (name or number)")
    builds.add_argument("--task", help="builds of this task")
    builds.add_argument("--type", help="builds of this type")
    builds.add_argument("--prefix", help="builds whose names start with this")
    builds.add_argument("--pattern", help="builds whose NVR matches this glob")
    builds.add_argument("--cg", help="builds imported by this content generator")
    builds.add_argument("--source", help="builds whose source matches this glob")
    builds.add_argument("--owner", help="builds built by this user (name or id)")
    builds.add_argument("--volume", help="builds on this volume (name or id)")
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
    tagged.add_argument("--paths", action="store_true", help="show the file paths")
    tagged.add_argument("--sigs", action="store_true", help="show signatures")
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
    latest.add_argument("--paths", action="store_true", help="show the file paths")
    latest.add_argument("--type", help="show builds of this type only")
    add_json_option(latest)

    buildinfo = add_command(subparsers, "buildinfo", handle_buildinfo)
    buildinfo.add_argument("builds", nargs="+", metavar="n-v-r", help="builds by NVR or id")
    buildinfo.add_argument("--changelog", action="store_true", help="show the changelog for the build")
    add_json_option(buildinfo)

    untagged = add_command(subparsers, "list-untagged", handle_list_untagged)
    untagged.add_argument("package", nargs="?")
    untagged.add_argument("--paths", action="store_true", help="show the file paths")
    untagged.add_argument("--show-references", action="store_true", help="show build references")
    add_json_option(untagged)

    tag_build = add_command(subparsers, "tag-build", handle_tag_build)
    tag_build.add_argument("args", nargs="*", metavar="tag pkg", help="a tag, then builds (n-v-r)")
    tag_build.add_argument("--force", action="store_true", help="force operation")
    _add_wait_options(tag_build, "the task")

    move = add_command(subparsers, "move-build", handle_move_build)
    move.add_argument("args", nargs="*", metavar="tag1 tag2 pkg", help="two tags, then builds (or packages, --all)")
    move.add_argument("--force", action="store_true", help="force operation")
    _add_wait_options(move, "the tasks")
    move.add_argument("--all", action="store_true", help="move every build of each package (pkg is a package name)")

    untag = add_command(subparsers, "untag-build", handle_untag_build)
    untag.add_argument("args", nargs="*", metavar="tag pkg", help="a tag, then builds (or packages)")
    untag.add_argument("--all", action="store_true", help="untag every build of each package (pkg is a package name)")
    untag.add_argument("--non-latest", action="store_true", help="untag every build of each package but the latest")
    untag.add_argument("-n", "--test", action="store_true", help="test mode: say what would be untagged")
    untag.add_argument("-v", "--verbose", action="store_true", help="print details")
    untag.add_argument("--force", action="store_true", help="force operation")
