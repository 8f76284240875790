"""The ``kiln`` command's whole plugin contract.

A CLI plugin is a module with functions named like these specs, marked with
``kiln.cli.hookspecs.hookimpl``, and registered under the
``kiln.cli_plugins`` entry-point group; installing it is enough, there is
nothing to enable.  Its commands are run like the built-in ones: global
options before the command, the handler gets a :class:`kiln.cli.context.Context`
and raises its ``UsageError``/``CommandError``.  ::

    # pyproject.toml
    [project.entry-points."kiln.cli_plugins"]
    mysite = "mysite_kiln.cli"

    # mysite_kiln/cli.py
    from kiln.cli.hookspecs import Command, hookimpl

    def handle_site_report(ctx):
        print(ctx.session().getAPIVersion())

    @hookimpl
    def kiln_cli_commands():
        return [Command("site-report", "Print the site's report", handle_site_report)]

Keep the module light (import what the handler needs inside the handler):
``kiln --help`` loads every plugin to list its commands.  A built-in
command's name cannot be taken over; a plugin that fails to load costs one
warning line, not the run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("kiln.cli")
hookimpl = pluggy.HookimplMarker("kiln.cli")


@dataclass(frozen=True)
class Command:
    """One command a plugin adds.

    ``name`` and ``summary`` are what ``kiln --help`` lists; ``handler(ctx)``
    runs it and returns the exit status (None is 0); ``arguments(parser)``,
    when given, adds the command's own options and arguments to its
    ``argparse`` parser, whose values the handler finds in ``ctx.options``.
    """

    name: str
    summary: str
    handler: Callable[[Any], int | None]
    arguments: Callable[[argparse.ArgumentParser], None] | None = None


@hookspec
def kiln_cli_commands() -> list[Command]:
    """The commands this plugin adds to ``kiln``, as :class:`Command` objects."""
