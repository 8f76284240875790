"""Hub side: exported methods with different access, and two callbacks.

Enable it with ``plugins = example`` in the hub's ``[hub]`` section.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from kiln.hub.hookspecs import hookimpl
from kiln.hub.rpc import HOST, LOGIN
from kiln.protocol.errors import CallbackError

FORBIDDEN_PREFIX = "forbidden-"


def whoami(ctx: Any) -> str:
    """The caller's user name."""
    return ctx.session.user_name


def crash(ctx: Any) -> None:
    """Kill the hub worker on the spot, mid-transaction (for the atomicity tests)."""
    os.kill(os.getpid(), signal.SIGKILL)


def boom(ctx: Any) -> None:
    """Fail the way a bug would: an unexpected exception."""
    raise ValueError("the example plugin exploded")


def hostEcho(ctx: Any, value: Any) -> list:
    """Echo back, with the calling host's id: only a build host may call it."""
    return [ctx.session.host_id, value]


def runTask(ctx: Any, method: str, arglist: list, channel: Any = None, arch: Any = None) -> int:
    """Start a task owned by the caller, as Koji's runroot plugin does for its users."""
    from kiln.hub.domain import scheduler, tasks

    task_id = tasks.create(ctx, method, arglist, channel=channel, arch=arch)
    scheduler.announce(ctx)
    return task_id


def _log(ctx: Any) -> Path:
    return Path(ctx.settings.topdir) / "example-plugin.log"


@hookimpl
def kiln_hub_methods(registry: Any) -> None:
    registry.add(whoami, name="example.whoami", access=LOGIN)
    registry.add(crash, name="example.crash", perm="admin", writes=True)
    registry.add(hostEcho, name="example.hostEcho", access=HOST)
    registry.add(boom, name="example.boom")
    registry.add(runTask, name="example.runTask", access=LOGIN, writes=True)


@hookimpl
def kiln_hub_user_created(ctx: Any, user: dict) -> None:
    if user["name"].startswith(FORBIDDEN_PREFIX):
        raise CallbackError(f"the example plugin refuses user names starting with {FORBIDDEN_PREFIX!r}")
    path = _log(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as log:
        log.write(f"user_created {user['name']}\n")


@hookimpl
def kiln_hub_post_call(ctx: Any, method: str, args: list, kwargs: dict, result: Any) -> None:
    if method == "example.whoami":
        with _log(ctx).open("a") as log:
            log.write(f"post_call {method} {result}\n")
