"""Builds, their RPMs and files, the build roots they were made in and the repos those came from."""

from __future__ import annotations

from typing import Any

from kiln.client import ClientSession
from kiln.client.triage import why_failed
from kiln.web import plugins
from kiln.web.listing import PageError, page_link, window
from kiln.web.pages.common import (
    BUILD_STATES,
    BUILDROOT_STATES,
    REPO_STATES,
    choice,
    flag,
    found,
    named,
    number,
    when,
)

BUILD_ORDERS = ("build_id", "nvr", "owner_name", "state", "completion_time", "creation_time")


def builds(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Koji's build list: by state, owner (``userID``), package, name ``prefix``; with ``tagID`` the builds
    tagged there, ``latest`` (1) and ``inherited`` (1) as Koji's views of a tag."""
    tag = found(session.getTag, query, "tagID", "tag") if query.get("tagID") else None
    user = found(session.getUser, query, "userID", "user") if query.get("userID") else None
    package = found(session.getPackage, query, "packageID", "package") if query.get("packageID") else None
    orders = BUILD_ORDERS + (("tag_name",) if tag else ())
    shown = window("builds", query, "-build_id", orders)
    with session.multicall(strict=True) as m:
        if tag:
            listed = shown.ask_filtered(
                m,
                "listTagged",
                tag["id"],
                inherit=flag(query, "inherited", True),
                latest=flag(query, "latest", True),
                package=package["name"] if package else None,
                owner=user["name"] if user else None,
                prefix=query.get("prefix") or None,
            )
        else:
            filters: dict[str, Any] = {"prefix": query.get("prefix") or None}
            if query.get("state", "all") != "all":
                filters["state"] = choice(query, "state", {v: k for k, v in BUILD_STATES.items()}, "")
            filters["userID"] = user["id"] if user else None
            filters["packageID"] = package["id"] if package else None
            listed = shown.ask(m, "listBuilds", **filters)
    return "builds.html", {
        "builds": listed.result,
        "tag": tag,
        "user": user,
        "package": package,
        "states": BUILD_STATES,
        "query": query,
        "link": lambda **changes: page_link("builds", query, start="", **changes),
        "when": when,
    }


def buildinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """A build: by id (Koji's) or by N-V-R (kiln's extension)."""
    wanted = named(query, "buildID")
    build = session.getBuild(wanted)
    if not build:
        raise PageError(404, f"There is no build {wanted}.")
    with session.multicall(strict=True) as m:
        rpms = m.listRPMs(buildID=build["id"])
        tags = m.listTags(build=build["id"])
        logs = m.getBuildLogs(build["id"])
        changelog = m.getChangelogEntries(build["id"], queryOpts={"limit": 5})
        task = m.getTaskInfo(build["task_id"]) if build.get("task_id") else None
    roots = sorted({r["buildroot_id"] for r in rpms.result if r.get("buildroot_id")})
    failed = build["state"] == 3 and build.get("task_id")
    finding = why_failed(session, build["task_id"]) if failed else None
    return "buildinfo.html", {
        "build": build,
        "state": BUILD_STATES.get(build["state"], "unknown"),
        "rpms": sorted(rpms.result, key=lambda r: (r["arch"] != "src", r["arch"], r["name"])),
        "tags": sorted(t["name"] for t in tags.result),
        "logs": logs.result,
        "changelog": changelog.result,
        "task": task.result if task else None,
        "buildroots": roots,
        "finding": finding,
        "sections": plugins.sections("build", build),
        "when": when,
    }


DEPENDENCY_KINDS = {0: "Requires", 1: "Provides", 2: "Obsoletes", 3: "Conflicts", 4: "Suggests", 5: "Enhances"}
DEPENDENCY_KINDS |= {6: "Supplements", 7: "Recommends"}


def _flags(flags: int) -> str:
    """rpm's sense bits as the comparison they mean."""
    return {2: "<", 4: ">", 8: "=", 10: "<=", 12: ">="}.get(flags & 14, "")


def rpminfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """An RPM: headers, dependencies of every kind, files (``fileStart``, ``fileOrder``) and the build
    roots that held it (``buildrootStart``, ``buildrootOrder``)."""
    rpm_id = number(query, "rpmID")
    rpm = session.getRPM(rpm_id)
    if not rpm:
        raise PageError(404, f"There is no RPM {rpm_id}.")
    files = window("rpminfo", query, "name", ("name", "size"), prefix="file")
    roots = window("rpminfo", query, "-id", ("id", "host_name", "tag_name"), prefix="buildroot", size=20)
    with session.multicall(strict=True) as m:
        build = m.getBuild(rpm["build_id"]) if rpm["build_id"] else None
        deps = m.getRPMDeps(rpm_id)
        file_list = files.ask(m, "listRPMFiles", rpm_id)
        headers = m.getRPMHeaders(rpm_id, headers=["summary", "description", "license", "url", "buildhost"])
        root_list = roots.ask(m, "listBuildroots", rpmID=rpm_id)
    kinds: dict[str, list] = {}
    for dep in deps.result:
        kinds.setdefault(DEPENDENCY_KINDS.get(dep["type"], "Other"), []).append(
            f"{dep['name']} {_flags(dep['flags'])} {dep['version']}".strip()
        )
    return "rpminfo.html", {
        "rpm": rpm,
        "build": build.result if build else None,
        "dependencies": {kind: sorted(names) for kind, names in kinds.items()},
        "files": file_list.result,
        "headers": headers.result,
        "buildroots": root_list.result,
    }


def fileinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    rpm_id = number(query, "rpmID")
    name = query.get("filename")
    if not name:
        raise PageError(400, "This page needs filename=, a file of the RPM.")
    entry = session.getRPMFile(rpm_id, name)
    if not entry:
        raise PageError(404, f"RPM {rpm_id} has no file {name!r}.")
    return "fileinfo.html", {"file": entry, "rpm": session.getRPM(rpm_id), "mode": oct(entry["mode"])}


def repoinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    repo_id = number(query, "repoID")
    repo = session.repoInfo(repo_id)
    if not repo:
        raise PageError(404, f"There is no repo {repo_id}.")
    shown = window("repoinfo", query, "-id", ("id", "host_name", "arch"), prefix="buildroot")
    with session.multicall(strict=True) as m:
        roots = shown.ask(m, "listBuildroots", repoID=repo_id)
    return "repoinfo.html", {"repo": repo, "buildroots": roots.result, "states": REPO_STATES, "when": when}


BUILDROOT_ORDERS = ("id", "host_name", "arch", "tag_name", "state", "task_id", "repo_id")


def buildroots(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Build roots, newest first; by repo (``repoID``) and state (``state``: init, waiting...)."""
    filters: dict[str, Any] = {}
    if query.get("repoID"):
        filters["repoID"] = number(query, "repoID")
    if query.get("state"):
        filters["state"] = choice(query, "state", {v: k for k, v in BUILDROOT_STATES.items()}, "")
    shown = window("buildroots", query, "-id", BUILDROOT_ORDERS)
    with session.multicall(strict=True) as m:
        listed = shown.ask(m, "listBuildroots", **filters)
    return "buildroots.html", {
        "buildroots": listed.result,
        "states": BUILDROOT_STATES,
        "link": lambda **changes: page_link("buildroots", query, start="", **changes),
    }


def buildrootinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    root_id = number(query, "buildrootID")
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
    root_id = number(query, "buildrootID")
    kind = query.get("type", "component")
    if kind not in ("component", "built"):
        raise PageError(400, f"type must be component or built, not {kind!r}.")
    if not session.getBuildroot(root_id):
        raise PageError(404, f"There is no build root {root_id}.")
    shown = window("rpmlist", query, "nvr", ("nvr", "arch", "size", "id"))
    key = "componentBuildrootID" if kind == "component" else "buildrootID"
    with session.multicall(strict=True) as m:
        listed = shown.ask(m, "listRPMs", **{key: root_id})
    return "rpmlist.html", {"root_id": root_id, "kind": kind, "rpms": listed.result}


def externalrepoinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    wanted = named(query, "extrepoID")
    repo = session.getExternalRepo(wanted)
    if not repo:
        raise PageError(404, f"There is no external repo {wanted} (kiln has no external repos yet).")
    return "externalrepoinfo.html", {"repo": repo}


PAGES = {
    "builds": builds,
    "buildinfo": buildinfo,
    "rpminfo": rpminfo,
    "fileinfo": fileinfo,
    "repoinfo": repoinfo,
    "buildroots": buildroots,
    "buildrootinfo": buildrootinfo,
    "rpmlist": rpmlist,
    "externalrepoinfo": externalrepoinfo,
}
