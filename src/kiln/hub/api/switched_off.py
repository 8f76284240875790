"""Build kinds kiln does not have, answered as a Koji hub with them switched off (EnableMaven, EnableWin).

``koji maven-build``, ``wrapper-rpm``, ``maven-chain`` and ``win-build`` then
say why they cannot run, as they would against such a Koji hub.
"""

from __future__ import annotations

from typing import Any

from kiln.hub.context import Context
from kiln.hub.rpc import LOGIN, export
from kiln.protocol import errors

_MAVEN = "Maven support not enabled"


@export(access=LOGIN)
def mavenBuild(
    ctx: Context, url: Any, target: Any, opts: Any = None, priority: Any = None, channel: Any = "maven"
) -> int:
    raise errors.GenericError(_MAVEN)


@export(access=LOGIN)
def wrapperRPM(
    ctx: Context, build: Any, url: Any, target: Any, priority: Any = None, channel: Any = "maven", opts: Any = None
) -> int:
    raise errors.GenericError(_MAVEN)


@export(access=LOGIN)
def chainMaven(
    ctx: Context, builds: Any, target: Any, opts: Any = None, priority: Any = None, channel: Any = "maven"
) -> int:
    raise errors.GenericError(_MAVEN)


@export(access=LOGIN)
def winBuild(
    ctx: Context, vm: Any, url: Any, target: Any, opts: Any = None, priority: Any = None, channel: Any = "vm"
) -> int:
    raise errors.GenericError("Windows support not enabled")
