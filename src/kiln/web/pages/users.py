"""Users: who they are, what they may do, what they built and own."""

from __future__ import annotations

from kiln.client import ClientSession
from kiln.web.listing import window
from kiln.web.pages.common import BUILD_STATES, found, when


def users(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Every user, by name ``prefix``."""
    shown = window("users", query, "name", ("name", "id", "status", "usertype"))
    with session.multicall(strict=True) as m:
        listed = shown.ask(m, "listUsers", prefix=query.get("prefix") or None)
    return "users.html", {"users": listed.result}


def userinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """A user: permissions, recent tasks, packages owned (``packageStart``, ``packageOrder``) and builds
    (``buildStart``, ``buildOrder``), ten a page as Koji's."""
    user = found(session.getUser, query, "userID", "user")
    packages = window("userinfo", query, "package_name", ("package_name", "tag_name"), prefix="package", size=10)
    builds = window("userinfo", query, "-build_id", ("build_id", "nvr", "completion_time"), prefix="build", size=10)
    with session.multicall(strict=True) as m:
        perms = m.getUserPerms(user["id"])
        task_count = m.listTasks({"owner": [user["id"]], "parent": None}, {"countOnly": True})
        recent_tasks = m.listTasks({"owner": [user["id"]], "parent": None}, {"order": "-id", "limit": 10})
        owned = packages.ask(m, "listPackages", userID=user["id"], with_dups=True)
        built = builds.ask(m, "listBuilds", userID=user["id"])
    return "userinfo.html", {
        "user": user,
        "perms": sorted(perms.result),
        "task_count": task_count.result,
        "tasks": recent_tasks.result,
        "packages": owned.result,
        "builds": built.result,
        "states": BUILD_STATES,
        "when": when,
    }


PAGES = {"users": users, "userinfo": userinfo}
