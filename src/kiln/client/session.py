"""The client session: XML-RPC calls to a hub, with Koji's session rules.

Why it looks the way it does (see koji-api-notes.md, sections 1 to 3):

- One ``requests.Session`` keeps the connection alive between calls; every
  call is a POST of an XML-RPC document to the hub URL.
- After ``login`` every request carries ``Koji-Session-Id``,
  ``Koji-Session-Key`` and ``Koji-Session-Callnum``.  The call number starts
  at 0 and grows by one per request, so that the hub can refuse a replayed
  write (RetryError) or an out-of-order one (SequenceError).
- A transport failure (a connection refused or reset, a timeout, HTTP 5xx
  such as a front proxy's 502, 503 or 504 while the hub restarts, an
  unreadable reply) is retried by re-sending the *same* bytes with the
  *same* call number: if the first attempt did reach the hub and wrote, the
  hub answers RetryError instead of writing twice.  Such a RetryError, on a
  retry, means the call took effect: ``settle_replay`` decides what it
  answers (by default the RetryError is raised, as koji's client does; a
  subclass that can look the call's effect up answers for it).
- A fault is an answer, never retried; but for ServerOffline (the hub is up
  and says it is offline for maintenance), which is retried, without
  limit, every ``offline_retry_interval``, when ``offline_retry`` is set,
  as koji's client does.
- A session past the hub's renewal timeout answers AuthExpired; when the
  password (or the client certificate) is known we log in again with
  ``renew=True`` (same session id, new key) and repeat the call once.
- Certificate login (``ssl_login``) is Koji's: ``sslLogin`` is sent over
  https to ``<server>/ssllogin``, where a TLS-terminating front proxy has
  checked the client certificate and tells the hub whose it is.  The hub
  URL is switched to https, as koji's client does, and the certificate and
  CA stay on the connection for the session's later calls.
- A TLS failure (the server's certificate does not verify against
  ``serverca``, the proxy refuses ours) is not retried: waiting does not
  make a certificate valid.

Options (``opts``): ``user``, ``password``, ``cert`` (client certificate
and key, one PEM file), ``serverca`` (the CA that signed the hub's
certificate; else the system's CAs), ``max_retries`` (30),
``retry_interval`` (20 s; the first retry is immediate), ``offline_retry``
(False), ``offline_retry_interval`` (``retry_interval`` when unset),
``timeout`` (43 200 s) and ``login_timeout`` (60 s).
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any
from urllib.parse import urlencode

import requests

import kiln
from kiln.client.multicall import (
    IN_PROGRESS,
    MethodProxy,
    MultiCallSwitch,
    batches,
    raise_first_fault,
)
from kiln.protocol import errors
from kiln.protocol.xmlrpc import Fault, dumps, encode_args, loads

log = logging.getLogger("kiln.client")

DEFAULT_OPTS: dict[str, Any] = {
    "max_retries": 30,
    "retry_interval": 20.0,
    "offline_retry": False,
    "timeout": 43200.0,
    "login_timeout": 60.0,
}

# Statuses that say "try again later" rather than "your request is wrong".
_RETRY_STATUSES = frozenset({408, 429})
_LOGIN_METHODS = frozenset({"login", "sslLogin"})


class _TransportError(Exception):
    """A request that got no usable answer; carries the cause to re-raise."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class ClientSession:
    """A connection to one hub; method calls travel as attribute calls.

    ``session.getUser("x", strict=True)`` sends ``getUser`` with the keyword
    arguments encoded the way Koji does; faults come back as the classes of
    :mod:`kiln.protocol.errors`.
    """

    def __init__(self, baseurl: str, opts: dict[str, Any] | None = None) -> None:
        self.baseurl = baseurl
        self.opts: dict[str, Any] = {**DEFAULT_OPTS, **(opts or {})}
        self.http = requests.Session()
        # Given with each request, as koji does: a requests.Session's own
        # verify loses to $REQUESTS_CA_BUNDLE.  None means the system's CAs.
        self.tls_verify: str | None = self.opts.get("serverca") or None
        self.tls_cert: str | None = None
        self.sinfo: dict[str, Any] | None = None
        self.callnum: int | None = None
        # Whether calls carry Koji-Session-Callnum.  A session shared by concurrent
        # requests (the web UI's, one per visitor) cannot number its calls in order.
        self.numbered = True
        self.exclusive = False
        self._logged_in = False
        self._credentials: tuple[str, str] | None = None
        self._ssl_login: dict[str, Any] | None = None  # sslLogin's arguments, for renewals
        self._koji_version: str | None = None
        self._kiln_version: str | None = None
        self._multicall = MultiCallSwitch(self)
        self._queued: list[dict] = []

    # --- attribute calls -------------------------------------------------

    def __getattr__(self, name: str) -> MethodProxy:
        # Private and dunder names are never hub methods; refusing them keeps
        # copy, pickle and friends from sending RPCs.
        if name.startswith("_"):
            raise AttributeError(name)
        return MethodProxy(self._invoke, name)

    def callMethod(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call a hub method by name (for names that are not identifiers)."""
        return self._invoke(name, args, kwargs)

    def _invoke(self, name: str, args: tuple, kwargs: dict) -> Any:
        if self._multicall:
            self._queued.append({"methodName": name, "params": list(encode_args(*args, **kwargs))})
            return IN_PROGRESS
        return self.call(name, args, kwargs)

    def call(self, name: str, args: tuple = (), kwargs: dict | None = None) -> Any:
        """Send one call now (never queued), renewing an expired session once."""
        try:
            result = self._call_with_retries(name, args, kwargs or {})
        except errors.AuthExpired:
            renewable = self._credentials is not None or self._ssl_login is not None
            if not renewable or name in _LOGIN_METHODS or self.sinfo is None:
                raise
            log.info("session %s expired; renewing it", self.sinfo.get("session-id"))
            self._renew()
            result = self._call_with_retries(name, args, kwargs or {})
        self._note_exclusivity(name)
        return result

    def _note_exclusivity(self, name: str) -> None:
        # A renewal must ask for the lock again (login's ``exclusive``), so we
        # remember whether this session holds it.
        if name == "exclusiveSession":
            self.exclusive = True
        elif name == "sharedSession":
            self.exclusive = False

    # --- the wire --------------------------------------------------------

    def _prepare(self, name: str, args: tuple, kwargs: dict) -> tuple[dict[str, str], bytes]:
        """Headers and body of one request; takes the next call number."""
        params = encode_args(*args, **kwargs)
        body = dumps(params, methodname=name).encode("utf-8")
        return self._headers("text/xml"), body

    def _headers(self, content_type: str) -> dict[str, str]:
        headers = {"Content-Type": content_type, "User-Agent": f"kiln/{kiln.__version__}"}
        if self.sinfo is not None:
            # Sent even while renewing (not logged in): the hub needs to know
            # which expired session to renew.
            headers["Koji-Session-Id"] = str(self.sinfo["session-id"])
            headers["Koji-Session-Key"] = str(self.sinfo["session-key"])
            if self.numbered:
                callnum = self.callnum or 0
                self.callnum = callnum + 1
                headers["Koji-Session-Callnum"] = str(callnum)
        return headers

    def _send_once(self, headers: dict[str, str], body: bytes, timeout: float, query: str = "", path: str = "") -> Any:
        """POST one request; a fault raises its converted error."""
        url = self.baseurl + path
        if query:
            url += f"?{query}"
        try:
            reply = self.http.post(
                url, data=body, headers=headers, timeout=timeout, verify=self.tls_verify, cert=self.tls_cert
            )
        except requests.exceptions.SSLError:
            raise  # a certificate problem: trying again will not help
        except requests.RequestException as exc:
            raise _TransportError(exc) from exc
        self._note_versions(reply.headers)
        if reply.status_code >= 500 or reply.status_code in _RETRY_STATUSES:
            raise _TransportError(requests.HTTPError(f"{reply.status_code} {reply.reason}", response=reply))
        reply.raise_for_status()  # other 4xx: the request itself is wrong, retrying will not help
        try:
            params, _ = loads(reply.content)
        except Fault as fault:
            raise errors.from_fault(fault.faultCode, fault.faultString) from None
        except ValueError as exc:
            raise _TransportError(exc) from exc
        return params[0] if len(params) == 1 else params

    def _call_with_retries(self, name: str, args: tuple, kwargs: dict) -> Any:
        headers, body = self._prepare(name, args, kwargs)
        timeout = self.opts["login_timeout"] if name in _LOGIN_METHODS else self.opts["timeout"]
        path = "/ssllogin" if name == "sslLogin" else ""
        max_retries = int(self.opts["max_retries"])
        interval = float(self.opts["retry_interval"])
        tries = 0
        resent = False  # a try got no answer: a RetryError now is that try having written
        while True:
            tries += 1
            try:
                return self._send_once(headers, body, timeout, path=path)
            except errors.ServerOffline as offline:
                if not self.opts.get("offline_retry"):
                    raise
                # A running hub telling of its maintenance: no try is used up (koji's client counts again).
                tries = 0
                pause = self.opts.get("offline_retry_interval")
                pause = interval if pause is None else float(pause)
                log.info(
                    "the hub is offline (%s); %s (call %s) again in %s s",
                    offline,
                    name,
                    headers.get("Koji-Session-Callnum"),
                    pause,
                )
                time.sleep(pause)
            except errors.RetryError as refused:
                if not resent:
                    raise  # not a replay of ours: the call numbers are out of step
                log.info(
                    "%s (call %s) took effect before its reply was lost", name, headers.get("Koji-Session-Callnum")
                )
                return self.settle_replay(name, args, kwargs, refused)
            except _TransportError as failure:
                # Drop pooled connections: the failed one may be half-closed.
                self.http.close()
                if tries > max_retries:
                    raise failure.cause from None
                resent = True
                log.info(
                    "try #%d of %s (call %s) failed: %s", tries, name, headers.get("Koji-Session-Callnum"), failure
                )
                if tries > 1:
                    time.sleep(interval)

    def settle_replay(self, name: str, args: tuple, kwargs: dict, refused: errors.RetryError) -> Any:
        """The answer to a call that took effect on the hub, whose reply was lost on the way back.

        The hub refused the retry with RetryError because the first try had
        written.  By default the RetryError is raised (koji's client does);
        a subclass that can look the call's effect up (a task's state, the
        subtask made) answers it instead.
        """
        raise refused

    def _note_versions(self, headers: Any) -> None:
        self._koji_version = headers.get("Koji-Version") or self._koji_version
        self._kiln_version = headers.get("Kiln-Version") or self._kiln_version

    # --- sessions --------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        return self._logged_in

    def set_session(self, sinfo: dict[str, Any] | None) -> None:
        """Adopt session info from elsewhere (None forgets it); the call number restarts at 0."""
        self.sinfo = sinfo
        self.callnum = 0 if sinfo is not None else None
        self._logged_in = sinfo is not None

    def login(self, user: str | None = None, password: str | None = None) -> dict[str, Any]:
        """Log in with a password (from the arguments or ``opts``); returns the session info."""
        user = user if user is not None else self.opts.get("user")
        password = password if password is not None else self.opts.get("password")
        if not user or not password:
            raise errors.AuthError("login needs a user name and a password")
        sinfo = self._call_with_retries("login", (user, password), {"opts": None})
        self._credentials = (user, password)
        self.set_session(sinfo)
        return sinfo

    def ssl_login(
        self,
        cert: str | None = None,
        serverca: str | None = None,
        proxyuser: str | None = None,
        proxyauthtype: int | None = None,
    ) -> dict[str, Any]:
        """Log in with a client certificate (``cert``: certificate and key in one PEM file).

        ``serverca`` is the CA the hub's certificate must verify against (the
        system's CAs when None).  ``proxyuser`` logs in as another user, for
        a certificate the hub lists in its proxy_dns (a web front end does).
        A certificate the front proxy refuses is an AuthError that says so.
        """
        cert = cert or self.opts.get("cert")
        serverca = serverca or self.opts.get("serverca")
        if not cert:
            raise errors.AuthError("No client cert provided")
        if not os.access(cert, os.R_OK):
            raise errors.AuthError(f"Certificate {cert} doesn't exist or is not accessible")
        if serverca and not os.access(serverca, os.R_OK):
            raise errors.AuthError(f"Server CA {serverca} doesn't exist or is not accessible")
        self.baseurl = force_https(self.baseurl)
        self.http.close()
        self.tls_cert, self.tls_verify = cert, serverca or None
        self.opts.update(cert=cert, serverca=serverca)
        kwargs: dict[str, Any] = {"proxyuser": proxyuser}
        if proxyauthtype is not None:
            kwargs["proxyauthtype"] = proxyauthtype
        sinfo = self._send_ssl_login(kwargs)
        self._ssl_login = kwargs
        self.set_session(sinfo)
        return sinfo

    def gssapi_login(self, proxyuser: str | None = None) -> dict[str, Any]:
        """Log in with the Kerberos ticket in the user's credential cache (needs requests-gssapi).

        Koji's gssapi login: ``sslLogin`` over https, with a Negotiate header
        that the front proxy checks and turns into the user's principal.
        """
        try:
            import requests_gssapi
        except ImportError:
            raise errors.AuthError("GSSAPI login needs the requests-gssapi package") from None
        self.baseurl = force_https(self.baseurl)
        self.http.close()
        self.http.auth = requests_gssapi.HTTPSPNEGOAuth(opportunistic_auth=True)
        kwargs: dict[str, Any] = {"proxyuser": proxyuser}
        sinfo = self._send_ssl_login(kwargs)
        self._ssl_login = kwargs
        self.set_session(sinfo)
        return sinfo

    def _send_ssl_login(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._call_with_retries("sslLogin", (), kwargs)
        except requests.HTTPError as exc:
            # A TLS front proxy answers a certificate it will not accept with
            # a 4xx page of its own: the hub never saw the call.
            raise errors.AuthError(f"ssl login refused by {self.baseurl}: {_http_reason(exc.response)}") from None
        except requests.exceptions.SSLError as exc:
            raise errors.AuthError(f"ssl login to {self.baseurl} failed: {_tls_reason(exc)}") from None

    def _renew(self) -> None:
        """Log in again on an expired session: the hub keeps its id and issues a new key.

        Unlike a fresh login, the call number keeps counting: the hub keeps
        the session row and with it the last call number it stored, so
        starting again at 0 would make the next write a SequenceError (or a
        RetryError).  The official koji client does restart at 0 here.
        """
        self._logged_in = False
        kwargs: dict[str, Any] = {"renew": True, "exclusive": self.exclusive}
        if self._ssl_login is not None:
            sinfo = self._send_ssl_login({**self._ssl_login, **kwargs})
        else:
            assert self._credentials is not None
            sinfo = self._call_with_retries("login", self._credentials, {"opts": None, **kwargs})
        callnum = self.callnum
        self.set_session(sinfo)
        self.callnum = callnum

    def logout(self) -> None:
        """Close the session on the hub; an already expired one is simply forgotten."""
        if self.sinfo is None:
            return
        headers, body = self._prepare("logout", (), {"session_id": None})
        try:
            self._send_once(headers, body, self.opts["timeout"])
        except errors.AuthExpired:
            pass
        except _TransportError as failure:
            raise failure.cause from None
        finally:
            self.set_session(None)
            self.exclusive = False

    def subsession(self) -> ClientSession:
        """A new session of the same user (for a child process), on the same hub."""
        sinfo = self.call("subsession")
        child = ClientSession(self.baseurl, opts=dict(self.opts))
        child.tls_cert, child.tls_verify, child.http.auth = self.tls_cert, self.tls_verify, self.http.auth
        child._credentials = self._credentials
        child._ssl_login = self._ssl_login
        child.set_session(sinfo)
        return child

    def raw_upload(
        self,
        data: bytes,
        path: str,
        name: str,
        offset: int = 0,
        overwrite: bool = False,
        verify: str = "adler32",
        volume: str | None = None,
    ) -> dict[str, Any]:
        """One chunk of Koji's fast upload: ``data`` written at ``offset`` of ``path/name`` under the work area.

        Answers the hub's reply (``size``, ``offset``, ``hexdigest`` of the
        chunk); kiln.client.uploads builds whole-file uploads on it.  Not
        retried: the caller knows whether a chunk may be sent again.
        """
        args = {"filename": name, "filepath": path, "fileverify": verify, "offset": str(offset)}
        if overwrite:
            args["overwrite"] = "1"
        if volume:
            args["volume"] = volume
        headers = self._headers("application/octet-stream")
        try:
            return self._send_once(headers, data, self.opts["timeout"], urlencode(args))
        except _TransportError as failure:
            self.http.close()
            raise failure.cause from None

    # --- versions --------------------------------------------------------

    @property
    def hub_version_str(self) -> str:
        """The Koji version the hub speaks, from the ``Koji-Version`` reply header."""
        if self._koji_version is None:
            self._koji_version = self.call("getKojiVersion")
        assert self._koji_version is not None
        return self._koji_version

    @property
    def hub_version(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.hub_version_str.split("."))

    @property
    def kiln_version(self) -> str | None:
        """The hub's own kiln version (``Kiln-Version``); None for a hub that is not kiln."""
        if self._kiln_version is None and self._koji_version is None:
            self.call("getKojiVersion")
        return self._kiln_version

    # --- multicall -------------------------------------------------------

    @property
    def multicall(self) -> MultiCallSwitch:
        """Call it for a MultiCallSession; set it to True to queue calls (legacy)."""
        return self._multicall

    @multicall.setter
    def multicall(self, value: bool) -> None:
        self._multicall.value = bool(value)

    def send_multicall(self, calls: list[dict]) -> list:
        """One ``multiCall`` request of already formatted calls; returns the raw entries."""
        entries = self.call("multiCall", (calls,))
        if not isinstance(entries, list) or len(entries) != len(calls):
            raise errors.GenericError(f"multiCall answered {entries!r:.200} to {len(calls)} calls")
        return entries

    def multiCall(self, strict: bool = False, batch: int | None = None) -> list:
        """Send the calls queued while ``multicall`` was True; returns the raw entries."""
        if not self._multicall:
            raise errors.GenericError("ClientSession.multicall must be set to True before calling multiCall()")
        self.multicall = False
        calls, self._queued = self._queued, []
        entries: list = []
        for chunk in batches(calls, batch):
            if chunk:
                entries.extend(self.send_multicall(chunk))
        if strict:
            raise_first_fault(entries)
        return entries

    def __repr__(self) -> str:
        who = f"session {self.sinfo['session-id']}" if self.sinfo else "anonymous"
        return f"<ClientSession {self.baseurl} {who}>"


def force_https(url: str) -> str:
    """``url`` with the https scheme: certificate and GSSAPI logins never travel in clear."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return url if parts.scheme == "https" else urlunsplit(("https", *parts[1:]))


def _tls_reason(exc: Exception) -> str:
    """OpenSSL's words from deep inside urllib3's nested message, else the whole message."""
    found = re.search(r"\[SSL[^\]]*\][^'\"(]*", str(exc))
    return found.group(0).strip() if found else str(exc)


def _http_reason(reply: requests.Response | None) -> str:
    """``400 Bad Request``, with the proxy's own page title when it has one (nginx names the cause)."""
    if reply is None:
        return "no answer"
    title = re.search(r"<title>([^<]*)</title>", reply.text or "", re.IGNORECASE)
    return f"HTTP {title.group(1).strip()}" if title else f"HTTP {reply.status_code} {reply.reason}"


__all__ = ["DEFAULT_OPTS", "ClientSession", "force_https"]
