"""``kiln-builder``: the build daemon's command line.

Every setting of ``config.BuilderSettings`` is an option here (``--poll-seconds``
for ``poll_seconds``), and overrides the config file.
"""

from __future__ import annotations

import argparse
import logging
import sys

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
    for name, spec in config.FIELDS.items():
        flag = "--" + name.replace("_", "-")
        helptext = spec.metadata.get("help", "")
        if spec.type == "bool":
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=helptext)
        elif spec.type == "list[str]":
            parser.add_argument(flag, dest=name, nargs="*", default=None, help=helptext)
        else:
            kind = float if spec.type == "float" else str
            parser.add_argument(flag, dest=name, type=kind, default=None, help=helptext)
    return parser


def setup_logging(settings: config.BuilderSettings) -> None:
    handler: logging.Handler = logging.FileHandler(settings.log_file) if settings.log_file else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    logging.getLogger("urllib3").setLevel(logging.WARNING)  # a line per request drowns the daemon's own


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    path = args.config
    if path is None:
        import os

        path = DEFAULT_CONFIG if os.path.exists(DEFAULT_CONFIG) else None
    overrides = {name: getattr(args, name) for name in config.FIELDS}
    try:
        settings = config.load(path, overrides)
        setup_logging(settings)
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
