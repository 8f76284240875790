"""Users and permissions."""

from __future__ import annotations

from typing import Any

from kiln.hub.api import batches, query_opts
from kiln.hub.argtypes import QueryOpts, Ref
from kiln.hub.context import Context
from kiln.hub.domain import users
from kiln.hub.rpc import export
from kiln.protocol import errors
from kiln.protocol.constants import UserStatus


def _user_key(b: dict) -> batches.Key | None:
    """By id, or by a name that cannot be a Kerberos principal; the rest (the caller, a dict) as singly."""
    info, variant = b["userInfo"], (bool(b["krb_princs"]), bool(b["groups"]))
    if batches.plain_id(info):
        return ("id", *variant), info
    if isinstance(info, str) and "@" not in info:
        return ("name", *variant), info
    return None


@export(
    batch=batches.lookups(
        key_of=_user_key,
        get_many=users.get_many,
        missing=lambda info: f"No such user: {info!r}",
        single=lambda ctx, **b: getUser(ctx, **b),
    )
)
def getUser(
    ctx: Context, userInfo: Ref | None = None, strict: bool = False, krb_princs: bool = True, groups: bool = False
) -> dict | None:
    return users.get(ctx, userInfo, strict=strict, krb_princs=krb_princs, groups=groups)


# What listUsers may sort by.
_USER_ORDER = {c.name: c for c in users.u.c if c.name != "password"}


@export()
def listUsers(
    ctx: Context,
    userType: int | list | None = 0,
    prefix: str | None = None,
    queryOpts: QueryOpts | None = None,
    perm: str | None = None,
    inherited_perm: bool = False,
) -> Any:
    if inherited_perm and not perm:
        raise errors.GenericError("inherited_perm option must be used with perm option")
    if perm:
        users.find_perm(ctx, perm)
    rows = users.list_users(ctx, userType, prefix=prefix, perm=perm, order=query_opts.order_by(queryOpts, _USER_ORDER))
    return query_opts.apply(rows, queryOpts)


@export(perm="admin", writes=True)
def createUser(ctx: Context, username: str, status: int | None = None, krb_principal: str | None = None) -> int:
    return users.create(ctx, username, status=status, krb_principal=krb_principal)


@export(perm="admin", writes=True)
def editUser(ctx: Context, userInfo: Ref, name: str | None = None, krb_principal_mappings: list | None = None) -> None:
    users.edit(ctx, userInfo, name=name, krb_principal_mappings=krb_principal_mappings)


@export(perm="admin", writes=True)
def enableUser(ctx: Context, username: Ref) -> None:
    users.set_status(ctx, username, UserStatus.NORMAL)


@export(perm="admin", writes=True)
def disableUser(ctx: Context, username: Ref) -> None:
    users.set_status(ctx, username, UserStatus.BLOCKED)


@export()
def getAllPerms(ctx: Context) -> list[dict]:
    return users.all_perms(ctx)


@export()
def getUserPerms(ctx: Context, userID: Ref | None = None, with_groups: bool = True) -> list[str]:
    user = users.get(ctx, userID, strict=True, krb_princs=False)
    return users.perms_of(ctx, user["id"])


@export()
def getUserPermsInheritance(ctx: Context, userID: Ref) -> dict:
    """Permissions and where they come from; kiln has direct grants only (``[None]``)."""
    user = users.find(ctx, userID, strict=True)
    return {perm: [None] for perm in users.perms_of(ctx, user["id"])}


@export(perm="admin", writes=True)
def grantPermission(
    ctx: Context, userinfo: Ref, permission: str, create: bool = False, description: str | None = None
) -> None:
    users.grant(ctx, userinfo, permission, create=bool(create), description=description)


@export(perm="admin", writes=True)
def revokePermission(ctx: Context, userinfo: Ref, permission: str) -> None:
    users.revoke(ctx, userinfo, permission)


@export(perm="admin", writes=True)
def editPermission(ctx: Context, permission: str, description: str) -> None:
    users.set_perm_description(ctx, permission, description)
