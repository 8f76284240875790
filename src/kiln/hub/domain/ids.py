"""Ids and names inside the values callers give: read where they are interpreted, refused with a fault that says why.

The declared parameter types (hub/argtypes.py) check what a parameter is; a
dict's ``id``, an id given as text (which Koji converts with ``int()``) or a
build's name inside a struct are read here, by the domain code that uses them.
"""

from __future__ import annotations

from typing import Any

from kiln.hub.argtypes import ID_MAX
from kiln.protocol import errors


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def row_id(value: Any, what: str) -> int:
    """A row's id from a number or its text (as Koji's ``int()`` takes it); ParameterError naming ``what`` else.

    Within 32 bits, PostgreSQL's id columns, so that a larger one is refused
    alike on both databases rather than a fault on one and "not found" on the other.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise errors.ParameterError(f"Invalid {what}: {_shown(value)} (an id is a number)")
    try:
        number = int(value)
    except ValueError:
        raise errors.ParameterError(f"Invalid {what}: {_shown(value)} (an id is a number)") from None
    if not -ID_MAX - 1 <= number <= ID_MAX:
        raise errors.ParameterError(f"Invalid {what}: {_shown(value)} (an id is a number within 32 bits)")
    return number


def row_ids(value: Any, what: str) -> list[int]:
    """One id or a list of them (Koji's ``IN`` filters), each as ``row_id`` reads it."""
    if isinstance(value, (list, tuple)):
        return [row_id(item, what) for item in value]
    return [row_id(value, what)]


def text_fields(info: dict, keys: tuple[str, ...], what: str, or_id: bool = False) -> dict[str, str]:
    """The named text fields of a struct (a build's name, version, release ...); ParameterError if one is missing.

    ``or_id``: the struct may name its row by ``id`` instead (the message says so).
    """
    found = {}
    for key in keys:
        value = info.get(key)
        if not isinstance(value, str):
            wanted = f"{'an id, or ' if or_id else ''}{', '.join(keys)} as text"
            raise errors.ParameterError(f"Invalid {what}: {_shown(info)} (needs {wanted})")
        found[key] = value
    return found


def name_or_id(info: Any, what: str) -> tuple[str, int | str]:
    """``("id", n)`` or ``("name", text)``: how ``info`` names a row (tag, target, package ...).

    Koji's reading: a number is an id, text a name, and a struct's ``id``
    (converted as ``row_id`` does) wins over its ``name``.  Anything else is
    refused here, before a query could see it.
    """
    if isinstance(info, dict):
        if "id" in info:
            return "id", row_id(info["id"], f"{what} id")
        if "name" not in info:
            raise errors.ParameterError(f"Invalid {what}: {_shown(info)}: give its id or name")
        info = info["name"]
    if isinstance(info, str):
        return "name", info
    if isinstance(info, int) and not isinstance(info, bool):
        return "id", row_id(info, f"{what} id")
    raise errors.ParameterError(f"Invalid {what}: {_shown(info)} (an id or a name)")
