"""Throwaway private PostgreSQL server for tests.

Each PostgresServer runs its own cluster in a fresh /tmp directory on a free
loopback port with durability switched off, so tests get a real server that
is fast to start and leaves nothing behind. Because initdb and postgres refuse
to run as root, they are run as the ``postgres`` system user when we are root.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Self

ROLE = "kiln"
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
}


def _bindir() -> Path | None:
    """Highest installed Debian PostgreSQL version's bin dir, or None."""
    dirs = [Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin")]
    dirs = [d for d in dirs if d.parent.name.replace(".", "", 1).isdigit()]
    return max(dirs, key=lambda d: float(d.parent.name), default=None)


def _run_as() -> dict[str, Any]:
    """subprocess kwargs that drop root to `postgres` (initdb/postgres refuse root)."""
    if os.geteuid() != 0:
        return {}
    pw = pwd.getpwnam("postgres")
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def available() -> tuple[bool, str]:
    """Whether a server can be started here, with the reason if not (for pytest skips)."""
    if _bindir() is None:
        return False, "no PostgreSQL binaries under /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False, "running as root but there is no 'postgres' user to drop to"
    return True, ""


def free_port() -> int:
    """A currently unused loopback port (the OS picks one for a bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A private cluster; role `kiln` is a superuser, trusted from 127.0.0.1."""

    def __init__(self) -> None:
        self.port: int = 0
        self.tmpdir: Path | None = None
        self._bin = _bindir()

    @property
    def datadir(self) -> Path:
        assert self.tmpdir is not None, "server not started"
        return self.tmpdir / "data"

    def _pg(self, tool: str, *args: str) -> None:
        """Run a PostgreSQL binary (as `postgres` if root); raise with output and log tail."""
        assert self._bin is not None and self.tmpdir is not None
        cmd = [str(self._bin / tool), *args]
        res = subprocess.run(cmd, cwd=self.tmpdir, capture_output=True, text=True, check=False, **_run_as())
        if res.returncode != 0:
            log = self.tmpdir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({res.returncode}): {res.stdout}{res.stderr}{tail}")

    @classmethod
    def attach(cls, tmpdir: Path, port: int) -> Self:
        """The cluster another process started (a test run's shared one)."""
        server = cls()
        server.tmpdir, server.port = tmpdir, port
        return server

    def start(self, timeout: int = 30, owned_by_process: bool = True) -> Self:
        """initdb into a fresh /tmp dir, start with pg_ctl -w, create role kiln; returns self.

        A cluster owned by this process is stopped when it exits, so that a
        crashed run leaves no server behind; one shared by a test run's
        processes (``owned_by_process=False``) is stopped by the run.
        """
        if self._bin is None:
            raise RuntimeError(available()[1])
        self.tmpdir = Path(tempfile.mkdtemp(prefix="pgtest-", dir="/tmp"))
        if owned_by_process:
            atexit.register(self.stop)
        try:
            if os.geteuid() == 0:
                pw = pwd.getpwnam("postgres")
                os.chown(self.tmpdir, pw.pw_uid, pw.pw_gid)
            data, log = str(self.datadir), self.tmpdir / "server.log"
            self._pg("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
            (self.datadir / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
            conf = dict(_SETTINGS, unix_socket_directories=f"'{self.tmpdir}'")
            with open(self.datadir / "postgresql.conf", "a") as f:
                f.writelines(f"{k} = {v}\n" for k, v in conf.items())
            for attempt in range(3):  # someone may take the probed port before postgres binds it
                self.port = free_port()
                with open(self.datadir / "postgresql.conf", "a") as f:
                    f.write(f"port = {self.port}\n")  # the last setting in the file wins
                log.unlink(missing_ok=True)
                try:
                    self._pg("pg_ctl", "start", "-w", "-t", str(timeout), "-D", data, "-l", str(log))
                    break
                except RuntimeError as e:
                    if attempt == 2 or "already in use" not in str(e):
                        raise
            self._admin("CREATE ROLE {} SUPERUSER LOGIN", ROLE, user="postgres")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Immediate shutdown (the data is disposable) and remove the directory; idempotent."""
        atexit.unregister(self.stop)
        if self.tmpdir is None:
            return
        pidfile = self.datadir / "postmaster.pid"
        if pidfile.exists():
            try:
                self._pg("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.datadir))
            except RuntimeError:
                with contextlib.suppress(OSError, ValueError, IndexError):
                    os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.tmpdir = None

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server but keep its data directory and port, to start it again (an outage).

        ``fast`` ends the sessions the way a restart does (their clients read
        "terminating connection due to administrator command").
        """
        self._pg("pg_ctl", "stop", "-m", mode, "-w", "-D", str(self.datadir))

    def start_server(self, timeout: int = 30) -> None:
        """Start the stopped server again, on its data directory and port."""
        assert self.tmpdir is not None, "server not started"
        log = str(self.tmpdir / "server.log")
        self._pg("pg_ctl", "start", "-w", "-t", str(timeout), "-D", str(self.datadir), "-l", log)

    def restart(self, mode: str = "fast") -> None:
        """Stop and start the server: every client's session ends, the data stays."""
        self.stop_server(mode)
        self.start_server()

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL for `dbname` on this server, using the psycopg 3 driver."""
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, statement: str, *names: str, user: str = ROLE) -> None:
        """Run one DDL statement on db `postgres` with `names` quoted as identifiers."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(host="127.0.0.1", port=self.port, user=user, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql.SQL(statement).format(*map(sql.Identifier, names)))

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE `name` (needs autocommit), a copy of `template` if given; its SQLAlchemy URL."""
        if template is None:
            self._admin("CREATE DATABASE {}", name)
        else:
            self._admin("CREATE DATABASE {} TEMPLATE {}", name, template)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop `name` if present, disconnecting lingering sessions (WITH FORCE)."""
        self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
