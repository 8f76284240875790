"""Greetings, versions, introspection and events."""

from __future__ import annotations

from typing import Any

import kiln
from kiln.hub.argtypes import Id
from kiln.hub.context import Context
from kiln.hub.domain import events, history
from kiln.hub.rpc import export
from kiln.protocol.constants import API_VERSION


@export()
def hello(ctx: Context, *args: Any) -> str:
    """Say hello; kiln's own version rides in the Kiln-Version header."""
    return "Hello World"


@export()
def getAPIVersion(ctx: Context) -> int:
    return API_VERSION


@export()
def getKojiVersion(ctx: Context) -> str:
    """The Koji release whose protocol this hub speaks."""
    return kiln.KOJI_VERSION


@export()
def getKilnVersion(ctx: Context) -> str:
    return kiln.__version__


@export()
def echo(ctx: Context, *args: Any) -> list:
    return list(args)


@export()
def mavenEnabled(ctx: Context) -> bool:
    return False


@export()
def winEnabled(ctx: Context) -> bool:
    return False


def _registry(ctx: Context) -> Any:
    return ctx.registry


@export("system.listMethods")
def listMethods(ctx: Context) -> list[str]:
    return sorted(_registry(ctx).methods)


@export("system.methodSignature")
def methodSignature(ctx: Context, method: str) -> str:
    return "signatures not supported"


@export("system.methodHelp")
def methodHelp(ctx: Context, method: str) -> str:
    found = _registry(ctx).get(method)
    if found is None:
        return ""
    text = f"{method}{found.argdesc}"
    if found.doc:
        text += f"\ndescription: {found.doc}"
    return text


@export()
def _listapi(ctx: Context) -> list[dict]:
    """Every exported method with its arguments, as the koji CLI's list-api reads them."""
    out = []
    for name, method in sorted(_registry(ctx).methods.items()):
        params = list(method.signature.parameters.values())
        plain = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY)]
        defaults = [p.default for p in plain if p.default is not p.empty]
        varargs = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
        varkw = next((p.name for p in params if p.kind is p.VAR_KEYWORD), None)
        args: list[Any] = [p.name if p.default is p.empty else [p.name, p.default] for p in plain]
        args += [name for name in (varargs, varkw) if name]
        out.append(
            {
                "name": name,
                "doc": method.doc,
                # inspect.getfullargspec's seven fields, as Koji sends them
                "argspec": [[p.name for p in plain], varargs, varkw, defaults or None, [], None, {}],
                "argdesc": method.argdesc,
                "args": args,
            }
        )
    return out


@export()
def getLastEvent(ctx: Context, before: Any = None, strict: bool = True) -> dict | None:
    """``before``: seconds; the domain refuses anything else in Koji's words ("Invalid type for before")."""
    return events.last(ctx, before, strict)


@export()
def getEvent(ctx: Context, id: Id, strict: bool = True) -> dict | None:  # noqa: A002 - Koji's name
    return events.get(ctx, id, strict)


@export()
def queryHistory(ctx: Context, tables: list | None = None, **kwargs: Any) -> dict:
    """Changes to versioned tables; filters that do not apply drop a table, unknown ones are ignored."""
    return history.query(ctx, tables, **kwargs)
