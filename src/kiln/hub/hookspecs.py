"""The hub's whole plugin contract.

A hub plugin is a module (or object) with functions named like these specs,
marked with ``kiln.hub.hookspecs.hookimpl``, registered under the
``kiln.hub`` entry-point group and enabled by name in the hub's ``plugins``
setting.  pluggy checks argument names when the plugin loads, so a plugin
that names a wrong argument fails at start-up, not in the middle of a call.

Callbacks run inside the call's transaction: raising ``CallbackError`` (or
anything) fails the call and rolls back its writes.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("kiln.hub")
hookimpl = pluggy.HookimplMarker("kiln.hub")


@hookspec
def kiln_hub_methods(registry: Any) -> None:
    """Export methods: call ``registry.add(func, name=..., access=..., perm=..., writes=...)``.

    Exported plugin methods obey the same access declarations as built-in
    ones: the dispatcher checks them before the function runs.
    """


@hookspec
def kiln_hub_pre_call(ctx: Any, method: str, args: list, kwargs: dict) -> None:
    """Before any exported method runs (after its access check)."""


@hookspec
def kiln_hub_post_call(ctx: Any, method: str, args: list, kwargs: dict, result: Any) -> None:
    """After an exported method returned, before the transaction commits."""


@hookspec
def kiln_hub_user_created(ctx: Any, user: dict) -> None:
    """A user (or host account) was created."""


@hookspec
def kiln_hub_permission_changed(ctx: Any, user: dict, permission: str, granted: bool) -> None:
    """A permission was granted to or revoked from a user."""


@hookspec
def kiln_hub_host_added(ctx: Any, host: dict) -> None:
    """A build host was added."""
