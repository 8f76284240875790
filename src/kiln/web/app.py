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
from kiln.protocol import errors
from kiln.web import pages
from kiln.web.config import WebSettings

log = logging.getLogger("kiln.web")
StartResponse = Callable[..., Any]
PREFIX = "/koji"


class WebApp:
    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("kiln.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.filters["state_name"] = pages.state_name
        self._sessions = threading.local()

    def session(self) -> ClientSession:
        """This thread's anonymous session: its connection to the hub is kept from one page to the next."""
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = ClientSession(
                self.settings.hub_url, opts={"max_retries": 0, "anon_retry": False}
            )
        return session

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path.startswith(PREFIX + "/") or path == PREFIX:
            path = path[len(PREFIX) :]
        name = path.strip("/") or "index"
        if name.startswith("static/"):
            return self._static(name.removeprefix("static/"), start_response)
        page = pages.PAGES.get(name)
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if page is None:
                raise pages.PageError(404, f"There is no page called {name!r} here.")
            template, values = page(self.session(), query)
            values.setdefault("base_url", _base_url(environ))
            return self._render(start_response, "200 OK", template, values)
        except pages.PageError as exc:
            return self._error(start_response, exc.status, exc.message)
        except errors.ParameterError as exc:  # a value the page passed on as it came, which the hub refused
            return self._error(start_response, 400, f"The hub refused this request: {exc}")
        except (requests.ConnectionError, requests.Timeout):
            return self._error(start_response, 503, f"The hub at {self.settings.hub_url} does not answer.")
        except Exception:
            log.exception("page %s failed", name)
            return self._error(start_response, 500, "Something went wrong on our side; the log has the details.")

    def _render(self, start_response: StartResponse, status: str, template: str, values: dict) -> list[bytes]:
        body = self.templates.get_template(template).render(**values, files_url=self.settings.files_url).encode()
        kind = "application/rss+xml" if template.endswith(".xml") else "text/html"
        headers = [("Content-Type", f"{kind}; charset=utf-8"), ("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]

    def _error(self, start_response: StartResponse, status: int, message: str) -> list[bytes]:
        titles = {400: "Bad Request", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}
        return self._render(
            start_response, f"{status} {titles[status]}", "error.html", {"status": status, "message": message}
        )

    def _static(self, name: str, start_response: StartResponse) -> list[bytes]:
        if "/" in name or name.startswith("."):
            return self._error(start_response, 404, "No such file.")
        resource = resources.files("kiln.web").joinpath("static", name)
        if not resource.is_file():
            return self._error(start_response, 404, "No such file.")
        body = resource.read_bytes()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]


def _base_url(environ: dict) -> str:
    """This server's address as the visitor reached it (links in the RSS feed must be absolute)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}"
