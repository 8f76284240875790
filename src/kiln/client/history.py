"""The hub's history (queryHistory) read as a timeline of changes, as Koji's client reads it.

The hub answers rows of versioned tables; each row was created at one event
and maybe revoked at a later one.  Koji's client turns them into a timeline
of lines, one per creation or revocation, sorted by event, and reads a
revocation and a creation of the same key at the same event as one edit
(``... updated``).  The CLI's list-history prints these lines; the web UI
shows them on a tag's page.
"""

from __future__ import annotations

from typing import Any

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


def name_key(key: str) -> str:
    """The dotted key that names what a column refers to: ``perm_id`` -> ``permission.name``."""
    if key == "perm_id":
        return "permission.name"
    return f"{key[:-3] if key.endswith('_id') else key}.name"


def describe(change: Change) -> str:
    """Koji's words for a change: "new tag: x", "inheritance line a->b removed"..."""
    edited, created, revoked = WORDING.get(
        change.table,
        (f"{change.table} entry updated", f"{change.table} entry created", f"{change.table} entry revoked"),
    )
    return (edited if change.related else created if change.created else revoked) % change.row
