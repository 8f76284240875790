"""Loading hub plugins through entry points, enabled by name in the settings."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import Any

import pluggy

from kiln.hub import hookspecs
from kiln.protocol import errors

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "kiln.hub"


class Plugins:
    """The hub's plugin manager; ``hook`` calls every enabled plugin."""

    def __init__(self, names: list[str] | None = None, extra: list[Any] | None = None) -> None:
        self.manager = pluggy.PluginManager("kiln.hub")
        self.manager.add_hookspecs(hookspecs)
        available = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
        for name in names or []:
            if name not in available:
                raise errors.ConfigurationError(
                    f"hub plugin {name!r} is not installed (entry points in group "
                    f"{ENTRY_POINT_GROUP!r}: {', '.join(sorted(available)) or 'none'})"
                )
            self.manager.register(available[name].load(), name=name)
            log.info("loaded hub plugin %s", name)
        for plugin in extra or []:
            self.manager.register(plugin)
        self.hook = self.manager.hook
        # The per-call hooks run on every call: skip them when nobody listens.
        self.watches_calls = bool(
            self.hook.kiln_hub_pre_call.get_hookimpls() or self.hook.kiln_hub_post_call.get_hookimpls()
        )

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.manager.list_name_plugin()]
