"""The hosts area: list-hosts, list-channels."""

from __future__ import annotations

import argparse
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import Context, UsageError, add_json_option, add_quiet_option, print_json
from kiln.cli.output import format_time_long, truncate, yes_no


def _host_row(host: dict[str, Any]) -> dict[str, Any]:
    row = dict(host)
    row["update"] = "-" if host.get("update_ts") is None else format_time_long(host["update_ts"])
    row["enabled"] = yes_no(host["enabled"])
    row["ready"] = yes_no(host["ready"])
    row["arches"] = ",".join(host["arches"].split())
    row["description"] = truncate(host.get("description"))
    row["comment"] = truncate(host.get("comment"))
    return row


def _channel_names(channels: list[dict[str, Any]]) -> str:
    """A host's channels, a disabled one starred, sorted as koji sorts them (the star included)."""
    names = [c["name"] if c.get("enabled", True) else f"*{c['name']}" for c in channels]
    return ",".join(sorted(names))


def handle_list_hosts(ctx: Context) -> int:
    """The hosts, one line each: enabled, ready, load and capacity, arches, last check-in."""
    options = ctx.options
    session = ctx.session()
    query: dict[str, Any] = {}
    if options.arch:
        query["arches"] = options.arch
    if options.channel:
        channel = session.getChannel(options.channel)
        if not channel:
            raise UsageError(f"No such channel: {options.channel}")
        query["channelID"] = channel["id"]
    for key in ("ready", "enabled"):
        if getattr(options, key) is not None:
            query[key] = getattr(options, key)
    hosts = sorted(session.listHosts(**query), key=lambda host: host["name"])
    channels: list[list[dict[str, Any]]] = []
    if options.show_channels and hosts:
        with session.multicall() as m:
            calls = [m.listChannels(host["id"]) for host in hosts]
        channels = [call.result for call in calls]
    if ctx.json:
        if channels:
            hosts = [{**host, "channels": chans} for host, chans in zip(hosts, channels, strict=True)]
        print_json(hosts)
        return 0
    if not hosts:
        import sys

        print("No hosts found.", file=sys.stderr)
        return 0
    width = max(len(host["name"]) for host in hosts)
    if not ctx.quiet:
        header = f"{'Hostname':<{width}} Enb Rdy Load/Cap  Arches           Last Update                         "
        if options.description:
            header += "Description".ljust(51)
        if options.comment:
            header += "Comment".ljust(51)
        if options.show_channels:
            header += "Channels"
        print(header)
        print("-" * len(header))
    for index, host in enumerate(hosts):
        row = _host_row(host)
        line = (
            f"{row['name']:<{width}} {row['enabled']:<3} {row['ready']:<3} "
            f"{row['task_load']:4.1f}/{row['capacity']:<4.1f} {row['arches']:<16} {row['update']:<35}"
        )
        if options.description:
            line += f" {row['description']:<50}"
        if options.comment:
            line += f" {row['comment']:<50}"
        if options.show_channels:
            line += f" {_channel_names(channels[index])}"
        print(line)
    return 0


def _channel_counts(channel: dict[str, Any], hosts: list[dict[str, Any]]) -> dict[str, Any]:
    row = dict(channel)
    row["enabled_hosts"] = sum(1 for host in hosts if host["enabled"])
    row["disabled_hosts"] = len(hosts) - row["enabled_hosts"]
    row["ready_hosts"] = sum(1 for host in hosts if host["ready"])
    row["capacity"] = sum(host["capacity"] for host in hosts)
    row["load"] = sum(host["task_load"] for host in hosts)
    row["perc_load"] = row["load"] / row["capacity"] * 100.0 if row["capacity"] else 0.0
    return row


def handle_list_channels(ctx: Context) -> int:
    """The channels with their hosts' counts, load and capacity."""
    options = ctx.options
    session = ctx.session()
    query = {} if options.enabled is None else {"enabled": options.enabled}
    channels = sorted(session.listChannels(**query), key=lambda channel: channel["name"])
    host_query = {} if options.arch is None else {"arches": options.arch}
    with session.multicall() as m:
        calls = [m.listHosts(channelID=channel["id"], **host_query) for channel in channels]
    rows = [_channel_counts(channel, call.result) for channel, call in zip(channels, calls, strict=True)]
    if ctx.json:
        print_json(rows)
        return 0
    for row in rows:
        if "enabled" in row and not row["enabled"]:
            row["name"] += " [disabled]"
    width = max((len(row["name"]) for row in rows), default=8)
    has_description = bool(rows) and "description" in rows[0]
    has_comment = bool(rows) and "comment" in rows[0]
    if options.simple:
        if not ctx.quiet:
            print("Channel")
            print("-------")
        for row in rows:
            print(row["name"])
        return 0
    if not ctx.quiet:
        header = f"{'Channel':<{width}}Enabled  Ready Disbld   Load    Cap   Perc    "
        if options.description and has_description:
            header += "Description".ljust(53)
        if options.comment and has_comment:
            header += "Comment".ljust(53)
        print(header)
        print("-" * len(header))
    for row in rows:
        line = (
            f"{row['name']:<{width}} {row['enabled_hosts']:6d} {row['ready_hosts']:6d} {row['disabled_hosts']:6d} "
            f"{int(row['load']):6d} {int(row['capacity']):6d} {int(row['perc_load']):6d}%"
        )
        if options.description and has_description:
            line += f"   {truncate(row['description']):<50}"
        if options.comment and has_comment:
            line += f"   {truncate(row['comment']):<50}"
        print(line)
    return 0


_BUILDROOT_STATES = {0: "INIT", 1: "WAITING", 2: "BUILDING"}


def _print_multiline(label: str, text: str | None) -> None:
    """``Label: first line`` with the next lines indented under it; ``Label:`` when empty."""
    if not text:
        print(f"{label}:")
        return
    first, *rest = text.splitlines()
    print(f"{label}: {first}")
    for line in rest:
        print(" " * (len(label) + 2) + line)


def _print_host(info: dict[str, Any]) -> None:
    print(f"Name: {info['name']}")
    print(f"ID: {info['id']}")
    print(f"Arches: {info['arches']}")
    print(f"Capacity: {info['capacity']}")
    print(f"Task Load: {info['task_load']:.2f}")
    _print_multiline("Description", info["description"])
    _print_multiline("Comment", info["comment"])
    print(f"Enabled: {'yes' if info['enabled'] else 'no'}")
    print(f"Ready: {'yes' if info['ready'] else 'no'}")
    update = info.get("update_ts")
    print(f"Last Update: {'never' if update is None else format_time_long(update)}")
    print(f"Channels: {' '.join(channel['name'] for channel in info['channels'])}")
    print("Active Buildroots:")
    if not info["buildroots"]:
        print("None")
        return
    print(f"{'NAME':<50} {'STATE':<10} {'CREATION TIME':<20}")
    for root in info["buildroots"]:
        name = f"{root['tag_name']}-{root['id']}-{root['repo_id']}"
        created = root["create_event_time"].split(".")[0]
        print(f"{name:<50} {_BUILDROOT_STATES[root['state']]:<10} {created:<20}")


def handle_hostinfo(ctx: Context) -> int:
    """Each host named (by name or id): its settings, state, channels and active build roots."""
    session = ctx.session()
    found = []
    missing = False
    for word in ctx.options.hosts:
        info = session.getHost(int(word) if word.isdigit() else word)
        if info is None:
            import sys

            print(f"No such host: {word}\n", file=sys.stderr)
            missing = True
            continue
        info = dict(info)
        info["channels"] = session.listChannels(hostID=info["id"])
        info["buildroots"] = [
            root for state in _BUILDROOT_STATES for root in session.listBuildroots(hostID=info["id"], state=state)
        ]
        found.append(info)
        if not ctx.json:
            _print_host(info)
    if ctx.json:
        print_json(found)
    return 1 if missing else 0


def register(subparsers: Any) -> None:
    """Add the hosts commands."""
    hosts = add_command(subparsers, "list-hosts", handle_list_hosts)
    hosts.add_argument("--arch", action="append", default=[], help="specify an architecture")
    hosts.add_argument("--channel", help="specify a channel")
    _add_tristate(hosts, "ready", "ready hosts")
    _add_tristate(hosts, "enabled", "enabled hosts", disabled_alias=True)
    add_quiet_option(hosts)
    hosts.add_argument("--show-channels", action="store_true", help="show each host's channels")
    hosts.add_argument("--comment", action="store_true", help="show comments")
    hosts.add_argument("--description", action="store_true", help="show descriptions")
    add_json_option(hosts)

    hostinfo = add_command(subparsers, "hostinfo", handle_hostinfo)
    hostinfo.add_argument("hosts", nargs="+", metavar="hostname", help="host names or ids")
    add_json_option(hostinfo)

    channels = add_command(subparsers, "list-channels", handle_list_channels)
    channels.add_argument("--simple", action="store_true", help="print just the channel names")
    add_quiet_option(channels)
    channels.add_argument("--comment", action="store_true", help="show comments")
    channels.add_argument("--description", action="store_true", help="show descriptions")
    _add_tristate(channels, "enabled", "enabled channels", disabled_alias=True)
    channels.add_argument("--arch", help="count only the hosts of this arch")
    add_json_option(channels)


def _add_tristate(parser: argparse.ArgumentParser, name: str, what: str, disabled_alias: bool = False) -> None:
    """``--NAME`` / ``--not-NAME`` (and ``--disabled``): only those, only the others, or all."""
    parser.add_argument(f"--{name}", dest=name, action="store_true", default=None, help=f"limit to {what}")
    flags = [f"--not-{name}"] + (["--disabled"] if disabled_alias else [])
    parser.add_argument(*flags, dest=name, action="store_false", help=f"limit to the other {what.split()[-1]}")
