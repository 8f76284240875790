"""The hosts area: build hosts and channels.

list-hosts, hostinfo, list-channels, and the admin's add-host, edit-host,
enable-host, disable-host, add-channel, edit-channel, enable-channel,
disable-channel, add-host-to-channel and remove-host-from-channel.  Each
looks its hosts or channels up before changing anything, as koji does, so a
misspelt name changes nothing; the messages and exit codes are koji's.
"""

from __future__ import annotations

import argparse
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context, UsageError, add_json_option, add_quiet_option, print_json
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


def handle_add_host(ctx: Context) -> int:
    """Create a build host (its user too) with the arches it builds for."""
    options = ctx.options
    if len(options.words) < 2:
        raise UsageError("Please specify a hostname and at least one arch")
    name, *arches = options.words
    session = ctx.login_session()
    if session.getHost(name):
        raise CommandError(f"{name} is already in the database")
    kwargs: dict[str, Any] = {"force": options.force}
    if options.krb_principal is not None:
        kwargs["krb_principal"] = options.krb_principal
    host_id = session.addHost(name, arches, **kwargs)
    print(f"{name} added: id {host_id}")
    return 0


def _require_hosts(ctx: Context, names: list[str], warn: bool) -> None:
    """Every host named exists, or each missing one is reported and nothing changes.

    koji's edit-host warns on stderr, its enable-host and disable-host print on stdout.
    """
    import sys

    session = ctx.session()
    with session.multicall(strict=True) as m:
        lookups = [m.getHost(name) for name in names]
    missing = [name for name, lookup in zip(names, lookups, strict=True) if not lookup.result]
    for name in missing:
        print(f"No such host: {name}", file=sys.stderr if warn else sys.stdout)
    if missing:
        # koji words the two messages differently; scripts may match either
        if warn:
            raise CommandError("No changes made, please correct the command line")
        raise CommandError("No changes made. Please correct the command line.")


def handle_edit_host(ctx: Context) -> int:
    """Change the arches, capacity, description or comment of one or more hosts."""
    from kiln.cli.values import parse_arches

    options = ctx.options
    if not options.hosts:
        raise UsageError("Please specify a hostname")
    session = ctx.login_session()
    changes = {key: getattr(options, key) for key in ("arches", "capacity", "description", "comment")}
    changes = {key: value for key, value in changes.items() if value is not None}
    if "arches" in changes:
        try:
            changes["arches"] = parse_arches(changes["arches"])
        except ValueError as exc:
            raise CommandError(f"GenericError: {exc}") from None
    _require_hosts(ctx, options.hosts, warn=True)
    with session.multicall(strict=True) as m:
        edits = [m.editHost(name, **changes) for name in options.hosts]
    for name, edit in zip(options.hosts, edits, strict=True):
        print(f"Edited {name}" if edit.result else f"No changes made to {name}")
    return 0


def _set_hosts_enabled(ctx: Context, enabled: bool) -> int:
    """enable-host and disable-host: every host known first, then each switched (and commented)."""
    options = ctx.options
    if not options.hosts:
        raise UsageError("At least one host must be specified")
    session = ctx.login_session()
    _require_hosts(ctx, options.hosts, warn=False)
    with session.multicall(strict=True) as m:
        for name in options.hosts:
            (m.enableHost if enabled else m.disableHost)(name)
            if options.comment is not None:
                m.editHost(name, comment=options.comment)
    return 0


def handle_enable_host(ctx: Context) -> int:
    """Let the hub give tasks to these hosts again."""
    return _set_hosts_enabled(ctx, True)


def handle_disable_host(ctx: Context) -> int:
    """Stop the hub giving tasks to these hosts (what they run now carries on)."""
    return _set_hosts_enabled(ctx, False)


def handle_add_channel(ctx: Context) -> int:
    """Create a channel, empty of hosts."""
    from kiln.protocol.errors import GenericError

    options = ctx.options
    if len(options.words) != 1:
        raise UsageError("Please specify one channel name")
    [name] = options.words
    session = ctx.login_session()
    try:
        channel_id = session.addChannel(name, description=options.description)
    except GenericError as exc:
        if f"channel {name} already exists" in str(exc):
            raise CommandError(f"channel {name} already exists") from None
        raise CommandError(str(exc)) from None
    print(f"{name} added: id {channel_id}")
    return 0


def handle_edit_channel(ctx: Context) -> int:
    """Rename a channel or change its description or comment."""
    import sys

    from kiln.protocol.errors import GenericError

    options = ctx.options
    if len(options.words) != 1:
        raise UsageError("Incorrect number of arguments")
    [name] = options.words
    session = ctx.login_session()
    changes = {key: getattr(options, key) for key in ("name", "description", "comment")}
    changes = {key: value for key, value in changes.items() if value is not None}
    if not session.getChannel(name):
        raise CommandError(f"No such channel: {name}")
    result = None
    try:
        result = session.editChannel(name, **changes)
    except GenericError as exc:
        print(str(exc), file=sys.stderr)
    if not result:
        raise CommandError("No changes made, please correct the command line")
    return 0


def _set_channels_enabled(ctx: Context, enabled: bool) -> int:
    """enable-channel and disable-channel: every channel known first, then each switched."""
    options = ctx.options
    if not options.channels:
        raise UsageError("At least one channel must be specified")
    session = ctx.login_session()
    with session.multicall(strict=True) as m:
        lookups = [m.getChannel(name, strict=False) for name in options.channels]
    missing = [name for name, lookup in zip(options.channels, lookups, strict=True) if not lookup.result]
    for name in missing:
        print(f"No such channel: {name}")
    if missing:
        raise CommandError("No changes made. Please correct the command line.")
    with session.multicall(strict=True) as m:
        for name in options.channels:
            (m.enableChannel if enabled else m.disableChannel)(name, comment=options.comment)
    return 0


def handle_enable_channel(ctx: Context) -> int:
    """Let the hub schedule tasks of these channels again."""
    return _set_channels_enabled(ctx, True)


def handle_disable_channel(ctx: Context) -> int:
    """Stop the hub scheduling tasks of these channels."""
    return _set_channels_enabled(ctx, False)


def handle_add_host_to_channel(ctx: Context) -> int:
    """Put a host in a channel (--new creates the channel); koji's hidden --list lists channels."""
    options = ctx.options
    if not options.list and len(options.words) != 2:
        raise UsageError("Please specify a hostname and a channel")
    session = ctx.login_session()
    if options.list:
        for channel in session.listChannels():
            print(channel["name"])
        return 0
    host, channel = options.words
    if not options.new and not session.getChannel(channel):
        raise CommandError(f"No such channel: {channel}")
    if not session.getHost(host):
        raise CommandError(f"No such host: {host}")
    kwargs = {key: True for key, wanted in (("create", options.new), ("force", options.force)) if wanted}
    session.addHostToChannel(host, channel, **kwargs)
    return 0


def handle_remove_host_from_channel(ctx: Context) -> int:
    """Take a host out of a channel it is in."""
    options = ctx.options
    if len(options.words) != 2:
        raise UsageError("Please specify a hostname and a channel")
    host, channel = options.words
    session = ctx.login_session()
    info = session.getHost(host)
    if not info:
        raise CommandError(f"No such host: {host}")
    if channel not in [c["name"] for c in session.listChannels(info["id"])]:
        raise CommandError(f"Host {host} is not a member of channel {channel}")
    session.removeHostFromChannel(host, channel)
    return 0


def _register_admin(subparsers: Any) -> None:
    """The commands that change hosts and channels."""
    add_host = add_command(subparsers, "add-host", handle_add_host)
    add_host.usage = "%(prog)s [options] <hostname> <arch> [<arch> ...]"
    add_host.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    add_host.add_argument("--krb-principal", help="set a non-default kerberos principal for the host")
    add_host.add_argument(
        "--force", action="store_true", help="if existing used is a regular user, convert it to a host"
    )

    edit_host = add_command(subparsers, "edit-host", handle_edit_host)
    edit_host.usage = "%(prog)s <hostname> [<hostname> ...] [options]"
    edit_host.add_argument("hosts", nargs="*", help=argparse.SUPPRESS)
    edit_host.add_argument("--arches", help="Space or comma-separated list of supported architectures")
    edit_host.add_argument("--capacity", type=float, help="Capacity of this host")
    edit_host.add_argument("--description", metavar="DESC", help="Description of this host")
    edit_host.add_argument("--comment", help="A brief comment about this host")

    for name, handler, why in (
        ("enable-host", handle_enable_host, "enabled"),
        ("disable-host", handle_disable_host, "disabled"),
    ):
        parser = add_command(subparsers, name, handler)
        parser.usage = "%(prog)s [options] <hostname> [<hostname> ...]"
        parser.add_argument("hosts", nargs="*", help=argparse.SUPPRESS)
        parser.add_argument("--comment", help=f"Comment indicating why the host(s) are being {why}")

    add_channel = add_command(subparsers, "add-channel", handle_add_channel)
    add_channel.usage = "%(prog)s [options] <channel_name>"
    add_channel.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    add_channel.add_argument("--description", help="Description of channel")

    edit_channel = add_command(subparsers, "edit-channel", handle_edit_channel)
    edit_channel.usage = "%(prog)s [options] <old-name>"
    edit_channel.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    edit_channel.add_argument("--name", help="New channel name")
    edit_channel.add_argument("--description", help="Description of channel")
    edit_channel.add_argument("--comment", help="Comment of channel")

    for name, handler, why in (
        ("enable-channel", handle_enable_channel, "enabled"),
        ("disable-channel", handle_disable_channel, "disabled"),
    ):
        parser = add_command(subparsers, name, handler)
        parser.usage = "%(prog)s [options] <channelname> [<channelname> ...]"
        parser.add_argument("channels", nargs="*", help=argparse.SUPPRESS)
        parser.add_argument("--comment", help=f"Comment indicating why the channel(s) are being {why}")

    to_channel = add_command(subparsers, "add-host-to-channel", handle_add_host_to_channel)
    to_channel.usage = "%(prog)s [options] <hostname> <channel>"
    to_channel.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    to_channel.add_argument("--list", action="store_true", help=argparse.SUPPRESS)
    to_channel.add_argument("--new", action="store_true", help="Create channel if needed")
    to_channel.add_argument("--force", action="store_true", help="force added, if possible")

    from_channel = add_command(subparsers, "remove-host-from-channel", handle_remove_host_from_channel)
    from_channel.usage = "%(prog)s [options] <hostname> <channel>"
    from_channel.add_argument("words", nargs="*", help=argparse.SUPPRESS)


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

    _register_admin(subparsers)


def _add_tristate(parser: argparse.ArgumentParser, name: str, what: str, disabled_alias: bool = False) -> None:
    """``--NAME`` / ``--not-NAME`` (and ``--disabled``): only those, only the others, or all."""
    parser.add_argument(f"--{name}", dest=name, action="store_true", default=None, help=f"limit to {what}")
    flags = [f"--not-{name}"] + (["--disabled"] if disabled_alias else [])
    parser.add_argument(*flags, dest=name, action="store_false", help=f"limit to the other {what.split()[-1]}")
