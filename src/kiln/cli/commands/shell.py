"""The shell area: ``completion``, the bash and zsh completion scripts (see :mod:`kiln.cli.completion`)."""

from __future__ import annotations

from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import Context


def handle_completion(ctx: Context) -> int:
    """Print the script; it asks ``kiln __complete`` for the candidates at each Tab."""
    from kiln.cli.completion import SCRIPTS

    print(SCRIPTS[ctx.options.shell], end="")
    return 0


def register(subparsers: Any) -> None:
    """Add the shell commands."""
    completion = add_command(
        subparsers,
        "completion",
        handle_completion,
        description="Print the shell completion script: source <(kiln completion bash) in ~/.bashrc, "
        "or source <(kiln completion zsh) in ~/.zshrc after compinit.",
    )
    completion.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")
