"""Dispatch: the method registry, who may call what, and multicall.

Every exported method declares its access where it is registered:

- ``anyone``: anonymous calls welcome;
- ``login``: any logged-in session;
- ``perm``: a logged-in user holding the named permission (``admin`` holds all);
- ``host``: a build host's exclusive session (or a subsession of it).

and whether it ``writes``: a writing call takes SQLite's write lock at the
start of its transaction and gets a savepoint of its own inside a multicall.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiln.hub.argtypes import Checks
from kiln.hub.context import Context
from kiln.hub.db.engine import DATA_ERRORS
from kiln.hub.db.raw import RawQuery
from kiln.protocol import errors
from kiln.protocol.xmlrpc import Fault, decode_args, xml_safe

log = logging.getLogger(__name__)

ANYONE = "anyone"
LOGIN = "login"
PERM = "perm"
HOST = "host"
MULTICALL_NAMES = ("multiCall", "system.multicall")
# Koji's helpers that run another method named in their first argument (api/results.py).
WRAPPER_NAMES = ("count", "countAndFilterResults", "filterResults")


@dataclass(frozen=True)
class Method:
    name: str
    func: Callable
    access: str
    perm: str | None
    writes: bool
    # Optional: answers a run of consecutive calls of this (read-only) method in
    # a multicall at once, e.g. with one query instead of one per call.  Takes
    # ``(ctx, [arguments by name, or the call's ParameterError, ...])`` (see
    # bind_calls); returns one result or exception per call.
    batch: Callable | None = None
    # The parameters' declared types, checked before the method runs (argtypes.py).
    checks: Checks = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", Checks(self.func))

    @property
    def signature(self) -> inspect.Signature:
        """The signature a caller sees: without the hidden context argument."""
        sig = inspect.signature(self.func)
        return sig.replace(parameters=list(sig.parameters.values())[1:])

    @property
    def argdesc(self) -> str:
        """``(a, b=None, *args, **kw)``: the signature as Koji prints it, without annotations."""
        parts = []
        for param in self.signature.parameters.values():
            if param.kind is inspect.Parameter.VAR_POSITIONAL:
                parts.append(f"*{param.name}")
            elif param.kind is inspect.Parameter.VAR_KEYWORD:
                parts.append(f"**{param.name}")
            elif param.default is inspect.Parameter.empty:
                parts.append(param.name)
            else:
                parts.append(f"{param.name}={param.default!r}")
        return "(" + ", ".join(parts) + ")"

    @property
    def doc(self) -> str | None:
        return inspect.getdoc(self.func)


def export(
    name: str | None = None,
    *,
    access: str = ANYONE,
    perm: str | None = None,
    writes: bool = False,
    batch: Callable | None = None,
) -> Callable[[Callable], Callable]:
    """Mark a function of ``kiln.hub.api`` as an exported method."""
    if batch is not None and writes:
        raise ValueError("only read-only methods may answer calls in batches")

    def mark(func: Callable) -> Callable:
        func.kiln_export = {  # type: ignore[attr-defined]
            "name": name or func.__name__,
            "access": PERM if perm else access,
            "perm": perm,
            "writes": writes,
            "batch": batch,
        }
        return func

    return mark


class Registry:
    def __init__(self) -> None:
        self.methods: dict[str, Method] = {}

    def add(
        self,
        func: Callable,
        name: str | None = None,
        access: str = ANYONE,
        perm: str | None = None,
        writes: bool = False,
        batch: Callable | None = None,
    ) -> None:
        name = name or func.__name__
        if access not in (ANYONE, LOGIN, PERM, HOST):
            raise ValueError(f"{name}: unknown access {access!r}")
        if perm:
            access = PERM
        if access == PERM and not perm:
            raise ValueError(f"{name}: access 'perm' needs a permission name")
        if name in self.methods:
            raise ValueError(f"method {name} is exported twice")
        self.methods[name] = Method(name, func, access, perm, writes, batch)

    def add_module(self, module: Any) -> None:
        for value in vars(module).values():
            spec = getattr(value, "kiln_export", None)
            if spec and getattr(value, "__module__", None) == module.__name__:
                self.add(value, **spec)

    def get(self, name: str) -> Method | None:
        return self.methods.get(name)

    def writes(self, name: str, params: tuple) -> bool:
        """Whether a request will (or may) write, known before it begins."""
        if name in MULTICALL_NAMES:
            calls = params[0] if params and isinstance(params[0], list) else []
            return any(isinstance(c, dict) and self.writes(str(c.get("methodName")), ()) for c in calls)
        if name in WRAPPER_NAMES:
            return bool(params) and self.writes(str(params[0]), ())
        method = self.methods.get(name)
        return bool(method and method.writes)


def build_registry(plugins: Any = None) -> Registry:
    """Every built-in method of ``kiln.hub.api``, then those of plugins."""
    import kiln.hub.api as api_pkg

    registry = Registry()
    for info in pkgutil.iter_modules(api_pkg.__path__):
        registry.add_module(importlib.import_module(f"{api_pkg.__name__}.{info.name}"))
    if plugins is not None:
        plugins.hook.kiln_hub_methods(registry=registry)
    return registry


# Every permission-checked call reads these: see db/raw.py.
_PERMS = RawQuery(
    """
    SELECT p.name FROM user_perms up JOIN permissions p ON p.id = up.perm_id
     WHERE up.user_id = :user_id AND up.active = :true
    """
)


def has_perm(ctx: Context, perm: str, exact: bool = False) -> bool:
    """Whether the caller holds ``perm``; unless ``exact``, ``admin`` counts as every one."""
    if ctx.session is None:
        return False
    perms = ctx.perms.get(ctx.session.user_id)
    if perms is None:
        _names, rows = _PERMS.rows(ctx.conn, {"user_id": ctx.session.user_id, "true": True})
        perms = ctx.perms[ctx.session.user_id] = {row[0] for row in rows}
    return perm in perms or (not exact and "admin" in perms)


def forget_perms(ctx: Context) -> None:
    ctx.perms.clear()


def check_access(ctx: Context, method: Method) -> None:
    if method.access == ANYONE:
        return
    session = ctx.session
    if method.access == HOST:
        if session is None:
            raise errors.AuthError("Not logged-in")
        if session.host_id is None:
            raise errors.AuthError(f"User {session.user_id} is not a host")
        if not session.lock_held:
            raise errors.AuthError("This method requires an exclusive session")
        return
    if method.access == LOGIN:
        if session is None:
            raise errors.ActionNotAllowed("you must be logged in for this operation")
        return
    if session is None:
        raise errors.ActionNotAllowed(f"{method.perm} permission required (user not logged in)")
    if not has_perm(ctx, method.perm or "admin"):
        raise errors.ActionNotAllowed(f"{method.perm} permission required (logged in as {session.user_name})")


def call(ctx: Context, registry: Registry, name: str, params: tuple | list) -> Any:
    """Run one exported method for the caller in ``ctx``."""
    args, kwargs = decode_args(params)
    return invoke(ctx, registry, name, args, kwargs)


def invoke(ctx: Context, registry: Registry, name: str, args: tuple | list, kwargs: dict) -> Any:
    """Run one exported method with its arguments decoded: what a call does, and what count() does inside."""
    method = registry.get(name)
    if method is None:
        raise errors.GenericError(f"Invalid method: {name}")
    check_access(ctx, method)
    method.checks.args(args, kwargs)
    watched = ctx.plugins.watches_calls
    if watched:
        ctx.plugins.hook.kiln_hub_pre_call(ctx=ctx, method=name, args=args, kwargs=kwargs)
    try:
        result = method.func(ctx, *args, **kwargs)
    except TypeError as exc:
        try:
            inspect.signature(method.func).bind(ctx, *args, **kwargs)
        except TypeError:
            raise errors.ParameterError(str(exc)) from None
        raise
    except DATA_ERRORS as exc:  # a value inside a struct the declared types do not reach
        raise errors.ParameterError(f"{name}(): a value is out of range or of the wrong kind for the database") from exc
    if watched:
        ctx.plugins.hook.kiln_hub_post_call(ctx=ctx, method=name, args=args, kwargs=kwargs, result=result)
    return result


def internal_fault(exc: BaseException, where: str) -> Fault:
    """The fault for an error the hub did not expect: a reference to its log, and nothing else.

    The exception's text may hold SQL, file paths, hosts or ports; it goes
    to the hub's log with its traceback under the reference, which the
    caller can quote to the site's operators.
    """
    reference = secrets.token_hex(6)
    log.error("internal error %s in %s", reference, where, exc_info=exc)
    return Fault(1, f"Internal error in the hub (reference {reference}): the hub's log has the details")


def fault_entry(exc: BaseException, where: str = "a multicall entry") -> dict:
    """A multicall entry for a failed call, shaped as Koji shapes it (its traceback: the fault's text only)."""
    if isinstance(exc, Fault):
        code, text = exc.faultCode, exc.faultString
    elif isinstance(exc, errors.GenericError):
        code, text = exc.faultCode, str(exc)
    else:
        fault = internal_fault(exc, where)
        code, text = fault.faultCode, fault.faultString
    text = xml_safe(text)
    return {"faultCode": code, "faultString": text, "traceback": [f"{text}\n"]}


def bind_calls(method: Method, calls: list[tuple[list, dict]]) -> list[dict | Exception]:
    """Each call's arguments by name (defaults filled in), or its ParameterError.

    Runs of a hundred calls are common, so the plain case (no ``*args`` in the
    signature, known names) is a dict built directly; anything unusual goes
    through ``inspect`` for Python's own wording of the error.
    """
    params = list(method.signature.parameters.values())
    names = [p.name for p in params]
    defaults = {p.name: p.default for p in params if p.default is not p.empty}
    simple = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params)
    bound: list[dict | Exception] = []
    for args, kwargs in calls:
        if simple and len(args) <= len(names) and not (set(kwargs) - set(names[len(args) :])):
            arguments = {**defaults, **dict(zip(names, args, strict=False)), **kwargs}
            if len(arguments) == len(names):
                bound.append(arguments)
                continue
        try:
            found = method.signature.bind(*args, **kwargs)
        except TypeError as exc:
            bound.append(errors.ParameterError(f"{method.func.__name__}() {exc}"))
            continue
        found.apply_defaults()
        bound.append(dict(found.arguments))
    return [
        arguments if isinstance(arguments, Exception) else method.checks.bound(arguments) or arguments
        for arguments in bound
    ]


def _entry_name(entry: Any) -> str | None:
    return entry.get("methodName") if isinstance(entry, dict) else None


def _run_batch(ctx: Context, registry: Registry, method: Method, entries: list[dict]) -> list:
    """A run of calls of a method with a batch form: one access check, one answer each.

    A call whose arguments do not fit the method is answered as a single call
    would be, so that its fault reads word for word the same.
    """
    try:
        check_access(ctx, method)
        bound = bind_calls(method, [decode_args(entry.get("params", [])) for entry in entries])
        outcomes = method.batch(ctx, bound)
    except Exception as exc:  # the whole run failed: each call gets the fault, as singles would
        entry = fault_entry(exc, f"a batch of {method.name}")
        return [dict(entry) for _ in entries]
    results = []
    for entry, arguments, outcome in zip(entries, bound, outcomes, strict=True):
        if isinstance(arguments, Exception):
            results.append(_single(ctx, registry, entry))
        else:
            results.append(fault_entry(outcome, method.name) if isinstance(outcome, Exception) else [outcome])
    return results


def multicall(ctx: Context, registry: Registry, calls: Any) -> list:
    """All calls in the request's one transaction, a savepoint per writing call.

    A failing call rolls back only its own writes and yields a fault entry;
    the others commit together when the request ends.  A run of consecutive
    calls to a read-only method with a batch form is answered at once (unless
    plugins watch individual calls).
    """
    if not isinstance(calls, list):
        raise errors.ParameterError("multiCall expects a list of calls")
    ctx.in_multicall = True  # one transaction: nothing may pause it (e.g. a long poll)
    results: list = []
    index = 0
    while index < len(calls):
        entry = calls[index]
        method = registry.get(_entry_name(entry) or "")
        if method is not None and method.batch is not None and not ctx.plugins.watches_calls:
            end = index
            while end < len(calls) and _entry_name(calls[end]) == method.name:
                end += 1
            if end - index > 1:
                ctx.new_call()
                results.extend(_run_batch(ctx, registry, method, calls[index:end]))
                index = end
                continue
        results.append(_single(ctx, registry, entry))
        index += 1
    return results


def _single(ctx: Context, registry: Registry, entry: Any) -> Any:
    ctx.new_call()
    try:
        if not isinstance(entry, dict) or "methodName" not in entry:
            raise errors.ParameterError("each call must be a struct with methodName and params")
        name = entry["methodName"]
        params = entry.get("params", [])
        if name in MULTICALL_NAMES:  # Koji runs a nested multicall, so do we
            return [multicall(ctx, registry, params[0] if params else None)]
        method = registry.get(name)
        # A writing call in a savepoint of its own; on PostgreSQL, in a writing
        # request, a reading call too: one failing there would abort the
        # transaction, and the writes around it with it.  (On SQLite, where a
        # failed statement aborts nothing, savepoints around the reads of a
        # writing multicall made the stress test's builders wait out the pool.)
        if method is not None and (method.writes or (ctx.write and ctx.engine.dialect.name == "postgresql")):
            savepoint = ctx.conn.begin_nested()
            try:
                value = call(ctx, registry, name, params)
            except BaseException:
                savepoint.rollback()
                forget_perms(ctx)
                raise
            savepoint.commit()
        else:
            value = call(ctx, registry, name, params)
        return [value]
    except Exception as exc:  # each call's failure is its own entry
        return fault_entry(exc, str(_entry_name(entry)))
