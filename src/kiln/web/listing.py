"""Paging and sorting of a page's lists, with Koji's parameters.

A page with one list takes ``start`` and ``order``; a page with several
prefixes each list's parameters with its noun (``buildStart``,
``packageOrder``...), as kojiweb does, so that paging one list keeps the
others where they are.  A ``Window`` is what the visitor asked of one list;
it asks the hub for that page and the total in the page's multicall, and
gives a ``Listing``: the rows, and the links to the pages around them and
to the list sorted by each column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode


class PageError(Exception):
    """What the visitor asked for is malformed (400) or does not exist (404): a page that says so."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def page_link(page: str, query: dict[str, str], **changes: Any) -> str:
    """The page's address with ``changes`` made to its query (a value of "" or None drops the parameter)."""
    values = {k: v for k, v in {**query, **changes}.items() if v not in ("", None)}
    return f"/koji/{page}?{urlencode({k: str(v) for k, v in values.items()})}" if values else f"/koji/{page}"


@dataclass(frozen=True)
class Window:
    """One list of a page as the visitor asked for it: where it starts, how it is ordered, how long it is."""

    page: str
    query: dict[str, str]
    prefix: str
    start: int
    order: str
    size: int

    def param(self, name: str) -> str:
        return f"{self.prefix}{name.capitalize()}" if self.prefix else name

    @property
    def opts(self) -> dict[str, Any]:
        """This window as Koji's queryOpts (and countAndFilterResults' filterOpts)."""
        return {"order": self.order, "offset": self.start, "limit": self.size}

    def link(self, **changes: Any) -> str:
        """The page with this list's own parameters changed (``start``, ``order``), the rest kept."""
        return page_link(self.page, self.query, **{self.param(k): v for k, v in changes.items()})

    def ask(self, multicall: Any, method: str, *args: Any, **kw: Any) -> Asked:
        """Queue the total and this page of a listing that takes queryOpts (two calls in the multicall)."""
        call = getattr(multicall, method)
        total = call(*args, **kw, queryOpts={"countOnly": True})
        rows = call(*args, **kw, queryOpts=self.opts)
        return Asked(self, lambda: (total.result, rows.result))

    def ask_filtered(self, multicall: Any, method: str, *args: Any, **kw: Any) -> Asked:
        """Queue the same through the hub's countAndFilterResults, for listings without queryOpts."""
        both = multicall.countAndFilterResults(method, *args, filterOpts=self.opts, **kw)
        return Asked(self, lambda: (both.result[0], both.result[1] or []))

    def of(self, rows: Sequence[dict], total: int) -> Listing:
        return Listing(self, list(rows), total)

    def cut(self, rows: Iterable[dict]) -> Listing:
        """This page of rows already in hand, sorted here (small lists such as a report's)."""
        everything = list(rows)
        key = self.order.lstrip("-")
        everything.sort(key=lambda r: (r.get(key) is None, r.get(key)), reverse=self.order.startswith("-"))
        return self.of(everything[self.start : self.start + self.size], len(everything))


class Asked:
    """A page of a list queued in a multicall; ``result`` once the multicall has been sent."""

    def __init__(self, window: Window, answer: Any) -> None:
        self._window, self._answer = window, answer

    @property
    def result(self) -> Listing:
        total, rows = self._answer()
        return self._window.of(rows, total)


@dataclass(frozen=True)
class Listing:
    """One page of a list: its rows, where they sit in the whole, and the links a template draws."""

    window: Window
    rows: list[dict]
    total: int

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Any:
        return iter(self.rows)

    @property
    def start(self) -> int:
        return self.window.start

    @property
    def end(self) -> int:
        return min(self.window.start + len(self.rows), self.total)

    @property
    def previous(self) -> str | None:
        return self.window.link(start=max(0, self.start - self.window.size) or "") if self.start > 0 else None

    @property
    def next(self) -> str | None:
        return (
            self.window.link(start=self.start + self.window.size)
            if self.start + self.window.size < self.total
            else None
        )

    def sort_link(self, field: str) -> str:
        """Sorted by ``field``; a second click turns the order round.  Sorting goes back to the first page."""
        order = f"-{field}" if self.window.order == field else field
        return self.window.link(order=order, start="")

    def sorted_by(self, field: str) -> str:
        """An arrow for the column the list is sorted by."""
        if self.window.order == field:
            return "\u2191"
        return "\u2193" if self.window.order == f"-{field}" else ""


def window(
    page: str,
    query: dict[str, str],
    default_order: str,
    orders: Iterable[str],
    prefix: str = "",
    size: int = 50,
) -> Window:
    """The visitor's ``[prefix]start`` and ``[prefix]order`` for one list, checked against what it sorts by."""
    start_param = f"{prefix}Start" if prefix else "start"
    order_param = f"{prefix}Order" if prefix else "order"
    start = query.get(start_param) or "0"
    if not start.isdigit():
        raise PageError(400, f"{start_param} must be a number, not {start!r}.")
    order = query.get(order_param) or default_order
    allowed = set(orders)
    if order.lstrip("-") not in allowed:
        raise PageError(
            400, f"This list cannot be ordered by {order!r}: {order_param} is one of {', '.join(sorted(allowed))}."
        )
    return Window(page, query, prefix, int(start), order, size)
