"""``kiln-web``: serve the web UI with gunicorn; every setting is an option too."""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from kiln import settings_file
from kiln.gunicorn_app import GunicornServer
from kiln.gunicorn_worker import worker_class
from kiln.protocol import errors
from kiln.web import config
from kiln.web.app import WebApp

DEFAULT_CONFIG = "/etc/kiln/web.conf"


def _options(s: config.WebSettings) -> dict[str, Any]:
    return {
        "bind": s.listen,
        "workers": s.workers,
        "worker_class": worker_class(),  # whole requests only: a stalled client holds no thread
        "threads": 4,
        "errorlog": s.log_file or "-",
        "loglevel": s.log_level.lower(),
        "proc_name": "kiln-web",
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiln-web",
        description="kiln's web UI (Koji's kojiweb): the hub's tasks, builds, tags and hosts at Koji's page "
        "addresses, under /koji/.",
        epilog=f"The config file is INI with a [kiln-web] section; default {DEFAULT_CONFIG} when it exists.",
    )
    parser.add_argument("-c", "--config", help="the config file")
    settings_file.add_options(parser, config.WebSettings)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_file.from_command_line(args, config.WebSettings, config.SECTIONS, DEFAULT_CONFIG)
    except errors.ConfigurationError as exc:
        print(f"kiln-web: {exc}", file=sys.stderr)
        return 2
    if not settings.secret and not settings.secret_file:  # one secret for every worker of this start
        settings.secret = secrets.token_hex(32)
    settings_file.setup_logging(settings.log_file, settings.log_level)  # a page's failure goes to the log
    GunicornServer(_options(settings), lambda: WebApp(settings)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
