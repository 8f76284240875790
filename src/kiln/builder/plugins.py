"""Loading builder plugins through entry points, and the method -> handler table."""

from __future__ import annotations

import logging
from typing import Any

import pluggy

from kiln.builder import build_tasks, builtin, hookspecs, repo_tasks
from kiln.builder.handler import BaseTaskHandler
from kiln.plugin_loading import register_enabled
from kiln.protocol import errors

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "kiln.builder"


class _Builtin:
    @staticmethod
    @hookspecs.hookimpl
    def kiln_builder_handlers() -> list[Any]:
        return [*builtin.HANDLERS, *repo_tasks.HANDLERS, *build_tasks.HANDLERS]


class Plugins:
    """The builder's plugin manager; ``handlers`` maps each method to its handler class."""

    def __init__(self, names: list[str] | None = None) -> None:
        self.manager = pluggy.PluginManager("kiln.builder")
        self.manager.add_hookspecs(hookspecs)
        self.manager.register(_Builtin(), name="builtin")
        register_enabled(self.manager, ENTRY_POINT_GROUP, names, "builder")
        self.hook = self.manager.hook
        self.handlers: dict[str, type[BaseTaskHandler]] = {}
        for found in self.hook.kiln_builder_handlers():
            for cls in found or []:
                if not (isinstance(cls, type) and issubclass(cls, BaseTaskHandler)):
                    raise errors.ConfigurationError(f"{cls!r} is not a task handler class")
                for method in cls.Methods:
                    if method in self.handlers:
                        raise errors.ConfigurationError(
                            f"method {method!r} has two handlers: {self.handlers[method].__name__} and {cls.__name__}"
                        )
                    self.handlers[method] = cls
