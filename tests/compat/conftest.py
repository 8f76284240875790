"""The official koji CLI against a test hub: the ``koji_cli`` fixture (tests/support/koji_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.hub import HubProcess
from tests.support.koji_cli import KOJI, KojiCLI, write_koji_conf

__all__ = ["KOJI", "KojiCLI", "koji_cli"]


@pytest.fixture
def koji_cli(hub: HubProcess, tmp_path: Path) -> KojiCLI:
    return KojiCLI(hub, write_koji_conf(hub, tmp_path / "koji.conf"))
