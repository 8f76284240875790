"""Build kinds kiln does not have, answered as a Koji hub with them switched off (EnableMaven, EnableWin).

``koji maven-build``, ``wrapper-rpm``, ``maven-chain`` and ``win-build`` then
say why they cannot run, as they would against such a Koji hub.
"""

from __future__ import annotations

from kiln.hub.argtypes import IdOrName, Ref
from kiln.hub.context import Context
from kiln.hub.rpc import LOGIN, export
from kiln.protocol import errors

_MAVEN = "Maven support not enabled"


@export(access=LOGIN)
def mavenBuild(
    ctx: Context,
    url: str,
    target: IdOrName | None,
    opts: dict | None = None,
    priority: int | None = None,
    channel: IdOrName | None = "maven",
) -> int:
    raise errors.GenericError(_MAVEN)


@export(access=LOGIN)
def wrapperRPM(
    ctx: Context,
    build: Ref,
    url: str,
    target: IdOrName | None,
    priority: int | None = None,
    channel: IdOrName | None = "maven",
    opts: dict | None = None,
) -> int:
    raise errors.GenericError(_MAVEN)


@export(access=LOGIN)
def chainMaven(
    ctx: Context,
    builds: list | dict,
    target: IdOrName | None,
    opts: dict | None = None,
    priority: int | None = None,
    channel: IdOrName | None = "maven",
) -> int:
    raise errors.GenericError(_MAVEN)


@export(access=LOGIN)
def winBuild(
    ctx: Context,
    vm: str,
    url: str,
    target: IdOrName | None,
    opts: dict | None = None,
    priority: int | None = None,
    channel: IdOrName | None = "vm",
) -> int:
    raise errors.GenericError("Windows support not enabled")
