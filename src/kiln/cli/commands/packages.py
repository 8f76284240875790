"""The packages area: list-pkgs, add-pkg, remove-pkg, block-pkg, unblock-pkg, set-pkg-owner."""

from __future__ import annotations

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


def _package_query(ctx: Context) -> dict[str, Any]:
    """listPackages' arguments from the options; the owner and tag must exist."""
    options = ctx.options
    session = ctx.session()
    query: dict[str, Any] = {}
    if options.owner:
        user = session.getUser(options.owner)
        if user is None:
            raise UsageError(f"No such user: {options.owner}")
        query["userID"] = user["id"]
    if options.tag:
        tag = session.getTag(options.tag)
        if tag is None:
            raise UsageError(f"No such tag: {options.tag}")
        query["tagID"] = tag["id"]
    if options.package:
        query["pkgID"] = options.package
    return query


def handle_list_pkgs(ctx: Context) -> int:
    """Package names, or with a tag, owner or package: each package's tag listings."""
    options = ctx.options
    query = _package_query(ctx)
    everything = not query
    query["inherited"] = not options.noinherit
    # superseded owners only mean something within one tag
    query["with_dups"] = bool(options.show_dups) if options.tag else True
    event = ctx.query_event()
    if event:
        query["event"] = event["id"]
        if not ctx.json:
            print_event(event)
    if everything:
        if event:
            raise UsageError("--event and --ts makes sense only with --tag, --owner or --package")
        if options.show_blocked:
            raise UsageError("--show-blocked makes sense only with --tag, --owner or --package")
    if options.show_blocked:
        query["with_blocked"] = True
    packages = ctx.session().listPackages(**query)
    if ctx.json:
        print_json(packages)
        return 0
    if not packages:
        raise CommandError("(no matching packages)")
    if not ctx.quiet:
        if everything:
            print("Package")
            print("-" * 23)
        else:
            print(f"{'Package':<23} {'Tag':<23} {'Extra Arches':<16} {'Owner':<15}")
            print(f"{'-' * 23} {'-' * 23} {'-' * 16} {'-' * 15}")
    for package in packages:
        if everything:
            print(package["package_name"])
            continue
        blocked = package.get("blocked", False)
        if blocked and not options.show_blocked:
            continue
        if "tag_id" not in package:
            print(package["package_name"])
            continue
        line = (
            f"{package['package_name']:<23} {package['tag_name']:<23} "
            f"{package['extra_arches'] or '':<16} {package['owner_name']:<15}"
        )
        print(line + " [BLOCKED]" if blocked else line)
    return 0


def handle_add_pkg(ctx: Context) -> int:
    """List packages in a tag with an owner; those already listed are named and skipped."""
    from kiln.cli.values import parse_arches

    options = ctx.options
    session = ctx.session()
    if not session.getUser(options.owner):
        raise CommandError(f"No such user: {options.owner}")
    session = ctx.login_session()
    tag = session.getTag(options.tag)
    if tag is None:
        raise CommandError(f"No such tag: {options.tag}")
    listed = {package["package_name"] for package in session.listPackages(tagID=tag["id"], with_owners=False)}
    to_add = []
    for name in options.packages:
        if name in listed:
            print(f"Package {name} already exists in tag {options.tag}")
        else:
            to_add.append(name)
    settings: dict[str, Any] = {"force": options.force, "block": False}
    if options.extra_arches:
        try:
            settings["extra_arches"] = parse_arches(options.extra_arches)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    print(f"Adding {len(to_add)} packages to tag {tag['name']}")
    with session.multicall(strict=True) as m:
        for name in to_add:
            m.packageListAdd(options.tag, name, options.owner, **settings)
    return 0


def _tag_and_packages(ctx: Context) -> tuple[str, list[str]]:
    args = ctx.options.args
    if len(args) < 2:
        raise UsageError("Please specify a tag and at least one package")
    return args[0], args[1:]


def _unlisted(session: Any, tag_name: str, packages: list[str], inherited: bool) -> list[str]:
    """The named packages that the tag's listing lacks; the tag must exist."""
    tag = session.getTag(tag_name)
    if tag is None:
        raise CommandError(f"No such tag: {tag_name}")
    listed = session.listPackages(tagID=tag["id"], inherited=inherited, with_owners=False)
    names = {package["package_name"] for package in listed}
    return [name for name in packages if name not in names]


def handle_remove_pkg(ctx: Context) -> int:
    """Take packages out of a tag's own listing; none is removed if one is not listed there."""
    tag, packages = _tag_and_packages(ctx)
    session = ctx.login_session()
    missing = _unlisted(session, tag, packages, inherited=False)
    for name in missing:
        print(f"Package {name} is not in tag {tag}", file=sys.stderr)
    if missing:
        return 1
    with session.multicall(strict=True) as m:
        for name in packages:
            m.packageListRemove(tag, name, force=bool(ctx.options.force))
    return 0


def handle_block_pkg(ctx: Context) -> int:
    """Block packages in a tag (and the tags inheriting it); each must be listed, maybe by inheritance."""
    tag, packages = _tag_and_packages(ctx)
    session = ctx.login_session()
    missing = _unlisted(session, tag, packages, inherited=True)
    for name in missing:
        print(f"Package {name} doesn't exist in tag {tag}", file=sys.stderr)
    if missing:
        return 1
    with session.multicall(strict=True) as m:
        for name in packages:
            if ctx.options.force:
                m.packageListBlock(tag, name, force=True)
            else:
                m.packageListBlock(tag, name)
    return 0


def handle_unblock_pkg(ctx: Context) -> int:
    """Lift the block on packages in a tag."""
    tag, packages = _tag_and_packages(ctx)
    with ctx.login_session().multicall(strict=True) as m:
        for name in packages:
            m.packageListUnblock(tag, name)
    return 0


def handle_set_pkg_owner(ctx: Context) -> int:
    """Give packages in a tag's listing a new owner."""
    args = ctx.options.args
    if len(args) < 3:
        raise UsageError("Please specify an owner, a tag, and at least one package")
    owner, tag, packages = args[0], args[1], args[2:]
    with ctx.login_session().multicall(strict=True) as m:
        for name in packages:
            m.packageListSetOwner(tag, name, owner, force=bool(ctx.options.force))
    return 0


def register(subparsers: Any) -> None:
    """Add the packages commands."""
    pkgs = add_command(subparsers, "list-pkgs", handle_list_pkgs)
    pkgs.add_argument("--owner", help="specify owner")
    pkgs.add_argument("--tag", help="specify tag")
    pkgs.add_argument("--package", help="specify package")
    add_quiet_option(pkgs)
    pkgs.add_argument("--noinherit", action="store_true", help="do not follow inheritance")
    pkgs.add_argument("--show-blocked", action="store_true", help="show blocked packages")
    pkgs.add_argument("--show-dups", action="store_true", help="show superseded owners")
    add_event_options(pkgs)
    add_json_option(pkgs)

    add_pkg = add_command(subparsers, "add-pkg", handle_add_pkg)
    add_pkg.add_argument("tag")
    add_pkg.add_argument("packages", nargs="+", metavar="package")
    add_pkg.add_argument("--owner", required=True, help="the packages' owner")
    add_pkg.add_argument("--force", action="store_true", help="override blocks if necessary")
    add_pkg.add_argument("--extra-arches", help="extra arches for the packages")

    remove_pkg = add_command(subparsers, "remove-pkg", handle_remove_pkg)
    remove_pkg.add_argument("args", nargs="*", metavar="tag package")
    remove_pkg.add_argument("--force", action="store_true", help="override blocks if necessary")

    block_pkg = add_command(subparsers, "block-pkg", handle_block_pkg)
    block_pkg.add_argument("args", nargs="*", metavar="tag package")
    block_pkg.add_argument("--force", action="store_true", help="override blocks and owner if necessary")

    unblock_pkg = add_command(subparsers, "unblock-pkg", handle_unblock_pkg)
    unblock_pkg.add_argument("args", nargs="*", metavar="tag package")

    set_owner = add_command(subparsers, "set-pkg-owner", handle_set_pkg_owner)
    set_owner.add_argument("args", nargs="*", metavar="owner tag package")
    set_owner.add_argument("--force", action="store_true", help="force operation")
