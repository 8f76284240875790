"""PostgreSQL going away and coming back under a running hub.

While the database cannot be reached every call answers Koji's ServerOffline
(fault 1014) at once, without the database's address; when it is back the
same hub answers again, with no restart: dead kept connections are replaced
and the wakeup listener listens again.  The tests stop and start a
PostgreSQL server of their own, never the run's shared cluster.  SQLite has
no outage of this kind.
"""

from __future__ import annotations

import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import koji
import psycopg
import pytest
import requests

from kiln.hub.app import HubApp
from kiln.hub.config import Settings
from kiln.hub.wakeups import CHANNEL, Wakeups
from tests.conftest import koji_session, unique
from tests.support import pgserver
from tests.support.hub import ADMIN, HubProcess

pytestmark = pytest.mark.slow  # a PostgreSQL server of its own, stopped and started again

WORKERS = 3
# Enough calls, from enough threads at once on fresh connections, that every worker answers some.
THREADS = 4
CALLS = 24
LISTENER_NAME = "kiln-outage-listener"


@pytest.fixture(scope="module")
def server():
    ok, why = pgserver.available()
    if not ok:
        pytest.skip(why)
    with pgserver.PostgresServer() as server:
        server.create_database("kiln")
        yield server


@pytest.fixture(scope="module")
def hub(server):
    url = server.url("kiln")
    hub = HubProcess(url, workers=WORKERS, settings={"listen_db": f"{url}?application_name={LISTENER_NAME}"})
    hub.start()
    yield hub
    hub.kill()


@pytest.fixture(autouse=True)
def database_up(server):
    yield
    if not (server.datadir / "postmaster.pid").exists():  # a failed test left it stopped
        server.start_server()


def health(hub) -> requests.Response:
    return requests.get(hub.url.removesuffix("/kojihub") + "/healthz", timeout=10)


def anonymous_call(hub):
    """A read on a fresh connection (so on whichever worker takes it): the user list."""
    return xmlrpc.client.ServerProxy(hub.url).getUser(ADMIN[0])["name"]


def logged_in_call(session: koji.ClientSession):
    """A logged-in read (the session check first) on a fresh connection."""
    session.new_session()
    return session.getLoggedInUser()["name"]


def write_call(session: koji.ClientSession):
    session.new_session()
    name = unique("outage")
    session.createUser(name)
    return name


def run_many(func, targets: list) -> list:
    """``func(target)`` CALLS times in all, each target in a thread of its own (a koji session is
    not for two threads); each result, or the exception it raised."""

    def some(target):
        results = []
        for _ in range(CALLS // len(targets)):
            try:
                results.append(func(target))
            except Exception as exc:
                results.append(exc)
        return results

    with ThreadPoolExecutor(len(targets)) as pool:
        return [result for results in pool.map(some, targets) for result in results]


def admins(hub) -> list[koji.ClientSession]:
    return [koji_session(hub, *ADMIN) for _ in range(THREADS)]


def assert_all_fine(hub, sessions):
    assert run_many(anonymous_call, [hub] * THREADS) == [ADMIN[0]] * CALLS
    assert run_many(logged_in_call, sessions) == [ADMIN[0]] * CALLS
    names = run_many(write_call, sessions)
    assert all(isinstance(name, str) for name in names), names
    assert health(hub).status_code == 200


def assert_offline(exc: BaseException, server) -> None:
    if isinstance(exc, xmlrpc.client.Fault):
        code, text = exc.faultCode, exc.faultString
    else:
        assert isinstance(exc, koji.ServerOffline), repr(exc)
        code, text = 1014, str(exc)
    assert code == 1014
    assert "not available" in text
    for secret in (str(server.port), "127.0.0.1", "psycopg", "kiln@"):
        assert secret not in text


def test_calls_answer_server_offline_while_the_database_is_down_and_recover(hub, server):
    sessions = admins(hub)
    assert_all_fine(hub, sessions)

    server.stop_server()
    for func, targets in ((anonymous_call, [hub] * THREADS), (logged_in_call, sessions), (write_call, sessions)):
        started = time.monotonic()
        results = run_many(func, targets)
        assert time.monotonic() - started < 10  # each call answers at once, not after a connect timeout
        for exc in results:
            assert_offline(exc, server)
    # A multicall's calls share its connection: the whole request is offline, not each call an internal error.
    with pytest.raises(xmlrpc.client.Fault) as multicall:
        proxy = xmlrpc.client.ServerProxy(hub.url)
        proxy.system.multicall([{"methodName": "getUser", "params": [ADMIN[0]]}])
    assert_offline(multicall.value, server)
    reply = health(hub)
    assert reply.status_code == 503
    assert reply.json()["status"] == "unavailable"
    assert str(server.port) not in reply.text
    assert xmlrpc.client.ServerProxy(hub.url).getAPIVersion() == 1  # the hub itself still answers

    server.start_server()
    # Back at once, on the same hub processes: every call after the restart succeeds.
    assert_all_fine(hub, sessions)
    assert hub.proc.poll() is None


def test_a_restart_between_calls_goes_unnoticed(hub, server):
    """Kept connections that died while idle are replaced: the next calls succeed, the first included."""
    sessions = admins(hub)
    assert_all_fine(hub, sessions)
    server.restart()
    assert_all_fine(hub, sessions)


def test_connections_terminated_by_the_server_are_replaced(hub, server):
    sessions = admins(hub)
    assert_all_fine(hub, sessions)
    with psycopg.connect(server.url("kiln").replace("+psycopg", ""), autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = 'kiln' AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed > 0
    assert_all_fine(hub, sessions)
    # A fresh login (a write, as a first call on a new connection) works too.
    assert koji_session(hub, *ADMIN).getLoggedInUser()["name"] == ADMIN[0]


def _listening(server, name: str) -> bool:
    with psycopg.connect(server.url("kiln").replace("+psycopg", ""), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND query LIKE 'LISTEN%%'", (name,)
        ).fetchone()
    return row[0] > 0


def _wait_listening(server, name: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not _listening(server, name):
        assert time.monotonic() < deadline, f"{name} is not listening"
        time.sleep(0.05)
    time.sleep(0.2)  # past the wakeup it gives itself on (re)connecting


def test_the_wakeup_listener_listens_again_after_a_restart(server):
    url = server.url("kiln")
    name = unique("listener")
    wakeups = Wakeups(url, max_waiters=4, listen_url=f"{url}?application_name={name}")
    try:
        wakeups.wait(wakeups.seq(), 0.01)  # the first waiter starts the listener
        _wait_listening(server, name)
        for round_ in range(2):
            seq = wakeups.seq()
            with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute(f"NOTIFY {CHANNEL}")
            assert wakeups.wait(seq, 10) is True, f"round {round_}: no wakeup"
            if round_ == 0:
                server.restart()
                _wait_listening(server, name)
    finally:
        wakeups.close()


def test_listen_db_names_the_listeners_database(server, tmp_path):
    url = server.url("kiln")
    settings = Settings(db=url, listen_db=f"{url}?application_name=other", topdir=str(tmp_path)).resolved()
    app = HubApp(settings)
    try:
        assert app.wakeups.listen_url.endswith("application_name=other")
        assert HubApp(Settings(db=url, topdir=str(tmp_path)).resolved()).wakeups.listen_url == url
    finally:
        app.engine.dispose()


def test_the_hubs_listener_uses_listen_db(hub, server):
    """The module's hub listens through ``listen_db`` once a builder waits for work."""
    admin = koji_session(hub, *ADMIN)
    host = unique("builder")
    admin.addHost(host, ["x86_64"])
    hub.admin_command("passwd", host, "--password", "hostpw")
    builder = koji_session(hub, host, "hostpw")
    builder.exclusiveSession()
    builder.host.updateHost(0.0, True)
    # Long polls on a few fresh connections: some worker starts its listener.
    for _ in range(WORKERS * 2):
        builder.new_session()
        builder.host.getTasks(timeout=0.2)
        if _listening(server, LISTENER_NAME):
            break
    assert _listening(server, LISTENER_NAME)
