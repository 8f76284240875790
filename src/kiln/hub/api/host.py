"""The ``host.*`` calls a builder makes for itself (hosts only)."""

from __future__ import annotations

from kiln.hub.context import Context
from kiln.hub.domain import hosts
from kiln.hub.rpc import HOST, export


@export("host.getID", access=HOST)
def getID(ctx: Context) -> int:
    return ctx.session.host_id


@export("host.getHost", access=HOST)
def getHost(ctx: Context) -> dict:
    return hosts.get(ctx, ctx.session.host_id, strict=True)
