"""What every page shares: reading the query, Koji's state names, times."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from kiln.protocol.constants import TaskState
from kiln.web.listing import PageError

BUILD_STATES = {0: "building", 1: "complete", 2: "deleted", 3: "failed", 4: "canceled"}
REPO_STATES = {0: "init", 1: "ready", 2: "expired", 3: "deleted", 4: "problem"}
BUILDROOT_STATES = {0: "init", 1: "waiting", 2: "building", 3: "expired"}

Page = Callable[[Any, dict[str, str]], tuple[str, dict]]


def state_name(state: Any) -> str:
    try:
        return TaskState(int(state)).name.lower()
    except (TypeError, ValueError):
        return "unknown"


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def number(query: dict[str, str], name: str) -> int:
    """A required numeric parameter; a 400 page that names it when it is missing or not a number."""
    value = query.get(name)
    if value is None:
        raise PageError(400, f"This page needs {name}=, a number.")
    try:
        return int(value)
    except ValueError:
        raise PageError(400, f"{name} must be a number, not {value!r}.") from None


def named(query: dict[str, str], key: str) -> int | str:
    """An id, or (as Koji's pages take them) a name."""
    value = query.get(key)
    if not value:
        raise PageError(400, f"This page needs {key}=, a number or a name.")
    return int(value) if value.isdigit() else value


def found(lookup: Callable[[Any], Any], query: dict[str, str], key: str, what: str) -> Any:
    """What ``key`` names (an id, or a name as Koji's pages take them); a 404 page when there is none."""
    wanted = named(query, key)
    thing = lookup(wanted)
    if not thing:
        raise PageError(404, f"There is no {what} {wanted}.")
    return thing


def choice(query: dict[str, str], key: str, choices: dict[str, Any], default: str) -> Any:
    """A parameter that takes one of a few words (``state=``, ``latest=``...); 400 for any other."""
    value = query.get(key) or default
    if value not in choices:
        raise PageError(400, f"{key} must be one of {', '.join(choices)}, not {value!r}.")
    return choices[value]


def flag(query: dict[str, str], key: str, default: bool) -> bool:
    """Koji's on/off parameters: 1 or 0."""
    return bool(choice(query, key, {"1": True, "0": False}, "1" if default else "0"))
