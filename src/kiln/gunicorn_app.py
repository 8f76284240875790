"""Serving a WSGI application with gunicorn from kiln's own settings (the hub's and the web UI's servers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):
    """gunicorn with ``options`` (its setting names); ``build`` makes the application in each worker, after the fork.

    Every server gets ``control_socket_disable``: gunicorn's control socket
    defaults to one path per user, and several servers on one machine
    (tests, benchmarks, make run) would fight over it.
    """

    def __init__(self, options: dict[str, Any], build: Callable[[], Any]) -> None:
        self.options = {"accesslog": None, "control_socket_disable": True, **options}
        self.build = build
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # control_socket_disable is new in gunicorn 25
                self.cfg.set(key, value)

    def load(self) -> Any:
        return self.build()
