"""kiln's client-side file layout is koji's PathInfo."""

from __future__ import annotations

import pytest

from kiln.protocol.paths import PathInfo

koji = pytest.importorskip("koji")


def test_paths_are_kojis():
    build = {"name": "foo", "version": "1", "release": "2", "volume_name": "DEFAULT"}
    rpm = {"name": "foo", "version": "1", "release": "2", "arch": "noarch"}
    for topdir in ("/mnt/koji", "http://h/kojifiles"):
        ours, theirs = PathInfo(topdir), koji.PathInfo(topdir)
        assert ours.build(build) == theirs.build(build)
        assert ours.build({**build, "volume_name": "v2"}) == theirs.build({**build, "volume_name": "v2"})
        assert ours.build_logs(build) == theirs.build_logs(build)
        assert ours.rpm(rpm) == theirs.rpm(rpm)
        assert ours.signed(rpm, "abcd") == theirs.signed(rpm, "abcd")
        assert ours.repo(5, "f40-build") == theirs.repo(5, "f40-build")
        assert ours.task(123456) == theirs.task(123456)
        assert ours.work() == theirs.work()
