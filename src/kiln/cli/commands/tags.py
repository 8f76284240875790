"""The tags area: list-tags, list-targets."""

from __future__ import annotations

from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import Context, UsageError, add_json_option, add_quiet_option, print_json


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

    targets = add_command(subparsers, "list-targets", handle_list_targets)
    targets.add_argument("--name", help="specify the build target name")
    add_quiet_option(targets)
    add_json_option(targets)
