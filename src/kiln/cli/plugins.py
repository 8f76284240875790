"""Finding and loading CLI plugins (the contract is :mod:`kiln.cli.hookspecs`).

Plugins are looked for only when they are needed: for ``kiln --help``, for
shell completion, and for a command that is not a built-in one.  A built-in
command never scans for them.

The scan reads the ``entry_points.txt`` of the installed distributions on
``sys.path`` itself rather than through ``importlib.metadata``, whose import
alone (it pulls in the email package) costs about as much as the rest of
``kiln --help``.  It finds what ``importlib.metadata.entry_points`` finds
for the group: the first distribution of a name on the path wins.

Each plugin is loaded and asked for its commands on its own: one that fails
to import, to register (pluggy checks hook names and arguments), or to
answer is one warning line on stderr and the others go on.
"""

from __future__ import annotations

import configparser
import os
import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any

ENTRY_POINT_GROUP = "kiln.cli_plugins"


@dataclass(frozen=True)
class PluginCommand:
    """A plugin's command, with the name of the plugin (its entry point) that added it."""

    plugin: str
    command: Any  # kiln.cli.hookspecs.Command; not imported here, to keep pluggy out of built-in runs


def _distribution_name(dirname: str) -> str:
    """``Foo_Bar-1.0.dist-info`` and ``foo.bar.egg-info`` are both distribution ``foo_bar``."""
    stem = dirname.rsplit(".", 1)[0].split("-", 1)[0]
    return re.sub(r"[-_.]+", "_", stem).lower()


def entry_points(group: str = ENTRY_POINT_GROUP) -> list[tuple[str, str]]:
    """``(name, "module:attr")`` of every entry point in ``group`` on ``sys.path``, in path order."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for dirname in names:
            if not dirname.endswith((".dist-info", ".egg-info")):
                continue
            distribution = _distribution_name(dirname)
            if distribution in seen:
                continue
            seen.add(distribution)
            path = os.path.join(entry or ".", dirname, "entry_points.txt")
            if not os.path.isfile(path):
                continue
            parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
            parser.optionxform = str  # type: ignore[assignment,method-assign]  # names are case-sensitive
            try:
                parser.read(path, encoding="utf-8")
            except (configparser.Error, UnicodeDecodeError):
                continue
            if parser.has_section(group):
                found += list(parser.items(group))
    return found


def _load(value: str) -> Any:
    """The object an entry point names: ``module`` or ``module:attr.attr`` (extras ignored)."""
    value = value.split("[", 1)[0].strip()
    module_name, _, attrs = value.partition(":")
    target: Any = import_module(module_name.strip())
    for attr in filter(None, attrs.strip().split(".")):
        target = getattr(target, attr)
    return target


def _warn(plugin: str, what: str, exc: BaseException | str) -> None:
    detail = exc if isinstance(exc, str) else f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    print(f"kiln: warning: CLI plugin {plugin} {what}: {detail}", file=sys.stderr)


@cache
def commands(builtins: frozenset[str] = frozenset()) -> dict[str, PluginCommand]:
    """Every installed plugin's commands by name; a name in ``builtins`` stays the built-in's."""
    import pluggy

    from kiln.cli import hookspecs

    manager = pluggy.PluginManager("kiln.cli")
    manager.add_hookspecs(hookspecs)
    for name, value in entry_points():
        try:
            manager.register(_load(value), name=name)
        except Exception as exc:
            _warn(name, "failed to load", exc)
    found: dict[str, PluginCommand] = {}
    for impl in manager.hook.kiln_cli_commands.get_hookimpls():
        plugin = impl.plugin_name
        try:
            offered = list(impl.function())
        except Exception as exc:
            _warn(plugin, "failed to list its commands", exc)
            continue
        for command in offered:
            if not isinstance(command, hookspecs.Command):
                _warn(plugin, "offered something that is not a Command", repr(command))
            elif command.name in builtins:
                _warn(plugin, f"cannot replace the built-in command {command.name}", "ignored")
            elif command.name in found:
                _warn(plugin, f"offers {command.name}, which plugin {found[command.name].plugin} has", "ignored")
            else:
                found[command.name] = PluginCommand(plugin, command)
    return found
