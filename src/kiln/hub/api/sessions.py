"""Logging in and out, subsessions, exclusive sessions, who am I."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kiln.hub import auth, rpc
from kiln.hub.argtypes import Id, IdOrName
from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import ids, users
from kiln.hub.domain.times import timestamp_text
from kiln.hub.rpc import export
from kiln.protocol import errors
from kiln.protocol.constants import AuthType, UserStatus


def _start(ctx: Context, user: dict, authtype: int, renew: bool, exclusive: bool, opts: dict | None) -> dict:
    if ctx.session is not None:
        raise errors.AuthError("Already logged in")
    if user["status"] != UserStatus.NORMAL:
        raise errors.AuthError(f"logins by {user['name']} are not allowed")
    expired = ctx.environ.get("kiln.expired_session")
    if renew and expired is not None:
        info = auth.renew_session(ctx, expired, user["id"])
    else:
        hostip = (opts or {}).get("hostip")
        info = auth.create_session(ctx, user["id"], authtype, hostip=hostip)
    if exclusive:
        ctx.session = auth.load_session(ctx, info["session-id"], info["session-key"], None, "exclusiveSession")
        if not ctx.session.exclusive:  # a renewed session keeps the lock it held
            auth.make_exclusive(ctx, force=False)
    return info


@export(writes=True)
def login(
    ctx: Context,
    user: str,
    password: str,
    opts: dict | None = None,
    renew: bool = False,
    exclusive: bool = False,
) -> dict:
    """Log in with a password; returns the session id and key."""
    found = users.check_password(ctx, user, password) if user and password else None
    if found is None:
        raise errors.AuthError("invalid username or password")
    return _start(ctx, found, AuthType.NORMAL, renew, exclusive, opts)


@export(writes=True)
def sslLogin(
    ctx: Context,
    proxyuser: str | None = None,
    proxyauthtype: int | None = None,
    renew: bool = False,
    exclusive: bool | None = None,
) -> dict:
    """Log in as the user a trusted front proxy vouches for (certificate or Kerberos)."""
    name, authtype, dn = auth.proxy_identity(ctx)
    if proxyuser:
        if dn is None or dn not in ctx.settings.proxy_dns:
            raise errors.AuthError(f"{name} is not authorized to login other users")
        name = proxyuser
        if proxyauthtype is not None:
            authtype = int(proxyauthtype)
    principal = None
    if "@" in name and authtype == AuthType.GSSAPI:
        principal = name
        user = users.find(ctx, {"krb_principal": principal})
        name = name.split("@", 1)[0]
    else:
        user = None
    user = user or users.find(ctx, name)
    if user is None:
        if not ctx.settings.login_creates_user:
            raise errors.AuthError(f"Unknown user: {name}")
        users.create(ctx, name, krb_principal=principal)
        user = users.find(ctx, name, strict=True)
    return _start(ctx, user, authtype, renew, bool(exclusive), None)


@export(writes=True)
def logout(ctx: Context, session_id: Id | None = None) -> None:
    """Close this session (or, for its owner or an admin, another one)."""
    if ctx.session is None:
        raise errors.AuthError("Not logged in")
    if session_id is not None:
        session_id = ids.row_id(session_id, "session id")  # Koji's int(): "12" too
    if session_id is None or session_id == ctx.session.id:
        auth.close_session(ctx, ctx.session.id)
        return None
    row = ctx.conn.execute(select(tables.sessions.c.user_id).where(tables.sessions.c.id == session_id)).first()
    if row is None:
        raise errors.GenericError(f"No such session: {session_id}")
    if row.user_id != ctx.session.user_id and not rpc.has_perm(ctx, "admin"):
        raise errors.ActionNotAllowed("only admins or owner may logout other session")
    auth.close_session(ctx, session_id)
    return None


@export(writes=True)
def logoutChild(ctx: Context, session_id: Id) -> None:
    """Close a subsession of this session; any other id is left alone."""
    if ctx.session is None:
        raise errors.AuthError("Not logged in")
    s = tables.sessions
    session_id = ids.row_id(session_id, "session id")
    row = ctx.conn.execute(select(s.c.master).where(s.c.id == session_id)).first()
    if row is not None and row.master == ctx.session.id:
        auth.close_session(ctx, session_id)


@export(writes=True)
def subsession(ctx: Context) -> dict:
    """A new session of the same user, for a builder's task process."""
    session = ctx.session
    if session is None:
        raise errors.AuthError("Not logged in")
    master = session.master or session.id
    hostip = ctx.conn.execute(select(tables.sessions.c.hostip).where(tables.sessions.c.id == master)).scalar()
    return auth.create_session(ctx, session.user_id, session.authtype, master=master, hostip=hostip)


@export(writes=True)
def exclusiveSession(ctx: Context, force: bool = False) -> None:
    auth.make_exclusive(ctx, force=bool(force))


@export(writes=True)
def sharedSession(ctx: Context) -> None:
    auth.make_shared(ctx)


@export()
def getLoggedInUser(ctx: Context) -> dict | None:
    if ctx.session is None:
        return None
    user = users.get(ctx, ctx.session.user_id)
    user["authtype"] = ctx.session.authtype
    principals = user.get("krb_principals") or []
    user["krb_principal"] = principals[0] if principals else None
    return user


def _session_info(row: Any, details: bool) -> dict:
    info = {
        "user_id": row.user_id,
        "expired": bool(row.expired),
        "master": row.master,
        "authtype": row.authtype,
        "callnum": row.callnum,
        "start_time": timestamp_text(row.start_time),
        "update_time": timestamp_text(row.update_time),
        "renew_time": timestamp_text(row.renew_time),
        "start_ts": row.start_time,
        "update_ts": row.update_time,
        "renew_ts": row.renew_time,
        "exclusive": True if row.exclusive else None,
    }
    if details:
        info["hostip"] = row.hostip
        info["id"] = row.id
    return info


@export()
def getSessionInfo(ctx: Context, details: bool = False, user_id: IdOrName | None = None) -> Any:
    """The caller's session; with user_id, every open session of that user."""
    if ctx.session is None:
        return None
    s = tables.sessions
    if user_id is not None:
        user = users.find(ctx, user_id, strict=True)
        if user["id"] != ctx.session.user_id and not rpc.has_perm(ctx, "admin"):
            raise errors.ActionNotAllowed("only admins or owners may see all active sessions")
        rows = ctx.conn.execute(
            select(s).where(s.c.user_id == user["id"], s.c.expired.is_(False), s.c.closed.is_(False)).order_by(s.c.id)
        )
        return [_session_info(r, details) for r in rows]
    row = ctx.conn.execute(select(s).where(s.c.id == ctx.session.id)).first()
    return _session_info(row, details)


@export()
def hasPerm(ctx: Context, perm: str, strict: bool = False) -> bool:
    """Whether the caller holds exactly ``perm`` (admin is not implied, as in Koji)."""
    if strict:
        try:
            users.find_perm(ctx, perm)
        except errors.GenericError:
            raise errors.GenericError(f"No such permission {perm} defined") from None
    return rpc.has_perm(ctx, perm, exact=True)


@export()
def getPerms(ctx: Context) -> list[str]:
    if ctx.session is None:
        return []
    return users.perms_of(ctx, ctx.session.user_id)
