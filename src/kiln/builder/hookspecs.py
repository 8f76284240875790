"""The builder's whole plugin contract.

A builder plugin is a module with functions named like these specs, marked
with ``kiln.builder.hookspecs.hookimpl``, registered under the
``kiln.builder`` entry-point group and enabled by name in the builder's
``plugins`` setting.  The built-in handlers come through the same hook.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("kiln.builder")
hookimpl = pluggy.HookimplMarker("kiln.builder")


@hookspec
def kiln_builder_handlers() -> list[Any]:
    """Task handler classes (subclasses of ``kiln.builder.handler.BaseTaskHandler``).

    Each runs the methods in its ``Methods``; a method two plugins both
    claim is an error at start-up.
    """


@hookspec
def kiln_builder_task_started(task: dict, workdir: str) -> None:
    """In the daemon, after a task was opened and its process started."""


@hookspec
def kiln_builder_task_ended(task: dict, state: str) -> None:
    """In the daemon, after a task's process ended: ``closed``, ``failed``, ``cancelled`` or ``died``."""
