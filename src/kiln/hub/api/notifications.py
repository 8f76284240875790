"""Build notifications: Koji's calls, answered as a Koji hub with notifications switched off.

kiln sends no mail yet.  kojiweb's index asks for the logged-in user's
notifications and kojid's tagBuild reports every tagging; both must carry on,
so the lists are empty and ``host.tagNotification`` records nothing.
"""

from __future__ import annotations

from typing import Any

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
def getBuildNotifications(ctx: Context, userID: Any = None) -> list:
    _user_id(ctx, userID)
    return []


@export()
def getBuildNotificationBlocks(ctx: Context, userID: Any = None) -> list:
    _user_id(ctx, userID)
    return []


@export()
def getBuildNotification(ctx: Context, id: Any, strict: bool = False) -> dict | None:  # noqa: A002 - Koji's name
    if strict:
        raise errors.GenericError(f"No notification with ID {id} found")
    return None


@export(access=LOGIN, writes=True)
def createNotification(ctx: Context, user_id: Any, package_id: Any, tag_id: Any, success_only: Any) -> None:
    raise errors.GenericError("this hub sends no build notifications (kiln has none yet): nothing to subscribe to")


@export(access=LOGIN, writes=True)
def updateNotification(ctx: Context, id: Any, package_id: Any, tag_id: Any, success_only: Any) -> None:  # noqa: A002
    raise errors.GenericError(f"No notification with ID {id} found")


@export(access=LOGIN, writes=True)
def deleteNotification(ctx: Context, id: Any) -> None:  # noqa: A002 - Koji's name
    raise errors.GenericError(f"No notification with ID {id} found")


@export("host.tagNotification", access=HOST)
def tagNotification(
    ctx: Context,
    is_successful: Any,
    tag_id: Any,
    from_id: Any,
    build_id: Any,
    user_id: Any,
    ignore_success: Any = False,
    failure_msg: Any = "",
) -> None:
    """What kojid's tagBuild reports after tagging (and after a failure): nothing to send here, as in Koji
    with DisableNotifications."""
    return None
