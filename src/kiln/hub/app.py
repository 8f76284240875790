"""The hub's WSGI application: routes and the life of one request.

``/kojifiles/...`` serves the topdir read-only (hub/kojifiles.py).

``/healthz`` says whether this hub and its database answer (200 or 503), for
a load balancer or a monitor: no session, one trivial query.

``POST /kojihub`` (and ``/kojihub/ssllogin``) carries XML-RPC; Koji tells an
upload from a call only by ``Content-Type: application/octet-stream``.
Every reply carries ``Koji-Version`` (the client reads the hub's version
from it) and ``Kiln-Version``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import event
from sqlalchemy.sql.dml import UpdateBase

import kiln
from kiln.hub import argtypes, auth, kojifiles, rpc
from kiln.hub.api import files
from kiln.hub.config import Settings
from kiln.hub.context import Context
from kiln.hub.db.engine import (
    OFFLINE_MESSAGE,
    DatabaseUnavailable,
    KeptConnections,
    connection_lost,
    gather_statistics,
    is_offline,
    make_engine,
    ping,
)
from kiln.hub.domain import policy
from kiln.hub.plugins import Plugins
from kiln.hub.wakeups import Wakeups
from kiln.protocol import errors
from kiln.protocol.xmlrpc import Fault, dumps, loads

log = logging.getLogger("kiln.hub")

StartResponse = Callable[..., Any]

_VERSION_HEADERS = [("Koji-Version", kiln.KOJI_VERSION), ("Kiln-Version", kiln.__version__)]
_RPC_PATHS = ("/kojihub", "/kojihub/", "/kojihub/ssllogin", "/", "/RPC2")
HEALTH_PATH = "/healthz"


class HubApp:
    """One instance per worker process; holds no state another hub needs."""

    def __init__(self, settings: Settings, plugins: Plugins | None = None) -> None:
        self.settings = settings
        self.engine = make_engine(settings.db)
        event.listen(self.engine, "before_execute", _note_writes)
        # A sync worker keeps one connection; gthread workers share the pool, since
        # threads parked in a long poll hand theirs back while they wait.
        self.connections = KeptConnections(self.engine)
        gather_statistics(self.engine)
        self.wakeups = Wakeups(
            settings.db,
            max_waiters=max(0, settings.threads - settings.poll_reserve_threads),
            listen_url=settings.listen_db or settings.db,
        )
        self.plugins = plugins or Plugins(settings.plugins)
        self.registry = rpc.build_registry(self.plugins)
        for name, rules in settings.policies.items():  # a bad policy stops the hub at start, not a call later
            policy.parse(rules, name)
        self.web = _web_ui(settings) if settings.web_ui else None

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == HEALTH_PATH:
            return self.health(environ, start_response)
        if path == kojifiles.PREFIX or path.startswith(kojifiles.PREFIX + "/"):
            return kojifiles.serve(self.settings.topdir, environ, start_response)
        if self.web is not None and (path == "/koji" or path.startswith("/koji/")):
            return self.web(environ, start_response)
        if path not in _RPC_PATHS:
            return _plain(start_response, "404 Not Found", f"Not found: {path}\n")
        if environ.get("REQUEST_METHOD") != "POST":
            return _plain(
                start_response,
                "405 Method Not Allowed",
                "Method Not Allowed\nThis hub speaks XML-RPC: only POST requests are accepted.\n",
                [("Allow", "POST")],
            )
        if environ.get("CONTENT_TYPE", "").startswith("application/octet-stream"):
            return _xml(start_response, files.raw_upload(self, environ))
        try:
            data = self._read_body(environ)
            params, method = loads(data)
            if method is None:
                raise ValueError("not a methodCall document")
        except _RequestError as exc:
            return _plain(start_response, "400 Bad Request", f"Invalid request: {exc}\n")
        except (ValueError, Fault) as exc:
            return _plain(start_response, "400 Bad Request", f"Invalid request: {exc}\n")
        return _xml(start_response, self.handle(environ, method, params))

    def _read_body(self, environ: dict) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise _RequestError("bad Content-Length") from None
        if length <= 0:
            raise _RequestError("Empty request")
        if length > self.settings.max_request_length:
            raise _RequestError("Request too long")
        data = environ["wsgi.input"].read(length)
        if len(data) != length:
            raise _RequestError("short read")
        return data

    def handle(self, environ: dict, method: str, params: tuple, retry: bool = True) -> str:
        """Run one XML-RPC request in one transaction; returns the reply document.

        While the database cannot be reached the reply is ServerOffline.  A
        kept connection that died since its last use (the database restarted)
        is only found out by using it: the request is then run once more on a
        new connection, if it has written nothing (``retry``).
        """
        ctx = Context(
            self.engine,
            self.settings,
            self.plugins,
            environ,
            self.registry,
            kept=self.connections,
            wakeups=self.wakeups,
        )
        ctx.write = self.registry.writes(method, params)
        started = time.perf_counter()
        commit = succeeded = offline = False
        try:
            if self.settings.offline and method not in ("getAPIVersion", "getKojiVersion"):
                raise errors.ServerOffline(self.settings.offline_message or "server is offline")
            if method not in rpc.MULTICALL_NAMES and self.registry.get(method) is None:
                raise errors.GenericError(f"Invalid method: {method}")
            self.authenticate(ctx, environ, method)
            if method in rpc.MULTICALL_NAMES:
                result = rpc.multicall(ctx, self.registry, params[0] if params else None)
                if ctx.unavailable or ctx.connection_lost():  # its calls' faults hide it: the request is offline
                    raise DatabaseUnavailable(connecting=ctx.unavailable)
            else:
                result = rpc.call(ctx, self.registry, method, params)
            if ctx.wrote:
                auth.record_call(ctx)
                commit = True
            reply = dumps((result,), methodresponse=True)
            succeeded = True
        except DatabaseUnavailable as exc:
            offline = True
            retry = retry and not exc.connecting and not ctx.may_have_written(exc)
            self._offline(ctx, exc, method)
            reply = dumps(Fault(exc.faultCode, OFFLINE_MESSAGE))
        except errors.GenericError as exc:
            reply = dumps(Fault(exc.faultCode, str(exc)))
        except Fault as exc:  # a stored fault (a failed task's result) raised again as it was
            reply = dumps(exc)
        except Exception as exc:
            offline = is_offline(exc) or ctx.connection_lost()
            if offline:
                retry = retry and not ctx.may_have_written(exc)
                self._offline(ctx, exc, method)
                reply = dumps(Fault(errors.ServerOffline.faultCode, OFFLINE_MESSAGE))
            else:
                reply = dumps(rpc.internal_fault(exc, method))
        finally:
            try:
                ctx.finish(commit, failed=not succeeded)
            except Exception as exc:
                if not (offline or is_offline(exc)):
                    log.exception("commit failed in %s", method)
                    reply = dumps(Fault(1, "the hub could not store the result; nothing was changed"))
                elif commit:  # the COMMIT went out, its answer never came: it may or may not have happened
                    _log_offline(exc, method)
                    self.connections.discard_idle()
                    reply = dumps(
                        Fault(
                            errors.ServerOffline.faultCode,
                            "the hub lost its database while storing the result: the call may not have taken effect",
                        )
                    )
                # else a read that was answered, or a request already answered ServerOffline
        if offline and retry:
            log.warning("%s: retrying once on a new database connection", method)
            return self.handle(environ, method, params, retry=False)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s took %.1f ms", method, (time.perf_counter() - started) * 1000)
        return reply

    def _offline(self, ctx: Context, exc: BaseException, method: str) -> None:
        """The database went away under a request: drop its connection and the idle ones."""
        _log_offline(exc, method)
        ctx.drop_connection()
        self.connections.discard_idle()

    def health(self, environ: dict, start_response: StartResponse) -> list[bytes]:
        """``GET /healthz``: 200 when this hub's database answers a trivial query, else 503."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", "Method Not Allowed\n", [("Allow", "GET, HEAD")])
        if self._database_answers():
            status, state = "200 OK", {"status": "ok"}
        else:
            status, state = "503 Service Unavailable", {"status": "unavailable", "database": "unavailable"}
        body = json.dumps(state).encode() + b"\n"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response(status, [*headers, ("Cache-Control", "no-store"), *_VERSION_HEADERS])
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def _database_answers(self) -> bool:
        """One trivial query on a kept connection; a dead kept one is replaced and the question asked again."""
        for _ in range(2):
            try:
                conn = self.connections.acquire()
            except Exception as exc:
                _log_offline(exc, HEALTH_PATH)
                return False
            try:
                ping(conn)
            except Exception as exc:
                self.connections.release(conn, healthy=False)
                if not (is_offline(exc) or connection_lost(conn)):
                    log.exception("the health check's query failed")
                    return False
                _log_offline(exc, HEALTH_PATH)
                self.connections.discard_idle()
                continue
            self.connections.release(conn, healthy=True)
            return True
        return False

    def authenticate(self, ctx: Context, environ: dict, method: str) -> None:
        creds = _credentials(environ)
        if creds is None:
            return
        session_id, key, callnum = creds
        ctx.session = auth.load_session(ctx, session_id, key, callnum, method)


class _RequestError(Exception):
    pass


def _credentials(environ: dict) -> tuple[int, str, int | None] | None:
    """Session id, key and call number from headers, or Koji's legacy query string."""
    sid = environ.get("HTTP_KOJI_SESSION_ID")
    if sid is not None:
        key = environ.get("HTTP_KOJI_SESSION_KEY", "")
        callnum = environ.get("HTTP_KOJI_SESSION_CALLNUM") or environ.get("HTTP_KOJI_CALLNUM")
    else:
        query = environ.get("QUERY_STRING")
        if not query:
            return None
        args = parse_qs(query)
        if "session-id" not in args:
            return None
        sid = args["session-id"][0]
        key = args.get("session-key", [""])[0]
        callnum = args.get("callnum", [None])[0]
    try:
        session_id, number = int(sid), int(callnum) if callnum is not None else None
    except ValueError:
        raise errors.AuthError("Invalid session or bad credentials") from None
    # Both are 32-bit columns: a larger number names no session and no call of one.
    if not 0 <= session_id <= argtypes.ID_MAX or not (number is None or abs(number) <= argtypes.ID_MAX):
        raise errors.AuthError("Invalid session or bad credentials")
    return session_id, key, number


_offline_logged = float("-inf")


def _log_offline(exc: BaseException, where: str) -> None:
    """Say in the log (not to the caller: it names the database's address) why the database is away.

    At most every ten seconds a worker: an outage fails every request.
    """
    global _offline_logged
    now = time.monotonic()
    if now - _offline_logged >= 10:
        _offline_logged = now
        cause = exc.__cause__ or exc
        lines = str(cause).splitlines()
        text = lines[0] if lines else type(cause).__name__
        log.warning("the database is not available (%s: %s)", where, text)


def _note_writes(conn: Any, clauseelement: Any, *_: Any) -> None:
    # Inserts, updates and deletes mark the request as one that must commit
    # (and so advance the session's call number, as Koji does).  A method that
    # did not declare writes must not write: its request may run without a
    # transaction (PostgreSQL) or without SQLite's write lock.
    if isinstance(clauseelement, UpdateBase):
        if not conn.info.get("write", True):
            raise RuntimeError("a method declared read-only tried to write; declare it with writes=True")
        conn.info["wrote"] = True


def _plain(start_response: StartResponse, status: str, text: str, extra: list | None = None) -> list[bytes]:
    body = text.encode()
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    start_response(status, headers + _VERSION_HEADERS + (extra or []))
    return [body]


def _xml(start_response: StartResponse, reply: str) -> list[bytes]:
    body = reply.encode("utf-8", "xmlcharrefreplace")
    start_response(
        "200 OK",
        [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))] + _VERSION_HEADERS,
    )
    return [body]


def make_app(settings: Settings) -> HubApp:
    return HubApp(settings)


def _web_ui(settings: Settings) -> Callable:
    """The web UI mounted at /koji/: a client of this very hub over HTTP, as kiln-web is of any hub."""
    from pathlib import Path

    from kiln.web.app import WebApp
    from kiln.web.config import WebSettings

    host, _, port = settings.listen.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    # Its links to files stay on whatever address the browser used.  Its signing secret is kept beside the
    # topdir, so that every worker (and the next start) accepts the login cookies of the others.
    secret_file = str(Path(settings.topdir).parent / "web-secret") if settings.topdir else ""
    return WebApp(WebSettings(hub_url=f"http://{host}:{port}/kojihub", files_url="/kojifiles", secret_file=secret_file))
