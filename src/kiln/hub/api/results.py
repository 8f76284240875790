"""count, countAndFilterResults and filterResults: Koji's helpers over another method's result.

kojiweb pages through listings with them: the length of a method's answer,
or the total and one sorted, sliced page of it.  The inner method is called
as the caller would call it, with the same access rules.
"""

from __future__ import annotations

from typing import Any

from kiln.hub.context import Context
from kiln.hub.rpc import export, invoke
from kiln.protocol import errors


@export()
def count(ctx: Context, methodName: str, *args: Any, **kw: Any) -> int:
    """How many results ``methodName`` gives: 0 for None, the length of a list or struct, else 1 (as Koji)."""
    result = invoke(ctx, ctx.registry, methodName, args, kw)
    if result is None:
        return 0
    if isinstance(result, (list, tuple, dict)):
        return len(result)
    return 1


@export()
def countAndFilterResults(ctx: Context, methodName: str, *args: Any, **kw: Any) -> tuple[int, list | None]:
    """(the number of results, one page of them): ``filterOpts`` orders by one key, then offset and limit.

    As in Koji, an error of the inner call comes back as a GenericError that
    names the method; None sorts last unless ``noneGreatest`` is false.
    """
    filter_opts = _filter_opts(kw.pop("filterOpts", None))
    if ctx.registry.get(methodName) is None:
        raise errors.GenericError(f"Invalid method: {methodName}")
    try:
        results = invoke(ctx, ctx.registry, methodName, args, kw)
    except errors.GenericError as exc:  # Koji wraps the inner call's fault; an internal error stays one
        raise errors.GenericError(f"method {methodName} raised an exception ({exc})") from None
    if results is None:
        return 0, None
    if not isinstance(results, list):
        raise errors.GenericError(f"{methodName}() did not return a list")
    total = len(results)
    order = filter_opts.get("order")
    if order:
        key = str(order).removeprefix("-")
        if any(not isinstance(row, dict) or key not in row for row in results):
            raise errors.ParameterError(f"Invalid order field: {key}")
        none_last = filter_opts.get("noneGreatest", True)
        try:
            results = sorted(
                results,
                key=lambda row: ((row[key] is None) == bool(none_last), row[key]),
                reverse=str(order).startswith("-"),
            )
        except TypeError:
            raise errors.ParameterError(f"Cannot order by {key}: its values are not comparable") from None
    if filter_opts.get("offset") is not None:
        results = results[filter_opts["offset"] :]
    if filter_opts.get("limit") is not None:
        results = results[: filter_opts["limit"]]
    return total, results


def _filter_opts(value: Any) -> dict:
    """``filterOpts``: a struct whose ``offset`` and ``limit`` are whole numbers (or nil)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.ParameterError(f"filterOpts must be a struct, not {value!r}")
    for key in ("offset", "limit"):
        bound = value.get(key)
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
            raise errors.ParameterError(f"filterOpts {key} must be a whole number, not {bound!r}")
    return value


@export()
def filterResults(ctx: Context, methodName: str, *args: Any, **kw: Any) -> list | None:
    """The page of countAndFilterResults alone."""
    return countAndFilterResults(ctx, methodName, *args, **kw)[1]
