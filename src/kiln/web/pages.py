"""The pages: each takes a hub session and the query, and gives a template and its values.

The boxes of a page come from one multicall where they can, so a page
costs the hub one or two requests, not one per box.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from kiln.client import ClientSession
from kiln.protocol.constants import TaskState


class PageError(Exception):
    """What the visitor asked for is malformed (400) or does not exist (404): a page that says so."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def state_name(state: Any) -> str:
    try:
        return TaskState(int(state)).name.lower()
    except (TypeError, ValueError):
        return "unknown"


def _int(query: dict[str, str], name: str) -> int:
    value = query.get(name)
    if value is None:
        raise PageError(400, f"This page needs {name}=, a number.")
    try:
        return int(value)
    except ValueError:
        raise PageError(400, f"{name} must be a number, not {value!r}.") from None


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def index(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Running and recent top-level tasks, recent builds, and the hosts' load."""
    with session.multicall(strict=True) as m:
        recent = m.listTasks({"parent": None}, {"order": "-id", "limit": 20})
        active = {"parent": None, "state": [TaskState.OPEN, TaskState.ASSIGNED]}
        running = m.listTasks(active, {"order": "-id", "limit": 20})
        running_total = m.listTasks(active, {"countOnly": True})
        builds = m.listBuilds(queryOpts={"order": "-build_id", "limit": 10})
        hosts = m.listHosts()
    return "index.html", {
        "recent": recent.result,
        "running": running.result,
        "running_total": running_total.result,
        "builds": builds.result,
        "hosts": sorted(hosts.result, key=lambda h: h["name"]),
        "when": when,
    }


def taskinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    task_id = _int(query, "taskID")
    task = session.getTaskInfo(task_id, request=True)
    if not task:
        raise PageError(404, f"There is no task {task_id}.")
    with session.multicall(strict=True) as m:
        tree = m.getTaskDescendents(task_id)
        output = m.listTaskOutput(task_id, stat=True)
        owner = m.getUser(task["owner"])
        host = m.getHost(task["host_id"]) if task["host_id"] else None
        channel = m.getChannel(task["channel_id"]) if task["channel_id"] else None
        parent = m.getTaskInfo(task["parent"]) if task["parent"] else None
    result = None
    if task["state"] in (TaskState.CLOSED, TaskState.FAILED):
        result = session.getTaskResult(task_id, raise_fault=False)
    descendants: list[tuple[int, dict]] = []

    def walk(parent_id: int, depth: int) -> None:
        for child in tree.result.get(str(parent_id), []):
            descendants.append((depth, child))
            walk(child["id"], depth + 1)

    walk(task_id, 1)
    return "taskinfo.html", {
        "task": task,
        "owner": owner.result,
        "host": host.result if host else None,
        "channel": channel.result if channel else None,
        "parent": parent.result if parent else None,
        "descendants": descendants,
        "output": sorted(output.result.items()),
        "result": result,
        "failed": isinstance(result, dict) and "faultCode" in result,
        "when": when,
        "task_dir": f"work/tasks/{task_id % 10000}/{task_id}",
    }


PAGE_SIZE = 50
BUILD_STATES = {0: "building", 1: "complete", 2: "deleted", 3: "failed", 4: "canceled"}


def _page(query: dict[str, str], prefix: str = "") -> tuple[int, str | None]:
    """Koji's paging parameters: ``start`` (an offset) and ``order`` (a field, ``-`` for descending)."""
    start = query.get(f"{prefix}start", "0")
    if not start.isdigit():
        raise PageError(400, f"{prefix}start must be a number, not {start!r}.")
    order = query.get(f"{prefix}order")
    return int(start), order


def _paging(start: int, total: int, link: Callable[[int], str]) -> dict:
    return {
        "start": start,
        "end": min(start + PAGE_SIZE, total),
        "total": total,
        "previous": link(max(0, start - PAGE_SIZE)) if start > 0 else None,
        "next": link(start + PAGE_SIZE) if start + PAGE_SIZE < total else None,
    }


def _query_link(page: str, query: dict[str, str], **changes: Any) -> str:
    values = {k: v for k, v in {**query, **{k: str(v) for k, v in changes.items()}}.items() if v not in ("", None)}
    return f"/koji/{page}?{urlencode(values)}" if values else f"/koji/{page}"


def _paged(
    session: ClientSession, query: dict[str, str], page: str, listing: Callable[[Any, dict], Any], order: str
) -> tuple[list, dict]:
    """One page of a listing and its total, in one multicall: ``listing(multicall, queryOpts)`` makes the call."""
    start, _order = _page(query)
    with session.multicall(strict=True) as m:
        total = listing(m, {"countOnly": True})
        rows = listing(m, {"order": order, "offset": start, "limit": PAGE_SIZE})
    return rows.result, _paging(start, total.result, lambda at: _query_link(page, query, start=at))


def _found(lookup: Callable[[Any], Any], query: dict[str, str], key: str, what: str) -> Any:
    """What ``key`` names (an id, or a name as Koji's pages take them); a 404 page when there is none."""
    wanted = _named(query, key)
    found = lookup(wanted)
    if not found:
        raise PageError(404, f"There is no {what} {wanted}.")
    return found


_TASK_ORDERS = {"id", "-id", "method", "-method", "state", "-state", "priority", "-priority"}


def tasks(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Koji's task list: by state (``state``: all, active, closed, failed, canceled...), method, owner, host,
    channel and arch; top-level tasks only unless ``view=flat``."""
    _start, order = _page(query)
    order = order or "-id"
    if order not in _TASK_ORDERS:
        raise PageError(400, f"The task list cannot be ordered by {order!r}.")
    opts: dict[str, Any] = {"decode": True}
    state = query.get("state", "all")
    states = {
        "all": None,
        "active": [TaskState.FREE, TaskState.OPEN, TaskState.ASSIGNED],
        "free": [TaskState.FREE],
        "open": [TaskState.OPEN],
        "assigned": [TaskState.ASSIGNED],
        "closed": [TaskState.CLOSED],
        "failed": [TaskState.FAILED],
        "canceled": [TaskState.CANCELED],
    }
    if state not in states:
        raise PageError(400, f"Unknown task state {state!r}.")
    if states[state] is not None:
        opts["state"] = states[state]
    if query.get("view", "toplevel") != "flat":
        opts["parent"] = None
    if query.get("method"):
        opts["method"] = query["method"]
    if query.get("arch"):
        opts["arch"] = [query["arch"]]
    lookups = {"owner": (session.getUser, "owner"), "hostID": (session.getHost, "host_id")}
    lookups["channelID"] = (session.getChannel, "channel_id")
    for key, (lookup, field) in lookups.items():
        if query.get(key):
            opts[field] = [_found(lookup, query, key, key.removesuffix("ID"))["id"]]
    rows, paging = _paged(session, query, "tasks", lambda m, page: m.listTasks(opts, page), order)
    return "tasks.html", {
        "tasks": rows,
        "state": state,
        "states": list(states),
        "query": query,
        "order": order,
        "paging": paging,
        "link": lambda **changes: _query_link("tasks", query, start="", **changes),
        "when": when,
    }


def builds(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Koji's build list, by state, owner (``userID``) and name prefix, newest first."""
    _start, order = _page(query)
    order = order or "-build_id"
    if order.lstrip("-") not in ("build_id", "nvr", "completion_time", "creation_time"):
        raise PageError(400, f"The build list cannot be ordered by {order!r}.")
    filters: dict[str, Any] = {}
    if query.get("state"):
        names = {v: k for k, v in BUILD_STATES.items()}
        if query["state"] not in names:
            raise PageError(400, f"Unknown build state {query['state']!r}.")
        filters["state"] = names[query["state"]]
    if query.get("userID"):
        filters["userID"] = _found(session.getUser, query, "userID", "user")["id"]
    if query.get("prefix"):
        filters["prefix"] = query["prefix"]
    rows, paging = _paged(session, query, "builds", lambda m, page: m.listBuilds(queryOpts=page, **filters), order)
    return "builds.html", {
        "builds": rows,
        "states": BUILD_STATES,
        "query": query,
        "paging": paging,
        "when": when,
    }


def buildinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """A build: by id (Koji's) or by N-V-R (kiln's extension)."""
    wanted = query.get("buildID")
    if not wanted:
        raise PageError(400, "This page needs buildID=, a number or an N-V-R.")
    build = session.getBuild(int(wanted) if wanted.isdigit() else wanted)
    if not build:
        raise PageError(404, f"There is no build {wanted}.")
    with session.multicall(strict=True) as m:
        rpms = m.listRPMs(buildID=build["id"])
        tags = m.listTags(build=build["id"])
        logs = m.getBuildLogs(build["id"])
        changelog = m.getChangelogEntries(build["id"], queryOpts={"limit": 5})
    return "buildinfo.html", {
        "build": build,
        "state": BUILD_STATES.get(build["state"], "unknown"),
        "rpms": sorted(rpms.result, key=lambda r: (r["arch"] != "src", r["arch"], r["name"])),
        "tags": sorted(t["name"] for t in tags.result),
        "logs": logs.result,
        "changelog": changelog.result,
        "when": when,
    }


def getfile(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """A task's output file shown as text (``offset`` and ``size`` in bytes), as kojiweb's getfile."""
    task_id = _int(query, "taskID")
    name = query.get("name")
    if not name:
        raise PageError(400, "This page needs name=, a file of the task's output.")
    offset = _int(query, "offset") if "offset" in query else 0
    size = min(_int(query, "size"), 4 * 1024 * 1024) if "size" in query else 1024 * 1024
    if name not in session.listTaskOutput(task_id):
        raise PageError(404, f"Task {task_id} has no output file {name!r}.")
    data = base64.b64decode(session.downloadTaskOutput(task_id, name, offset, size))
    return "getfile.html", {
        "task_id": task_id,
        "name": name,
        "offset": offset,
        "text": data.decode("utf-8", errors="replace"),
        "more": len(data) == size,
        "next": _query_link("getfile", query, offset=offset + len(data)),
    }


def _named(query: dict[str, str], key: str) -> int | str:
    """An id, or (as Koji's pages take them) a name."""
    value = query.get(key)
    if not value:
        raise PageError(400, f"This page needs {key}=, a number or a name.")
    return int(value) if value.isdigit() else value


def hosts(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    with session.multicall(strict=True) as m:
        found = m.listHosts()
        channels = m.listChannels()
    return "hosts.html", {"hosts": sorted(found.result, key=lambda h: h["name"]), "channels": channels.result}


def hostinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    host = _found(session.getHost, query, "hostID", "host")
    with session.multicall(strict=True) as m:
        channels = m.listChannels(hostID=host["id"])
        running = {"host_id": [host["id"]], "state": [TaskState.OPEN, TaskState.ASSIGNED]}
        current = m.listTasks(running, {"order": "-id"})
        recent = m.listTasks({"host_id": [host["id"]]}, {"order": "-id", "limit": 10})
    load = host["task_load"] / host["capacity"] * 100 if host["capacity"] else 0
    return "hostinfo.html", {
        "host": host,
        "load_percent": min(100, round(load)),
        "channels": channels.result,
        "current": current.result,
        "recent": recent.result,
        "when": when,
    }


def channelinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    channel = _found(session.getChannel, query, "channelID", "channel")
    members = session.listHosts(channelID=channel["id"])
    return "channelinfo.html", {"channel": channel, "hosts": sorted(members, key=lambda h: h["name"])}


def users(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    rows, paging = _paged(session, query, "users", lambda m, page: m.listUsers(queryOpts=page), "name")
    return "users.html", {"users": rows, "paging": paging}


def userinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    user = _found(session.getUser, query, "userID", "user")
    with session.multicall(strict=True) as m:
        perms = m.getUserPerms(user["id"])
        recent_tasks = m.listTasks({"owner": [user["id"]], "parent": None}, {"order": "-id", "limit": 10})
        recent_builds = m.listBuilds(userID=user["id"], queryOpts={"order": "-build_id", "limit": 10})
    return "userinfo.html", {
        "user": user,
        "perms": sorted(perms.result),
        "tasks": recent_tasks.result,
        "builds": recent_builds.result,
        "when": when,
    }


def tags(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    return "tags.html", {"tags": sorted(session.listTags(), key=lambda t: t["name"])}


def taginfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    tag = _found(session.getTag, query, "tagID", "tag")
    with session.multicall(strict=True) as m:
        inheritance = m.getFullInheritance(tag["id"])
        children = m.getFullInheritance(tag["id"], reverse=True)
        package_list = m.listPackages(tagID=tag["id"], inherited=True)
        latest = m.listTagged(tag["id"], inherit=True, latest=True)
        repo = m.getRepo(tag["id"])
        targets = m.getBuildTargets(buildTagID=tag["id"])
        dest_targets = m.getBuildTargets(destTagID=tag["id"])
    return "taginfo.html", {
        "tag": tag,
        "inheritance": inheritance.result,
        "children": children.result,
        "packages": sorted(package_list.result, key=lambda p: p["package_name"]),
        "builds": sorted(latest.result, key=lambda b: b["nvr"]),
        "repo": repo.result,
        "targets": targets.result + [t for t in dest_targets.result if t not in targets.result],
    }


def buildtargets(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    return "buildtargets.html", {"targets": sorted(session.getBuildTargets(), key=lambda t: t["name"])}


def buildtargetinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    target = _found(session.getBuildTarget, query, "targetID", "build target")
    return "buildtargetinfo.html", {"target": target}


def packages(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    prefix = query.get("prefix") or None
    listing = lambda m, page: m.listPackagesSimple(prefix, queryOpts=page)  # noqa: E731
    rows, paging = _paged(session, query, "packages", listing, "package_name")
    return "packages.html", {"packages": rows, "paging": paging}


def packageinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    package = _found(session.getPackage, query, "packageID", "package")
    with session.multicall(strict=True) as m:
        listed = m.listPackages(pkgID=package["id"])
        recent = m.listBuilds(packageID=package["id"], queryOpts={"order": "-build_id", "limit": 20})
    return "packageinfo.html", {
        "package": package,
        "tags": sorted(listed.result, key=lambda e: e["tag_name"]),
        "builds": recent.result,
        "states": BUILD_STATES,
    }


DEPENDENCY_KINDS = {0: "Requires", 1: "Provides", 2: "Obsoletes", 3: "Conflicts", 4: "Suggests", 5: "Enhances"}
DEPENDENCY_KINDS |= {6: "Supplements", 7: "Recommends"}


def _flags(flags: int) -> str:
    """rpm's sense bits as the comparison they mean."""
    return {2: "<", 4: ">", 8: "=", 10: "<=", 12: ">="}.get(flags & 14, "")


def rpminfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    rpm_id = _int(query, "rpmID")
    rpm = session.getRPM(rpm_id)
    if not rpm:
        raise PageError(404, f"There is no RPM {rpm_id}.")
    with session.multicall(strict=True) as m:
        build = m.getBuild(rpm["build_id"]) if rpm["build_id"] else None
        deps = m.getRPMDeps(rpm_id)
        files = m.listRPMFiles(rpm_id, queryOpts={"order": "name", "limit": PAGE_SIZE})
        file_count = m.listRPMFiles(rpm_id, queryOpts={"countOnly": True})
        headers = m.getRPMHeaders(rpm_id, headers=["summary", "description", "license", "url", "buildhost"])
        roots = m.listBuildroots(rpmID=rpm_id)
    kinds: dict[str, list] = {}
    for dep in deps.result:
        kinds.setdefault(DEPENDENCY_KINDS.get(dep["type"], "Other"), []).append(
            f"{dep['name']} {_flags(dep['flags'])} {dep['version']}".strip()
        )
    return "rpminfo.html", {
        "rpm": rpm,
        "build": build.result if build else None,
        "dependencies": {kind: sorted(names) for kind, names in kinds.items()},
        "files": files.result,
        "file_count": file_count.result,
        "headers": headers.result,
        "buildroots": roots.result,
    }


def fileinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    rpm_id = _int(query, "rpmID")
    name = query.get("filename")
    if not name:
        raise PageError(400, "This page needs filename=, a file of the RPM.")
    found = session.getRPMFile(rpm_id, name)
    if not found:
        raise PageError(404, f"RPM {rpm_id} has no file {name!r}.")
    return "fileinfo.html", {"file": found, "rpm": session.getRPM(rpm_id), "mode": oct(found["mode"])}


def repoinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    repo_id = _int(query, "repoID")
    repo = session.repoInfo(repo_id)
    if not repo:
        raise PageError(404, f"There is no repo {repo_id}.")
    roots = session.listBuildroots(repoID=repo_id)
    return "repoinfo.html", {"repo": repo, "buildroots": roots, "states": REPO_STATES, "when": when}


REPO_STATES = {0: "init", 1: "ready", 2: "expired", 3: "deleted", 4: "problem"}
BUILDROOT_STATES = {0: "init", 1: "waiting", 2: "building", 3: "expired"}


def buildroots(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    filters: dict[str, Any] = {}
    if query.get("repoID"):
        filters["repoID"] = _int(query, "repoID")
    found = session.listBuildroots(queryOpts={"order": "-id", "limit": 200}, **filters)
    return "buildroots.html", {"buildroots": found, "states": BUILDROOT_STATES}


def buildrootinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    root_id = _int(query, "buildrootID")
    root = session.getBuildroot(root_id)
    if not root:
        raise PageError(404, f"There is no build root {root_id}.")
    with session.multicall(strict=True) as m:
        components = m.listRPMs(componentBuildrootID=root_id, queryOpts={"countOnly": True})
        built = m.listRPMs(buildrootID=root_id, queryOpts={"countOnly": True})
    return "buildrootinfo.html", {
        "root": root,
        "state": BUILDROOT_STATES.get(root["state"], "unknown"),
        "components": components.result,
        "built": built.result,
    }


def rpmlist(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """The RPMs a build root held (``type=component``) or made (``type=built``)."""
    root_id = _int(query, "buildrootID")
    kind = query.get("type", "component")
    if kind not in ("component", "built"):
        raise PageError(400, f"type must be component or built, not {kind!r}.")
    if not session.getBuildroot(root_id):
        raise PageError(404, f"There is no build root {root_id}.")
    key = "componentBuildrootID" if kind == "component" else "buildrootID"
    found = session.listRPMs(**{key: root_id})
    return "rpmlist.html", {"root_id": root_id, "kind": kind, "rpms": sorted(found, key=lambda r: r["nvr"])}


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
    results = session.search(terms, kind, match) if terms else []
    return "search.html", {
        "terms": terms,
        "kind": kind,
        "match": match,
        "kinds": list(SEARCH_TYPES),
        "results": results,
        "link": SEARCH_TYPES[kind],
    }


def externalrepoinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    wanted = _named(query, "extrepoID")
    repo = session.getExternalRepo(wanted)
    if not repo:
        raise PageError(404, f"There is no external repo {wanted} (kiln has no external repos yet).")
    return "externalrepoinfo.html", {"repo": repo}


def reports(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    return "reports.html", {"reports": REPORTS}


def _counted(rows: list[tuple[str, str, int]], title: str, what: str) -> tuple[str, dict]:
    """A report: name, link and count per row, most first, with a bar against the largest."""
    rows = sorted(rows, key=lambda r: (-r[2], r[0]))
    top = max((r[2] for r in rows), default=0) or 1
    return "report.html", {
        "title": title,
        "what": what,
        "rows": [(name, link, count, round(count / top * 100)) for name, link, count in rows],
    }


def _per(kind: str, count: Callable[[Any, dict], Any], title: str, what: str) -> Callable:
    """A report page: for every user (or host), one count in one multicall; users with none are left out."""

    def page(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
        subjects = session.listUsers() if kind == "user" else session.listHosts()
        with session.multicall(strict=True) as m:
            counts = [count(m, subject) for subject in subjects]
        link = "userinfo?userID" if kind == "user" else "hostinfo?hostID"
        rows = [(s["name"], f"{link}={s['id']}", c.result) for s, c in zip(subjects, counts, strict=True)]
        return _counted([r for r in rows if r[2] or kind == "host"], title, what)

    return page


buildsbyuser = _per(
    "user", lambda m, u: m.listBuilds(userID=u["id"], queryOpts={"countOnly": True}), "Builds by user", "builds"
)
packagesbyuser = _per(
    "user", lambda m, u: m.count("listPackages", userID=u["id"], with_dups=True), "Packages by owner", "packages"
)
tasksbyuser = _per(
    "user", lambda m, u: m.listTasks({"owner": [u["id"]]}, {"countOnly": True}), "Tasks by user", "tasks"
)
tasksbyhost = _per(
    "host", lambda m, h: m.listTasks({"host_id": [h["id"]]}, {"countOnly": True}), "Tasks by host", "tasks"
)
rpmsbyhost = _per(
    "host", lambda m, h: m.listRPMs(hostID=h["id"], queryOpts={"countOnly": True}), "RPMs by host", "RPMs"
)


def buildsbystatus(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    with session.multicall(strict=True) as m:
        counts = {state: m.listBuilds(state=state, queryOpts={"countOnly": True}) for state in BUILD_STATES}
    rows = [(BUILD_STATES[s], f"builds?state={BUILD_STATES[s]}", c.result) for s, c in counts.items()]
    return _counted(rows, "Builds by status", "builds")


def buildsbytarget(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Build tasks of the last ``days`` (7) by their target, as Koji's report counts them."""
    days = _int(query, "days") if "days" in query else 7
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)).timestamp()
    found = session.listTasks({"method": "build", "createdAfter": since, "decode": True})
    counts: dict[str, int] = {}
    for task in found:
        request = task.get("request") or []
        if len(request) > 1 and isinstance(request[1], str):
            counts[request[1]] = counts.get(request[1], 0) + 1
    rows = [(name, f"buildtargetinfo?targetID={name}", n) for name, n in counts.items()]
    return _counted(rows, f"Builds by target, the last {days} days", "builds")


def clusterhealth(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Load against capacity per channel, from the enabled and ready hosts."""
    machines = session.listHosts(enabled=True)
    with session.multicall(strict=True) as m:
        memberships = [m.listChannels(hostID=h["id"]) for h in machines]
    channels: dict[str, dict] = {}
    for host, member in zip(machines, memberships, strict=True):
        for channel in member.result:
            row = channels.setdefault(
                channel["name"], {"id": channel["id"], "hosts": 0, "ready": 0, "load": 0.0, "capacity": 0.0}
            )
            row["hosts"] += 1
            row["ready"] += 1 if host["ready"] else 0
            row["load"] += host["task_load"]
            row["capacity"] += host["capacity"] if host["ready"] else 0.0
    for row in channels.values():
        row["percent"] = min(100, round(row["load"] / row["capacity"] * 100)) if row["capacity"] else 0
    return "clusterhealth.html", {"channels": sorted(channels.items())}


def api(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    return "api.html", {"methods": session.callMethod("_listapi"), "version": session.getKojiVersion()}


def _rfc822(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def recentbuilds(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Koji's RSS feed of the latest finished builds, by ``tag``, ``user`` or ``package`` if given."""
    filters: dict[str, Any] = {}
    title = "Recent builds"
    if query.get("package"):
        package = _found(session.getPackage, query, "package", "package")
        filters["packageID"], title = package["id"], f"Recent builds of {package['name']}"
    if query.get("user"):
        user = _found(session.getUser, query, "user", "user")
        filters["userID"], title = user["id"], f"Recent builds by {user['name']}"
    if query.get("tag"):
        tag = _found(session.getTag, query, "tag", "tag")
        found = session.listTagged(tag["id"], inherit=False)
        found = sorted(found, key=lambda b: b["build_id"], reverse=True)[:20]
        title = f"Recent builds in {tag['name']}"
    else:
        found = session.listBuilds(queryOpts={"order": "-build_id", "limit": 20}, **filters)
    items = [{**b, "pub": _rfc822(b.get("completion_ts") or b.get("creation_ts") or 0)} for b in found]
    return "recentbuilds.xml", {"title": title, "builds": items, "states": BUILD_STATES}


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


PAGES: dict[str, Callable[[ClientSession, dict[str, str]], tuple[str, dict]]] = {
    "reports": reports,
    "buildsbyuser": buildsbyuser,
    "packagesbyuser": packagesbyuser,
    "tasksbyuser": tasksbyuser,
    "tasksbyhost": tasksbyhost,
    "rpmsbyhost": rpmsbyhost,
    "buildsbystatus": buildsbystatus,
    "buildsbytarget": buildsbytarget,
    "clusterhealth": clusterhealth,
    "api": api,
    "recentbuilds": recentbuilds,
    "rpminfo": rpminfo,
    "fileinfo": fileinfo,
    "repoinfo": repoinfo,
    "buildroots": buildroots,
    "buildrootinfo": buildrootinfo,
    "rpmlist": rpmlist,
    "search": search,
    "externalrepoinfo": externalrepoinfo,
    "hosts": hosts,
    "hostinfo": hostinfo,
    "channelinfo": channelinfo,
    "users": users,
    "userinfo": userinfo,
    "tags": tags,
    "taginfo": taginfo,
    "buildtargets": buildtargets,
    "buildtargetinfo": buildtargetinfo,
    "packages": packages,
    "packageinfo": packageinfo,
    "index": index,
    "tasks": tasks,
    "taskinfo": taskinfo,
    "getfile": getfile,
    "builds": builds,
    "buildinfo": buildinfo,
}
