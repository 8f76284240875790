"""Databases for test hubs: one PostgreSQL cluster per test run, and hub databases copied from a template.

Making a hub database from nothing means running every migration and
creating the admin account, a second or more per hub.  The run does it once
per engine: a SQLite file and a PostgreSQL database, both migrated with the
admin account in them, and each hub gets a copy (a file copy; ``CREATE
DATABASE ... TEMPLATE``).  Tests that test the migrations themselves still
get empty databases (``empty_url``).

How the xdist workers agree: they share the run's base temporary directory
(pytest's ``basetemp``, the parent of each worker's own).  Whoever needs the
cluster or a template first makes it while holding an ``flock`` on a file
there and records it in that directory; the others wait on the lock and then
read the record.  The cluster belongs to the run, not to the worker that
happened to start it: the controlling process (the one without a worker id)
stops it in ``pytest_sessionfinish``, after every worker has finished.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import pgserver
from tests.support.hub import ADMIN, BIN, TEST_PASSWORD_COST

TEMPLATE = "kiln_template"


def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory every process of this run shares."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _prepare(url: str, root: Path) -> None:
    """Migrate ``url`` and give it the tests' admin account (its password hashed at the test hubs' cost)."""
    config = root / f"template-{uuid.uuid4().hex[:8]}.conf"
    config.write_text(f"[hub]\ndb = {url}\npassword_cost = {TEST_PASSWORD_COST}\n")
    subprocess.run(
        [str(BIN / "kiln-hub"), "add-admin", ADMIN[0], "--password", ADMIN[1], "--config", str(config)],
        capture_output=True,
        text=True,
        check=True,
    )


class Databases:
    """This run's PostgreSQL cluster and templates, made on first use by whichever process asks first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._postgres: pgserver.PostgresServer | None = None
        self._sqlite_template: Path | None = None

    @property
    def _record(self) -> Path:
        return self.root / "postgres.json"

    def postgres(self) -> pgserver.PostgresServer:
        if self._postgres is None:
            with locked(self.root / "postgres.lock"):
                if self._record.exists():
                    state = json.loads(self._record.read_text())
                    self._postgres = pgserver.PostgresServer.attach(Path(state["tmpdir"]), state["port"])
                else:
                    server = pgserver.PostgresServer().start(owned_by_process=False)
                    _prepare(server.create_database(TEMPLATE), self.root)
                    self._record.write_text(json.dumps({"tmpdir": str(server.tmpdir), "port": server.port}))
                    self._postgres = server
        return self._postgres

    def sqlite_template(self) -> Path:
        if self._sqlite_template is None:
            path = self.root / "template.db"
            with locked(self.root / "sqlite.lock"):
                if not path.exists():
                    partial = self.root / "template.db.part"
                    _prepare(f"sqlite:///{partial}", self.root)
                    partial.rename(path)
            self._sqlite_template = path
        return self._sqlite_template

    def empty_url(self, backend: str, tmp: Path) -> str:
        """A database with nothing in it."""
        if backend == "sqlite":
            return f"sqlite:///{tmp}/kiln-{uuid.uuid4().hex[:8]}.db"
        return self.postgres().create_database(f"kiln_{uuid.uuid4().hex[:12]}")

    def hub_url(self, backend: str, tmp: Path) -> str:
        """A database at the current schema with the admin account (``ADMIN``) in it."""
        if backend == "sqlite":
            tmp.mkdir(parents=True, exist_ok=True)
            path = tmp / f"kiln-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(self.sqlite_template(), path)
            return f"sqlite:///{path}"
        return self.postgres().create_database(f"kiln_{uuid.uuid4().hex[:12]}", template=TEMPLATE)


def stop_run_cluster(root: Path) -> None:
    """Stop the run's cluster if one was started (the controlling process, at the end of the run)."""
    record = root / "postgres.json"
    if record.exists():
        state = json.loads(record.read_text())
        pgserver.PostgresServer.attach(Path(state["tmpdir"]), state["port"]).stop()
        record.unlink()
