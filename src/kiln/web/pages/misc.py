"""Search, the API list and the RSS feed of recent builds."""

from __future__ import annotations

import datetime
from typing import Any

from kiln.client import ClientSession
from kiln.web.listing import PageError, window
from kiln.web.pages.common import BUILD_STATES, found

SEARCH_TYPES = {"package": "packageinfo?packageID", "build": "buildinfo?buildID", "tag": "taginfo?tagID"}
SEARCH_TYPES |= {"target": "buildtargetinfo?targetID", "user": "userinfo?userID", "host": "hostinfo?hostID"}
SEARCH_TYPES |= {"rpm": "rpminfo?rpmID"}


def search(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    terms = query.get("terms", "")
    kind = query.get("type", "package")
    match = query.get("match", "glob")
    if kind not in SEARCH_TYPES:
        raise PageError(400, f"Unknown search type {kind!r}: one of {', '.join(SEARCH_TYPES)}.")
    if match not in ("glob", "regexp", "exact"):
        raise PageError(400, f"match must be glob, regexp or exact, not {match!r}.")
    shown = window("search", query, "name", ("name", "id"))
    results = None
    if terms:
        with session.multicall(strict=True) as m:
            results = shown.ask(m, "search", terms, kind, match)
    return "search.html", {
        "terms": terms,
        "kind": kind,
        "match": match,
        "kinds": list(SEARCH_TYPES),
        "results": results.result if results else None,
        "link": SEARCH_TYPES[kind],
    }


def api(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    return "api.html", {"methods": session.callMethod("_listapi"), "version": session.getKojiVersion()}


def _rfc822(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def recentbuilds(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Koji's RSS feed of the latest finished builds, by ``tag``, ``user`` or ``package`` if given."""
    filters: dict[str, Any] = {}
    title = "Recent builds"
    if query.get("package"):
        package = found(session.getPackage, query, "package", "package")
        filters["packageID"], title = package["id"], f"Recent builds of {package['name']}"
    if query.get("user"):
        user = found(session.getUser, query, "user", "user")
        filters["userID"], title = user["id"], f"Recent builds by {user['name']}"
    if query.get("tag"):
        tag = found(session.getTag, query, "tag", "tag")
        latest = session.filterResults("listTagged", tag["id"], filterOpts={"order": "-build_id", "limit": 20})
        title = f"Recent builds in {tag['name']}"
    else:
        latest = session.listBuilds(queryOpts={"order": "-build_id", "limit": 20}, **filters)
    items = [{**b, "pub": _rfc822(b.get("completion_ts") or b.get("creation_ts") or 0)} for b in latest]
    return "recentbuilds.xml", {"title": title, "builds": items, "states": BUILD_STATES}


PAGES = {"search": search, "api": api, "recentbuilds": recentbuilds}
