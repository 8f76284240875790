"""The history area: list-history, the hub's record of changes (queryHistory) as koji prints it.

The hub answers rows of versioned tables; each row was created at one event
and maybe revoked at a later one.  Koji's client turns them into a timeline
of lines, one per creation or revocation, sorted by event, and reads a
revocation and a creation of the same key at the same event as one edit
(``... updated``, with the fields that changed).  kiln prints the same lines.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context, UsageError, add_json_option, print_json
from kiln.cli.watch import poll_interval

# The columns that say which thing a row is about: a revocation and a creation
# with the same values at the same event are one edit.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "user_perms": ("user_id", "perm_id"),
    "user_groups": ("user_id", "group_id"),
    "cg_users": ("user_id", "cg_id"),
    "tag_inheritance": ("tag_id", "parent_id"),
    "tag_config": ("tag_id",),
    "tag_extra": ("tag_id", "key"),
    "build_target_config": ("build_target_id",),
    "external_repo_config": ("external_repo_id",),
    "external_repo_data": ("external_repo_id",),
    "host_config": ("host_id",),
    "host_channels": ("host_id", "channel_id"),
    "tag_external_repos": ("tag_id", "external_repo_id"),
    "tag_listing": ("build_id", "tag_id"),
    "tag_packages": ("package_id", "tag_id"),
    "tag_package_owners": ("package_id", "tag_id"),
    "group_config": ("group_id", "tag_id"),
    "group_req_listing": ("group_id", "tag_id", "req_id"),
    "group_package_listing": ("group_id", "tag_id", "package"),
}

# table -> (edited, created, revoked): koji's wording for each kind of line.
WORDING: dict[str, tuple[str, str, str]] = {
    "tag_listing": (
        "%(name)s-%(version)s-%(release)s re-tagged into %(tag.name)s",
        "%(name)s-%(version)s-%(release)s tagged into %(tag.name)s",
        "%(name)s-%(version)s-%(release)s untagged from %(tag.name)s",
    ),
    "user_perms": (
        "permission %(permission.name)s re-granted to %(user.name)s",
        "permission %(permission.name)s granted to %(user.name)s",
        "permission %(permission.name)s revoked for %(user.name)s",
    ),
    "user_groups": (
        "user %(user.name)s re-added to group %(group.name)s",
        "user %(user.name)s added to group %(group.name)s",
        "user %(user.name)s removed from group %(group.name)s",
    ),
    "cg_users": (
        "user %(user.name)s re-added to content generator %(content_generator.name)s",
        "user %(user.name)s added to content generator %(content_generator.name)s",
        "user %(user.name)s removed from content generator %(content_generator.name)s",
    ),
    "tag_packages": (
        "package list entry for %(package.name)s in %(tag.name)s updated",
        "package list entry created: %(package.name)s in %(tag.name)s",
        "package list entry revoked: %(package.name)s in %(tag.name)s",
    ),
    "tag_package_owners": (
        "package owner changed for %(package.name)s in %(tag.name)s",
        "package owner %(owner.name)s set for %(package.name)s in %(tag.name)s",
        "package owner %(owner.name)s revoked for %(package.name)s in %(tag.name)s",
    ),
    "tag_inheritance": (
        "inheritance line %(tag.name)s->%(parent.name)s updated",
        "inheritance line %(tag.name)s->%(parent.name)s added",
        "inheritance line %(tag.name)s->%(parent.name)s removed",
    ),
    "tag_config": (
        "tag configuration for %(tag.name)s altered",
        "new tag: %(tag.name)s",
        "tag deleted: %(tag.name)s",
    ),
    "tag_extra": (
        "tag option %(key)s for tag %(tag.name)s altered",
        "added tag option %(key)s for tag %(tag.name)s",
        "tag option %(key)s removed for %(tag.name)s",
    ),
    "host_config": (
        "host configuration for %(host.name)s altered",
        "new host: %(host.name)s",
        "host deleted: %(host.name)s",
    ),
    "host_channels": (
        # koji has no edit wording here: an edit reads as the addition
        "host %(host.name)s added to channel %(channels.name)s",
        "host %(host.name)s added to channel %(channels.name)s",
        "host %(host.name)s removed from channel %(channels.name)s",
    ),
    "build_target_config": (
        "build target configuration for %(build_target.name)s updated",
        "new build target: %(build_target.name)s",
        "build target deleted: %(build_target.name)s",
    ),
    "external_repo_config": (
        "external repo configuration for %(external_repo.name)s altered",
        "new external repo: %(external_repo.name)s",
        "external repo deleted: %(external_repo.name)s",
    ),
    "external_repo_data": (
        "tracking data for external repo %(external_repo.name)s altered",
        "new tracking data for external repo %(external_repo.name)s",
        "deleted tracking data for external repo %(external_repo.name)s",
    ),
    "tag_external_repos": (
        "external repo entry for %(external_repo.name)s in tag %(tag.name)s updated",
        "external repo entry for %(external_repo.name)s added to tag %(tag.name)s",
        "external repo entry for %(external_repo.name)s removed from tag %(tag.name)s",
    ),
    "group_config": (
        "group %(group.name)s configuration for tag %(tag.name)s updated",
        "group %(group.name)s added to tag %(tag.name)s",
        "group %(group.name)s removed from tag %(tag.name)s",
    ),
    "group_req_listing": (
        "group dependency %(group.name)s->%(req.name)s updated in tag %(tag.name)s",
        "group dependency %(group.name)s->%(req.name)s added in tag %(tag.name)s",
        "group dependency %(group.name)s->%(req.name)s dropped from tag %(tag.name)s",
    ),
    "group_package_listing": (
        "package entry %(package)s in group %(group.name)s, tag %(tag.name)s updated",
        "package %(package)s added to group %(group.name)s in tag %(tag.name)s",
        "package %(package)s removed from group %(group.name)s in tag %(tag.name)s",
    ),
}

# Bookkeeping columns, never printed as fields.
HIDDEN = frozenset(
    ("active", "create_event", "revoke_event", "creator_id", "revoker_id")
    + ("creator_name", "revoker_name", "create_ts", "revoke_ts")
)

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


class Change:
    """One line of the timeline: a row created or revoked at an event, maybe with the creation that edits it."""

    def __init__(self, event: int, table: str, created: bool, row: dict[str, Any]) -> None:
        self.event, self.table, self.created, self.row = event, table, created, row
        self.related: list[Change] = []

    @property
    def order(self) -> tuple[int, str, bool]:
        return (self.event, self.table, self.created)


def _matches(row: dict[str, Any], prefix: str, context: bool) -> bool:
    """Whether the hub's ``_created_*``/``_revoked_*`` flags all say this side of the row matched."""
    return context or all(value for key, value in row.items() if key.startswith(prefix))


def timeline(history: dict[str, list[dict[str, Any]]], context: bool = False) -> list[Change]:
    """The rows as lines in event order; a revocation and a creation of one key at one event merged."""
    changes = []
    for table, rows in history.items():
        for row in rows:
            if row["revoke_event"] is not None and _matches(row, "_revoked", context):
                changes.append(Change(row["revoke_event"], table, False, dict(row)))
            if _matches(row, "_created", context):
                changes.append(Change(row["create_event"], table, True, row))
    changes.sort(key=lambda change: change.order)
    merged: list[Change] = []
    seen: dict[tuple, Change] = {}
    for change in changes:
        key = (change.event, change.table, tuple(change.row[k] for k in TABLE_KEYS.get(change.table, ())))
        first = seen.get(key)
        if first is None:
            seen[key] = change
            merged.append(change)
        else:
            first.related.append(change)
    return merged


def _name_key(key: str) -> str:
    """The dotted key that names what a column refers to: ``perm_id`` -> ``permission.name``."""
    if key == "perm_id":
        return "permission.name"
    return f"{key[:-3] if key.endswith('_id') else key}.name"


def _time_text(ts: float, utc: bool) -> str:
    return time.asctime(time.gmtime(ts) if utc else time.localtime(ts))


def change_lines(change: Change, verbose: bool = False, events: bool = False, utc: bool = False) -> list[str]:
    """What koji prints for one change: its line, then the fields an edit changed (or, verbose, a new row's)."""
    row, table = change.row, change.table
    other = change.related[0].row if change.related else None
    edit = other is not None
    ts = row["create_ts"] if change.created else row["revoke_ts"]
    who = row.get("creator_name" if change.created else "revoker_name", "")
    edited, created, revoked = WORDING.get(
        table, (f"{table} entry updated", f"{table} entry created", f"{table} entry revoked")
    )
    text = (edited if edit else created if change.created else revoked) % row
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
            name_key = _name_key(key)
            if name_key in row and name_key in other:
                continue
            lines.append(f"    {key}: {row[key]} -> {other.get(key)}")
    elif change.created and verbose and table != "tag_listing":
        own = set(TABLE_KEYS.get(table, ()))
        own |= {_name_key(key) for key in own}
        for key in sorted(row):
            if key in HIDDEN or key in own or _name_key(key) in row or key.startswith("_"):
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
