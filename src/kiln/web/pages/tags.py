"""Tags with their inheritance, packages, builds, groups, repos and history; targets; packages."""

from __future__ import annotations

from kiln.client import ClientSession
from kiln.client.history import describe, timeline
from kiln.web.listing import page_link, window
from kiln.web.pages.common import BUILD_STATES, REPO_STATES, flag, found, when

TAG_ORDERS = ("name", "id", "arches", "perm_id", "locked")


def tags(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    shown = window("tags", query, "name", TAG_ORDERS)
    with session.multicall(strict=True) as m:
        listed = shown.ask(m, "listTags")
    return "tags.html", {"tags": listed.result}


# The history a tag's page shows: its own configuration (its builds and packages are listed above it).
TAG_HISTORY = ["tag_config", "tag_extra", "tag_inheritance", "group_config"]
PACKAGE_ORDERS = ("package_name", "owner_name", "tag_name", "blocked")
TAGGED_ORDERS = ("build_id", "nvr", "owner_name", "tag_name", "creation_time", "completion_time")


def taginfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """A tag: its parents drawn as a tree, the tags that inherit it, targets, packages (``packageStart``,
    ``packageOrder``), builds (``buildStart``, ``buildOrder``; ``latest`` and ``inherited`` views as the
    build list's), groups, repos and the history of its configuration."""
    tag = found(session.getTag, query, "tagID", "tag")
    packages = window("taginfo", query, "package_name", PACKAGE_ORDERS, prefix="package")
    builds = window("taginfo", query, "-build_id", TAGGED_ORDERS, prefix="build")
    latest, inherited = flag(query, "latest", True), flag(query, "inherited", True)
    with session.multicall(strict=True) as m:
        inheritance = m.getFullInheritance(tag["id"])
        children = m.getFullInheritance(tag["id"], reverse=True)
        package_list = packages.ask(m, "listPackages", tagID=tag["id"], inherited=True)
        tagged = builds.ask_filtered(m, "listTagged", tag["id"], inherit=inherited, latest=latest)
        groups = m.getTagGroups(tag["id"])
        repo_fields = ["id", "state", "create_event", "creation_ts"]
        repos = m.repo.query([["tag_id", "=", tag["id"]]], repo_fields, {"order": "-id", "limit": 10})
        targets = m.getBuildTargets(buildTagID=tag["id"])
        dest_targets = m.getBuildTargets(destTagID=tag["id"])
        history = m.queryHistory(tables=TAG_HISTORY, tag=tag["id"])
    changes = timeline(history.result)[-20:][::-1]
    return "taginfo.html", {
        "tag": tag,
        "inheritance": inheritance.result,
        "children": children.result,
        "packages": package_list.result,
        "builds": tagged.result,
        "latest": latest,
        "inherited": inherited,
        "view": lambda **changes: page_link("taginfo", query, buildStart="", **changes),
        "groups": sorted(groups.result, key=lambda g: g["name"]),
        "repos": repos.result,
        "repo_states": REPO_STATES,
        "targets": targets.result + [t for t in dest_targets.result if t not in targets.result],
        "history": [(when(c.row["create_ts" if c.created else "revoke_ts"]), describe(c), c) for c in changes],
        "when": when,
    }


def buildtargets(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    shown = window("buildtargets", query, "name", ("name", "id", "build_tag_name", "dest_tag_name"))
    with session.multicall(strict=True) as m:
        listed = shown.ask(m, "getBuildTargets")
    return "buildtargets.html", {"targets": listed.result}


def buildtargetinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    target = found(session.getBuildTarget, query, "targetID", "build target")
    return "buildtargetinfo.html", {"target": target}


def packages(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Every package, or those listed in a tag (``tagID``, ``inherited``) or owned by a user (``userID``);
    by name ``prefix``."""
    tag = found(session.getTag, query, "tagID", "tag") if query.get("tagID") else None
    user = found(session.getUser, query, "userID", "user") if query.get("userID") else None
    prefix = query.get("prefix") or None
    with_owner = tag is not None or user is not None
    orders = ("package_name", "package_id") + (PACKAGE_ORDERS if with_owner else ())
    shown = window("packages", query, "package_name", orders)
    with session.multicall(strict=True) as m:
        if with_owner:
            listed = shown.ask(
                m,
                "listPackages",
                tagID=tag["id"] if tag else None,
                userID=user["id"] if user else None,
                inherited=flag(query, "inherited", True),
                prefix=prefix,
                with_dups=tag is None,
            )
        else:
            listed = shown.ask(m, "listPackagesSimple", prefix)
    return "packages.html", {"packages": listed.result, "tag": tag, "user": user, "with_owner": with_owner}


def packageinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """A package: the tags that list it (``tagStart``, ``tagOrder``) and its builds (``buildStart``,
    ``buildOrder``)."""
    package = found(session.getPackage, query, "packageID", "package")
    tag_list = window("packageinfo", query, "tag_name", ("tag_name", "owner_name", "blocked"), prefix="tag")
    build_list = window("packageinfo", query, "-build_id", ("build_id", "nvr", "state", "completion_time"), "build")
    with session.multicall(strict=True) as m:
        listed = tag_list.ask(m, "listPackages", pkgID=package["id"])
        recent = build_list.ask(m, "listBuilds", packageID=package["id"])
    return "packageinfo.html", {
        "package": package,
        "tags": listed.result,
        "builds": recent.result,
        "states": BUILD_STATES,
        "when": when,
    }


PAGES = {
    "tags": tags,
    "taginfo": taginfo,
    "buildtargets": buildtargets,
    "buildtargetinfo": buildtargetinfo,
    "packages": packages,
    "packageinfo": packageinfo,
}
