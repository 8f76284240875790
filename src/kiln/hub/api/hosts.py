"""Build hosts and channels, as administrators manage them."""

from __future__ import annotations

from typing import Any

from kiln.hub.api import batches, query_opts
from kiln.hub.argtypes import Id, IdOrName, QueryOpts, Ref
from kiln.hub.context import Context
from kiln.hub.db.tables import VERSIONING
from kiln.hub.domain import channels, hosts, users
from kiln.hub.domain.times import timestamp_text
from kiln.hub.rpc import export, has_perm
from kiln.protocol import errors


@export(perm="host", writes=True)
def addHost(
    ctx: Context, hostname: str, arches: list | str, krb_principal: str | None = None, force: bool = False
) -> int:
    return hosts.add(ctx, hostname, arches, krb_principal=krb_principal, force=bool(force))


@export(perm="host", writes=True)
def editHost(ctx: Context, hostInfo: Ref, **kw: Any) -> bool:
    return hosts.edit(ctx, hostInfo, **kw)


@export(perm="host", writes=True)
def enableHost(ctx: Context, hostname: Ref) -> None:
    hosts.set_enabled(ctx, hostname, True)


@export(perm="host", writes=True)
def disableHost(ctx: Context, hostname: Ref) -> None:
    hosts.set_enabled(ctx, hostname, False)


def _host_key(b: dict) -> batches.Key | None:
    """By id or name, current config only (an ``event`` is answered as singly)."""
    info = b["hostInfo"]
    plain = b["event"] is None and (batches.plain_id(info) or isinstance(info, str))
    return (None, info) if plain else None


@export(
    batch=batches.lookups(
        key_of=_host_key,
        get_many=lambda ctx, _variant, infos: hosts.get_many(ctx, infos),
        missing=lambda info: f"Invalid hostInfo: {info}",
        single=lambda ctx, **b: getHost(ctx, **b),
    )
)
def getHost(ctx: Context, hostInfo: Ref, strict: bool = False, event: Id | None = None) -> dict | None:
    return hosts.get(ctx, hostInfo, strict=strict, event=event)


# What listHosts may sort by: the host row and its live configuration.
_HOST_ORDER = {c.name: c for c in (*hosts.h.c, *hosts.hcfg.c) if c.name not in ("host_id", *VERSIONING)}


@export()
def listHosts(
    ctx: Context,
    arches: list | str | None = None,
    channelID: IdOrName | None = None,
    ready: bool | None = None,
    enabled: bool | None = None,
    userID: IdOrName | None = None,
    queryOpts: QueryOpts | None = None,
) -> Any:
    channel_id = None
    if channelID is not None:
        channel = channels.get(ctx, channelID)
        if channel is None:
            raise errors.GenericError(f"No such entry in table channels: {channelID}")
        channel_id = channel["id"]
    user_id = None
    if userID is not None:
        user_id = users.find(ctx, userID, strict=True)["id"]
    rows = hosts.list_hosts(
        ctx,
        arches=arches,
        channel_id=channel_id,
        ready=ready,
        enabled=enabled,
        user_id=user_id,
        order=query_opts.order_by(queryOpts, _HOST_ORDER),
    )
    return query_opts.apply(rows, queryOpts)


@export()
def getLastHostUpdate(ctx: Context, hostID: Ref, ts: bool = False) -> Any:
    host = hosts.get(ctx, hostID, strict=True)
    value = host["update_ts"]
    if value is None or ts:
        return value
    return timestamp_text(value)


@export(perm="admin", writes=True)
def addChannel(ctx: Context, channel_name: str, description: str | None = None) -> int:
    return channels.add(ctx, channel_name, description=description)


@export()
def getChannel(ctx: Context, channelInfo: Ref, strict: bool = False) -> dict | None:
    return channels.get(ctx, channelInfo, strict=strict)


@export()
def listChannels(
    ctx: Context, hostID: Ref | None = None, event: Id | None = None, enabled: bool | None = None
) -> list[dict]:
    host_id = None
    if isinstance(hostID, int) and not isinstance(hostID, bool):
        host_id = hostID
    elif hostID is not None:
        host_id = hosts.get(ctx, hostID, strict=True)["id"]
    return channels.list_channels(ctx, host_id=host_id, event=event, enabled=enabled)


@export(perm="host", writes=True)
def addHostToChannel(ctx: Context, hostname: Ref, channel_name: str, create: bool = False, force: bool = False) -> None:
    if create and channels.get(ctx, channel_name) is None and not has_perm(ctx, "admin"):
        raise errors.ActionNotAllowed("admin permission required to create a channel")
    hosts.add_to_channel(ctx, hostname, channel_name, create=bool(create), force=bool(force))


@export(perm="host", writes=True)
def removeHostFromChannel(ctx: Context, hostname: Ref, channel_name: IdOrName) -> None:
    hosts.remove_from_channel(ctx, hostname, channel_name)


@export(perm="admin", writes=True)
def editChannel(ctx: Context, channelInfo: Ref, **kw: Any) -> bool:
    return channels.edit(ctx, channelInfo, **kw)


@export(perm="host", writes=True)
def enableChannel(ctx: Context, channelname: Ref, comment: str | None = None) -> None:
    channels.set_enabled(ctx, channelname, True, comment)


@export(perm="host", writes=True)
def disableChannel(ctx: Context, channelname: Ref, comment: str | None = None) -> None:
    channels.set_enabled(ctx, channelname, False, comment)


@export(perm="admin", writes=True)
def removeChannel(ctx: Context, channel_name: IdOrName, force: bool = False) -> None:
    """Delete a channel (Koji dropped this call in 1.30; kiln keeps its old form)."""
    channels.remove(ctx, channel_name, force=bool(force))


@export()
def getAllArches(ctx: Context) -> list:
    return hosts.all_arches(ctx)
