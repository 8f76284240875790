"""``kiln-builder``: the build daemon's command line.

Every setting of ``config.BuilderSettings`` is an option here (``--poll-seconds``
for ``poll_seconds``), and overrides the config file.
"""

from __future__ import annotations

import argparse
import sys

from kiln import settings_file
from kiln.builder import config
from kiln.builder.daemon import Daemon
from kiln.protocol import errors

DEFAULT_CONFIG = "/etc/kiln/builder.conf"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiln-builder",
        description="kiln's build daemon (Koji's kojid): takes tasks from the hub and runs each in a process.",
        epilog=f"The config file is INI with a [kiln-builder] section (a kojid.conf's [kojid] works too); "
        f"default {DEFAULT_CONFIG} when it exists.",
    )
    parser.add_argument("-c", "--config", help="the config file")
    settings_file.add_options(parser, config.BuilderSettings)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_file.from_command_line(args, config.BuilderSettings, config.SECTIONS, DEFAULT_CONFIG)
        settings_file.setup_logging(settings.log_file, settings.log_level)
        Daemon(settings).run()
    except errors.ConfigurationError as exc:
        print(f"kiln-builder: {exc}", file=sys.stderr)
        return 2
    except errors.AuthError as exc:
        print(f"kiln-builder: the hub refused this host: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
