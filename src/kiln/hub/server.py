"""Serving the hub with gunicorn, configured from kiln's settings."""

from __future__ import annotations

import ctypes
import logging
import signal
from pathlib import Path
from typing import Any

from kiln.gunicorn_app import GunicornServer
from kiln.gunicorn_worker import worker_class
from kiln.hub.app import HubApp
from kiln.hub.config import Settings
from kiln.hub.db import migrate
from kiln.hub.db.engine import make_engine

log = logging.getLogger("kiln.hub")


def _options(s: Settings) -> dict[str, Any]:
    return {
        "bind": s.listen,
        "workers": s.workers,
        "threads": s.threads,
        # gthread's pool, fed only whole requests: a stalled client holds no thread.
        "worker_class": worker_class(s.header_timeout, s.body_timeout, s.max_request_length),
        "keepalive": 30,
        "timeout": 300,
        "graceful_timeout": 10,
        "errorlog": s.log_file or "-",
        "loglevel": "debug" if s.debug else s.log_level.lower(),
        "proc_name": "kiln-hub",
    }


def _worker_app(settings: Settings) -> HubApp:
    """The hub in one worker, built after the fork: engines and pools are per process."""
    _few_malloc_arenas()
    app = HubApp(settings)
    # gunicorn has set the worker's signal handlers by now.  On a graceful
    # stop, builders waiting in host.getTasks are answered at once rather
    # than holding the worker until the graceful timeout.
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: Any) -> None:
        app.wakeups.close()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_term)
    return app


def _few_malloc_arenas() -> None:
    """Cap glibc's malloc arenas in a worker.

    glibc gives threads arenas of their own (up to 8 per CPU) and keeps what
    they once held: a login's scrypt takes 16 MiB, so 128 threads logging in
    left a worker at 500 MiB where 2 arenas keep it under 100.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


_M_ARENA_MAX = -8


def serve(settings: Settings, migrate_first: bool = True) -> int:
    from kiln.hub.cli import setup_logging

    setup_logging(settings)
    # Koji's layout under topdir, as a Koji install makes /mnt/koji: kojid
    # refuses newRepo tasks while repos/ is missing ("No access to repos dir").
    for area in ("repos", "packages", "work"):
        (Path(settings.topdir) / area).mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db)
    if migrate_first:
        migrate.upgrade(engine)
    elif not migrate.is_current(engine):
        raise ValueError("the database schema is not current: run `kiln-hub migrate`")
    engine.dispose()
    # Fail here, not in every worker, when the app cannot be built.
    HubApp(settings).engine.dispose()
    log.warning("kiln hub listening on http://%s/kojihub", settings.listen)
    GunicornServer(_options(settings), lambda: _worker_app(settings)).run()
    return 0
