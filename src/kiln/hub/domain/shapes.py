"""Rows into Koji's dicts, with the key order and the conversions worked out once per query.

Koji sends a listing's dicts with their keys sorted (its query processor
does), and a page of 50 tasks or a tag's 100 builds used to be copied,
popped into and sorted row by row: more CPU than the query that read them.
A ``Shape`` is made once, next to the statement whose rows it shapes, from
the statement's column names; each row then costs one dict built in
Koji's key order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any


class Shape:
    """Koji's dict for rows of one statement.

    ``convert``: a column's value replaced by a function of it (JSON text to
    data, 0/1 to a bool); ``derived``: keys computed from the converted row
    (a build's ``nvr``, a ``*_time`` text from its ``*_ts``); ``drop``:
    columns read but not sent.  The keys come out sorted, as Koji sends them.
    """

    def __init__(
        self,
        names: Sequence[str],
        convert: Mapping[str, Callable[[Any], Any]] | None = None,
        derived: Mapping[str, Callable[[dict], Any]] | None = None,
        drop: Iterable[str] = (),
    ) -> None:
        self.names = tuple(names)
        self.convert = tuple((convert or {}).items())
        self.derived = tuple((derived or {}).items())
        self.keys = tuple(sorted((set(self.names) | {k for k, _ in self.derived}) - set(drop)))

    def one(self, row: Sequence[Any] | Mapping[str, Any]) -> dict:
        values = dict(row) if isinstance(row, Mapping) else dict(zip(self.names, row, strict=True))
        for key, func in self.convert:
            values[key] = func(values[key])
        for key, func in self.derived:
            values[key] = func(values)
        return {key: values[key] for key in self.keys}

    def all(self, rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> list[dict]:
        return [self.one(row) for row in rows]


def column_names(statement: Any) -> list[str]:
    """The names a Core select's rows carry (labels included), in order."""
    return [c.key for c in statement.selected_columns]
