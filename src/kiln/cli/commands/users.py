"""The users area: list-users, userinfo."""

from __future__ import annotations

import sys
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context, UsageError, add_json_option, print_json
from kiln.protocol.constants import UserStatus, UserType


def handle_list_users(ctx: Context) -> int:
    """User names, by type, prefix or permission (koji asks for a login here, and so do we)."""
    options = ctx.options
    if options.inherited_perm and not options.perm:
        raise UsageError("inherited_perm option must be used with perm option")
    session = ctx.login_session()
    usertype_name = options.usertype.upper()
    if usertype_name in UserType.__members__:
        usertype: int | None = UserType[usertype_name].value
    elif usertype_name in ("ANY", "ALL"):
        usertype = None
    else:
        raise CommandError(f"Invalid usertype: {options.usertype}")
    query: dict[str, Any] = {"userType": usertype}
    if options.prefix:
        query["prefix"] = options.prefix
    if options.perm:
        if options.perm not in {perm["name"] for perm in session.getAllPerms()}:
            raise CommandError(f"Invalid permission: {options.perm}")
        query["perm"] = options.perm
        if options.inherited_perm:
            query["inherited_perm"] = True
    users = session.listUsers(**query)
    if ctx.json:
        print_json(users)
        return 0
    for user in users:
        print(user["name"])
    return 0


def _fetch_users(ctx: Context, names: list[str]) -> list[dict[str, Any]]:
    """The users named (a warning on stderr for each unknown one), with their counts."""
    session = ctx.session()
    with session.multicall() as m:
        lookups = [m.getUser(name, groups=True) for name in names]
    users = []
    for name, lookup in zip(names, lookups, strict=True):
        if lookup.result is None:
            print(f"No such user: {name}\n", file=sys.stderr)
        else:
            users.append(dict(lookup.result))
    with session.multicall() as m:
        counts = [
            (
                m.getUserPerms(user["id"]),
                m.listPackages(userID=user["id"], with_dups=True, queryOpts={"countOnly": True}),
                m.listTasks(opts={"owner": user["id"], "parent": None}, queryOpts={"countOnly": True}),
                m.listBuilds(userID=user["id"], queryOpts={"countOnly": True}),
            )
            for user in users
        ]
    for user, (perms, packages, tasks, builds) in zip(users, counts, strict=True):
        user.update(permissions=perms.result, packages=packages.result, tasks=tasks.result, builds=builds.result)
    return users


def handle_userinfo(ctx: Context) -> int:
    """Name, id, principals, permissions, groups, status, type and counts of each user named."""
    users = _fetch_users(ctx, ctx.options.usernames)
    if ctx.json:
        print_json(users)
        return 0
    for user in users:
        print(f"User name: {user['name']}")
        print(f"User ID: {user['id']}")
        if "krb_principals" in user:
            print("krb principals:")
            for principal in user["krb_principals"]:
                print(f"  {principal}")
        if user["permissions"]:
            print("Permissions:")
            for perm in user["permissions"]:
                print(f"  {perm}")
        if user.get("groups"):
            print("Groups:")
            for group in sorted(user["groups"]):
                print(f"  {group}")
        print(f"Status: {UserStatus(user['status']).name}")
        print(f"Usertype: {UserType(user['usertype']).name}")
        print(f"Number of packages: {user['packages']}")
        print(f"Number of tasks: {user['tasks']}")
        print(f"Number of builds: {user['builds']}")
        print()
    return 0


def register(subparsers: Any) -> None:
    """Add the users commands."""
    list_users = add_command(subparsers, "list-users", handle_list_users)
    list_users.add_argument(
        "--usertype", default="NORMAL", help="users of this type (NORMAL, HOST, GROUP); 'any' for all"
    )
    list_users.add_argument("--prefix", help="users whose names start with this")
    list_users.add_argument("--perm", help="users holding this permission")
    list_users.add_argument("--inherited-perm", action="store_true", help="count permissions held through groups")
    add_json_option(list_users)

    userinfo = add_command(subparsers, "userinfo", handle_userinfo)
    userinfo.add_argument("usernames", nargs="+", metavar="username")
    add_json_option(userinfo)
