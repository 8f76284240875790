"""Koji's ``queryOpts``: ordering, offset, limit and countOnly, for every listing call."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column

from kiln.protocol import errors


def order_by(query_opts: dict | None, columns: dict[str, Column]) -> list | None:
    """SQL ordering for ``order`` ("name,-id"), from the columns a caller may sort by."""
    if not query_opts or not query_opts.get("order"):
        return None
    ordering = []
    for field in str(query_opts["order"]).split(","):
        name = field.strip().lstrip("-")
        if name not in columns:
            raise errors.ParameterError(f"Invalid order field: {name}")
        ordering.append(columns[name].desc() if field.strip().startswith("-") else columns[name])
    return ordering


def apply(rows: list, query_opts: dict | None) -> Any:
    """Offset, limit and countOnly over an ordered result."""
    if not query_opts:
        return rows
    offset = int(query_opts.get("offset") or 0)
    limit = query_opts.get("limit")
    rows = rows[offset:] if limit is None else rows[offset : offset + int(limit)]
    if query_opts.get("countOnly"):
        return len(rows)
    return rows


def sort_rows(rows: list[dict], query_opts: dict | None) -> list[dict]:
    """``order`` applied to dicts already in hand (fields named as the dicts' keys)."""
    if not query_opts or not query_opts.get("order"):
        return rows
    for field in reversed(str(query_opts["order"]).split(",")):
        name = field.strip().lstrip("-")
        if rows and name not in rows[0]:
            raise errors.ParameterError(f"Invalid order field: {name}")
        rows = sorted(rows, key=lambda r, n=name: (r[n] is None, r[n]), reverse=field.strip().startswith("-"))
    return rows


def listing(rows: list[dict], query_opts: dict | None) -> Any:
    """Order, offset, limit and countOnly over a listing computed in Python."""
    return apply(sort_rows(rows, query_opts), query_opts)
