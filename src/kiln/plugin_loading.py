"""Enabling plugins by name from their entry points: the one loader the hub and the builder share."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

import pluggy

from kiln.protocol import errors

log = logging.getLogger(__name__)


def register_enabled(manager: pluggy.PluginManager, group: str, names: list[str] | None, what: str) -> None:
    """Register each named plugin of entry-point ``group``; an unknown name is a configuration error.

    ``what`` names the kind in messages ("hub", "builder").  pluggy checks the
    hooks' argument names as each registers, so a wrong plugin fails here.
    """
    available = {ep.name: ep for ep in entry_points(group=group)}
    for name in names or []:
        if name not in available:
            raise errors.ConfigurationError(
                f"{what} plugin {name!r} is not installed (entry points in group "
                f"{group!r}: {', '.join(sorted(available)) or 'none'})"
            )
        manager.register(available[name].load(), name=name)
        log.info("loaded %s plugin %s", what, name)
