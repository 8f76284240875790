"""The history area: list-history, the hub's record of changes (queryHistory) as koji prints it.

The timeline (which rows are one edit, Koji's words for each change) is
kiln.client.history's; this module prints it with koji's times, editors and
the fields an edit changed.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context, UsageError, add_json_option, print_json
from kiln.cli.watch import poll_interval
from kiln.client.history import HIDDEN, TABLE_KEYS, Change, describe, name_key, timeline

# option -> queryHistory filter; any of them limits the query
FILTERS = (
    "package",
    "tag",
    "build",
    "editor",
    "user",
    "permission",
    "cg",
    "external_repo",
    "build_target",
    "group",
    "before",
    "after",
    "host",
    "channel",
    "xkey",
)


def _time_text(ts: float, utc: bool) -> str:
    return time.asctime(time.gmtime(ts) if utc else time.localtime(ts))


def change_lines(change: Change, verbose: bool = False, events: bool = False, utc: bool = False) -> list[str]:
    """What koji prints for one change: its line, then the fields an edit changed (or, verbose, a new row's)."""
    row, table = change.row, change.table
    other = change.related[0].row if change.related else None
    ts = row["create_ts"] if change.created else row["revoke_ts"]
    who = row.get("creator_name" if change.created else "revoker_name", "")
    text = describe(change)
    parts = [_time_text(ts, utc)]
    if events or verbose:
        parts.append(f"(eid {change.event})")
    parts.append(text)
    if ("creator_name" if change.created else "revoker_name") in row:
        parts.append(f"by {who}")
    if (change.created and row["active"]) or (other is not None and other["active"]):
        parts.append("[still active]")
    lines = [" ".join(parts)]
    if other is not None:
        for key in sorted(row):
            if key in HIDDEN or key.startswith("_") or row[key] == other.get(key):
                continue
            names = name_key(key)
            if names in row and names in other:
                continue
            lines.append(f"    {key}: {row[key]} -> {other.get(key)}")
    elif change.created and verbose and table != "tag_listing":
        own = set(TABLE_KEYS.get(table, ()))
        own |= {name_key(key) for key in own}
        for key in sorted(row):
            if key in HIDDEN or key in own or name_key(key) in row or key.startswith("_"):
                continue
            if row.get("blocked") and key != "blocked":
                continue
            label = key[:-5] if key.endswith(".name") else key
            lines.append(f"    {label}: {row[key]}")
    return lines


def print_change(change: Change, options: Any) -> None:
    """One change's lines; an edit that is not one revocation and one creation is warned of and split."""
    problem = None
    if change.related:
        if len(change.related) != 1:
            problem = f"{len(change.related) + 1} elements"
        elif change.created or not change.related[0].created:
            problem = "out of order"
    if problem:
        print(f"Unusual edit at event {change.event} in table {change.table} ({problem})", file=sys.stderr)
        for part in (change, *change.related):
            print_change(Change(part.event, part.table, part.created, part.row), options)
        return
    for line in change_lines(change, bool(options.verbose), bool(options.events), bool(options.utc)):
        print(line)


def parse_time(text: str) -> float:
    """``--before``/``--after``: a timestamp, or a date and time (local time), as koji takes them."""
    try:
        return float(text)
    except ValueError:
        pass
    from datetime import datetime

    try:
        return time.mktime(datetime.fromisoformat(text).timetuple())
    except ValueError:
        pass
    try:
        from dateutil import parser  # koji's reading of dates, when installed
    except ImportError:
        parser = None
    if parser is not None:
        try:
            return time.mktime(parser.parse(text).timetuple())
        except (ValueError, OverflowError):
            pass
    raise UsageError(f"invalid time specification: {text!r}")


def _query(ctx: Context) -> tuple[list[str] | None, dict[str, Any]]:
    options = ctx.options
    if options.args:
        raise UsageError("This command takes no arguments")
    query: dict[str, Any] = {}
    for name in FILTERS:
        value = getattr(options, name)
        if value:
            query[name] = parse_time(value) if name in ("before", "after") else value
    limited = bool(query)
    if options.before_event:
        query["beforeEvent"] = options.before_event
    if options.after_event:
        query["afterEvent"] = options.after_event
    if options.active is not None:
        query["active"] = options.active
    session = ctx.session()
    if options.host and not session.getHost(options.host):
        raise CommandError(f"No such host: {options.host}")
    if options.channel and not session.getChannel(options.channel):
        raise CommandError(f"No such channel: {options.channel}")
    tables = [name for word in options.show for name in word.split(",")] if options.show else None
    if not limited and not options.all:
        raise UsageError("Please specify an option to limit the query")
    return tables, query


def handle_list_history(ctx: Context) -> int:
    """The changes that the filters select, oldest first; with --watch, then new ones as they happen."""
    options = ctx.options
    tables, query = _query(ctx)
    session = ctx.session()
    if options.watch and not query.get("afterEvent") and not query.get("after"):
        query["afterEvent"] = session.getLastEvent()["id"]
    while True:
        history = session.queryHistory(tables=tables, **query)
        if ctx.json:
            print_json(history)
            return 0
        changes = timeline(history, bool(options.context))
        for change in changes:
            print_change(change, options)
        if not options.watch:
            return 0
        sys.stdout.flush()
        time.sleep(poll_interval(ctx))
        if changes:
            query["afterEvent"] = changes[-1].event


def register(subparsers: Any) -> None:
    """Add the history commands."""
    history = add_command(subparsers, "list-history", handle_list_history)
    add = history.add_argument
    add("args", nargs="*", help="(none)")
    add("--build", help="only show data for a specific build")
    add("--package", help="only show data for a specific package")
    add("--tag", help="only show data for a specific tag")
    add("--editor", "--by", metavar="USER", help="only show entries modified by user")
    add("--user", help="only show entries affecting a user")
    add("--permission", help="only show entries relating to a given permission")
    add("--cg", help="only show entries relating to a given content generator")
    add("--external-repo", "--erepo", help="only show entries relating to a given external repo")
    add("--build-target", "--target", help="only show entries relating to a given build target")
    add("--group", help="only show entries relating to a given group")
    add("--host", help="only show entries related to given host")
    add("--channel", help="only show entries related to given channel")
    add("--xkey", help="only show entries related to given tag extra key")
    add("--before", help="only show entries before this time (a timestamp or a date and time)")
    add("--after", help="only show entries after this time (same format as for --before)")
    add("--before-event", metavar="EVENT_ID", type=int, help="only show entries before event")
    add("--after-event", metavar="EVENT_ID", type=int, help="only show entries after event")
    add("--watch", action="store_true", help="monitor history data")
    add("--active", action="store_true", default=None, help="only show entries that are currently active")
    add(
        "--revoked",
        action="store_false",
        dest="active",
        default=None,
        help="only show entries that are currently revoked",
    )
    add("--context", action="store_true", help="show related entries")
    add("-s", "--show", action="append", help="show data from selected tables")
    add("-v", "--verbose", action="store_true", help="show more detail")
    add("-e", "--events", action="store_true", help="show event ids")
    add("--all", action="store_true", help="allows listing the entire global history")
    add("--utc", action="store_true", help="shows time in UTC timezone")
    add_json_option(history)
