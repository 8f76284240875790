"""A real hub process on a free loopback port, for integration tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

from tests.support.pgserver import free_port

BIN = Path(sys.executable).parent
ADMIN = ("admin", "admin-secret")
# log2 of scrypt's N for the test hubs' passwords: 2**10 takes 5 ms where the
# default 2**14 takes 80, paid by every login and every password set.  The
# default cost is tested in tests/unit/test_hub_pieces.py.
TEST_PASSWORD_COST = 10


def stop_group(proc: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM to a still running process's group (it started its own session), SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class HubProcess:
    """``kiln-hub serve`` over a given database, with an admin account ready."""

    def __init__(
        self,
        db_url: str,
        settings: dict[str, Any] | None = None,
        workers: int = 2,
        prepared: bool = False,
        topdir: Path | None = None,
    ) -> None:
        """``prepared``: the database is migrated and has the ``ADMIN`` account (a template's copy).

        ``topdir``: a topdir shared with other hubs of one site (tests/support/site.py); by default one of its own.
        """
        self.db_url = db_url
        self.prepared = prepared
        self.dir = Path(tempfile.mkdtemp(prefix="kiln-hub-"))
        self.topdir = topdir or self.dir / "topdir"
        self.port = free_port()
        self.settings = {
            "workers": workers,
            "log_file": str(self.dir / "hub.log"),
            "log_level": "INFO",
            "password_cost": TEST_PASSWORD_COST,
        }
        self.settings.update(settings or {})
        self.proc: Any = None  # forkserver.Spawned: used as a subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/kojihub"

    @property
    def config_path(self) -> Path:
        return self.dir / "hub.conf"

    def _write_config(self) -> None:
        lines = ["[hub]", f"db = {self.db_url}", f"topdir = {self.topdir}", f"listen = 127.0.0.1:{self.port}"]
        policies = self.settings.get("policy") or {}
        for key, value in self.settings.items():
            if key == "policy":
                continue
            if isinstance(value, (list, tuple)):
                value = " ".join(value)
            lines.append(f"{key} = {value}")
        if policies:
            lines.append("[policy]")
            for name, rules in policies.items():
                lines.append(f"{name} =")
                lines += [f"    {rule}" for rule in rules]
        self.config_path.write_text("\n".join(lines) + "\n")

    def admin_command(self, *args: str) -> subprocess.CompletedProcess:
        """``kiln-hub ARGS --config HUB.CONF`` run to its end (forked from the fork server); raises on failure."""
        from tests.support import forkserver

        argv = [str(BIN / "kiln-hub"), *args, "--config", str(self.config_path)]
        done = forkserver.run(argv, timeout=120)
        done.check_returncode()
        return done

    def start(self) -> HubProcess:
        self._write_config()
        if not self.prepared:
            self.admin_command("add-admin", ADMIN[0], "--password", ADMIN[1])
        self._serve("wb")
        return self

    def _serve(self, mode: str) -> None:
        """``kiln-hub serve``, forked from the fork server (tests/support/forkserver.py) in a session of its own."""
        from tests.support import forkserver

        with open(self.dir / "serve.err", mode) as stderr:
            self.proc = forkserver.spawn(
                [str(BIN / "kiln-hub"), "serve", "--config", str(self.config_path)], stderr=stderr.fileno()
            )
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        proxy = xmlrpc.client.ServerProxy(self.url)
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"hub exited: {self.log_text()}")
            try:
                proxy.getAPIVersion()
                return
            except (OSError, xmlrpc.client.ProtocolError):
                time.sleep(0.1)
        raise RuntimeError(f"hub did not come up in {timeout}s: {self.log_text()}")

    def log_text(self) -> str:
        parts = []
        for name in ("serve.err", "hub.log"):
            path = self.dir / name
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def stop(self) -> None:
        """A graceful stop, as an operator's: SIGTERM, then SIGKILL if it lingers."""
        if self.proc is not None:
            stop_group(self.proc)
        self.proc = None

    def kill(self) -> None:
        """The end of a fixture: SIGKILL to the hub's group at once.

        Nothing is checked after it, and a graceful stop costs gunicorn one to
        three seconds (its arbiter and idle keep-alive connections); the tests
        of graceful stops call ``stop``.
        """
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self._serve("ab")

    def start_again(self) -> None:
        """After ``stop`` or ``kill``: serve again on the same port and database, with ``settings`` as they are now."""
        self._write_config()
        self._serve("ab")
