"""Sessions, password hashing and identity from a trusted front proxy.

Unlike Koji, passwords are stored as salted scrypt hashes and session keys
as SHA-256 digests: a copy of the database gives away neither.

A session is checked on every request that carries one, in Koji's order:
credentials, expiry, call number, user status, exclusive lock.  One query
reads everything the checks need, so a logged-in call costs about one
indexed lookup more than an anonymous one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import time
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import insert, or_, select, update

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.db.raw import RawQuery
from kiln.protocol import errors
from kiln.protocol.constants import AuthType, UserStatus
from kiln.protocol.identity import dn_component

# Calls Koji lets repeat with the same call number (daemons re-send them).
RETRY_WHITELIST = frozenset(
    {
        "host.taskWait",
        "host.taskUnwait",
        "host.taskSetWait",
        "host.updateHost",
        "host.setBuildRootState",
        "repoExpire",
        "repoDelete",
        "repoProblem",
    }
)
LOCK_EXEMPT = frozenset({"exclusiveSession", "login", "logout", "sslLogin"})
LOGIN_METHODS = frozenset({"login", "sslLogin"})

_SCRYPT = {"r": 8, "p": 1}
# log2 of scrypt's N for new hashes: 2**14 costs about 80 ms and 16 MiB.
DEFAULT_PASSWORD_COST = 14
_KEY_ALPHABET = string.ascii_letters + string.digits


def hash_password(password: str, cost: int = DEFAULT_PASSWORD_COST) -> str:
    """A salted scrypt hash, N = 2**cost; the hash records its parameters, so a new cost changes new hashes only."""
    params = {"n": 2**cost, **_SCRYPT}
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=_maxmem(**params), **params)
    return "scrypt${n}${r}${p}${salt}${digest}".format(salt=salt.hex(), digest=digest.hex(), **params)


def _maxmem(n: int, r: int, p: int) -> int:
    """What scrypt needs (128 * r * N bytes, and a little more), above OpenSSL's 32 MiB default from cost 15."""
    return 129 * r * (n + p + 2) + 1024 * 1024


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not password:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    params = {"n": int(n), "r": int(r), "p": int(p)}
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), dklen=32, maxmem=_maxmem(**params), **params
    )
    return hmac.compare_digest(candidate.hex(), digest)


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Session:
    id: int
    user_id: int
    user_name: str
    usertype: int
    master: int | None
    authtype: int
    callnum: int | None
    exclusive: bool
    lock_held: bool  # this session or its master holds the user's exclusive lock
    host_id: int | None
    expired: bool
    start_time: float
    update_time: float
    renew_time: float | None
    new_callnum: int | None = None


_SESSION_QUERY = RawQuery(
    """
    SELECT s.id, s.user_id, s.key, s.master, s.authtype, s.callnum, s.exclusive,
           s.expired, s.start_time, s.update_time, s.renew_time, s.hostip,
           u.name, u.status, u.usertype, m.exclusive AS master_exclusive, h.id AS host_id,
           EXISTS (SELECT 1 FROM sessions o
                    WHERE o.user_id = s.user_id AND o.exclusive = :true
                      AND o.id <> s.id AND o.id <> COALESCE(s.master, -1)
                      AND o.closed = :false) AS locked_out,
           p.name AS perm
      FROM sessions s
      JOIN users u ON u.id = s.user_id
      LEFT JOIN sessions m ON m.id = s.master
      LEFT JOIN host h ON h.user_id = s.user_id
      LEFT JOIN user_perms up ON up.user_id = s.user_id AND up.active = :true
      LEFT JOIN permissions p ON p.id = up.perm_id
     WHERE s.id = :id AND s.closed = :false
    """
)


def expired_at(settings_minutes: float, start: float, renew: float | None) -> float:
    """When a session must renew: start (or last renewal) plus the timeout; 0 means never."""
    if not settings_minutes:
        return float("inf")
    return (renew or start) + settings_minutes * 60


def load_session(ctx: Context, session_id: int, key: str, callnum: int | None, method: str) -> Session | None:
    """Check the credentials a request carries; None means "proceed anonymous".

    Only a login call on an expired session proceeds anonymous (it renews the
    session); every other failure raises the fault Koji raises.
    """
    # One row per permission the user holds (or one with none): the caller's
    # permissions come with the session check, a round trip fewer for the
    # many calls that need both.
    found = _SESSION_QUERY.all(ctx.conn, {"id": session_id, "true": True, "false": False})
    row = SimpleNamespace(**found[0]) if found else None
    if row is None or not hmac.compare_digest(row.key, _key_digest(key)):
        raise errors.AuthError("Invalid session or bad credentials")
    if ctx.settings.check_client_ip and row.hostip and row.hostip != ctx.remote_addr():
        raise errors.AuthError("Invalid session or bad credentials")
    now = time.time()
    expired = bool(row.expired) or now > expired_at(
        ctx.settings.session_renewal_timeout, row.start_time, row.renew_time
    )
    if expired:
        if method in LOGIN_METHODS:
            ctx.environ["kiln.expired_session"] = row.id
            return None
        raise errors.AuthExpired(f'session "{row.id}" has expired')
    if callnum is not None and row.callnum is not None:
        if row.callnum > callnum:
            raise errors.SequenceError(f"{row.callnum} > {callnum} (session {row.id})")
        if row.callnum == callnum and method not in RETRY_WHITELIST:
            raise errors.RetryError(f"unable to retry call {callnum} (method {method}) for session {row.id}")
    if row.status != UserStatus.NORMAL:
        raise errors.AuthError(f"logins by {row.name} are not allowed")
    if row.locked_out and method not in LOCK_EXEMPT:
        raise errors.AuthLockError("User locked by another session")
    ctx.perms[row.user_id] = {r["perm"] for r in found if r["perm"] is not None}
    return Session(
        id=row.id,
        user_id=row.user_id,
        user_name=row.name,
        usertype=row.usertype,
        master=row.master,
        authtype=row.authtype,
        callnum=row.callnum,
        exclusive=bool(row.exclusive),
        lock_held=bool(row.exclusive) or bool(row.master_exclusive),
        host_id=row.host_id,
        expired=False,
        start_time=row.start_time,
        update_time=row.update_time,
        renew_time=row.renew_time,
        new_callnum=callnum,
    )


def record_call(ctx: Context) -> None:
    """Store the call number; called only when the request commits a write."""
    session = ctx.session
    if session is None or session.new_callnum is None:
        return
    ctx.at_commit(_RECORD_CALL, {"sid": session.id, "callnum": session.new_callnum, "now": time.time()})


_RECORD_CALL = "UPDATE sessions SET callnum = :callnum, update_time = :now WHERE id = :sid"


def _new_key(user_id: int) -> str:
    return f"{user_id}-" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(20))


def _reply(session_id: int, key: str) -> dict:
    return {"session-id": session_id, "session-key": key, "header-auth": True}


def create_session(
    ctx: Context,
    user_id: int,
    authtype: int,
    master: int | None = None,
    hostip: str | None = None,
) -> dict:
    """Open a session; returns the dict the koji client keeps."""
    key = _new_key(user_id)
    now = time.time()
    result = ctx.conn.execute(
        insert(tables.sessions).values(
            user_id=user_id,
            key=_key_digest(key),
            master=master,
            authtype=authtype,
            hostip=hostip if hostip is not None else ctx.remote_addr(),
            callnum=None,
            start_time=now,
            update_time=now,
            renew_time=None,
            expired=False,
            exclusive=None,
            closed=False,
        )
    )
    return _reply(result.inserted_primary_key[0], key)


def renew_session(ctx: Context, session_id: int, user_id: int) -> dict:
    """Renew an expired session in place: same id, new key, as Koji does."""
    row = ctx.conn.execute(select(tables.sessions.c.user_id).where(tables.sessions.c.id == session_id)).first()
    if row is None or row.user_id != user_id:
        raise errors.AuthError("Invalid session or bad credentials")
    key = _new_key(user_id)
    now = time.time()
    ctx.conn.execute(
        update(tables.sessions)
        .where(or_(tables.sessions.c.id == session_id, tables.sessions.c.master == session_id))
        .values(expired=False, renew_time=now, update_time=now)
    )
    ctx.conn.execute(update(tables.sessions).where(tables.sessions.c.id == session_id).values(key=_key_digest(key)))
    return _reply(session_id, key)


def close_session(ctx: Context, session_id: int) -> None:
    """Close a session and its subsessions; its exclusive lock goes with it."""
    s = tables.sessions
    ctx.conn.execute(
        update(s)
        .where(or_(s.c.id == session_id, s.c.master == session_id))
        .values(closed=True, expired=True, exclusive=None)
    )


def make_exclusive(ctx: Context, force: bool) -> None:
    session = _require(ctx)
    if session.master is not None:
        raise errors.GenericError("subsessions cannot become exclusive")
    if session.exclusive:
        raise errors.GenericError("session is already exclusive")
    s = tables.sessions
    others = ctx.conn.execute(
        select(s.c.id).where(s.c.user_id == session.user_id, s.c.exclusive.is_(True), s.c.id != session.id)
    ).all()
    if others:
        if not force:
            raise errors.AuthLockError("Cannot get exclusive session")
        for other in others:
            close_session(ctx, other.id)
    ctx.conn.execute(update(s).where(s.c.id == session.id).values(exclusive=True))
    session.exclusive = session.lock_held = True


def make_shared(ctx: Context) -> None:
    session = _require(ctx)
    s = tables.sessions
    ctx.conn.execute(update(s).where(s.c.id == session.id).values(exclusive=None))
    session.exclusive = session.lock_held = False


def _require(ctx: Context) -> Session:
    if ctx.session is None:
        raise errors.AuthError("Not logged in")
    return ctx.session


def proxy_identity(ctx: Context) -> tuple[str, int, str | None]:
    """The user a trusted front proxy vouches for: ``(name, authtype, dn)``.

    The proxy passes what it verified as request headers (or a WSGI server
    sets REMOTE_USER).  Headers are believed only from the configured proxy
    addresses, and only when proxy_auth is on: anyone could send them.
    """
    settings = ctx.settings
    if not settings.proxy_auth:
        raise errors.AuthError("sslLogin is not enabled on this hub (proxy_auth is off)")
    if ctx.remote_addr() not in settings.proxy_addresses:
        raise errors.AuthError(f"requests from {ctx.remote_addr()} are not from a trusted proxy")
    env = ctx.environ
    principal = env.get("REMOTE_USER") or env.get(_header_key(settings.proxy_user_header))
    if principal:
        return principal, AuthType.GSSAPI, None
    verify = env.get(_header_key(settings.proxy_verify_header), "")
    if verify != "SUCCESS":
        # NONE is what Apache and nginx both say when the client sent no certificate
        reason = "no client certificate was presented" if verify in ("", "NONE") else verify
        raise errors.AuthError(f"could not verify client: {reason}")
    dn = env.get(_header_key(settings.proxy_dn_header), "")
    name = dn_component(dn, settings.dn_username_component)
    if not name:
        raise errors.AuthError(
            f"unable to get user information ({settings.dn_username_component}) from client certificate"
        )
    return name, AuthType.SSL, dn


def _header_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")
