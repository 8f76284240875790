"""The tags area: list-tags, taginfo, add-tag, list-targets, add-target."""

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


def handle_list_tags(ctx: Context) -> int:
    """Tag names (or those matching the patterns), optionally with ids, locks and permissions."""
    options = ctx.options
    session = ctx.session()
    package_id = build_id = None
    if options.package:
        package = session.getPackage(options.package)
        if not package:
            raise UsageError(f"No such package: {options.package}")
        package_id = package["id"]
    if options.build:
        build = session.getBuild(options.build)
        if not build:
            raise UsageError(f"No such build: {options.build}")
        build_id = build["id"]
    if options.patterns:
        with session.multicall(strict=True) as m:
            calls = [m.listTags(build=build_id, package=package_id, pattern=p) for p in options.patterns]
        tags = [tag for call in calls for tag in call.result]
    else:
        tags = session.listTags(build=build_id, package=package_id)
    tags.sort(key=lambda tag: tag["name"])
    if options.unlocked:
        tags = [tag for tag in tags if not tag["locked"] and not tag["perm"]]
    if ctx.json:
        print_json(tags)
        return 0
    for tag in tags:
        line = f"{tag['name']} [{tag['id']}]" if options.show_id else tag["name"]
        if options.verbose:
            if tag["locked"]:
                line += " [LOCKED]"
            if tag["perm"]:
                line += f" [{tag['perm']} perm required]"
        print(line)
    return 0


def handle_list_targets(ctx: Context) -> int:
    """Build targets with their build and destination tags, sorted by name."""
    options = ctx.options
    targets = ctx.session().getBuildTargets(options.name)
    if not targets and not ctx.json:
        raise UsageError(f"No such build target: {options.name}" if options.name else "No targets were found")
    targets.sort(key=lambda target: target["name"])
    if ctx.json:
        print_json(targets)
        return 0
    if not ctx.quiet:
        print(f"{'Name':<30} {'Buildroot':<30} {'Destination':<30}")
        print("-" * 93)
    for target in targets:
        print(f"{target['name']:<30} {target['build_tag_name']:<30} {target['dest_tag_name']:<30}")
    return 0


def inheritance_flags(parent: dict[str, Any]) -> str:
    """Four columns, a letter where the link sets it: Maxdepth, package Filter, Intransitive, Noconfig."""
    marks = (
        ("M", parent["maxdepth"] is not None),
        ("F", parent["pkg_filter"]),
        ("I", parent["intransitive"]),
        ("N", parent["noconfig"]),
    )
    return "".join(code if on else "." for code, on in marks)


def _build_config(session: Any, tag: str | int, event_opts: dict[str, Any]) -> dict[str, Any] | None:
    """The tag's build config, None for no such tag (the hub faults with a plain GenericError)."""
    from kiln.protocol.errors import GenericError

    try:
        return session.getBuildConfig(tag, **event_opts)
    except GenericError as exc:
        if type(exc) is GenericError and "No such tag" in str(exc):
            return None
        raise


def _fetch_tag(ctx: Context, word: str, event_opts: dict[str, Any]) -> dict[str, Any]:
    session = ctx.session()
    info = _build_config(session, word, event_opts)
    if info is None and word.isdigit():
        info = _build_config(session, int(word), event_opts)
    if info is None:
        raise CommandError(f"No such tag: {word}")
    info = dict(info)
    tag_id = info["id"]
    info["groups"] = session.getTagGroups(tag_id, **event_opts)
    info["dest_targets"] = session.getBuildTargets(destTagID=tag_id, **event_opts)
    info["build_targets"] = session.getBuildTargets(buildTagID=tag_id, **event_opts)
    info["external_repos"] = session.getTagExternalRepos(tag_info=tag_id, **event_opts)
    info["inheritance"] = session.getInheritanceData(tag_id, **event_opts)
    if not event_opts:
        repo_tags = [target["build_tag"] for target in info["dest_targets"] + info["build_targets"]] + [tag_id]
        info["repos"] = {repo_tag: session.getRepo(repo_tag) for repo_tag in dict.fromkeys(repo_tags)}
    return info


def _repo_text(repo: dict[str, Any] | None) -> str:
    return "no active repo" if repo is None else f"repo#{repo['id']}: {repo['creation_time']}"


def _print_tag(info: dict[str, Any], perms: dict[int, str], maven: bool, at_event: bool) -> None:
    import pprint

    print(f"Tag: {info['name']} [{info['id']}]")
    print(f"Arches: {info['arches']}")
    print("Groups: " + ", ".join(sorted(group["name"] for group in info["groups"])))
    if info.get("locked"):
        print("LOCKED")
    if info.get("perm_id") is not None:
        print(f"Required permission: {perms.get(info['perm_id'], info['perm_id'])!r}")
    if maven:
        print(f"Maven support?: {'yes' if info['maven_support'] else 'no'}")
        print(f"Include all Maven archives?: {'yes' if info['maven_include_all'] else 'no'}")
    if "extra" in info:
        print("Tag options:")
        inherited = info.get("config_inheritance", {}).get("extra", {})
        for key in sorted(info["extra"]):
            line = f"  {key} : {pprint.pformat(info['extra'][key])}"
            if key in inherited:
                line = f"{line:<30} [{inherited[key]['name']}]"
            print(line)
    repos = info.get("repos", {})
    if info["dest_targets"]:
        print("Targets that build into this tag:")
        for target in info["dest_targets"]:
            if at_event:
                print(f"  {target['name']} ({target['build_tag_name']})")
            else:
                print(f"  {target['name']} ({target['build_tag_name']}, {_repo_text(repos[target['build_tag']])})")
    if info["build_targets"]:
        print("This tag is a buildroot for one or more targets")
        if not at_event:
            print(f"Current repo: {_repo_text(repos[info['id']])}")
        print("Targets that build from this tag:")
        for target in info["build_targets"]:
            print(f"  {target['name']}")
    elif info["id"] in repos:
        print(f"Current repo: {_repo_text(repos[info['id']])}")
    if info["external_repos"]:
        print("External repos:")
        for repo in info["external_repos"]:
            arches = repo.get("arches", "-")
            print(
                f"  {repo['priority']:3d} {repo['external_repo_name']} "
                f"({repo['url']}, merge mode: {repo['merge_mode']}), arches: {arches or 'inherited from tag'}"
            )
    print("Inheritance:")
    for parent in info["inheritance"]:
        print(f"  {parent['priority']:<4d} {inheritance_flags(parent)} {parent['name']} [{parent['parent_id']}]")
        if parent["maxdepth"] is not None:
            print(f"    maxdepth: {parent['maxdepth']}")
        if parent["pkg_filter"]:
            print(f"    package filter: {parent['pkg_filter']}")


def handle_taginfo(ctx: Context) -> int:
    """Each tag named: arches, groups, lock and permission, options, targets, repos, inheritance."""
    session = ctx.session()
    event = ctx.query_event()
    event_opts = {"event": event["id"]} if event else {}
    if event and not ctx.json:
        print_event(event)
    tags = [_fetch_tag(ctx, word, event_opts) for word in ctx.options.tags]
    if ctx.json:
        for info in tags:
            info["repos"] = list(info.get("repos", {}).values())
        print_json(tags)
        return 0
    perms = {perm["id"]: perm["name"] for perm in session.getAllPerms()}
    maven = session.mavenEnabled()
    for index, info in enumerate(tags):
        if index:
            print()
        _print_tag(info, perms, maven, bool(event))
    return 0


def require_perm(session: Any, *perms: str) -> None:
    """Refuse early, as koji does, when the logged-in user holds none of ``perms`` (admin counts)."""
    if not any(session.hasPerm(perm) for perm in ("admin", *perms)):
        raise UsageError(f"This action requires {' or '.join(perms)} or admin privileges")


def handle_add_tag(ctx: Context) -> int:
    """Create a tag, with its parent, arches, Maven settings and extra options."""
    from kiln.cli.values import parse_arches, parse_value

    options = ctx.options
    session = ctx.login_session()
    require_perm(session, "tag")
    settings: dict[str, Any] = {}
    if options.parent:
        settings["parent"] = options.parent
    if options.arches:
        try:
            settings["arches"] = parse_arches(options.arches)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if options.maven_support:
        settings["maven_support"] = True
    if options.include_all:
        settings["maven_include_all"] = True
    if options.extra:
        extra = {}
        for word in options.extra:
            key, sep, value = word.partition("=")
            if not sep:
                raise UsageError(f"--extra takes key=value, not {word!r}")
            extra[key] = parse_value(value)
        settings["extra"] = extra
    session.createTag(options.name, **settings)
    return 0


def handle_add_target(ctx: Context) -> int:
    """Create a build target; the destination tag defaults to the target's own name."""
    options = ctx.options
    session = ctx.login_session()
    require_perm(session, "target")
    dest_tag = options.dest_tag or options.name
    build = session.getTag(options.build_tag)
    if not build:
        raise CommandError(f"No such tag: {options.build_tag}")
    if not build.get("arches"):
        raise CommandError(f"Build tag has no arches: {options.build_tag}")
    if not session.getTag(dest_tag):
        raise CommandError(f"No such destination tag: {dest_tag}")
    session.createBuildTarget(options.name, options.build_tag, dest_tag)
    return 0


def register(subparsers: Any) -> None:
    """Add the tags commands."""
    tags = add_command(subparsers, "list-tags", handle_list_tags)
    tags.add_argument("patterns", nargs="*", metavar="pattern", help="glob patterns of tag names")
    tags.add_argument("--show-id", action="store_true", help="show tag ids")
    tags.add_argument("--verbose", action="store_true", help="show locks and required permissions")
    tags.add_argument("--unlocked", action="store_true", help="only show unlocked tags")
    tags.add_argument("--build", help="show tags associated with a build")
    tags.add_argument("--package", help="show tags associated with a package")
    add_json_option(tags)

    taginfo = add_command(subparsers, "taginfo", handle_taginfo)
    taginfo.add_argument("tags", nargs="+", metavar="tag", help="tag names or ids")
    add_event_options(taginfo)
    add_json_option(taginfo)

    add_tag = add_command(subparsers, "add-tag", handle_add_tag)
    add_tag.add_argument("name")
    add_tag.add_argument("--parent", help="set a parent tag with priority 0")
    add_tag.add_argument("--arches", help="the tag's arches (comma- or space-separated)")
    add_tag.add_argument("--maven-support", action="store_true", help="enable Maven repos for this tag")
    add_tag.add_argument("--include-all", action="store_true", help="all packages in this tag's Maven repos")
    add_tag.add_argument("-x", "--extra", action="append", default=[], metavar="key=value", help="an extra option")

    targets = add_command(subparsers, "list-targets", handle_list_targets)
    targets.add_argument("--name", help="specify the build target name")
    add_quiet_option(targets)
    add_json_option(targets)

    add_target = add_command(subparsers, "add-target", handle_add_target)
    add_target.add_argument("name")
    add_target.add_argument("build_tag", metavar="build-tag")
    add_target.add_argument("dest_tag", metavar="dest-tag", nargs="?", help="default: the target's name")
