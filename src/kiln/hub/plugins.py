"""Loading hub plugins through entry points, enabled by name in the settings."""

from __future__ import annotations

from typing import Any

import pluggy

from kiln.hub import hookspecs
from kiln.plugin_loading import register_enabled

ENTRY_POINT_GROUP = "kiln.hub"


class Plugins:
    """The hub's plugin manager; ``hook`` calls every enabled plugin."""

    def __init__(self, names: list[str] | None = None, extra: list[Any] | None = None) -> None:
        self.manager = pluggy.PluginManager("kiln.hub")
        self.manager.add_hookspecs(hookspecs)
        register_enabled(self.manager, ENTRY_POINT_GROUP, names, "hub")
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
