"""Shared pieces of the end-to-end tests."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import ADMIN, BACKENDS, host_session, start_hub
from tests.support.builder import BuilderProcess
from tests.support.hub import HubProcess


def topdir_builder(hub: HubProcess, **settings: object) -> BuilderProcess:
    """A started kiln-builder in the default and createrepo channels, reading the hub's topdir (as kojid a mount).

    Its tests run builds and make repos; it takes checkouts from under /tmp.
    """
    admin = koji.ClientSession(hub.url)
    admin.opts.update(user=ADMIN[0], password=ADMIN[1])
    admin.login()
    # x86_64 and noarch, as make run's builder: noarch work must still get an x86_64 build root
    session, host_id = host_session(hub, admin, arches=("x86_64", "noarch"), channels=("createrepo",))
    name = admin.getHost(host_id)["name"]
    session.logout()
    admin.logout()
    options = {"check_seconds": 0.5, "topdir": str(hub.topdir), "allowed_scms": ":/tmp/*", **settings}
    return BuilderProcess(hub.url, name, "hostpw", **options).start()


@pytest.fixture(scope="module", params=BACKENDS)
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    """A hub of the module's own, not the shared one (tests/conftest.py's ``hub``).

    End-to-end modules run builders in the default channel and a repo daemon
    that serves every build tag of its hub: on the shared hub, other modules'
    free tasks and build tags would reach them (the repo daemon made 52
    repos before the test's own).
    """
    return start_hub(request, request.param, tmp_path_factory.mktemp("e2e-hub"))
