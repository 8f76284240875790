"""Koji's reports: counts per user, host, state and target, most first."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from kiln.client import ClientSession
from kiln.web.listing import window
from kiln.web.pages.common import BUILD_STATES, number

REPORTS = {
    "buildsbyuser": "Builds by user",
    "packagesbyuser": "Packages by owner",
    "buildsbystatus": "Builds by status",
    "buildsbytarget": "Builds by target",
    "rpmsbyhost": "RPMs by host",
    "tasksbyhost": "Tasks by host",
    "tasksbyuser": "Tasks by user",
    "clusterhealth": "Cluster health",
}


def reports(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    return "reports.html", {"reports": REPORTS}


def _counted(page: str, query: dict[str, str], rows: list[tuple[str, str, int]], title: str, what: str) -> tuple:
    """A report: name, link and count per row (``start``, ``order`` by name or count, most first), each with
    a bar against the largest."""
    top = max((r[2] for r in rows), default=0) or 1
    shown = window(page, query, "-count", ("name", "count"))
    listed = shown.cut(
        {"name": name, "link": link, "count": count, "percent": round(count / top * 100)} for name, link, count in rows
    )
    return "report.html", {"title": title, "what": what, "rows": listed}


def _per(page: str, kind: str, count: Callable[[Any, dict], Any], title: str, what: str) -> Callable:
    """A report page: for every user (or host), one count in one multicall; users with none are left out."""

    def report(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
        subjects = session.listUsers() if kind == "user" else session.listHosts()
        with session.multicall(strict=True) as m:
            counts = [count(m, subject) for subject in subjects]
        link = "userinfo?userID" if kind == "user" else "hostinfo?hostID"
        rows = [(s["name"], f"{link}={s['id']}", c.result) for s, c in zip(subjects, counts, strict=True)]
        return _counted(page, query, [r for r in rows if r[2] or kind == "host"], title, what)

    return report


buildsbyuser = _per(
    "buildsbyuser",
    "user",
    lambda m, u: m.listBuilds(userID=u["id"], queryOpts={"countOnly": True}),
    "Builds by user",
    "builds",
)
packagesbyuser = _per(
    "packagesbyuser",
    "user",
    lambda m, u: m.count("listPackages", userID=u["id"], with_dups=True),
    "Packages by owner",
    "packages",
)
tasksbyuser = _per(
    "tasksbyuser", "user", lambda m, u: m.listTasks({"owner": [u["id"]]}, {"countOnly": True}), "Tasks by user", "tasks"
)
tasksbyhost = _per(
    "tasksbyhost",
    "host",
    lambda m, h: m.listTasks({"host_id": [h["id"]]}, {"countOnly": True}),
    "Tasks by host",
    "tasks",
)
rpmsbyhost = _per(
    "rpmsbyhost", "host", lambda m, h: m.listRPMs(hostID=h["id"], queryOpts={"countOnly": True}), "RPMs by host", "RPMs"
)


def buildsbystatus(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    with session.multicall(strict=True) as m:
        counts = {state: m.listBuilds(state=state, queryOpts={"countOnly": True}) for state in BUILD_STATES}
    rows = [(BUILD_STATES[s], f"builds?state={BUILD_STATES[s]}", c.result) for s, c in counts.items()]
    return _counted("buildsbystatus", query, rows, "Builds by status", "builds")


def buildsbytarget(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Build tasks of the last ``days`` (7) by their target, as Koji's report counts them."""
    days = number(query, "days") if "days" in query else 7
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=min(days, 36500))).timestamp()
    found = session.listTasks({"method": "build", "createdAfter": since, "decode": True})
    counts: dict[str, int] = {}
    for task in found:
        request = task.get("request") or []
        if len(request) > 1 and isinstance(request[1], str):
            counts[request[1]] = counts.get(request[1], 0) + 1
    rows = [(name, f"buildtargetinfo?targetID={name}", n) for name, n in counts.items()]
    return _counted("buildsbytarget", query, rows, f"Builds by target, the last {days} days", "builds")


PAGES = {
    "reports": reports,
    "buildsbyuser": buildsbyuser,
    "packagesbyuser": packagesbyuser,
    "tasksbyuser": tasksbyuser,
    "tasksbyhost": tasksbyhost,
    "rpmsbyhost": rpmsbyhost,
    "buildsbystatus": buildsbystatus,
    "buildsbytarget": buildsbytarget,
}
