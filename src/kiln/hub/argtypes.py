"""What an exported method's parameters may hold: the types its annotations name, checked before it runs.

An exported method (``hub/api``) annotates each parameter with the types
below or plain ones (``str``, ``int``, ``bool``, ``dict``, ``list``,
``X | None``); ``rpc`` checks every call's arguments against them before
the method runs, and answers Koji's ``ParameterError`` naming the parameter
when one does not fit.  So a wrongly typed value never reaches SQL, and no
method checks its own arguments' types.

Whatever the annotation, every value in the arguments, however deep, is a
number the databases can hold (64-bit integers, finite floats) and text
without NUL characters.  The types:

- ``Id``: a row's id, which PostgreSQL holds in 32 bits (``integer``): a
  larger one is refused alike on both databases, not a fault on one and
  "not found" on the other; a decimal string passes (Koji converts one),
  the method converts it;
- ``int``: a whole number in 64 bits; ``float``: any finite number;
- ``str``: text; ``bool``: anything (Koji reads it as true or false);
- ``dict``, ``list``: a struct, an array (Koji's tuples arrive as arrays);
- ``IdOrName``: an id or a name, Koji's usual way to name a tag, user, host,
  package, channel or target; ``Ref``: the same or a dict of its fields, as
  Koji's ``getBuild`` or ``getTag`` take;
- ``QueryOpts``: Koji's ``queryOpts`` (``order`` text, ``offset`` and
  ``limit`` from 0, ``countOnly`` ...);
- ``Any``: anything (still within the limits above).
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable
from typing import Any, NewType

from kiln.protocol import errors

Id = NewType("Id", int)
IdOrName = Id | str
Ref = Id | str | dict
QueryOpts = NewType("QueryOpts", dict)

ID_MAX = 2**31 - 1
INT_MAX = 2**63 - 1

# A checker returns None when the value fits, else what the value should have been.
Checker = Callable[[Any], "str | None"]


def _sound(value: Any) -> str | None:
    """Whether ``value`` (and all it holds) is what a database can store: why not, else None."""
    kind = type(value)
    if kind is int:
        return None if -INT_MAX - 1 <= value <= INT_MAX else "a number within 64 bits"
    if kind is str:
        return None if "\x00" not in value else "text without NUL characters"
    if kind is float:
        return None if math.isfinite(value) else "a finite number"
    if kind is list or kind is tuple:
        for item in value:
            problem = _sound(item)
            if problem:
                return problem
        return None
    if kind is dict:
        for key, item in value.items():
            problem = _sound(key) or _sound(item)
            if problem:
                return problem
        return None
    return None  # bool, None, bytes, datetime: nothing a database cannot take


def _of_type(kind: type | tuple[type, ...], what: str) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, kind):
            return what
        return _sound(value)

    return check


def _id(value: Any) -> str | None:
    if type(value) is str and value.strip().lstrip("-").isdigit():  # Koji converts "12" with int()
        value = int(value) if len(value) < 30 else ID_MAX + 1
    if type(value) is int or type(value) is bool:
        return None if -ID_MAX - 1 <= value <= ID_MAX else "an id (a number within 32 bits)"
    return "an id (a number)"


def _int(value: Any) -> str | None:
    if type(value) is int or type(value) is bool:
        return None if -INT_MAX - 1 <= value <= INT_MAX else "a number within 64 bits"
    return "a whole number"


def _float(value: Any) -> str | None:
    if type(value) in (int, float, bool):
        return None if math.isfinite(value) and abs(value) <= 2.0**63 else "a finite number"
    return "a number"


def _str(value: Any) -> str | None:
    if type(value) is not str:
        return "text"
    return None if "\x00" not in value else "text without NUL characters"


_QUERY_OPTS = {
    "order": _str,
    "offset": lambda v: _int(v) or (None if v >= 0 else "from 0 up"),
    "limit": lambda v: _int(v) or (None if v >= 0 else "from 0 up"),
    "countOnly": None,
    "asList": None,
    "group": _str,
}


def _query_opts(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "a struct of query options (order, offset, limit, countOnly, asList, group)"
    for key, item in value.items():
        if key not in _QUERY_OPTS:
            return f"query options among {', '.join(_QUERY_OPTS)} (not {key!r})"
        check = _QUERY_OPTS[key]
        problem = check(item) if check is not None and item is not None else _sound(item)
        if problem:
            return f"query options with {key} {problem}"
    return None


_SIMPLE: dict[Any, Checker] = {
    Id: _id,
    int: _int,
    float: _float,
    str: _str,
    bool: _sound,
    dict: _of_type(dict, "a struct"),
    list: _of_type((list, tuple), "an array"),
    tuple: _of_type((list, tuple), "an array"),
    QueryOpts: _query_opts,
    Any: _sound,
}


def checker(hint: Any) -> Checker:
    """The check for one parameter's annotation (already evaluated)."""
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        optional = type(None) in options
        checks = [checker(option) for option in options if option is not type(None)]
        return _union(checks, optional)
    if origin in _SIMPLE:  # dict[str, Any], list[int] ...: the container's check
        return _SIMPLE[origin]
    return _sound


def _union(checks: list[Checker], optional: bool) -> Checker:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        problems = []
        for one in checks:
            problem = one(value)
            if problem is None:
                return None
            problems.append(problem)
        alternatives = " or ".join(dict.fromkeys(problems))
        return f"{alternatives} or nothing (nil)" if optional else alternatives

    return check


def hints(func: Callable) -> dict[str, Any]:
    """Each parameter's annotation, evaluated in its module; one that cannot be read counts as ``Any``."""
    found = {}
    namespace = {**vars(typing), "Id": Id, "IdOrName": IdOrName, "Ref": Ref, "QueryOpts": QueryOpts}
    for name, param in inspect.signature(func).parameters.items():
        annotation = param.annotation
        if annotation is inspect.Parameter.empty:
            found[name] = Any
            continue
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, {**namespace, **func.__globals__})  # our own source's annotations
            except Exception:
                annotation = Any
        found[name] = annotation
    return found


class Checks:
    """One method's parameter checks, compiled once when it is registered."""

    def __init__(self, func: Callable) -> None:
        params = list(inspect.signature(func).parameters.values())[1:]  # not the context
        annotations = hints(func)
        self.name = func.__name__
        self.positional: list[tuple[str, Checker]] = []
        self.by_name: dict[str, Checker] = {}
        self.rest: Checker | None = None  # *args
        self.extra: Checker | None = None  # **kwargs
        for param in params:
            check = checker(annotations[param.name])
            if param.kind is param.VAR_POSITIONAL:
                self.rest = check
            elif param.kind is param.VAR_KEYWORD:
                self.extra = check
            else:
                if param.kind is not param.KEYWORD_ONLY:
                    self.positional.append((param.name, check))
                self.by_name[param.name] = check

    def args(self, args: tuple | list, kwargs: dict) -> None:
        """Raise ParameterError for the first argument that does not fit."""
        positional = self.positional
        for index, value in enumerate(args):
            if index < len(positional):
                name, check = positional[index]
            elif self.rest is not None:
                name, check = f"argument {index + 1}", self.rest
            else:
                return  # too many: the call's own TypeError says so
            problem = check(value)
            if problem is not None:
                raise self._error(name, value, problem)
        for name, value in kwargs.items():
            check = self.by_name.get(name, self.extra)
            if check is None:
                continue  # unknown keyword: the call's TypeError
            problem = check(value)
            if problem is not None:
                raise self._error(name, value, problem)

    def bound(self, arguments: dict) -> errors.ParameterError | None:
        """The same for arguments already bound by name (a batch's calls); the error instead of raising it."""
        for name, value in arguments.items():
            check = self.by_name.get(name, self.extra)
            if check is None:
                continue
            problem = check(value)
            if problem is not None:
                return self._error(name, value, problem)
        return None

    def _error(self, name: str, value: Any, problem: str) -> errors.ParameterError:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return errors.ParameterError(f"{self.name}(): {name} must be {problem}, not {shown}")
