"""kiln builds itself: `make srpm`'s source package, submitted with `koji build`, built by kiln into an RPM.

kiln.spec's BuildRequires (python3-devel, python3-pip, python3-setuptools >=
77) name Fedora packages; the test's tag provides them with a stub package,
and points %__python3 at the interpreter that has pip and a new enough
setuptools (this .venv's), through the build tag's ``rpm.macro.__python3``
extra, as a site would point it at its own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import koji
import pytest

from kiln.client import ClientSession
from tests.conftest import ADMIN, unique
from tests.e2e.test_build_pipeline import builder, cli  # noqa: F401 - fixtures
from tests.e2e.test_packaging import make, rpm_query
from tests.support.rpms import KILN_BUILDREQ_STUBS, build_spec, import_files

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the namespace build root needs root"),
]


def test_kiln_builds_its_own_srpm(admin, builder, cli, tmp_path):  # noqa: F811 - fixtures
    dist = tmp_path / "dist"
    make("srpm", dist)
    [srpm] = dist.glob("kiln-*.src.rpm")
    dest, build, target = unique("kdest"), unique("kbuild"), unique("ktarget")
    admin.createTag(dest)
    admin.createTag(build, parent=dest, arches="x86_64", extra={"rpm.macro.__python3": sys.executable})
    admin.createBuildTarget(target, build, dest)
    for name in ("kiln", "kiln-buildreq-stubs"):
        admin.packageListAdd(dest, name, owner="admin")
    uploader = ClientSession(admin.baseurl, opts={"max_retries": 0})
    uploader.login(*ADMIN)
    import_files(admin, uploader, build_spec(tmp_path, "kiln-buildreq-stubs", KILN_BUILDREQ_STUBS))
    admin.tagBuildBypass(dest, "kiln-buildreq-stubs-1-1")

    done = cli("build", "--wait", "--wait-repo", target, str(srpm), check=False)
    assert done.returncode == 0, done.stdout + done.stderr + builder.log_text()[-4000:]
    nvr = srpm.name.removesuffix(".src.rpm")
    info = admin.getBuild(nvr)
    assert info["state"] == koji.BUILD_STATES["COMPLETE"]
    assert [b["nvr"] for b in admin.listTagged(dest, package="kiln")] == [nvr]
    rpms = {r["arch"]: r for r in admin.listRPMs(buildID=info["id"])}
    assert set(rpms) == {"src", "noarch"}
    path = Path(builder.settings["topdir"]) / "packages" / "kiln" / info["version"] / info["release"] / "noarch"
    [rpm] = path.glob("kiln-*.noarch.rpm")
    listing = rpm_query(rpm, "-l")
    assert "/usr/bin/kiln-hub" in listing and "/usr/lib/systemd/system/kiln-repod.service" in listing
    # what the build root held is on record: the stub that stood in for Fedora's python packages
    listing = admin.getBuildrootListing(rpms["noarch"]["buildroot_id"])
    assert "kiln-buildreq-stubs" in [entry["name"] for entry in listing]
