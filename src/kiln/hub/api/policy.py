"""Koji's policy calls beside the host.* ones a builder makes (api/host.py): evalPolicy and host.checkPolicy."""

from __future__ import annotations

from kiln.hub.context import Context
from kiln.hub.domain import policy
from kiln.hub.rpc import HOST, export


@export()
def evalPolicy(ctx: Context, name: str, data: dict) -> str | None:
    """The action of the first rule of the named policy that ``data`` matches; None if none does.

    kojid asks ``build_from_scm`` so when its ``allowed_scms_use_policy`` is on.
    """
    return policy.action(ctx, name, data)


@export("host.checkPolicy", access=HOST)
def checkPolicy(ctx: Context, name: str, data: dict, default: str = "deny", strict: bool = False) -> tuple[bool, str]:
    return policy.verdict(ctx, name, data, default, bool(strict))
