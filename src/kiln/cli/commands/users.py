"""The users area: users and their permissions.

list-users, userinfo, list-permissions, and the admin's add-user,
enable-user, disable-user, grant-permission and revoke-permission.  The
write commands check their arguments before logging in and report as koji
does: a wrong argument count or an unknown user given to grant/revoke is a
usage error (exit 2); what the hub refuses is its fault, one line (exit 1).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context, UsageError, add_json_option, add_quiet_option, print_json
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


def _one_username(ctx: Context, verb: str) -> str:
    """The one user name add-user, enable-user and disable-user take (koji's messages when not one)."""
    names = ctx.options.username
    if not names:
        raise UsageError(f"You must specify the username of the user to {verb}")
    if len(names) > 1:
        raise UsageError("This command only accepts one argument (username)")
    return names[0]


def handle_add_user(ctx: Context) -> int:
    """Create a user, blocked from logging in with --disable, with a Kerberos principal if given."""
    name = _one_username(ctx, "add")
    status = UserStatus.BLOCKED if ctx.options.disable else UserStatus.NORMAL
    session = ctx.login_session()
    user_id = session.createUser(name, status=status.value, krb_principal=ctx.options.principal)
    print(f"Added user {name} ({user_id})")
    return 0


def handle_enable_user(ctx: Context) -> int:
    """Let a user log in again."""
    name = _one_username(ctx, "enable")
    ctx.login_session().enableUser(name)
    return 0


def handle_disable_user(ctx: Context) -> int:
    """Stop a user logging in (their builds and tasks stay)."""
    name = _one_username(ctx, "disable")
    ctx.login_session().disableUser(name)
    return 0


def _permission_users(ctx: Context) -> tuple[str, list[dict[str, Any]]]:
    """The permission and the users named after it, every one of them known (else a usage error)."""
    words = ctx.options.words
    if len(words) < 2:
        raise UsageError("Please specify a permission and at least one user")
    session = ctx.login_session()
    users = []
    for name in words[1:]:
        user = session.getUser(name)
        if user is None:
            raise UsageError(f"No such user: {name}")
        users.append(user)
    return words[0], users


def handle_grant_permission(ctx: Context) -> int:
    """Grant a permission to each user named; --new creates the permission first."""
    options = ctx.options
    perm, users = _permission_users(ctx)
    if options.description and not options.new:
        raise UsageError("Option new must be specified with option description.")
    kwargs: dict[str, Any] = {}
    if options.new:
        kwargs["create"] = True
        if options.description:
            kwargs["description"] = options.description
    session = ctx.session()
    for user in users:
        session.grantPermission(user["name"], perm, **kwargs)
    return 0


def handle_revoke_permission(ctx: Context) -> int:
    """Take a permission from each user named."""
    perm, users = _permission_users(ctx)
    session = ctx.session()
    for user in users:
        session.revokePermission(user["name"], perm)
    return 0


def handle_list_permissions(ctx: Context) -> int:
    """Every permission with its description, or a user's with where each comes from.

    koji logs in for this listing, and so do we (``--mine`` needs it anyway).
    """
    options = ctx.options
    if options.words:
        raise UsageError("This command takes no arguments")
    session = ctx.login_session()
    user_info: Any = options.user
    if options.mine:
        me = session.getLoggedInUser()
        if not me:
            raise CommandError("--mine needs a logged-in user (give one with --user before the command)")
        user_info = me["id"]
    perms: list[dict[str, Any]] = []
    if user_info:
        user = session.getUser(user_info)
        if not user:
            raise CommandError(f"No such user: {user_info}")
        answer: Any = session.getUserPermsInheritance(user["id"])
        for name, groups in answer.items():
            perm = {"name": name}
            if groups != [None]:
                perm["description"] = "inherited from: " + ", ".join(groups)
            perms.append(perm)
    else:
        answer = session.getAllPerms()
        perms = [{"name": perm["name"], "description": perm["description"]} for perm in answer]
    if ctx.json:
        print_json(answer)
        return 0
    perms.sort(key=lambda perm: perm["name"])
    width = max([len("Permission name   ")] + [len(perm["name"]) for perm in perms])
    if not ctx.quiet:
        header = "Permission name".ljust(width)
        if perms and perms[0].get("description"):
            header += "   Description".ljust(53)
        print(header)
        print("-" * len(header))
    for perm in perms:
        line = perm["name"].ljust(width)
        if perm.get("description"):
            line += f"   {perm['description']}"
        print(line)
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

    perms = add_command(subparsers, "list-permissions", handle_list_permissions)
    perms.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    perms.usage = "%(prog)s [options]"
    perms.add_argument("--user", help="List permissions for the given user")
    perms.add_argument("--mine", action="store_true", help="List your permissions")
    add_quiet_option(perms)
    add_json_option(perms)

    add_user = add_command(subparsers, "add-user", handle_add_user)
    add_user.add_argument("username", nargs="*", help=argparse.SUPPRESS)
    add_user.usage = "%(prog)s <username> [options]"
    add_user.add_argument("--principal", help="The Kerberos principal for this user")
    add_user.add_argument("--disable", action="store_true", help="Prohibit logins by this user")

    for name, handler in (("enable-user", handle_enable_user), ("disable-user", handle_disable_user)):
        parser = add_command(subparsers, name, handler)
        parser.add_argument("username", nargs="*", help=argparse.SUPPRESS)
        parser.usage = "%(prog)s <username>"

    grant = add_command(subparsers, "grant-permission", handle_grant_permission)
    grant.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    grant.usage = "%(prog)s [options] <permission> <user> [<user> ...]"
    grant.add_argument("--new", action="store_true", help="Create this permission if the permission does not exist")
    grant.add_argument("--description", help="Add description about new permission")

    revoke = add_command(subparsers, "revoke-permission", handle_revoke_permission)
    revoke.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    revoke.usage = "%(prog)s <permission> <user> [<user> ...]"
