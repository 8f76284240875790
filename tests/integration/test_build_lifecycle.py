"""Later life of builds and the look-up calls: search, untagged builds, references, delete, reset,
RPM headers and changelogs, read through the official koji client and CLI."""

from __future__ import annotations

import koji
import pytest
import requests

from kiln.client import ClientSession
from tests.compat.conftest import KojiCLI
from tests.conftest import ADMIN, unique
from tests.support.rpms import import_files, make_package


@pytest.fixture(scope="module")
def uploader(hub) -> ClientSession:
    session = ClientSession(hub.url, opts={"max_retries": 0})
    session.login(*ADMIN)
    return session


@pytest.fixture
def cli(hub, tmp_path) -> KojiCLI:
    base = hub.url.removesuffix("/kojihub")
    config = tmp_path / "koji.conf"
    config.write_text(f"[koji]\nserver = {hub.url}\nweburl = {base}/koji\ntopurl = {base}/kojifiles\nmax_retries = 0\n")
    return KojiCLI(hub, config)


def imported(admin, uploader, tmp_path, name: str) -> dict:
    import_files(admin, uploader, list(make_package(tmp_path, name)))
    return admin.getBuild(f"{name}-1.0-1")


def test_search_finds_packages_builds_rpms_and_tags(hub, admin, uploader, cli, tmp_path):
    name = unique("srch")
    imported(admin, uploader, tmp_path, name)
    tag = unique("srchtag")
    admin.createTag(tag)
    assert name in cli("search", "package", f"{name[:6]}*").stdout.split()
    assert cli("search", "build", name, "--regex").stdout.split() == [f"{name}-1.0-1"]
    assert cli("search", "rpm", f"{name.upper()}-1.0-1.*").stdout.split() == [
        f"{name}-1.0-1.noarch.rpm",
        f"{name}-1.0-1.src.rpm",
    ]
    assert cli("search", "tag", tag, "--exact").stdout.split() == [tag]
    assert admin.search("no-such-thing*", "package", "glob") == []
    assert admin.search(name, "maven", "glob") == []
    with pytest.raises(koji.GenericError, match="No such search type"):
        admin.search(name, "nonsense", "glob")
    with pytest.raises(koji.GenericError, match="Invalid regular expression"):
        admin.search("(", "package", "regexp")
    with pytest.raises(koji.GenericError, match="no repeated group"):
        admin.search("(a+)+$", "package", "regexp")  # exponential backtracking, refused


def test_untagged_references_and_delete(hub, admin, uploader, cli, tmp_path):
    name = unique("life")
    build = imported(admin, uploader, tmp_path, name)
    assert f"{name}-1.0-1" in cli("list-untagged", name).stdout
    tag = unique("lifetag")
    admin.createTag(tag)
    admin.packageListAdd(tag, name, owner="admin")
    admin.tagBuildBypass(tag, build["id"])
    assert cli("list-untagged", name).stdout.strip() == ""
    refs = admin.buildReferences(build["id"])
    assert refs["tags"] == [{"tag_id": admin.getTag(tag)["id"], "name": tag}] and refs["rpms"] == []
    with pytest.raises(koji.GenericError, match="Cannot delete build, tagged"):
        admin.deleteBuild(build["id"])
    assert admin.deleteBuild(build["id"], strict=False) is False
    assert admin.getBuild(build["id"])["state"] == koji.BUILD_STATES["COMPLETE"]

    admin.untagBuildBypass(tag, build["id"])
    base = hub.url.removesuffix("/kojihub") + f"/kojifiles/packages/{name}/1.0/1/noarch/{name}-1.0-1.noarch.rpm"
    assert requests.head(base, timeout=10).status_code == 200
    assert admin.deleteBuild(build["id"]) is True
    assert admin.getBuild(build["id"])["state"] == koji.BUILD_STATES["DELETED"]
    assert requests.head(base, timeout=10).status_code == 404  # the files went with it
    user = koji.ClientSession(hub.url)
    with pytest.raises(koji.GenericError, match="admin"):
        user.deleteBuild(build["id"])


def test_reset_forgets_rpms_and_taggings_and_keeps_history(hub, admin, uploader, tmp_path):
    name = unique("reset")
    build = imported(admin, uploader, tmp_path, name)
    tag = unique("resettag")
    admin.createTag(tag)
    admin.packageListAdd(tag, name, owner="admin")
    admin.tagBuildBypass(tag, build["id"])
    admin.resetBuild(build["id"])
    after = admin.getBuild(build["id"])
    assert (after["state"], after["task_id"]) == (koji.BUILD_STATES["CANCELED"], None)
    assert admin.listRPMs(buildID=build["id"]) == [] and admin.listTagged(tag) == []
    assert admin.queryHistory(tables=["tag_listing"], tag=tag)["tag_listing"][0]["revoke_event"]  # history kept


def test_rpm_headers_and_changelog_come_from_the_filed_package(hub, admin, uploader, cli, tmp_path):
    name = unique("hdr")
    build = imported(admin, uploader, tmp_path, name)
    [rpm] = admin.listRPMs(buildID=build["id"], arches="noarch")
    headers = admin.getRPMHeaders(rpmID=rpm["id"], headers=["license", "name", "buildtime", "requirename"])
    assert headers["license"] == "MIT" and headers["name"] == name
    assert headers["buildtime"] == rpm["buildtime"] and isinstance(headers["requirename"], list)
    with pytest.raises(koji.GenericError, match="No such rpm header field"):
        admin.getRPMHeaders(rpmID=rpm["id"], headers=["nonsense"])
    assert admin.getRPMHeaders(rpmID=99999999) == {}  # as Koji answers for an unknown RPM
    with pytest.raises(koji.GenericError, match="No such rpm"):
        admin.getRPMHeaders(rpmID=99999999, strict=True)
    shown = cli("rpminfo", f"{name}-1.0-1.noarch").stdout
    assert "License: MIT" in shown and f"SRPM: {name}-1.0-1" in shown
    assert admin.getChangelogEntries(buildID=build["id"]) == []  # the test spec has no %changelog
    with pytest.raises(koji.ParameterError, match="Invalid filepath"):
        admin.getRPMHeaders(taskID=1, filepath="../../etc/passwd")


def test_arches_and_external_repos(admin):
    host = unique("archhost")
    admin.addHost(host, ["ppc64le", "x86_64"])
    assert {"ppc64le", "x86_64"} <= set(admin.getAllArches())
    tag = unique("ext")
    admin.createTag(tag)
    assert admin.getExternalRepoList(tag) == []
    with pytest.raises(koji.GenericError, match="No such tagInfo"):
        admin.getExternalRepoList(unique("none"))
