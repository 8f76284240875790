"""``kiln-hub``: serve the hub, migrate its database, provision accounts.

No RPC sets passwords (as in Koji); ``add-admin`` and ``passwd`` are the
out-of-band way, run on the hub's machine with access to its database.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from kiln import __version__
from kiln.hub import config
from kiln.hub.config import Settings
from kiln.hub.context import Context
from kiln.hub.db import migrate
from kiln.hub.db.engine import make_engine
from kiln.hub.domain import users
from kiln.hub.plugins import Plugins
from kiln.protocol import errors


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", help="INI file with a [hub] section (default: $KILN_HUB_CONFIG or /etc/kiln/hub.conf)"
    )
    parser.add_argument("--db", help="database URL: sqlite:///PATH or postgresql://USER@HOST/DB")
    parser.add_argument("--topdir", help="the file tree for work/, packages/ and repos/")
    parser.add_argument("--state-dir", dest="state_dir", help="where defaults live (default ./.kiln)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiln-hub", description="The kiln hub: a Koji-compatible XML-RPC server.")
    parser.add_argument("--version", action="version", version=f"kiln-hub {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the hub with gunicorn")
    _common(serve)
    serve.add_argument("--listen", help="HOST:PORT to bind (default 127.0.0.1:8080)")
    serve.add_argument("--workers", type=int, help="worker processes (default 2)")
    serve.add_argument("--threads", type=int, help="threads per worker (default 128; 1: sync workers, no long polls)")
    serve.add_argument("--log-file", dest="log_file", help="log file (default: stderr)")
    serve.add_argument("--log-level", dest="log_level", help="DEBUG, INFO, WARNING or ERROR")
    serve.add_argument("--debug", action="store_const", const=True, help="log at DEBUG level")
    serve.add_argument("--plugin", dest="plugins", action="append", help="enable a hub plugin (repeatable)")
    serve.add_argument(
        "--web-ui", dest="web_ui", action="store_const", const=True, help="serve the web UI at /koji/ too"
    )
    serve.add_argument(
        "--no-migrate", action="store_true", help="refuse to start on an old schema instead of upgrading it"
    )

    mig = sub.add_parser("migrate", help="create the schema or upgrade it to the current one")
    _common(mig)

    admin = sub.add_parser("add-admin", help="create (or update) a user with admin permission")
    _common(admin)
    admin.add_argument("name")
    admin.add_argument("--password", required=True)

    passwd = sub.add_parser("passwd", help="set the password of a user or host account")
    _common(passwd)
    passwd.add_argument("name")
    passwd.add_argument("--password", required=True)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    keys = ("db", "topdir", "state_dir", "listen", "workers", "threads", "log_file", "log_level", "debug", "plugins")
    keys += ("web_ui",)
    overrides = {k: getattr(args, k, None) for k in keys}
    return config.load(args.config, overrides)


def setup_logging(settings: Settings) -> None:
    level = logging.DEBUG if settings.debug else getattr(logging, settings.log_level.upper(), logging.WARNING)
    handler: logging.Handler = (
        logging.FileHandler(settings.log_file) if settings.log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class OfflineContext:
    """A Context outside any request, committed on success (for admin commands)."""

    def __init__(self, settings: Settings) -> None:
        self.ctx = Context(make_engine(settings.db), settings, Plugins(settings.plugins))
        self.ctx.write = True

    def __enter__(self) -> Context:
        return self.ctx

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.ctx.finish(commit=exc_type is None)
        self.ctx.engine.dispose()


def cmd_migrate(settings: Settings) -> int:
    engine = make_engine(settings.db)
    before = migrate.current(engine)
    migrate.upgrade(engine)
    after = migrate.current(engine)
    print(f"database {_safe_url(settings.db)}: schema {before or 'empty'} -> {after}")
    engine.dispose()
    return 0


def cmd_add_admin(settings: Settings, name: str, password: str) -> int:
    migrate.upgrade(make_engine(settings.db))
    with OfflineContext(settings) as ctx:
        if users.find(ctx, name) is None:
            users.create(ctx, name, password=password)
        else:
            users.set_password(ctx, name, password)
        if "admin" not in users.perms_of(ctx, users.find(ctx, name, strict=True)["id"]):
            users.grant(ctx, name, "admin")
    print(f"admin {name} ready")
    return 0


def cmd_passwd(settings: Settings, name: str, password: str) -> int:
    with OfflineContext(settings) as ctx:
        users.set_password(ctx, name, password)
    print(f"password set for {name}")
    return 0


def _safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
        if args.command == "serve":
            from kiln.hub.server import serve

            return serve(settings, migrate_first=not args.no_migrate)
        if args.command == "migrate":
            return cmd_migrate(settings)
        if args.command == "add-admin":
            return cmd_add_admin(settings, args.name, args.password)
        if args.command == "passwd":
            return cmd_passwd(settings, args.name, args.password)
    except (errors.GenericError, ValueError, FileNotFoundError) as exc:
        print(f"kiln-hub: error: {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
