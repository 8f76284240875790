"""The web UI's WSGI application: Koji's page names, rendered from the hub's answers.

A page is a function of ``pages`` taking the request's query; it raises
``PageError`` for what the visitor did wrong (400) or asked for that does
not exist (404).  A hub that does not answer gives a 503 page; nothing ever
shows a traceback.  Every value is escaped by the templates (autoescape).
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import jinja2
import requests

from kiln.client import ClientSession
from kiln.client.task_labels import task_label
from kiln.protocol import errors
from kiln.protocol.constants import AuthType
from kiln.protocol.identity import dn_component
from kiln.web import actions, pages, plugins
from kiln.web.config import WebSettings
from kiln.web.visitor import Signer, Visitor, load_secret, set_cookie

log = logging.getLogger("kiln.web")
StartResponse = Callable[..., Any]
PREFIX = "/koji"


class WebApp:
    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.templates = jinja2.Environment(
            loader=jinja2.ChoiceLoader(
                [jinja2.PackageLoader("kiln.web", "templates"), jinja2.FileSystemLoader(plugins.template_dirs())]
            ),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.filters["state_name"] = pages.state_name
        self.templates.filters["task_label"] = task_label
        self.signer = Signer(load_secret(settings.secret, settings.secret_file))
        self._sessions = threading.local()

    def session(self, visitor: Visitor | None = None) -> ClientSession:
        """The hub session for a page: this thread's anonymous one (its connection kept from one page to
        the next), or the visitor's own over the same connection."""
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = ClientSession(self.settings.hub_url, opts=self._opts())
        if not visitor:
            return session
        own = ClientSession(self.settings.hub_url, opts=self._opts())
        own.http = session.http
        own.set_session({"session-id": visitor.session_id, "session-key": visitor.session_key})
        own.numbered = False  # one visitor's pages may be served at once by several threads
        return own

    def _opts(self) -> dict:
        return {"max_retries": 0, "anon_retry": False, "serverca": self.settings.hub_ca or None}

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path.startswith(PREFIX + "/") or path == PREFIX:
            path = path[len(PREFIX) :]
        name = path.strip("/") or "index"
        if name.startswith("static/"):
            return self._static(name.removeprefix("static/"), start_response)
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        reply = Reply(start_response, secure=environ.get("wsgi.url_scheme") == "https")
        try:
            live = query.get("fragment") == "live" and environ.get("REQUEST_METHOD", "GET") == "GET"
            # A live region shows nothing a visitor's rights change: its polls skip the cookie's getPerms.
            visitor = Visitor() if live else self._visitor(environ, reply)
            if environ.get("REQUEST_METHOD", "GET") == "POST":
                return self._post(name, environ, visitor, reply)
            if name == "login":
                verified = self._verified_subject(environ)
                if verified:
                    return self._proxy_login(verified, _local(query.get("next")), reply)
                return self._render(reply, "200 OK", "login.html", {"next": _local(query.get("next")), "failed": ""})
            if name in actions.FORMS:
                perm, form_page = actions.FORMS[name]
                if not visitor.may(perm):
                    raise pages.PageError(403, f"This form is for users with the {perm} permission.")
                template, values = form_page(self.session(visitor), query)
            else:
                page = pages.LIVE.get(name) if live else pages.PAGES.get(name)
                page = page or plugins.pages().get(name)
                if page is None:
                    raise pages.PageError(404, f"There is no page called {name!r} here.")
                template, values = page(self.session(visitor), query)
            values.setdefault("base_url", _base_url(environ))
            return self._render(reply, "200 OK", template, values, visitor)
        except pages.PageError as exc:
            return self._error(reply, exc.status, exc.message)
        except errors.ParameterError as exc:  # a value the page passed on as it came, which the hub refused
            return self._error(reply, 400, f"The hub refused this request: {exc}")
        except errors.GenericError as exc:  # an action the hub would not do: its words, nothing changed
            return self._error(reply, 403, f"The hub refused: {exc}")
        except (requests.ConnectionError, requests.Timeout):
            return self._error(reply, 503, f"The hub at {self.settings.hub_url} does not answer.")
        except Exception:
            log.exception("page %s failed", name)
            return self._error(reply, 500, "Something went wrong on our side; the log has the details.")

    def _visitor(self, environ: dict, reply: Reply) -> Visitor:
        """The visitor the cookie names, with the permissions the hub gives them now; anonymous when the
        hub no longer knows the session (its cookie is then dropped)."""
        visitor = self.signer.visitor(environ.get("HTTP_COOKIE", ""))
        if not visitor:
            return visitor
        try:
            visitor.perms = set(self.session(visitor).getPerms())
        except errors.AuthError:
            reply.headers.append(set_cookie("", reply.secure))
            return Visitor()
        return visitor

    def _post(self, name: str, environ: dict, visitor: Visitor, reply: Reply) -> list[bytes]:
        form = actions.form_values(parse_qs(_body(environ)))
        if name == "login":
            return self._login(form, reply)
        if name != "logout" and name not in actions.ACTIONS:
            raise pages.PageError(404, f"There is no action called {name!r} here.")
        if not visitor:
            raise pages.PageError(403, "Log in first: only a logged-in user may do this.")
        if not self.signer.check_csrf(visitor, form.get("csrf", "")):
            raise pages.PageError(
                403, "This form was not made for you by this site (or it has expired): nothing was changed."
            )
        if name == "logout":
            self.session(visitor).logout()
            reply.headers.append(set_cookie("", reply.secure))
            return reply.redirect("/koji/index")
        return reply.redirect(actions.ACTIONS[name](self.session(visitor), visitor, form))

    def _login(self, form: dict[str, str], reply: Reply) -> list[bytes]:
        user, password, target = form.get("user", ""), form.get("password", ""), _local(form.get("next"))
        session = ClientSession(self.settings.hub_url, opts=self._opts())
        try:
            sinfo = session.login(user, password)
            me = session.getLoggedInUser()
        except errors.AuthError:
            values = {"next": target, "failed": "That user name and password do not match an account."}
            return self._render(reply, "401 Unauthorized", "login.html", values)
        visitor = Visitor(me["name"], me["id"], sinfo["session-id"], sinfo["session-key"])
        reply.headers.append(set_cookie(self.signer.cookie_value(visitor), reply.secure))
        return reply.redirect(target)

    def _verified_subject(self, environ: dict) -> tuple[str, int] | None:
        """Who the front proxy verified, and how: a Kerberos principal (REMOTE_USER or the user header)
        or the CN of a client certificate; None if proxy login is off or the request did not come from
        a trusted proxy (anyone else could send the headers)."""
        settings = self.settings
        if not settings.proxy_login or environ.get("REMOTE_ADDR") not in settings.proxy_addresses.split():
            return None

        def header(name: str) -> str:
            return environ.get("HTTP_" + name.upper().replace("-", "_"), "")

        principal = environ.get("REMOTE_USER") or header(settings.proxy_user_header)
        if principal:
            return principal, AuthType.GSSAPI
        if header(settings.proxy_verify_header) != "SUCCESS":
            return None
        name = dn_component(header(settings.proxy_dn_header), "CN")
        return (name, AuthType.SSL) if name else None

    def _proxy_login(self, verified: tuple[str, int], target: str, reply: Reply) -> list[bytes]:
        """Log the visitor in as the proxy verified them: the web's own certificate at the hub, acting
        for them (``sslLogin`` with ``proxyuser`` and how they were verified, as kojiweb does)."""
        user, authtype = verified
        session = ClientSession(self.settings.hub_url, opts=self._opts())
        try:
            sinfo = session.ssl_login(cert=self.settings.client_cert, proxyuser=user, proxyauthtype=int(authtype))
            me = session.getLoggedInUser()
        except errors.AuthError as exc:
            return self._error(reply, 403, f"The hub did not log you in as {user}: {exc}")
        visitor = Visitor(me["name"], me["id"], sinfo["session-id"], sinfo["session-key"])
        reply.headers.append(set_cookie(self.signer.cookie_value(visitor), reply.secure))
        return reply.redirect(target)

    def _render(
        self, reply: Reply, status: str, template: str, values: dict, visitor: Visitor | None = None
    ) -> list[bytes]:
        values = {**values, "files_url": self.settings.files_url, "viewer": visitor or Visitor()}
        body = self.templates.get_template(template).render(**values).encode()
        kind = "application/rss+xml" if template.endswith(".xml") else "text/html"
        return reply.send(status, body, f"{kind}; charset=utf-8")

    def _error(self, reply: Reply, status: int, message: str) -> list[bytes]:
        titles = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}
        titles |= {413: "Content Too Large", 500: "Internal Server Error", 503: "Service Unavailable"}
        return self._render(reply, f"{status} {titles[status]}", "error.html", {"status": status, "message": message})

    def _static(self, name: str, start_response: StartResponse) -> list[bytes]:
        if "/" in name or name.startswith(".") or not resources.files("kiln.web").joinpath("static", name).is_file():
            return self._error(Reply(start_response, secure=False), 404, "No such file.")
        resource = resources.files("kiln.web").joinpath("static", name)
        body = resource.read_bytes()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]


def _base_url(environ: dict) -> str:
    """This server's address as the visitor reached it (links in the RSS feed must be absolute)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}"


MAX_FORM_BYTES = 64 * 1024


def _body(environ: dict) -> str:
    """A POSTed form; anything larger than a form of ours is refused unread."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise pages.PageError(400, "The request's Content-Length is not a number.") from None
    if length > MAX_FORM_BYTES:
        raise pages.PageError(413, "That form is too large.")
    return environ["wsgi.input"].read(length).decode("utf-8", errors="replace") if length > 0 else ""


def _local(target: str | None) -> str:
    """Where to go after logging in: a page of this site only (never another site's address)."""
    if target and target.startswith("/koji/") and not target.startswith("//"):
        return target
    return "/koji/index"


# Only this site's own script, style and forms; inline styles for the load bars; never in a frame.
SAFETY = [
    (
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
]


class Reply:
    """The response being made: its extra headers (a cookie) and how it is sent."""

    def __init__(self, start_response: StartResponse, secure: bool) -> None:
        self.start_response = start_response
        self.secure = secure
        self.headers: list[tuple[str, str]] = []

    def send(self, status: str, body: bytes, kind: str) -> list[bytes]:
        headers = [("Content-Type", kind), ("Content-Length", str(len(body))), *SAFETY, *self.headers]
        if self.headers:
            headers.append(("Cache-Control", "no-store"))  # a page made for one visitor is theirs alone
        self.start_response(status, headers)
        return [body]

    def redirect(self, location: str) -> list[bytes]:
        """303 See Other: after a POST, the browser GETs the page the action leads to."""
        self.start_response("303 See Other", [("Location", location), ("Content-Length", "0"), *self.headers])
        return [b""]
