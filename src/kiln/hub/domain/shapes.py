"""Rows into Koji's dicts, with the key order and the conversions worked out once per query.

Koji sends a listing's dicts with their keys sorted (its query processor
does), and a page of 50 tasks or a tag's 100 builds used to be copied,
popped into and sorted row by row: more CPU than the query that read them.
A ``Shape`` is made once, next to the statement whose rows it shapes, from
the statement's column names; each row then costs one dict built in
Koji's key order, by a function written for that statement when the
Shape is made (1.1 us a task row, where a generic loop over the columns
took 3.7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kiln.hub.domain.times import timestamp_text


class Shape:
    """Koji's dict for rows of one statement.

    ``convert``: a column's value replaced by a function of it (JSON text to
    data, 0/1 to a bool); ``times``: a key showing a column's seconds as
    Koji's text; ``copy``: a key repeating a column (a build's ``build_id``);
    ``const``: a key with a fixed value (what Koji sends and kiln has no use
    for); ``derived``: a key computed by a function of the converted row as
    a dict (a build's ``nvr``); ``drop``: columns read but not sent.  The
    keys come out sorted, as Koji sends them; a key in ``times`` wins over
    the column of the same name.
    """

    def __init__(
        self,
        names: Sequence[str],
        convert: Mapping[str, Callable[[Any], Any]] | None = None,
        derived: Mapping[str, Callable[[dict], Any]] | None = None,
        drop: Iterable[str] = (),
        *,
        times: Mapping[str, str] | None = None,
        copy: Mapping[str, str] | None = None,
        const: Mapping[str, Any] | None = None,
    ) -> None:
        self.names = tuple(names)
        self.convert = dict(convert or {})
        self.derived = dict(derived or {})
        self.times = dict(times or {})
        self.copy = dict(copy or {})
        self.const = dict(const or {})
        added = set(self.derived) | set(self.times) | set(self.copy) | set(self.const)
        self.keys = tuple(sorted((set(self.names) | added) - set(drop)))
        self._one = self._compile()

    def _compile(self) -> Callable[[Sequence[Any]], dict]:
        """The function shaping one row (a sequence in ``names`` order), written out and compiled.

        Only our own column names and keys go into its text, as string
        literals (``repr``); values and functions are passed in its globals.
        """
        index = {name: i for i, name in enumerate(self.names)}
        env: dict[str, Any] = {"text": timestamp_text}
        lines = ["def one(row):", "    (" + "".join(f"v{i}, " for i in range(len(self.names))) + ") = row"]
        for j, (name, func) in enumerate(self.convert.items()):
            env[f"convert{j}"] = func
            lines.append(f"    v{index[name]} = convert{j}(v{index[name]})")
        if self.derived:
            lines.append("    values = {" + ", ".join(f"{n!r}: v{i}" for n, i in index.items()) + "}")
        members = []
        for j, key in enumerate(self.keys):
            if key in self.times:
                expr = f"text(v{index[self.times[key]]})"
            elif key in self.copy:
                expr = f"v{index[self.copy[key]]}"
            elif key in self.const:
                env[f"const{j}"] = self.const[key]
                expr = f"const{j}"
            elif key in self.derived:
                env[f"derived{j}"] = self.derived[key]
                expr = f"derived{j}(values)"
            else:
                expr = f"v{index[key]}"
            members.append(f"{key!r}: {expr}")
        lines.append("    return {" + ", ".join(members) + "}")
        exec(compile("\n".join(lines), "<kiln.hub.domain.shapes.Shape>", "exec"), env)
        return env["one"]

    def one(self, row: Sequence[Any] | Mapping[str, Any]) -> dict:
        if isinstance(row, Mapping):
            row = tuple(row[name] for name in self.names)
        return self._one(row)

    def all(self, rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> list[dict]:
        one = self._one
        return [one(tuple(r[n] for n in self.names)) if isinstance(r, Mapping) else one(r) for r in rows]


def column_names(statement: Any) -> list[str]:
    """The names a Core select's rows carry (labels included), in order."""
    return [c.key for c in statement.selected_columns]
