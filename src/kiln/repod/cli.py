"""``kiln-repod``: the repo daemon's command line; every setting is an option too."""

from __future__ import annotations

import argparse
import sys

from kiln import settings_file
from kiln.protocol import errors
from kiln.repod import config
from kiln.repod.daemon import RepoDaemon

DEFAULT_CONFIG = "/etc/kiln/repod.conf"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiln-repod",
        description="kiln's repo daemon (Koji's kojira): regenerates build tags' repos after changes, "
        "expires and deletes old repos, expires stale build roots.",
        epilog=f"The config file is INI with a [kiln-repod] section (a kojira.conf's [kojira] works too); "
        f"default {DEFAULT_CONFIG} when it exists.",
    )
    parser.add_argument("-c", "--config", help="the config file")
    parser.add_argument("--once", action="store_true", help="one pass over tags and repos, then exit")
    settings_file.add_options(parser, config.RepodSettings)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_file.from_command_line(args, config.RepodSettings, config.SECTIONS, DEFAULT_CONFIG)
        settings_file.setup_logging(settings.log_file, settings.log_level)
        daemon = RepoDaemon(settings)
        if args.once:
            daemon.login()
            daemon.check_tags()
            daemon.clean()
        else:
            daemon.run()
    except errors.ConfigurationError as exc:
        print(f"kiln-repod: {exc}", file=sys.stderr)
        return 2
    except errors.AuthError as exc:
        print(f"kiln-repod: the hub refused the login: {exc}", file=sys.stderr)
        return 1
    except errors.GenericError as exc:  # e.g. an account without the repo permission
        print(f"kiln-repod: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
