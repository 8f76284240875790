"""``kiln-web``: serve the web UI with gunicorn; every setting is an option too."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from kiln import settings_file
from kiln.protocol import errors
from kiln.web import config
from kiln.web.app import WebApp

DEFAULT_CONFIG = "/etc/kiln/web.conf"


class _Gunicorn(BaseApplication):
    def __init__(self, settings: config.WebSettings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": s.listen,
            "workers": s.workers,
            "worker_class": "gthread",
            "threads": 4,
            "accesslog": None,
            "errorlog": s.log_file or "-",
            "loglevel": s.log_level.lower(),
            "proc_name": "kiln-web",
            "control_socket_disable": True,
        }
        for key, value in options.items():
            if key in self.cfg.settings:  # control_socket_disable is new in gunicorn 25
                self.cfg.set(key, value)

    def load(self) -> WebApp:
        return WebApp(self.settings)


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
    _Gunicorn(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
