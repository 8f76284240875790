"""A whole kiln for the benchmarks: a hub on SQLite, one builder, the repo daemon (the e2e tests' processes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import koji
from tests.conftest import make_user
from tests.support.builder import BuilderProcess
from tests.support.hub import ADMIN, HubProcess
from tests.support.repod import RepodProcess

from kiln.client import ClientSession


@dataclass
class System:
    hub: HubProcess
    admin: koji.ClientSession  # the official client, logged in as the admin
    uploader: ClientSession  # kiln's, for uploads
    builder: BuilderProcess
    repod: RepodProcess


@contextlib.contextmanager
def running(root: Path, **builder_settings: object) -> Iterator[System]:
    """The three processes under ``root``: a builder in the default and createrepo channels reading topdir."""
    hub = HubProcess(f"sqlite:///{root}/kiln.db").start()
    builder = repod = None
    try:
        admin = koji.ClientSession(hub.url)
        admin.opts.update(user=ADMIN[0], password=ADMIN[1])
        admin.login()
        uploader = ClientSession(hub.url)
        uploader.login(*ADMIN)
        admin.addHost("bench-builder", ["x86_64", "noarch"])
        hub.admin_command("passwd", "bench-builder", "--password", "hostpw")
        admin.addHostToChannel("bench-builder", "createrepo")
        settings = {"topdir": str(hub.topdir), "log_level": "INFO", **builder_settings}
        builder = BuilderProcess(hub.url, "bench-builder", "hostpw", **settings).start()
        user, password = make_user(hub, admin, "bench-repod", "repodpw", perms=("repo",))
        repod = RepodProcess(hub.url, user, password, log_level="INFO").start()
        yield System(hub, admin, uploader, builder, repod)
    finally:
        for process in (repod, builder):
            if process is not None:
                process.cleanup()
        hub.stop()
