"""The tags area: tags, their inheritance and build targets.

list-tags, taginfo, add-tag, edit-tag, remove-tag, the tag inheritance
commands (add, edit, remove, list) and the build target commands (list-targets,
add-target, edit-target, remove-target).
"""

from __future__ import annotations

import argparse
import sys
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


def _extra_values(words: list[str]) -> dict[str, Any]:
    """``-x key=value`` options: values read as koji's call reads them, then as JSON."""
    import contextlib
    import json

    from kiln.cli.values import parse_value

    extra: dict[str, Any] = {}
    for word in words:
        key, sep, text = word.partition("=")
        if not sep:
            raise UsageError(f"--extra takes key=value, not {word!r}")
        if key in extra:
            raise UsageError(f"Duplicate extra key: {key}")
        value = parse_value(text)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(text)
        extra[key] = value
    return extra


def handle_edit_tag(ctx: Context) -> int:
    """Change a tag's name, arches, lock, permission, Maven settings or extra options (editTag2)."""
    from kiln.cli.values import parse_arches

    options = ctx.options
    if len(options.args) != 1:
        raise UsageError("Please specify a name for the tag")
    settings: dict[str, Any] = {}
    if options.arches:
        try:
            settings["arches"] = parse_arches(options.arches)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if options.no_perm:
        settings["perm"] = None
    elif options.perm:
        settings["perm"] = options.perm
    # given both ways, koji's --lock wins over --unlock, and --no-X over --X
    if options.lock or options.unlock:
        settings["locked"] = bool(options.lock)
    for flag, on, off in (
        ("maven_support", options.maven_support, options.no_maven_support),
        ("maven_include_all", options.include_all, options.no_include_all),
    ):
        if on or off:
            settings[flag] = not off
    if options.rename:
        settings["name"] = options.rename
    if options.extra:
        settings["extra"] = _extra_values(options.extra)
    settings["remove_extra"] = options.remove_extra
    settings["block_extra"] = options.block_extra
    ctx.login_session().editTag2(options.args[0], **settings)
    return 0


def handle_remove_tag(ctx: Context) -> int:
    """Delete a tag (its history stays)."""
    options = ctx.options
    if len(options.args) != 1:
        raise UsageError("Please specify a tag to remove")
    session = ctx.login_session()
    require_perm(session, "tag")
    tag = session.getTag(options.args[0])
    if not tag:
        raise CommandError(f"No such tag: {options.args[0]}")
    session.deleteTag(tag["id"])
    return 0


def _tag_or_usage(session: Any, name: str, **event: Any) -> dict[str, Any]:
    tag = session.getTag(name, **event)
    if not tag:
        raise UsageError(f"No such tag: {name}")
    return tag


def _maxdepth(text: str | None, none_word: bool) -> Any:
    """``--maxdepth``: a number; "none" clears it where koji allows that (edit)."""
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    if none_word and text.lower() == "none":
        return None
    if none_word:
        raise CommandError(f"Invalid maxdepth: {text}")
    return None  # add-tag-inheritance, as koji's, reads anything else as no limit


def _priority(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"invalid priority: {text!r}") from None


def _check_free_priority(links: list[dict[str, Any]], priority: int, tag: dict[str, Any]) -> None:
    if any(link["priority"] == priority for link in links):
        raise CommandError(
            f"Error: There is already an active inheritance with that priority on {tag['name']}, "
            "please specify a different priority with --priority."
        )


def handle_add_tag_inheritance(ctx: Context) -> int:
    """Give a tag one more parent, at a priority no other parent of the tag has."""
    options = ctx.options
    if len(options.args) != 2:
        raise UsageError(
            "This command takes exactly two arguments: a tag name or ID and that tag's new parent name or ID"
        )
    session = ctx.login_session()
    tag = _tag_or_usage(session, options.args[0])
    parent = _tag_or_usage(session, options.args[1])
    links = session.getInheritanceData(tag["id"])
    priority = _priority(options.priority) if options.priority else 0
    if any(link["parent_id"] == parent["id"] for link in links) and not options.force:
        print(
            f"Error: You are attempting to add {parent['name']} as {tag['name']}'s parent even though "
            f"it already is {tag['name']}'s parent.",
            file=sys.stderr,
        )
        raise CommandError("Please use --force if this is what you really want to do.")
    _check_free_priority(links, priority, tag)
    link = {
        "parent_id": parent["id"],
        "priority": priority,
        "maxdepth": _maxdepth(options.maxdepth, none_word=False),
        "intransitive": bool(options.intransitive),
        "noconfig": bool(options.noconfig),
        "pkg_filter": options.pkg_filter or "",
    }
    session.setInheritanceData(tag["id"], [*links, link])
    return 0


def _chosen_link(ctx: Context, session: Any) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The tag, the one link that ``TAG [PARENT [PRIORITY]]`` names, and all the tag's links."""
    args = ctx.options.args
    if len(args) < 1:
        raise UsageError("This command takes at least one argument: a tag name or ID")
    if len(args) > 3:
        raise UsageError(
            "This command takes at most three argument: a tag name or ID, a parent tag name or ID, and a priority"
        )
    tag = _tag_or_usage(session, args[0])
    parent = _tag_or_usage(session, args[1]) if len(args) > 1 else None
    priority = _priority(args[2]) if len(args) > 2 else None
    links = session.getInheritanceData(tag["id"])
    chosen = [link for link in links if parent is None or link["parent_id"] == parent["id"]]
    # koji's: priority 0 on the command line selects nothing more
    chosen = [link for link in chosen if not priority or link["priority"] == priority]
    if not chosen:
        raise CommandError("No inheritance link found to remove.  Please check your arguments")
    if len(chosen) > 1:
        print("Multiple matches for tag.")
        if parent is None:
            raise CommandError("Please specify a parent on the command line.")
        if not priority:
            raise CommandError("Please specify a priority on the command line.")
        raise CommandError("Error: Key constraints may be broken.  Exiting.")
    return tag, chosen[0], links


def handle_edit_tag_inheritance(ctx: Context) -> int:
    """Change one inheritance link: its priority, maxdepth, flags or package filter."""
    options = ctx.options
    session = ctx.login_session()
    tag, link, links = _chosen_link(ctx, session)
    edited = dict(link)
    if options.priority is not None:
        priority = _priority(options.priority)
        _check_free_priority(links, priority, tag)
        edited["priority"] = priority
    if options.maxdepth is not None:
        edited["maxdepth"] = _maxdepth(options.maxdepth, none_word=True)
    if options.intransitive:
        edited["intransitive"] = True
    if options.noconfig:
        edited["noconfig"] = True
    if options.pkg_filter:
        edited["pkg_filter"] = options.pkg_filter
    session.setInheritanceData(tag["id"], [edited if item == link else item for item in links])
    return 0


def handle_remove_tag_inheritance(ctx: Context) -> int:
    """Remove one inheritance link."""
    session = ctx.login_session()
    tag, link, links = _chosen_link(ctx, session)
    removed = {**link, "delete link": True}
    session.setInheritanceData(tag["id"], [removed if item == link else item for item in links])
    return 0


def inheritance_tree(links: list[dict[str, Any]], reverse: bool) -> list[str]:
    """getFullInheritance's depth-first links drawn as koji draws them: flags, then a box-drawing tree.

    A link has later siblings when another link below it hangs off the same
    tag (the same child, or with ``reverse`` the same parent); the depths whose
    branch is still open get a vertical bar on each line until it closes.
    """
    lines = []
    open_depths: list[int] = []
    side = "parent_id" if reverse else "child_id"
    for index, link in enumerate(links):
        depth = link["currdepth"]
        more = any(other[side] == link[side] for other in links[index + 1 :])
        line = inheritance_flags(link)
        column = 0
        for open_depth in open_depths:
            if open_depth < depth:
                line += " " * ((open_depth - column) * 3 - 1) + "\u2502"
                column = open_depth
        line += " " * ((depth - column) * 3 - 1) + ("\u251c" if more else "\u2514") + "\u2500"
        line += f"{link['name']} ({link['tag_id'] if reverse else link['parent_id']})"
        lines.append(line)
        if more:
            if not open_depths or open_depths[-1] != depth:
                open_depths.append(depth)
        elif open_depths and open_depths[-1] == depth:
            open_depths.pop()
    return lines


def handle_list_tag_inheritance(ctx: Context) -> int:
    """The tag's parents (or with --reverse its children), all the way up (or down), as a tree."""
    options = ctx.options
    if len(options.args) != 1:
        raise UsageError("This command takes exactly one argument: a tag name or ID")
    for removed in ("stop", "jump"):
        if getattr(options, removed):
            raise UsageError(f"--{removed} option has been removed in 1.26")
    session = ctx.session()
    event = ctx.query_event()
    event_opts = {"event": event["id"]} if event else {}
    if event and not ctx.json:
        print_event(event)
    tag = _tag_or_usage(session, options.args[0], **event_opts)
    links = session.getFullInheritance(tag["id"], reverse=bool(options.reverse), **event_opts)
    if ctx.json:
        print_json(links)
        return 0
    print(f"     {tag['name']} ({tag['id']})")
    for line in inheritance_tree(links, bool(options.reverse)):
        print(line)
    return 0


def handle_edit_target(ctx: Context) -> int:
    """Rename a build target or point it at another build or destination tag."""
    options = ctx.options
    if len(options.args) != 1:
        raise UsageError("Please specify a build target")
    session = ctx.login_session()
    require_perm(session, "target")
    target = session.getBuildTarget(options.args[0])
    if target is None:
        raise CommandError(f"GenericError: No such build target: {options.args[0]}")
    build_tag, dest_tag = target["build_tag_name"], target["dest_tag_name"]
    if options.build_tag:
        build = session.getTag(options.build_tag)
        if not build:
            raise CommandError(f"No such tag: {options.build_tag}")
        if not build.get("arches"):
            raise CommandError(f"Build tag has no arches: {options.build_tag}")
        build_tag = options.build_tag
    if options.dest_tag:
        if not session.getTag(options.dest_tag):
            raise CommandError(f"No such destination tag: {options.dest_tag}")
        dest_tag = options.dest_tag
    session.editBuildTarget(target["name"], options.rename or target["name"], build_tag, dest_tag)
    return 0


def handle_remove_target(ctx: Context) -> int:
    """Delete a build target."""
    options = ctx.options
    if len(options.args) != 1:
        raise UsageError("Please specify a build target to remove")
    session = ctx.login_session()
    require_perm(session, "target")
    target = session.getBuildTarget(options.args[0])
    if not target:
        raise CommandError(f"No such build target: {options.args[0]}")
    session.deleteBuildTarget(target["id"])
    return 0


def _add_link_options(parser: Any, priority_help: str) -> None:
    parser.add_argument("--priority", help=priority_help)
    parser.add_argument("--maxdepth", help="specify max depth")
    parser.add_argument("--intransitive", action="store_true", help="set intransitive")
    parser.add_argument("--noconfig", action="store_true", help="set to packages only")
    parser.add_argument("--pkg-filter", help="specify the package filter")


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

    edit_tag = add_command(subparsers, "edit-tag", handle_edit_tag)
    edit_tag.add_argument("args", nargs="*", metavar="name")
    edit_tag.add_argument("--arches", help="specify arches")
    edit_tag.add_argument("--perm", help="specify permission requirement")
    edit_tag.add_argument("--no-perm", action="store_true", help="remove permission requirement")
    edit_tag.add_argument("--lock", action="store_true", help="lock the tag")
    edit_tag.add_argument("--unlock", action="store_true", help="unlock the tag")
    edit_tag.add_argument("--rename", help="rename the tag")
    edit_tag.add_argument("--maven-support", action="store_true", help="enable Maven repos for this tag")
    edit_tag.add_argument("--no-maven-support", action="store_true", help="disable Maven repos for this tag")
    edit_tag.add_argument("--include-all", action="store_true", help="all packages in this tag's Maven repos")
    edit_tag.add_argument("--no-include-all", action="store_true", help="not all packages in its Maven repos")
    edit_tag.add_argument(
        "-x", "--extra", action="append", default=[], metavar="key=value", help="set an extra option (JSON or simple)"
    )
    edit_tag.add_argument("-r", "--remove-extra", action="append", default=[], metavar="key", help="remove an option")
    edit_tag.add_argument(
        "-b", "--block-extra", action="append", default=[], metavar="key", help="block an inherited option"
    )

    remove_tag = add_command(subparsers, "remove-tag", handle_remove_tag)
    remove_tag.add_argument("args", nargs="*", metavar="name")

    add_link = add_command(subparsers, "add-tag-inheritance", handle_add_tag_inheritance)
    add_link.add_argument("args", nargs="*", metavar="tag parent-tag")
    _add_link_options(add_link, "specify priority")
    add_link.add_argument("--force", action="store_true", help="add a parent the tag already has")

    edit_link = add_command(subparsers, "edit-tag-inheritance", handle_edit_tag_inheritance)
    edit_link.add_argument("args", nargs="*", metavar="tag [parent [priority]]")
    _add_link_options(edit_link, "specify a new priority")

    remove_link = add_command(subparsers, "remove-tag-inheritance", handle_remove_tag_inheritance)
    remove_link.add_argument("args", nargs="*", metavar="tag [parent [priority]]")

    list_links = add_command(subparsers, "list-tag-inheritance", handle_list_tag_inheritance)
    list_links.add_argument("args", nargs="*", metavar="tag")
    list_links.add_argument("--reverse", action="store_true", help="process the tag's children instead of its parents")
    list_links.add_argument("--stop", help=argparse.SUPPRESS)
    list_links.add_argument("--jump", help=argparse.SUPPRESS)
    add_event_options(list_links)
    add_json_option(list_links)

    edit_target = add_command(subparsers, "edit-target", handle_edit_target)
    edit_target.add_argument("args", nargs="*", metavar="name")
    edit_target.add_argument("--rename", help="specify new name for target")
    edit_target.add_argument("--build-tag", help="specify a different build tag")
    edit_target.add_argument("--dest-tag", help="specify a different destination tag")

    remove_target = add_command(subparsers, "remove-target", handle_remove_target)
    remove_target.add_argument("args", nargs="*", metavar="name")
