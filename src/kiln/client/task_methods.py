"""Task methods that plugins add: their arguments, label, and place in the web's method lists.

One hook, ``kiln_task_methods``, read by the web UI and the ``kiln``
command alike, so both label a plugin's task the same way.  A plugin
implements it in its ``kiln.web`` entry point's module (the web UI's
contract, kiln/web/hookspecs.py, adds the page hooks)::

    from kiln.web.hookspecs import TaskMethod, hookimpl

    @hookimpl
    def kiln_task_methods():
        return [TaskMethod("example.echo", ("text",), label=lambda params: params["text"][:20])]

The plugins are loaded the first time a task of a method kiln does not know
is labelled, never for kiln's own methods.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pluggy

ENTRY_POINT_GROUP = "kiln.web"
hookspec = pluggy.HookspecMarker("kiln.web")
hookimpl = pluggy.HookimplMarker("kiln.web")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskMethod:
    """A task method a plugin's builder handler runs.

    ``arguments`` names its request's positions (``defaults``: how many
    trailing ones may be left out); ``label(params)`` gives the text koji
    shows in brackets after the method (the arch when None or empty);
    ``toplevel`` and ``parent`` place it in the web's method lists as Koji's
    _TOPLEVEL_TASKS and _PARENT_TASKS (a task users submit; one with children).
    """

    name: str
    arguments: tuple[str, ...] = ()
    defaults: int = 0
    label: Callable[[dict[str, Any]], str] | None = None
    toplevel: bool = False
    parent: bool = False


@hookspec
def kiln_task_methods() -> list[TaskMethod]:
    """The task methods this plugin adds."""
    return []


def manager(*specs: Any) -> pluggy.PluginManager:
    """The plugins of the ``kiln.web`` entry points, with this module's hook and ``specs`` (the web's
    page hooks); a plugin that fails to load is logged and left out."""
    import sys
    from importlib.metadata import entry_points

    plugins = pluggy.PluginManager("kiln.web")
    plugins.add_hookspecs(sys.modules[__name__])
    for spec in specs:
        plugins.add_hookspecs(spec)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugins.register(entry.load(), name=entry.name)
        except Exception:  # a broken plugin costs a log line, not the page or the command
            log.exception("web plugin %s did not load", entry.name)
    return plugins


@cache
def plugin_methods() -> dict[str, TaskMethod]:
    found: dict[str, TaskMethod] = {}
    for methods in manager().hook.kiln_task_methods():
        for method in methods or []:
            if isinstance(method, TaskMethod):
                found.setdefault(method.name, method)
    return found
