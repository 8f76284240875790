"""The ``kiln`` command: global options, then one module per area of commands."""

from kiln.cli.main import main

__all__ = ["main"]
