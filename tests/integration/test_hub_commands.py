"""kiln-hub: serve, migrate, add-admin, passwd; config file and defaults; logging."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest
import sqlalchemy as sa

from kiln.hub.db import migrate
from tests.support import forkserver
from tests.support.pgserver import free_port

KILN_HUB = str(Path(sys.executable).parent / "kiln-hub")


def run(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """``kiln-hub ARGS`` to its end, forked from the fork server (tests/support/forkserver.py)."""
    done = forkserver.run([KILN_HUB, *args], cwd=cwd, timeout=120)
    if check:
        done.check_returncode()
    return done


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "hub exited"
        try:
            xmlrpc.client.ServerProxy(url).getAPIVersion()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("hub did not start")


@contextlib.contextmanager
def serving(*args: str, cwd: Path | None = None, port: int | None = None) -> Iterator[str]:
    """``kiln-hub serve ARGS``; yields its URL, stops it after.

    Without ``port`` it listens on a free one; with it, ARGS (a config file)
    are expected to say so.
    """
    listen = [] if port else ["--listen", f"127.0.0.1:{(port := free_port())}"]
    proc = subprocess.Popen(
        [KILN_HUB, "serve", *args, *listen],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/kojihub"
    try:
        wait_for(url, proc)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def test_help_lists_every_subcommand():
    out = run("--help").stdout
    for command in ("serve", "migrate", "add-admin", "passwd"):
        assert command in out
    for command in ("serve", "migrate", "add-admin", "passwd"):
        sub = run(command, "--help").stdout
        assert "--db" in sub and "--topdir" in sub and "--config" in sub


@pytest.mark.slow
def test_serve_with_nothing_configured_uses_sqlite_under_the_state_dir(tmp_path):
    run("add-admin", "root", "--password", "pw", cwd=tmp_path)
    assert (tmp_path / ".kiln" / "kiln.db").is_file()
    with serving(cwd=tmp_path) as url:
        session = koji.ClientSession(url)
        session.opts.update(user="root", password="pw")
        session.login()
        assert session.getLoggedInUser()["name"] == "root"
        assert (tmp_path / ".kiln" / "topdir").is_dir()


def test_migrate_creates_and_is_idempotent(db_url):
    first = run("migrate", "--db", db_url).stdout
    head = migrate.head()
    assert f"schema empty -> {head}" in first
    second = run("migrate", "--db", db_url).stdout
    assert f"schema {head} -> {head}" in second
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        perms = conn.execute(sa.text("SELECT name FROM permissions ORDER BY id")).scalars().all()
        channels = conn.execute(sa.text("SELECT name FROM channels ORDER BY id")).scalars().all()
    engine.dispose()
    assert perms[0] == "admin" and "draft-promoter" in perms and len(perms) == 15
    assert channels[:2] == ["default", "createrepo"] and len(channels) == 8


@pytest.mark.slow
def test_add_admin_and_passwd_for_users_and_hosts(tmp_path):
    db = f"sqlite:///{tmp_path}/k.db"
    run("add-admin", "boss", "--password", "one", "--db", db)
    run("add-admin", "boss", "--password", "two", "--db", db)  # again: updates, stays admin
    failed = run("passwd", "nobody", "--password", "x", "--db", db, check=False)
    assert failed.returncode == 1 and "No such user: 'nobody'" in failed.stderr
    with serving("--db", db, "--topdir", str(tmp_path / "top")) as url:
        boss = koji.ClientSession(url, opts={"user": "boss", "password": "two"})
        boss.login()
        assert boss.getPerms() == ["admin"]
        boss.addHost("builder-1", ["x86_64"])
        run("passwd", "builder-1", "--password", "hostpw", "--db", db)
        host = koji.ClientSession(url, opts={"user": "builder-1", "password": "hostpw"})
        host.login()
        host.exclusiveSession()
        assert host.host.getID() == boss.getHost("builder-1")["id"]


@pytest.mark.slow
def test_config_file_and_logging(tmp_path):
    port = free_port()
    log_file = tmp_path / "hub.log"
    config = tmp_path / "hub.conf"
    config.write_text(
        "[hub]\n"
        f"db = sqlite:///{tmp_path}/conf.db\n"
        f"topdir = {tmp_path}/topdir\n"
        f"listen = 127.0.0.1:{port}\n"
        "workers = 1\n"
        f"log_file = {log_file}\n"
        "log_level = INFO\n"
        "debug = true\n"
    )
    run("add-admin", "admin", "--password", "pw", "--config", str(config))
    with serving("--config", str(config), port=port) as url:
        koji.ClientSession(url).getAPIVersion()
    text = log_file.read_text()
    assert "kiln hub listening" in text
    assert "getAPIVersion took" in text  # debug switch: per-call timing at DEBUG level
    assert (tmp_path / "topdir").is_dir()


def test_bad_config_is_a_clear_error(tmp_path):
    config = tmp_path / "hub.conf"
    config.write_text("[hub]\nlisten_on = 1.2.3.4:5\n")
    result = run("migrate", "--config", str(config), check=False)
    assert result.returncode == 1
    assert "unknown setting 'listen_on'" in result.stderr
    missing = run("migrate", "--config", str(tmp_path / "nope.conf"), check=False)
    assert missing.returncode == 1 and "config file not found" in missing.stderr


def test_serve_refuses_an_old_schema_with_no_migrate(tmp_path):
    result = run("serve", "--db", f"sqlite:///{tmp_path}/empty.db", "--no-migrate", check=False)
    assert result.returncode == 1
    assert "kiln-hub migrate" in result.stderr


def test_migration_matches_the_table_definitions(db_url):
    """The migrations produce exactly the schema tables.py describes."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kiln.hub.db import migrate
    from kiln.hub.db.engine import make_engine
    from kiln.hub.db.tables import metadata

    engine = make_engine(db_url)
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []
