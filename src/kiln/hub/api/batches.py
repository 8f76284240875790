"""Batch forms of the get* reads: a multicall's run of calls answered from one query.

hub/rpc.py hands a run of consecutive calls to a read method with a batch
form to that form, each call's arguments bound by name (or the
ParameterError binding raised).  ``lookups`` makes such a form from three
pieces: which calls name their object plainly (``key_of``: a variant, such
as getTaskInfo's ``request`` flag, and the key, or None for a call to answer
as a single one), how to fetch many objects of one variant in one query
(``get_many``), and the fault of a ``strict`` call whose object is missing.
Every other call is answered by the method itself, so the run's answers are
the ones the calls would get one by one (tests/integration/test_batch_reads.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from typing import Any

from kiln.hub.context import Context
from kiln.protocol import errors

log = logging.getLogger(__name__)
Key = tuple[Hashable, Hashable]


def lookups(
    key_of: Callable[[dict], Key | None],
    get_many: Callable[[Context, Hashable, list], dict],
    missing: Callable[[Hashable], str],
    single: Callable[..., Any],
    strict: Callable[[dict], Any] = lambda b: b["strict"],
) -> Callable[[Context, list], list]:
    """A batch form: the plain lookups in one ``get_many`` query per variant, the rest as single calls.

    ``strict``: whether a call faults when its object is missing; by default
    its ``strict`` argument, but a read without one (listBuildRPMs) always does.
    ``get_many`` may map a key to an exception (getRepo's unknown tag): that
    call's answer is then the fault.
    """

    def batch(ctx: Context, bound: list[dict | Exception]) -> list:
        keys: list[Key | Exception | None] = []
        wanted: dict[Hashable, list] = {}
        for b in bound:
            if isinstance(b, Exception):
                keys.append(b)
                continue
            try:
                key = key_of(b)
            except errors.GenericError as exc:
                keys.append(exc)
                continue
            keys.append(key)
            if key is not None:
                wanted.setdefault(key[0], []).append(key[1])
        found = {variant: get_many(ctx, variant, wanted[variant]) for variant in wanted}
        results: list = []
        for b, key in zip(bound, keys, strict=True):
            if isinstance(key, Exception):
                results.append(key)
            elif key is None:
                try:
                    results.append(single(ctx, **b))  # type: ignore[arg-type]
                except Exception as exc:  # that call's fault only (logged there if unexpected), as singles'
                    results.append(exc)
            else:
                item = found[key[0]].get(key[1])
                strict_miss = item is None and strict(b)  # type: ignore[arg-type]
                results.append(errors.GenericError(missing(key[1])) if strict_miss else item)
        return results

    return batch


def plain_id(value: Any) -> bool:
    """A number (not a bool) an id column holds, the key most batch forms fetch by.

    A larger one fails on PostgreSQL (its ids are 4-byte integers): as a
    single call it faults alone, where in a batch's one query every call would.
    """
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
