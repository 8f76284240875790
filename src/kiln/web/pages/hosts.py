"""Builders and channels, and how loaded the cluster is."""

from __future__ import annotations

from typing import Any

from kiln.client import ClientSession
from kiln.protocol.constants import TaskState
from kiln.web.listing import page_link, window
from kiln.web.pages.common import choice, found, when

HOST_ORDERS = ("name", "id", "arches", "enabled", "ready", "task_load", "capacity")
YES_NO_ALL = {"yes": True, "no": False, "all": None}


def hosts(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    """Koji's host list: ``state`` (enabled, disabled, all), ``ready`` (yes, no, all), ``channel`` and
    ``arch`` (a name, or all)."""
    filters: dict[str, Any] = {
        "enabled": choice(query, "state", {"enabled": True, "disabled": False, "all": None}, "enabled"),
        "ready": choice(query, "ready", YES_NO_ALL, "all"),
    }
    if query.get("channel", "all") != "all":
        filters["channelID"] = found(session.getChannel, query, "channel", "channel")["id"]
    if query.get("arch", "all") != "all":
        filters["arches"] = [query["arch"]]
    shown = window("hosts", query, "name", HOST_ORDERS)
    with session.multicall(strict=True) as m:
        listed = shown.ask(m, "listHosts", **filters)
        channels = m.listChannels()
        arches = m.getAllArches()
    template = "hosts_live.html" if query.get("fragment") == "live" else "hosts.html"
    return template, {
        "hosts": listed.result,
        "live_url": page_link("hosts", query, fragment="live"),
        "channels": sorted(channels.result, key=lambda c: c["name"]),
        "arches": sorted(arches.result),
        "query": query,
        "link": lambda **changes: page_link("hosts", query, start="", **changes),
        "when": when,
    }


def hostinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    host = found(session.getHost, query, "hostID", "host")
    with session.multicall(strict=True) as m:
        channels = m.listChannels(hostID=host["id"])
        running = {"host_id": [host["id"]], "state": [TaskState.OPEN, TaskState.ASSIGNED]}
        current = m.listTasks(running, {"order": "-id"})
        recent = m.listTasks({"host_id": [host["id"]]}, {"order": "-id", "limit": 10})
        checked_in = m.getLastHostUpdate(host["id"], ts=True)
    load = host["task_load"] / host["capacity"] * 100 if host["capacity"] else 0
    return "hostinfo.html", {
        "host": host,
        "load_percent": min(100, round(load)),
        "channels": channels.result,
        "current": current.result,
        "recent": recent.result,
        "checked_in": checked_in.result,
        "when": when,
    }


def channelinfo(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    channel = found(session.getChannel, query, "channelID", "channel")
    members = session.listHosts(channelID=channel["id"], queryOpts={"order": "name"})
    return "channelinfo.html", {"channel": channel, "hosts": members}


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


LIVE = {"hosts": hosts}
PAGES = {"hosts": hosts, "hostinfo": hostinfo, "channelinfo": channelinfo, "clusterhealth": clusterhealth}
