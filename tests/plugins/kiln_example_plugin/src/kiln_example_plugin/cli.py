"""CLI side: a command added to ``kiln`` (installed is enabled: the ``kiln.cli_plugins`` entry point).

The module imports only the contract; what the handler needs, it imports
when it runs, because ``kiln --help`` loads this module to list the command.
"""

from __future__ import annotations

import argparse

from kiln.cli.hookspecs import Command, hookimpl


def handle_example_hello(ctx) -> int:
    """Greet the logged-in user (or the anonymous one) and name the hub's API version."""
    from kiln.cli.context import UsageError

    if not ctx.options.greeting.strip():
        raise UsageError("the greeting cannot be empty")
    session = ctx.login_session()
    user = session.getLoggedInUser()
    name = user["name"] if user else "anonymous user"
    print(f"{ctx.options.greeting}, {name}, from the example plugin (hub API version {session.getAPIVersion()})")
    return 0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--greeting", default="Hello", help="the word to greet with (default: %(default)s)")


@hookimpl
def kiln_cli_commands() -> list[Command]:
    return [Command("example-hello", "Greet the caller from the example plugin", handle_example_hello, _arguments)]
