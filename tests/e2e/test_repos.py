"""Repos end to end: newRepo and createrepo tasks on a real builder, real createrepo_c, served by the hub.

The builder serves the createrepo channel and reads the hub's topdir, as
kojid does on a real site (a read-only mount there, the same directory here).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest
import requests
from defusedxml import ElementTree

from kiln.client import ClientSession
from tests.compat.conftest import KojiCLI
from tests.conftest import ADMIN, channel_builder, host_session, make_user, unique
from tests.e2e.conftest import topdir_builder
from tests.support.builder import BuilderProcess, wait_for
from tests.support.daemon import timed_stop
from tests.support.hub import HubProcess
from tests.support.pgserver import free_port
from tests.support.repod import RepodProcess
from tests.support.rpms import import_files, make_package

CLOSED = koji.TASK_STATES["CLOSED"]
READY, EXPIRED, DELETED = (koji.REPO_STATES[s] for s in ("READY", "EXPIRED", "DELETED"))
_COMMON = "{http://linux.duke.edu/metadata/common}"


@pytest.fixture(scope="module")
def repo_builder(hub: HubProcess) -> Iterator[BuilderProcess]:
    """A kiln-builder in the createrepo channel (and default), reading the hub's topdir."""
    process = topdir_builder(hub)
    yield process
    process.cleanup()


@pytest.fixture(scope="module")
def uploader(hub: HubProcess) -> ClientSession:
    session = ClientSession(hub.url, opts={"max_retries": 0})
    session.login(*ADMIN)
    return session


def import_build(admin: koji.ClientSession, uploader: ClientSession, root: Path, name: str, version: str = "1.0"):
    """A build of ``name`` made by rpmbuild and imported (source and noarch package); its NVR."""
    root.mkdir(parents=True, exist_ok=True)
    import_files(admin, uploader, list(make_package(root, name, version)))
    return f"{name}-{version}-1"


def finished(admin: koji.ClientSession, task_id: int, builder: BuilderProcess, timeout: float = 60.0) -> dict:
    def done():
        info = admin.getTaskInfo(task_id)
        return info if info["state"] in (CLOSED, koji.TASK_STATES["FAILED"], koji.TASK_STATES["CANCELED"]) else None

    try:
        return wait_for(done, timeout, what=f"task {task_id} to finish")
    except AssertionError:
        print(builder.log_text())
        raise


def primary_packages(repodata: Path) -> dict[str, str]:
    """Package name -> location href, read from a repo's primary metadata."""
    repomd = ElementTree.parse(repodata / "repomd.xml").getroot()
    [href] = [
        d.find("{http://linux.duke.edu/metadata/repo}location").get("href")
        for d in repomd
        if d.get("type") == "primary"
    ]
    with gzip.open(repodata.parent / href) as f:
        root = ElementTree.fromstring(f.read())
    return {p.findtext(f"{_COMMON}name"): p.find(f"{_COMMON}location").get("href") for p in root}


@pytest.mark.slow
def test_new_repo_holds_the_latest_tagged_rpms_through_inheritance(hub, admin, uploader, repo_builder, tmp_path):
    parent, child = unique("base"), unique("build")
    admin.createTag(parent)
    admin.createTag(child, parent=parent, arches="x86_64")
    pkg, other, blocked = unique("rp"), unique("ro"), unique("rb")
    for name in (pkg, other, blocked):
        admin.packageListAdd(parent, name, owner="admin")
    old = import_build(admin, uploader, tmp_path / "a", pkg, "1.0")
    new = import_build(admin, uploader, tmp_path / "b", pkg, "2.0")
    mine = import_build(admin, uploader, tmp_path / "c", other)
    hidden = import_build(admin, uploader, tmp_path / "d", blocked)
    for nvr in (old, new, hidden):
        admin.tagBuildBypass(parent, nvr)
    admin.tagBuildBypass(child, mine)
    admin.packageListBlock(child, blocked)
    admin.groupListAdd(parent, "build")
    admin.groupPackageListAdd(parent, "build", pkg)

    task_id = admin.newRepo(child)
    info = finished(admin, task_id, repo_builder)
    assert info["state"] == CLOSED, admin.getTaskResult(task_id)
    repo_id, event_id = admin.getTaskResult(task_id)
    [createrepo] = admin.getTaskChildren(task_id)
    assert (createrepo["method"], createrepo["label"], createrepo["state"]) == ("createrepo", "x86_64", CLOSED)

    repo = admin.repoInfo(repo_id)
    assert (repo["state"], repo["tag_name"], repo["create_event"], repo["task_id"]) == (READY, child, event_id, task_id)
    assert admin.getRepo(child)["id"] == repo_id
    assert admin.tagLastChangeEvent(child) <= event_id
    path = hub.topdir / "repos" / child / str(repo_id)
    assert (hub.topdir / "repos" / child / "latest").resolve() == path.resolve()
    assert (path / "x86_64" / "blocklist").read_text() == f"{blocked}\n"
    comps = ElementTree.fromstring((path / "groups" / "comps.xml").read_bytes())  # the inherited build group
    [group] = comps.findall("group")
    assert group.findtext("id") == "build" and [p.text for p in group.iter("packagereq")] == [pkg]
    found = primary_packages(path / "x86_64" / "repodata")
    # the newest build of each package, the child's own and the parent's; the blocked one left out
    assert sorted(found) == sorted([pkg, other])
    assert found[pkg] == f"toplink/packages/{pkg}/2.0/1/noarch/{new}.noarch.rpm"
    # builders without the topdir mount read the same repo over HTTP
    base = hub.url.removesuffix("/kojihub") + f"/kojifiles/repos/{child}/{repo_id}/x86_64/"
    assert requests.get(base + "repodata/repomd.xml", timeout=10).status_code == 200
    assert requests.get(base + found[pkg], timeout=10).content[:4] == b"\xed\xab\xee\xdb"  # an RPM's lead


@pytest.mark.slow
def test_an_empty_tag_gets_an_empty_repo_and_a_tag_without_arches_none(hub, admin, repo_builder):
    tag = unique("empty")
    admin.createTag(tag, arches="x86_64")
    task_id = admin.newRepo(tag)
    assert finished(admin, task_id, repo_builder)["state"] == CLOSED
    repo_id, _ = admin.getTaskResult(task_id)
    repodata = hub.topdir / "repos" / tag / str(repo_id) / "x86_64" / "repodata"
    assert (repodata / "EMPTY_REPO").exists() and primary_packages(repodata) == {}

    bare = unique("bare")
    admin.createTag(bare)
    task_id = admin.newRepo(bare)
    assert finished(admin, task_id, repo_builder)["state"] == CLOSED
    assert admin.getTaskChildren(task_id) == []
    assert admin.getRepo(bare)["id"] == admin.getTaskResult(task_id)[0]


def test_repo_request_makes_a_repo_once_and_koji_regen_and_wait_repo_use_it(hub, admin, repo_builder, tmp_path):
    tag = unique("req")
    admin.createTag(tag, arches="x86_64")
    first = admin.repo.request(tag)
    assert first["repo"] is None and first["request"]["task_id"]
    again = admin.repo.request(tag)
    assert again["duplicate"] and again["request"]["id"] == first["request"]["id"]

    def answered():
        check = admin.repo.checkRequest(first["request"]["id"])
        return check["repo"]

    repo = wait_for(answered, 60, what="the request to be answered")
    assert repo["state"] == READY and not admin.repo.checkRequest(first["request"]["id"])["request"]["active"]
    # a repo that is new enough answers at once, with no new request
    assert admin.repo.request(tag)["repo"]["id"] == repo["id"]
    assert admin.repo.get(tag)["id"] == repo["id"]

    config = tmp_path / "koji.conf"
    base = hub.url.removesuffix("/kojihub")
    config.write_text(f"[koji]\nserver = {hub.url}\nweburl = {base}/koji\ntopurl = {base}/kojifiles\n")
    cli = KojiCLI(hub, config)
    assert f"Got repo {repo['id']}" in cli("wait-repo", tag, "--timeout", "1").stdout
    regen = cli("regen-repo", "--wait", tag)
    got = re.search(r"Got repo (\d+)", regen.stdout)
    assert got, regen.stdout
    assert int(got.group(1)) == repo["id"]  # nothing changed since: the current repo is the answer


def test_repo_calls_refuse_bad_input_and_change_nothing(hub, admin):
    tag = unique("bad")
    admin.createTag(tag, arches="x86_64")
    with pytest.raises(koji.ParameterError, match="Invalid repo option: nope"):
        admin.repo.request(tag, opts={"nope": True})
    with pytest.raises(koji.ParameterError, match="conflict"):
        admin.repo.request(tag, min_event=1, at_event=1)
    with pytest.raises(koji.GenericError, match="No such tagInfo"):
        admin.repo.request(unique("missing"))
    with pytest.raises(koji.GenericError, match="No such repo"):
        admin.repoInfo(999999, strict=True)
    anon = koji.ClientSession(hub.url)
    with pytest.raises(koji.GenericError, match="logged in"):
        anon.repo.request(tag)
    with pytest.raises(koji.GenericError, match="permission"):
        anon.repoExpire(1)


@pytest.fixture
def repod_user(hub, admin) -> tuple[str, str]:
    return make_user(hub, admin, unique("repod"), "repodpw", perms=("repo",))


@pytest.mark.slow
def test_the_repo_daemon_keeps_build_tags_current_and_clears_old_repos(
    hub, admin, uploader, repo_builder, repod_user, tmp_path
):
    base, build, dest = unique("base"), unique("build"), unique("dest")
    admin.createTag(base)
    admin.createTag(build, parent=base, arches="x86_64")
    admin.createTag(dest)
    admin.createBuildTarget(unique("target"), build, dest)
    repod = RepodProcess(hub.url, *repod_user, check_seconds=0.2, clean_seconds=0.5, deleted_repo_lifetime=2)
    repod.start()
    try:
        # a build tag with no repo gets one without anyone asking
        first = wait_for(lambda: admin.getRepo(build), 60, what="the first repo")
        host, _ = host_session(hub, admin)
        in_use = host.host.newBuildRoot(first["id"], "x86_64")  # a build root still reading it

        # a change to the parent reaches the build tag: a new repo holds the new package
        pkg = unique("pkg")
        admin.packageListAdd(base, pkg, owner="admin")
        nvr = import_build(admin, uploader, tmp_path, pkg)
        admin.tagBuildBypass(base, nvr)
        changed = admin.tagLastChangeEvent(build)

        def regenerated():
            repo = admin.getRepo(build)
            return repo if repo and repo["create_event"] >= changed else None

        second = wait_for(regenerated, 60, what="the repo after the change")
        found = primary_packages(hub.topdir / "repos" / build / str(second["id"]) / "x86_64" / "repodata")
        assert list(found) == [pkg]

        # the replaced repo expires; past the lifetime it would go, but a build root uses it
        wait_for(lambda: admin.repoInfo(first["id"])["state"] == EXPIRED, 30, what="the old repo to expire")
        assert admin.repoDelete(first["id"]) == 1  # what the daemon is told too: nothing changes
        first_dir = hub.topdir / "repos" / build / str(first["id"])
        assert first_dir.is_dir() and admin.repoInfo(first["id"])["state"] == EXPIRED
        assert [r["id"] for r in admin.repo.references(first["id"])] == [in_use]

        # once the build root is gone, the repo is deleted with its files
        host.host.setBuildRootState(in_use, "EXPIRED")
        wait_for(lambda: admin.repoInfo(first["id"])["state"] == DELETED, 30, what="the old repo to be deleted")
        # the hub removes the files once DELETED has committed: others may read the state a moment before
        assert wait_for(lambda: not first_dir.exists(), 30, what="the old repo's files to go")
        # the current repo stays (a request filed before the tagging may have been answered by a newer one)
        current = admin.getRepo(build)
        assert current["state"] == READY and current["create_event"] >= second["create_event"]
        active = [r["id"] for r in admin.getActiveRepos()]
        assert current["id"] in active and first["id"] not in active
    except AssertionError:
        print(repod.log_text())
        raise
    finally:
        assert repod.stop() == 0  # a clean stop on SIGTERM


def test_the_repo_daemon_expires_stale_build_roots_and_needs_the_repo_permission(hub, admin, repod_user):
    host, _ = host_session(hub, admin)
    stale = host.host.newBuildRoot(None, "x86_64")
    repod = RepodProcess(hub.url, *repod_user, buildroot_lifetime=0)
    try:
        done = repod.command("--once")
        assert done.returncode == 0, done.stderr
        assert admin.getBuildroot(stale)["state"] == koji.BR_STATES["EXPIRED"]
    finally:
        repod.cleanup()
    name, password = make_user(hub, admin, unique("plain"), "pw")
    refused = RepodProcess(hub.url, name, password)
    try:
        result = refused.command("--once")
        assert result.returncode != 0 and "repo permission required" in result.stderr + refused.log_text()
    finally:
        refused.cleanup()


def test_sigterm_stops_the_repo_daemon_in_its_pause_at_once(hub, repod_user):
    repod = RepodProcess(hub.url, *repod_user, check_seconds=120).start()
    try:
        wait_for(lambda: "next pass in 120" in repod.log_text(), 30, what="the pause between passes")
        code, took = timed_stop(repod)
        assert (code, took < 1.5) == (0, True), (took, repod.log_text())
        assert "stopped" in repod.log_text()
    finally:
        repod.cleanup()


def test_sigterm_stops_the_repo_daemon_while_the_hub_is_away():
    """Retrying its login (every 20 s, 30 times), it stops on SIGTERM without waiting the retries out."""
    repod = RepodProcess(f"http://127.0.0.1:{free_port()}/kojihub", unique("repod"), "pw").start()
    try:
        wait_for(lambda: "try #2 of login" in repod.log_text(), 30, what="the daemon's retries")
        code, took = timed_stop(repod)
        assert (code, took < 1.5) == (0, True), (took, repod.log_text())
    finally:
        repod.cleanup()


def test_repo_done_takes_only_its_own_arches_and_tasks_files(hub, admin, channel):
    """host.repoDone refuses metadata from elsewhere, or for an arch the repo does not have; nothing moves."""
    tag = unique("rdone")
    admin.createTag(tag, arches="x86_64")
    host, _ = channel_builder(hub, admin, channel)
    task_id = admin.makeTask("newRepo", [tag], channel=channel)
    assert host.host.openTask(task_id)["state"] == koji.TASK_STATES["OPEN"]
    repo_id, _event = host.host.repoInit(tag, task_id=task_id)
    own = f"tasks/{task_id % 10000}/{task_id}"
    host.uploadWrapper(str(hub.topdir / "repos" / tag / str(repo_id) / "repo.json"), own, "repomd.xml")
    for arch, path in (
        ("..", own),
        ("groups", own),
        ("x86_64", "imports/x"),
        ("x86_64", f"tasks/{(task_id + 1) % 10000}/{task_id}"),
    ):
        with pytest.raises(koji.GenericError, match="has no arch|own tasks"):
            host.host.repoDone(repo_id, {arch: [path, ["repomd.xml"]]})
    assert (hub.topdir / "work" / own / "repomd.xml").exists()  # nothing moved
    assert admin.repoInfo(repo_id)["state"] == koji.REPO_STATES["INIT"]
    host.host.repoDone(repo_id, {"x86_64": [own, ["repomd.xml"]]})
    assert (hub.topdir / "repos" / tag / str(repo_id) / "x86_64" / "repodata" / "repomd.xml").exists()
    assert admin.repoInfo(repo_id)["state"] == READY
    with pytest.raises(koji.GenericError, match="it names a directory"):
        admin.createTag("..")
