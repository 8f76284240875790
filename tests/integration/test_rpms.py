"""Importing RPMs: recorded with their build, filed under topdir/packages, served at /kojifiles."""

from __future__ import annotations

import shutil

import koji
import pytest
import requests

from kiln.client import ClientSession
from kiln.client.uploads import upload_file
from tests.conftest import ADMIN, koji_session, make_user, unique
from tests.support.rpms import make_package


@pytest.fixture
def uploader(hub) -> ClientSession:
    session = ClientSession(hub.url, opts={"max_retries": 0})
    session.login(*ADMIN)
    return session


def upload(session: ClientSession, path) -> str:
    area = f"imports/{unique()}"
    upload_file(session, path, area)
    return area


def test_a_source_then_a_binary_rpm_make_and_fill_a_build(hub, admin, uploader, tmp_path):
    name = unique("rpm")
    srpm, rpm = make_package(tmp_path, name)
    area = upload(uploader, srpm)
    imported = admin.importRPM(area, srpm.name)
    assert (imported["arch"], imported["nvr"], imported["size"]) == ("src", f"{name}-1.0-1", srpm.stat().st_size)
    assert not (hub.topdir / "work" / area / srpm.name).exists()  # the upload is filed, not copied twice
    admin.importRPM(upload(uploader, rpm), rpm.name)
    build = admin.getBuild(f"{name}-1.0-1", strict=True)
    assert build["state"] == koji.BUILD_STATES["COMPLETE"]
    assert sorted(r["arch"] for r in admin.listRPMs(buildID=build["id"])) == ["noarch", "src"]
    assert [r["arch"] for r in admin.listBuildRPMs(build["id"])] == ["src", "noarch"]
    assert admin.getRPM(rpm.name.removesuffix(".rpm"))["build_id"] == build["id"]
    assert admin.getBuildType(build["id"]) == {"rpm": None}
    filed = hub.topdir / "packages" / name / "1.0" / "1" / "noarch" / rpm.name
    assert filed.read_bytes() == rpm.read_bytes()
    url = f"http://127.0.0.1:{hub.port}/kojifiles/packages/{name}/1.0/1/noarch/{rpm.name}"
    assert requests.get(url, timeout=10).content == rpm.read_bytes()


def test_imports_that_cannot_be_done_change_nothing(hub, admin, uploader, tmp_path):
    name = unique("bad")
    srpm, rpm = make_package(tmp_path, name)
    with pytest.raises(koji.GenericError, match="import its source package first"):
        admin.importRPM(upload(uploader, rpm), rpm.name)
    assert admin.getBuild(f"{name}-1.0-1") is None
    renamed = tmp_path / f"{name}-9-9.src.rpm"
    shutil.copy(srpm, renamed)
    with pytest.raises(koji.GenericError, match="bad filename"):
        admin.importRPM(upload(uploader, renamed), renamed.name)
    junk = tmp_path / f"{name}-1.0-1.src.rpm.txt"
    junk.write_text("not an rpm")
    with pytest.raises(koji.GenericError, match="not an RPM file"):
        admin.importRPM(upload(uploader, junk), junk.name)
    for path, base in (("../../etc", "passwd"), ("/etc", "passwd"), ("imports", "../x")):
        with pytest.raises(koji.GenericError, match="Invalid|No such file"):
            admin.importRPM(path, base)
    admin.importRPM(upload(uploader, srpm), srpm.name)
    with pytest.raises(koji.GenericError, match="RPM already imported"):
        admin.importRPM(upload(uploader, srpm), srpm.name)
    assert [r["arch"] for r in admin.listBuildRPMs(f"{name}-1.0-1")] == ["src"]
    assert not (hub.topdir / "packages" / name / "1.0" / "1" / "noarch").exists()


def test_only_admins_import(hub, admin, tmp_path):
    user = koji_session(hub, *make_user(hub, admin))
    with pytest.raises(koji.ActionNotAllowed):
        user.importRPM("imports/x", "x-1-1.src.rpm")
