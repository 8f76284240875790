"""Fixtures: real hub processes over real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import collections
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from tests.support import pgserver
from tests.support.databases import Databases, run_root, stop_run_cluster
from tests.support.hub import ADMIN, HubProcess

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Databases:
    """This run's PostgreSQL cluster and template databases (tests/support/databases.py)."""
    return Databases(run_root(tmp_path_factory))


@pytest.fixture(scope="session")
def postgres(databases: Databases) -> pgserver.PostgresServer:
    """The run's PostgreSQL cluster, shared by every xdist worker."""
    ok, why = pgserver.available()
    if not ok:
        if os.environ.get("KILN_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but unavailable: {why}")
        pytest.skip(why)
    return databases.postgres()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # the controlling process: every worker is done
        stop_run_cluster(run_root(session.config._tmp_path_factory))


def _databases(backend: str, request: pytest.FixtureRequest) -> Databases:
    if backend != "sqlite":
        request.getfixturevalue("postgres")  # skips (or fails) where there is no PostgreSQL
    return request.getfixturevalue("databases")


def new_db_url(backend: str, request: pytest.FixtureRequest, tmp: Path) -> str:
    """A fresh, empty database of the given backend."""
    return _databases(backend, request).empty_url(backend, tmp)


def hub_db_url(backend: str, request: pytest.FixtureRequest, tmp: Path) -> str:
    """A fresh database at the current schema with the ``ADMIN`` account: a template's copy."""
    return _databases(backend, request).hub_url(backend, tmp)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return new_db_url(request.param, request, tmp_path)


def start_hub(request: pytest.FixtureRequest, backend: str, tmp: Path, **settings: object) -> HubProcess:
    hub = HubProcess(hub_db_url(backend, request, tmp), settings=settings, prepared=True)
    request.addfinalizer(hub.kill)
    return hub.start()


@pytest.fixture(scope="session")
def shared_hub_sqlite(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    return start_hub(request, "sqlite", tmp_path_factory.mktemp("shared-hub"))


@pytest.fixture(scope="session")
def shared_hub_postgres(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    return start_hub(request, "postgres", tmp_path_factory.mktemp("shared-hub"))


@pytest.fixture(scope="module", params=BACKENDS)
def hub(request: pytest.FixtureRequest) -> HubProcess:
    """This test process's hub on each engine, shared by every module that asks for ``hub``.

    Name everything a test makes uniquely (``unique``), give its hosts a
    channel of their own (``channel``), and never assume an empty hub: other
    modules' users, hosts, tags and tasks are there too.  A module that needs
    its own settings, a restart or an empty hub starts its own (``start_hub``).
    Two fixtures rather than one parametrized session fixture: pytest tears a
    parametrized fixture down at every switch of its parameter.
    """
    return request.getfixturevalue(f"shared_hub_{request.param}")


@pytest.fixture(scope="module")
def sqlite_hub(request: pytest.FixtureRequest) -> HubProcess:
    """The shared hub on SQLite, for a module that tests a client (the CLI) rather than the database.

    Such a module overrides ``hub`` with ``def hub(sqlite_hub): return sqlite_hub``:
    the hub's calls are tested on both engines by the API tests; running every
    CLI comparison twice would only double the suite's time.
    """
    return request.getfixturevalue("shared_hub_sqlite")


@pytest.fixture
def backend(hub: HubProcess) -> str:
    return "sqlite" if hub.db_url.startswith("sqlite") else "postgres"


def unique(prefix: str = "x") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def koji_session(
    hub: HubProcess, user: str | None = None, password: str | None = None, **opts: object
) -> koji.ClientSession:
    """The official koji client's session, logged in when a user is given."""
    session = koji.ClientSession(hub.url, opts={"max_retries": 0, **opts})
    if user:
        session.opts["user"], session.opts["password"] = user, password
        session.login()
    return session


@pytest.fixture
def admin(hub: HubProcess) -> Iterator[koji.ClientSession]:
    session = koji_session(hub, *ADMIN)
    yield session
    session.logout()


@pytest.fixture
def anon(hub: HubProcess) -> koji.ClientSession:
    return koji_session(hub)


def make_user(
    hub: HubProcess, admin: koji.ClientSession, name: str | None = None, password: str = "pw", perms: tuple = ()
) -> tuple[str, str]:
    """A user with a password (set out of band, as Koji does) and some permissions."""
    name = name or unique("user")
    admin.createUser(name)
    hub.admin_command("passwd", name, "--password", password)
    for perm in perms:
        admin.grantPermission(name, perm)
    return name, password


def make_host(hub: HubProcess, admin: koji.ClientSession, arches: tuple = ("x86_64",)) -> tuple[str, str, int]:
    """A build host account with a password; returns (name, password, host id)."""
    name = unique("builder")
    host_id = admin.addHost(name, list(arches))
    hub.admin_command("passwd", name, "--password", "hostpw")
    return name, "hostpw", host_id


def task_result(result: object = None) -> str:
    """A task's result as kojid sends it to host.closeTask: a whole response document."""
    return koji.xmlrpcplus.dumps((result,), methodresponse=1, allow_none=1)


@pytest.fixture
def channel(admin: koji.ClientSession) -> str:
    """A channel of the test's own, so other tests' tasks never reach its hosts."""
    name = unique("chan")
    admin.addChannel(name)
    return name


def channel_builder(
    hub: HubProcess, admin: koji.ClientSession, channel: str, **kw: object
) -> tuple[koji.ClientSession, int]:
    """A checked-in builder serving only ``channel`` (taken out of 'default')."""
    session, host_id = host_session(hub, admin, channels=(channel,), **kw)
    admin.removeHostFromChannel(admin.getHost(host_id)["name"], "default")
    return session, host_id


def host_session(
    hub: HubProcess,
    admin: koji.ClientSession,
    arches: tuple = ("x86_64",),
    capacity: float | None = None,
    channels: tuple = (),
    ready: bool = True,
) -> tuple[koji.ClientSession, int]:
    """A builder's session as kojid holds it: logged in, exclusive, checked in as ready."""
    name, password, host_id = make_host(hub, admin, arches)
    if capacity is not None:
        admin.editHost(host_id, capacity=capacity)
    for channel in channels:
        admin.addHostToChannel(name, channel, create=True)
    session = koji_session(hub, name, password)
    session.exclusiveSession()
    session.host.updateHost(0.0, ready)
    return session, host_id


def open_task(
    hub: HubProcess, admin: koji.ClientSession, prefix: str, args: list | None = None, **host: object
) -> tuple:
    """A sleep task OPEN on a host serving a channel of its own: (host session, host id, channel, task id)."""
    channel = unique(prefix)
    admin.addChannel(channel)
    session, host_id = channel_builder(hub, admin, channel, **host)
    task_id = admin.makeTask("sleep", args or [1], channel=channel)
    assert admin.assignTask(task_id, host_id)
    session.host.openTask(task_id)
    return session, host_id, channel, task_id


@pytest.fixture(scope="module")
def web(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """kiln-web in front of the module's hub (a web module sets ``hub`` to ``sqlite_hub``)."""
    from tests.support.web import WebProcess

    process = WebProcess(hub.url, tmp_path_factory.mktemp("web"))
    yield process
    process.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long modules first: those with slow tests, then by their number of tests; each module's tests in order.

    ``--dist loadfile`` hands modules to the workers in collection order: a
    long module handed out last would run alone while the others sit idle.
    """
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    sizes = collections.Counter(item.path for item in items)
    items.sort(key=lambda item: (item.path not in slow_modules, -sizes[item.path]))


def pytest_configure(config: pytest.Config) -> None:
    """Give the processes the tests start the default Ctrl-C, however the run itself was started.

    A shell without job control starts a background job (``make test &`` in
    a script) with SIGINT and SIGQUIT ignored, and an ignored signal stays
    ignored across exec: the clients that tests interrupt would not stop.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
