"""Users, their Kerberos principals, passwords and permissions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update

from kiln.hub import auth
from kiln.hub.context import Context
from kiln.hub.db import tables, versioned
from kiln.hub.db.raw import RawSelect
from kiln.hub.domain import ids, names
from kiln.protocol import errors
from kiln.protocol.constants import UserStatus, UserType

u = tables.users
kp = tables.user_krb_principals
perm_t = tables.permissions
up = tables.user_perms


def _where_user(info: Any):
    """The user ``info`` names: an id, a name or principal, or a struct of id, name or krb_principal.

    The wrongly typed ones fault here (as Koji's get_user answers them), an id
    beyond 32 bits too, before any query sees them.
    """
    if isinstance(info, int) and not isinstance(info, bool):
        return u.c.id == ids.row_id(info, "user id")
    if isinstance(info, str):
        return or_(u.c.name == info, u.c.id.in_(select(kp.c.user_id).where(kp.c.krb_principal == info)))
    if isinstance(info, dict):
        if "id" in info and info["id"] is not None:
            if isinstance(info["id"], bool) or not isinstance(info["id"], int):
                raise errors.GenericError(f"Invalid type for userid: {type(info['id'])}")
            return u.c.id == ids.row_id(info["id"], "user id")
        for key in ("name", "krb_principal"):
            if info.get(key) is not None and not isinstance(info[key], str):
                raise errors.GenericError(f"Invalid type for {'username' if key == 'name' else key}: {type(info[key])}")
        if info.get("name"):
            return u.c.name == info["name"]
        if info.get("krb_principal"):
            return u.c.id.in_(select(kp.c.user_id).where(kp.c.krb_principal == info["krb_principal"]))
        raise errors.GenericError(f"Invalid user info: {info!r}: give an id, a name or a krb_principal")
    raise errors.GenericError(f"Invalid type for userInfo: {type(info)}")


def find(ctx: Context, info: Any, strict: bool = False) -> dict | None:
    """The users row for an id, a name or principal, or a dict naming either."""
    row = ctx.conn.execute(select(u.c.id, u.c.name, u.c.status, u.c.usertype).where(_where_user(info))).first()
    if row is None:
        if strict:
            raise errors.GenericError(f"No such user: {info!r}")
        return None
    return dict(row._mapping)


def principals(ctx: Context, user_id: int) -> list[str]:
    rows = ctx.conn.execute(select(kp.c.krb_principal).where(kp.c.user_id == user_id).order_by(kp.c.krb_principal))
    return [r.krb_principal for r in rows]


def describe(ctx: Context, row: dict, krb_princs: bool = True, groups: bool = False) -> dict:
    """The User dict Koji returns."""
    user = dict(row)
    if krb_princs:
        user["krb_principals"] = principals(ctx, row["id"])
    if groups:
        user["groups"] = []  # kiln has no user groups yet
    return user


def get_many(ctx: Context, variant: tuple, keys: list) -> dict:
    """Users by id or name (``variant``: (by, krb_princs, groups)) in two queries, as ``get`` shapes them."""
    by, krb_princs, groups = variant
    column = u.c.id if by == "id" else u.c.name
    rows = [dict(r._mapping) for r in ctx.conn.execute(
        select(u.c.id, u.c.name, u.c.status, u.c.usertype).where(column.in_(sorted(set(keys))))
    )]  # fmt: skip
    held: dict[int, list[str]] = {}
    if krb_princs and rows:
        query = select(kp.c.user_id, kp.c.krb_principal).where(kp.c.user_id.in_([r["id"] for r in rows]))
        for user_id, principal in ctx.conn.execute(query.order_by(kp.c.krb_principal)):
            held.setdefault(user_id, []).append(principal)
    found = {}
    for row in rows:
        user = dict(row)
        if krb_princs:
            user["krb_principals"] = held.get(row["id"], [])
        if groups:
            user["groups"] = []  # kiln has no user groups yet
        found[row[by]] = user
    return found


def _with_principals(where: Any) -> RawSelect:
    """A user and its principals in one query: one row per principal (one with NULL for none)."""
    query = select(u.c.id, u.c.name, u.c.status, u.c.usertype, kp.c.krb_principal.label("principal"))
    query = query.select_from(u.outerjoin(kp, kp.c.user_id == u.c.id)).where(where)
    return RawSelect(query.order_by(u.c.id, kp.c.krb_principal))


# The plain lookups, by id and by name-or-principal, with the principals alongside.
_BY_KEY = {
    "id": _with_principals(u.c.id == bindparam("key")),
    "name": _with_principals(
        or_(
            u.c.name == bindparam("key"), u.c.id.in_(select(kp.c.user_id).where(kp.c.krb_principal == bindparam("key")))
        )
    ),
}


def _plain(ctx: Context, info: Any, strict: bool, groups: bool) -> dict | None:
    """getUser by id or by name (or principal), principals included: one query."""
    rows = _BY_KEY["id" if isinstance(info, int) else "name"].all(ctx.conn, {"key": info})
    if not rows:
        if strict:
            raise errors.GenericError(f"No such user: {info!r}")
        return None
    first = rows[0]["id"]
    user = {key: rows[0][key] for key in ("id", "name", "status", "usertype")}
    user["krb_principals"] = [r["principal"] for r in rows if r["id"] == first and r["principal"] is not None]
    if groups:
        user["groups"] = []  # kiln has no user groups yet
    return user


def get(
    ctx: Context, info: Any = None, strict: bool = False, krb_princs: bool = True, groups: bool = False
) -> dict | None:
    if info is None:
        if ctx.session is None:
            if strict:
                raise errors.GenericError("No user provided")
            return None
        info = ctx.session.user_id
    if isinstance(info, int) and not isinstance(info, bool):
        info = ids.row_id(info, "user id")
    if krb_princs and (isinstance(info, str) or (isinstance(info, int) and not isinstance(info, bool))):
        return _plain(ctx, info, strict, groups)
    row = find(ctx, info, strict=strict)
    return describe(ctx, row, krb_princs, groups) if row else None


def list_users(
    ctx: Context,
    usertype: Any = int(UserType.NORMAL),
    prefix: str | None = None,
    perm: str | None = None,
    order: list | None = None,
) -> list[dict]:
    query = select(u.c.id, u.c.name, u.c.status, u.c.usertype)
    if usertype is not None:
        types = usertype if isinstance(usertype, (list, tuple)) else [usertype]
        if not all(isinstance(t, int) and not isinstance(t, bool) and -(2**31) <= t < 2**31 for t in types):
            raise errors.ParameterError(
                f"userType must be integer, list, tuple or None (of integers), not {usertype!r}"
            )
        query = query.where(u.c.usertype.in_(types))
    if prefix:
        query = query.where(u.c.name.istartswith(prefix, autoescape=True))
    if perm:
        query = query.where(
            u.c.id.in_(
                select(up.c.user_id)
                .join(perm_t, perm_t.c.id == up.c.perm_id)
                .where(perm_t.c.name == perm, versioned.active_clause(up))
            )
        )
    query = query.order_by(*(order or [u.c.id]))
    rows = [dict(r._mapping) for r in ctx.conn.execute(query)]
    princ: dict[int, list[str]] = {r["id"]: [] for r in rows}
    if rows:
        for r in ctx.conn.execute(select(kp.c.user_id, kp.c.krb_principal).order_by(kp.c.krb_principal)):
            if r.user_id in princ:
                princ[r.user_id].append(r.krb_principal)
    for row in rows:
        row["krb_principals"] = princ[row["id"]]
    return rows


def create(
    ctx: Context,
    name: str,
    status: int | None = None,
    krb_principal: str | None = None,
    usertype: int = UserType.NORMAL,
    password: str | None = None,
) -> int:
    names.user_name(name)
    if krb_principal is not None:
        names.krb_principal(krb_principal)
    if status is None:
        status = UserStatus.NORMAL
    if status not in (UserStatus.NORMAL, UserStatus.BLOCKED):
        raise errors.GenericError(f"invalid status: {status}")
    if ctx.conn.execute(select(u.c.id).where(u.c.name == name)).first():
        raise errors.GenericError(f"user already exists: {name}")
    if krb_principal and ctx.conn.execute(select(kp.c.user_id).where(kp.c.krb_principal == krb_principal)).first():
        raise errors.GenericError(f"user with this Kerberos principal already exists: {krb_principal}")
    user_id = ctx.conn.execute(
        insert(u).values(
            name=name,
            status=status,
            usertype=usertype,
            password=auth.hash_password(password, ctx.settings.password_cost) if password else None,
        )
    ).inserted_primary_key[0]
    if krb_principal:
        ctx.conn.execute(insert(kp).values(user_id=user_id, krb_principal=krb_principal))
    ctx.plugins.hook.kiln_hub_user_created(ctx=ctx, user=get(ctx, user_id))
    return user_id


def set_password(ctx: Context, info: Any, password: str) -> None:
    if not password:
        raise errors.ParameterError("the password must not be empty")
    user = find(ctx, info, strict=True)
    ctx.conn.execute(
        update(u).where(u.c.id == user["id"]).values(password=auth.hash_password(password, ctx.settings.password_cost))
    )


def check_password(ctx: Context, name: str, password: str) -> dict | None:
    row = ctx.conn.execute(select(u).where(u.c.name == name)).first()
    if row is None or not auth.verify_password(password, row.password):
        return None
    return dict(row._mapping)


def set_status(ctx: Context, info: Any, status: int) -> None:
    user = find(ctx, info, strict=True)
    ctx.conn.execute(update(u).where(u.c.id == user["id"]).values(status=status))


def edit(ctx: Context, info: Any, name: str | None = None, krb_principal_mappings: list | None = None) -> None:
    user = find(ctx, info, strict=True)
    if name and name != user["name"]:
        names.user_name(name)
        if ctx.conn.execute(select(u.c.id).where(u.c.name == name)).first():
            raise errors.GenericError(f"Name {name} already taken by user {user['id']}")
        ctx.conn.execute(update(u).where(u.c.id == user["id"]).values(name=name))
        if user["usertype"] == UserType.HOST:
            ctx.conn.execute(update(tables.host).where(tables.host.c.user_id == user["id"]).values(name=name))
    for mapping in krb_principal_mappings or []:
        old, new = mapping.get("old"), mapping.get("new")
        if old:
            gone = ctx.conn.execute(delete(kp).where(kp.c.user_id == user["id"], kp.c.krb_principal == old))
            if not gone.rowcount:
                raise errors.GenericError(f"user {user['name']} has no Kerberos principal {old}")
        if new:
            if ctx.conn.execute(select(kp.c.user_id).where(kp.c.krb_principal == new)).first():
                raise errors.GenericError(f"Kerberos principal {new} is already in use")
            ctx.conn.execute(insert(kp).values(user_id=user["id"], krb_principal=new))


# --- permissions -----------------------------------------------------------


def all_perms(ctx: Context) -> list[dict]:
    rows = ctx.conn.execute(select(perm_t.c.description, perm_t.c.id, perm_t.c.name).order_by(perm_t.c.id))
    return [dict(r._mapping) for r in rows]


def find_perm(ctx: Context, name: str, create: bool = False, description: str | None = None) -> int:
    row = ctx.conn.execute(select(perm_t.c.id).where(perm_t.c.name == name)).first()
    if row is not None:
        return row.id
    if not create:
        raise errors.GenericError(f"No such entry in table permissions: {name}")
    names.internal_name(name)
    return ctx.conn.execute(insert(perm_t).values(name=name, description=description)).inserted_primary_key[0]


def perms_of(ctx: Context, user_id: int, event: int | None = None) -> list[str]:
    rows = ctx.conn.execute(
        select(perm_t.c.name)
        .join(up, up.c.perm_id == perm_t.c.id)
        .where(up.c.user_id == user_id, versioned.active_clause(up, event))
        .order_by(perm_t.c.name)
    )
    return [r.name for r in rows]


def grant(ctx: Context, info: Any, perm: str, create: bool = False, description: str | None = None) -> None:
    if create:
        names.internal_name(perm)
    if description is not None and not create:
        raise errors.GenericError("Description should be specified only with create.")
    if description is not None and not isinstance(description, str):
        raise errors.ParameterError(
            f"Invalid type for value '{description}': {type(description)}, expected type <class 'str'>"
        )
    user = find(ctx, info, strict=True)
    perm_id = find_perm(ctx, perm, create=create, description=description)
    if perm in perms_of(ctx, user["id"]):
        raise errors.GenericError(f"user {info} already has permission: {perm}")
    versioned.create(ctx.conn, up, {"user_id": user["id"], "perm_id": perm_id}, ctx.event_id(), ctx.user_id)
    ctx.plugins.hook.kiln_hub_permission_changed(ctx=ctx, user=user, permission=perm, granted=True)


def revoke(ctx: Context, info: Any, perm: str) -> None:
    user = find(ctx, info, strict=True)
    perm_id = find_perm(ctx, perm)
    if not versioned.revoke(ctx.conn, up, {"user_id": user["id"], "perm_id": perm_id}, ctx.event_id(), ctx.user_id):
        raise errors.GenericError(f"user {info} does not have permission: {perm}")
    ctx.plugins.hook.kiln_hub_permission_changed(ctx=ctx, user=user, permission=perm, granted=False)


def set_perm_description(ctx: Context, perm: str, description: str) -> None:
    if not isinstance(description, str):
        raise errors.ParameterError(
            f"Invalid type for value '{description}': {type(description)}, expected type <class 'str'>"
        )
    perm_id = find_perm(ctx, perm)
    ctx.conn.execute(update(perm_t).where(perm_t.c.id == perm_id).values(description=description))
