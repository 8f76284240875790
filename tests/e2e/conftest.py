"""Shared pieces of the end-to-end tests."""

from __future__ import annotations

import koji

from tests.conftest import ADMIN, host_session
from tests.support.builder import BuilderProcess
from tests.support.hub import HubProcess


def topdir_builder(hub: HubProcess, **settings: object) -> BuilderProcess:
    """A started kiln-builder in the default and createrepo channels, reading the hub's topdir (as kojid a mount).

    Its tests run builds and make repos; it takes checkouts from under /tmp.
    """
    admin = koji.ClientSession(hub.url)
    admin.opts.update(user=ADMIN[0], password=ADMIN[1])
    admin.login()
    session, host_id = host_session(hub, admin, channels=("createrepo",))
    name = admin.getHost(host_id)["name"]
    session.logout()
    admin.logout()
    options = {"check_seconds": 0.5, "topdir": str(hub.topdir), "allowed_scms": ":/tmp/*", **settings}
    return BuilderProcess(hub.url, name, "hostpw", **options).start()
