"""Build notifications: Koji's calls, answered as a Koji hub with notifications switched off.

kiln sends no mail yet.  kojiweb's index asks for the logged-in user's
notifications and kojid's tagBuild reports every tagging; both must carry on,
so the lists are empty and ``host.tagNotification`` records nothing.
"""

from __future__ import annotations

from typing import Any

from kiln.hub.argtypes import Id, Ref
from kiln.hub.context import Context
from kiln.hub.domain import users
from kiln.hub.rpc import HOST, LOGIN, export
from kiln.protocol import errors


def _user_id(ctx: Context, user_id: Any) -> int:
    """The user asked about (Koji's rules: the caller's own when none is named)."""
    if user_id is None:
        if ctx.user_id is None:
            raise errors.GenericError("No user provided")
        return ctx.user_id
    return users.find(ctx, user_id, strict=True)["id"]


@export()
def getBuildNotifications(ctx: Context, userID: Ref | None = None) -> list:
    _user_id(ctx, userID)
    return []


@export()
def getBuildNotificationBlocks(ctx: Context, userID: Ref | None = None) -> list:
    _user_id(ctx, userID)
    return []


@export()
def getBuildNotification(ctx: Context, id: Id, strict: bool = False) -> dict | None:  # noqa: A002 - Koji's name
    if strict:
        raise errors.GenericError(f"No notification with ID {id} found")
    return None


@export(access=LOGIN, writes=True)
def createNotification(
    ctx: Context, user_id: Ref | None, package_id: Ref | None, tag_id: Ref | None, success_only: bool
) -> None:
    raise errors.GenericError("this hub sends no build notifications (kiln has none yet): nothing to subscribe to")


@export(access=LOGIN, writes=True)
def updateNotification(
    ctx: Context,
    id: Id,  # noqa: A002 - Koji's name
    package_id: Ref | None,
    tag_id: Ref | None,
    success_only: bool,
) -> None:
    raise errors.GenericError(f"No notification with ID {id} found")


@export(access=LOGIN, writes=True)
def deleteNotification(ctx: Context, id: Id) -> None:  # noqa: A002 - Koji's name
    raise errors.GenericError(f"No notification with ID {id} found")


@export("host.tagNotification", access=HOST)
def tagNotification(
    ctx: Context,
    is_successful: bool,
    tag_id: Ref | None,
    from_id: Ref | None,
    build_id: Ref | None,
    user_id: Ref | None,
    ignore_success: bool = False,
    failure_msg: str | None = "",
) -> None:
    """What kojid's tagBuild reports after tagging (and after a failure): nothing to send here, as in Koji
    with DisableNotifications."""
    return None
