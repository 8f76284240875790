"""The calls Koji's own kojiweb, kojira and kojid make of a hub, through the official koji client library.

A site that replaces only its hub keeps those three; each call here was seen
on the wire from them and answered "Invalid method" or wrongly before.  Keys,
types and faults are Koji's (its hub's source, read for the facts).
"""

from __future__ import annotations

import koji
import pytest

from kiln.client import ClientSession
from kiln.client.uploads import upload_file
from tests.conftest import (
    ADMIN,
    BACKENDS,
    channel_builder,
    host_session,
    koji_session,
    make_user,
    start_hub,
    task_result,
    unique,
)
from tests.support.hub import HubProcess
from tests.support.rpms import make_package

READY, EXPIRED, DELETED = (koji.REPO_STATES[s] for s in ("READY", "EXPIRED", "DELETED"))
QUEUE_USER = "kojira"


@pytest.fixture(scope="module", params=BACKENDS)
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    """A hub of the module's own: it has a ``kojira`` user (Koji's repo queue user), which the shared hub must not."""
    return start_hub(request, request.param, tmp_path_factory.mktemp("peers"))


@pytest.fixture(scope="module")
def kojira(hub: HubProcess) -> koji.ClientSession:
    """kojira's session: a user with the repo permission, named as Koji's RepoQueueUser default."""
    admin = koji_session(hub, *ADMIN)
    name, password = make_user(hub, admin, name=QUEUE_USER, perms=("repo",))
    return koji_session(hub, name, password)


# --- kojiweb: count, countAndFilterResults, filterResults ------------------------------------------


@pytest.fixture
def listed_tag(admin) -> tuple[str, list[str]]:
    """A tag with four packages, one of them with extra arches (the others None)."""
    tag = unique("webtag")
    admin.createTag(tag)
    names = sorted(unique(f"p{i}") for i in range(4))
    for name in names:
        admin.packageListAdd(tag, name, owner=ADMIN[0])
    admin.packageListSetArches(tag, names[1], "x86_64")
    return tag, names


def test_count_is_the_length_of_a_methods_answer(anon, listed_tag):
    tag, _names = listed_tag
    assert anon.count("listPackages", tagID=tag, inherited=True) == 4
    assert anon.count("getTag", tag) == len(anon.getTag(tag))  # a struct: its number of keys, as Koji
    assert anon.count("getTag", unique("none")) == 0  # None
    assert anon.count("getAPIVersion") == 1  # anything else
    with pytest.raises(koji.GenericError, match="Invalid method: noSuchMethod"):
        anon.count("noSuchMethod")
    with pytest.raises(koji.AuthError):  # the inner method's own access rule, unchanged
        anon.count("host.getID")


def test_count_and_filter_results_pages_a_sorted_listing(anon, listed_tag):
    tag, names = listed_tag
    total, page = anon.countAndFilterResults(
        "listPackages", tagID=tag, filterOpts={"order": "-package_name", "offset": 1, "limit": 2}
    )
    assert total == 4 and [p["package_name"] for p in page] == names[::-1][1:3]
    assert page == anon.filterResults(
        "listPackages", tagID=tag, filterOpts={"order": "-package_name", "offset": 1, "limit": 2}
    )
    # None sorts last by default, first with noneGreatest false
    _, by_arches = anon.countAndFilterResults("listPackages", tagID=tag, filterOpts={"order": "extra_arches"})
    assert by_arches[0]["package_name"] == names[1] and by_arches[-1]["extra_arches"] is None
    _, none_first = anon.countAndFilterResults(
        "listPackages", tagID=tag, filterOpts={"order": "extra_arches", "noneGreatest": False}
    )
    assert none_first[-1]["package_name"] == names[1]
    assert anon.countAndFilterResults("listPackages", tagID=tag, filterOpts={"limit": 0}) == [4, []]
    assert anon.countAndFilterResults("getTag", unique("none")) == [0, None]
    with pytest.raises(koji.GenericError, match=r"getTag\(\) did not return a list"):
        anon.countAndFilterResults("getTag", tag)
    with pytest.raises(koji.GenericError, match=r"method listPackages raised an exception \(No such tag"):
        anon.countAndFilterResults("listPackages", tagID=unique("none"))
    with pytest.raises(koji.GenericError, match="Invalid method: nope"):
        anon.filterResults("nope")


# --- kojiweb: build types, packages, notifications, external repos ---------------------------------


def test_build_types_packages_notifications_and_external_repos(hub, anon, admin, listed_tag):
    assert anon.listBTypes() == [
        {"id": 1, "name": "rpm"}, {"id": 2, "name": "maven"}, {"id": 3, "name": "win"}, {"id": 4, "name": "image"},
    ]  # fmt: skip
    assert anon.listBTypes({"name": "rpm"}) == [{"id": 1, "name": "rpm"}]
    assert anon.listBTypes({"name": "nope"}) == []

    _tag, names = listed_tag
    prefix = names[0][:-3]  # unique("p0") and friends share their first letters only by chance: use one name
    simple = anon.listPackagesSimple(names[0].upper())  # a prefix, matched ignoring case (Koji's ILIKE)
    assert simple == [{"package_id": anon.getPackageID(names[0]), "package_name": names[0]}]
    assert anon.listPackagesSimple(prefix, queryOpts={"countOnly": True}) >= 1
    everything = anon.listPackagesSimple(queryOpts={"order": "package_name"})
    assert [p["package_name"] for p in everything] == sorted(p["package_name"] for p in everything)
    assert anon.listPackagesSimple("%") == []  # a plain prefix: no wildcard

    user, password = make_user(hub, admin)
    session = koji_session(hub, user, password)
    assert session.getBuildNotifications() == [] and anon.getBuildNotifications(user) == []
    assert anon.getBuildNotificationBlocks(user) == []
    with pytest.raises(koji.GenericError, match="No user provided"):
        anon.getBuildNotifications()
    with pytest.raises(koji.GenericError, match="No such user"):
        anon.getBuildNotifications(unique("ghost"))

    assert anon.getBuildNotification(1) is None
    with pytest.raises(koji.GenericError, match="No notification with ID 1 found"):
        anon.getBuildNotification(1, strict=True)
    with pytest.raises(koji.GenericError, match="sends no build notifications"):
        session.createNotification(session.getLoggedInUser()["id"], None, None, True)
    with pytest.raises(koji.GenericError, match="No notification with ID 7 found"):
        session.deleteNotification(7)

    # archives (Maven, Windows, image outputs): kiln has none, and answers as Koji for an unknown one
    assert anon.getArchive(5) is None
    for call in (
        lambda: anon.getArchive(5, strict=True),
        lambda: anon.listArchiveFiles(5),
        lambda: anon.getArchiveFile(5, "x.jar"),
    ):
        with pytest.raises(koji.GenericError, match="No such archive: 5"):
            call()
    assert anon.getArchiveType(type_id=1) is None
    with pytest.raises(koji.GenericError, match="one of filename, type_name, or type_id must be specified"):
        anon.getArchiveType()

    assert anon.getExternalRepo("fedora-updates") is None
    with pytest.raises(koji.GenericError, match="No such repo: fedora-updates"):
        anon.getExternalRepo("fedora-updates", strict=True)
    with pytest.raises(koji.ParameterError):
        anon.getExternalRepo([1])
    assert anon.listExternalRepos() == []


# --- kojiweb: an RPM's dependencies and files, read from its header --------------------------------


@pytest.fixture(scope="module")
def imported_rpm(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A real noarch RPM with dependencies of several kinds, imported into a build."""
    root = tmp_path_factory.mktemp("deprpm")
    name = unique("deps")
    preamble = "Requires: bash >= 4\nProvides: kiln-web-test = 2\nObsoletes: old-thing < 1\nConflicts: bad-thing"
    srpm, rpm = make_package(root, name, preamble=preamble)
    uploader = ClientSession(hub.url, opts={"max_retries": 0})
    uploader.login(*ADMIN)
    admin = koji_session(hub, *ADMIN)
    for path in (srpm, rpm):
        area = f"imports/{unique()}"
        upload_file(uploader, path, area)
        admin.importRPM(area, path.name)
    info = admin.getRPM(rpm.name.removesuffix(".rpm"), strict=True)
    return {"name": name, "rpm": info, "path": rpm}


def test_rpm_dependencies_as_koji_lists_them(anon, imported_rpm):
    rpm = imported_rpm["rpm"]
    deps = anon.getRPMDeps(rpm["id"])
    assert all(set(d) == {"name", "version", "flags", "type"} for d in deps)
    requires = [d for d in deps if d["type"] == koji.DEP_REQUIRE]
    assert {"name": "bash", "version": "4", "flags": koji.RPMSENSE_GREATER | koji.RPMSENSE_EQUAL} in [
        {k: d[k] for k in ("name", "version", "flags")} for d in requires
    ]
    provides = anon.getRPMDeps(rpm["id"], koji.DEP_PROVIDE)
    assert {(d["name"], d["version"]) for d in provides} >= {("kiln-web-test", "2"), (imported_rpm["name"], "1.0-1")}
    assert [d["name"] for d in anon.getRPMDeps(rpm["id"], koji.DEP_OBSOLETE)] == ["old-thing"]
    conflict = anon.getRPMDeps(rpm["id"], koji.DEP_CONFLICT)
    assert conflict == [{"name": "bad-thing", "version": "", "flags": 0, "type": koji.DEP_CONFLICT}]
    # Koji's order of types: requires, provides, conflicts, obsoletes
    assert [d["type"] for d in deps] == sorted((d["type"] for d in deps), key=[0, 1, 3, 2, 4, 5, 6, 7].index)
    assert anon.getRPMDeps(rpm["id"], queryOpts={"countOnly": True}) == len(deps)
    assert anon.getRPMDeps(rpm["id"], koji.DEP_CONFLICT, queryOpts={"asList": True}) == [["bad-thing", "", 0, 3]]
    assert anon.getRPMDeps(rpm["nvr"] + ".noarch") == deps  # by N-V-R.A too
    assert anon.getRPMDeps(999999) == []
    with pytest.raises(koji.GenericError, match="No such rpm"):
        anon.getRPMDeps(999999, strict=True)


def test_rpm_files_as_koji_lists_them(anon, imported_rpm):
    rpm, name = imported_rpm["rpm"], imported_rpm["name"]
    path = f"/usr/share/{name}/file.txt"
    files = anon.listRPMFiles(rpm["id"])
    assert [f["name"] for f in files] == [path]
    [entry] = files
    keys = {"name", "digest", "md5", "digest_algo", "size", "flags", "user", "group", "mtime", "mode"}
    assert set(entry) == keys
    assert entry["digest"] == entry["md5"] and len(entry["digest"]) == 64 and entry["digest_algo"] == "sha256"
    assert (entry["size"], entry["mode"], entry["user"]) == (len(name) + 1, 0o100644, "root")
    assert anon.listRPMFiles(rpm["id"], queryOpts={"countOnly": True}) == 1
    assert anon.listRPMFiles(rpm["id"], queryOpts={"asList": True}) == [
        [path, entry["digest"], entry["size"], entry["flags"], "sha256", "root", "root", entry["mtime"], 0o100644]
    ]
    assert anon.listRPMFiles(999999) == [] and anon.listRPMFiles(999999, queryOpts={"countOnly": True}) == 0

    assert anon.getRPMFile(rpm["id"], path) == {"rpm_id": rpm["id"], **entry}
    assert anon.getRPMFile(rpm["id"], "/etc/passwd") == {}  # {} not None, as Koji
    with pytest.raises(koji.GenericError, match=f"No file: /etc/passwd found in RPM: {rpm['nvr']}.noarch"):
        anon.getRPMFile(rpm["id"], "/etc/passwd", strict=True)
    with pytest.raises(koji.GenericError, match="No such rpm"):
        anon.getRPMFile(999999, path, strict=True)


# --- kojira: repo.query, the queue, end events, repo data ------------------------------------------


def _ready_repo(hub: HubProcess, admin, kojira, tag: str) -> int:
    host, _ = host_session(hub, admin)
    repo_id, _event = host.host.repoInit(tag)
    kojira.repo.setState(repo_id, READY)
    return repo_id


def test_repo_query_as_kojira_asks_it(hub, admin, anon, kojira):
    tag = unique("qtag")
    admin.createTag(tag, arches="x86_64")
    repo_id = _ready_repo(hub, admin, kojira, tag)
    tag_id = admin.getTag(tag)["id"]
    # kojira's first call: every repo not DELETED, with these fields
    fields = ("id", "tag_id", "create_event", "state", "dist", "task_id", "tag_name", "creation_ts", "state_ts")
    fields += ("end_event", "opts", "custom_opts", "task_state")
    rows = {r["id"]: r for r in anon.repo.query([["state", "!=", DELETED]], fields)}
    row = rows[repo_id]
    assert set(row) == set(fields) and (row["tag_name"], row["state"], row["dist"]) == (tag, READY, False)
    assert row["opts"] == {"src": False, "debuginfo": False, "separate_src": False, "maven": False}
    assert row["custom_opts"] == {} and isinstance(row["creation_ts"], float)
    # its check for a newer repo: clauses ANDed, a JSON field compared as JSON
    clauses = [["tag_id", "=", tag_id], ["state", "=", READY], ["create_event", ">", 0], ["dist", "=", False]]
    assert anon.repo.query([*clauses, ["custom_opts", "=", "{}"]], ["id"]) == [{"id": repo_id}]
    assert anon.repo.query([["tag_id", tag_id]]) == [{k: row[k] for k in (
        "id", "tag_id", "create_event", "state", "dist", "task_id", "opts", "custom_opts")}]  # fmt: skip
    assert anon.repo.query([["tag_id", [tag_id]]], ["id"], {"countOnly": True}) == 1
    assert anon.repo.query([["tag_id", "=", tag_id]], ["tag_id", "id"], {"asList": True}) == [[repo_id, tag_id]]
    assert anon.repo.query([["opts", "@>", '{"src": false}'], ["tag_id", "=", tag_id]], ["id"]) == [{"id": repo_id}]
    assert anon.repo.query([["task_id", "IS", None], ["tag_id", "=", tag_id]], ["id"]) == [{"id": repo_id}]
    for bad, message in (
        ([["nope", "=", 1]], "Invalid field for query RepoQuery: nope"),
        ([["id", "~", 1]], "Invalid operator: ~"),
        ([["id"]], "Invalid clause"),
    ):
        with pytest.raises(koji.ParameterError, match=message):
            anon.repo.query(bad)
    with pytest.raises(koji.ParameterError, match="Invalid field"):
        anon.repo.query([], ["nope"])


def test_repo_queue_end_events_priority_and_external_data(hub, admin, anon, kojira):
    tag = unique("queue")
    admin.createTag(tag, arches="x86_64")
    host, _ = host_session(hub, admin)
    answer = host.repo.request(tag)
    request = answer["request"]
    # the newRepo task belongs to the repo queue user, not to the host that asked (Koji's RepoQueueUser)
    task = admin.getTaskInfo(request["task_id"])
    assert (task["method"], task["owner"]) == ("newRepo", admin.getUser(QUEUE_USER)["id"])
    assert request["owner"] == host.getLoggedInUser()["id"]
    queued = anon.repo.queryQueue([["tag_id", "=", admin.getTag(tag)["id"]]], "**")
    assert [q["id"] for q in queued] == [request["id"]] and queued[0]["owner_name"] == host.getLoggedInUser()["name"]
    assert set(queued[0]) >= {"create_time", "update_time", "priority", "task_state", "tries", "active"}
    assert anon.repo.queryQueue([["task_id", "=", request["task_id"]]], ["id"]) == [{"id": request["id"]}]
    assert anon.repo.queryQueue([["id", "=", request["id"]]], opts={"countOnly": True}) == 1
    default = anon.repo.queryQueue([["id", "=", request["id"]]])[0]
    assert set(default) == {"id", "tag_id", "at_event", "min_event", "create_ts", "task_id", "tries", "repo_id"} | {
        "opts", "active", "update_ts"}  # fmt: skip

    admin.repo.setRequestPriority(request["id"], 5)
    assert anon.repo.queryQueue([["id", "=", request["id"]]], ["priority"]) == [{"priority": 5}]
    with pytest.raises(koji.ActionNotAllowed):
        kojira.repo.setRequestPriority(request["id"], 1)  # admins only, as in Koji

    # end events: a READY repo learns the first later change of its tag
    repo_id = _ready_repo(hub, admin, kojira, tag)
    assert anon.repo.query([["id", "=", repo_id]], ["end_event"]) == [{"end_event": None}]
    admin.packageListAdd(tag, unique("later"), owner=ADMIN[0])
    kojira.repo.updateEndEvents()
    [row] = anon.repo.query([["id", "=", repo_id]], ["end_event", "create_event"])
    assert row["end_event"] is not None and row["end_event"] > row["create_event"]
    with pytest.raises(koji.ActionNotAllowed):
        anon.repo.updateEndEvents()

    # external repo data: there are no external repos, as on a Koji site that defines none
    with pytest.raises(koji.GenericError, match="No such entry in table external_repo: fedora"):
        anon.repo.getExternalRepoData("fedora")
    with pytest.raises(koji.GenericError, match="No such entry in table external_repo: 1"):
        kojira.repo.setExternalRepoData(1, {"max_ts": 1})


def test_kojira_deletes_with_set_state_and_no_directory_is_left(hub, admin, kojira):
    """Upstream kojira marks an expired repo DELETED itself (it may not be able to write topdir): the hub removes it."""
    tag = unique("del")
    admin.createTag(tag, arches="x86_64")
    repo_id = _ready_repo(hub, admin, kojira, tag)
    directory = hub.topdir / "repos" / tag / str(repo_id)
    assert directory.is_dir()
    kojira.repo.setState(repo_id, EXPIRED)
    kojira.repo.setState(repo_id, DELETED)
    assert admin.repoInfo(repo_id)["state"] == DELETED
    assert not directory.exists()
    with pytest.raises(koji.GenericError, match=f"Repo {repo_id} is deleted"):
        kojira.repo.setState(repo_id, READY)


# --- kojid: tag notifications, finished tasks, build root lists, policies, next release -------------


def test_a_new_hub_lays_out_its_topdir_as_koji_does(request, tmp_path):
    """kojid refuses newRepo tasks ("No access to repos dir") until topdir/repos exists: the hub makes it."""
    fresh = start_hub(request, "sqlite", tmp_path)
    assert sorted(p.name for p in fresh.topdir.iterdir() if p.is_dir()) == ["packages", "repos", "work"]


@pytest.fixture
def builder(hub, admin) -> tuple[koji.ClientSession, int]:
    channel = unique("kchan")
    admin.addChannel(channel)
    session, host_id = channel_builder(hub, admin, channel)
    session.channel = channel
    return session, host_id


def test_kojids_task_calls(admin, anon, builder):
    host, host_id = builder
    tag = unique("ntag")
    admin.createTag(tag)
    build_id = admin.createEmptyBuild(unique("npkg"), "1", "1", None)
    # host.tagNotification: recorded nowhere, None (Koji with notifications off), and only for hosts
    assert host.host.tagNotification(True, admin.getTag(tag)["id"], None, build_id, ADMIN[0], True) is None
    assert host.host.tagNotification(False, tag, None, build_id, None, False, "TagError: boom") is None
    with pytest.raises(koji.AuthError):
        admin.host.tagNotification(True, tag, None, build_id, None)

    # taskFinished: ended, in any of the three ways
    task_id = admin.makeTask("sleep", [1], channel=host.channel)
    assert anon.taskFinished(task_id) is False
    admin.assignTask(task_id, host_id)
    host.host.openTask(task_id)
    assert anon.taskFinished(task_id) is False
    host.host.closeTask(task_id, task_result("done"))
    assert anon.taskFinished(task_id) is True
    canceled = admin.makeTask("sleep", [1], channel=host.channel)
    admin.cancelTask(canceled)
    assert anon.taskFinished(canceled) is True
    with pytest.raises(koji.GenericError, match="No such task"):
        anon.taskFinished(999999)


def test_build_root_lists_and_list_lookups(admin, anon, builder, imported_rpm):
    host, host_id = builder
    task_id = admin.makeTask("sleep", [1], channel=host.channel)
    admin.assignTask(task_id, host_id)
    host.host.openTask(task_id)
    root = host.host.newBuildRoot(None, "x86_64", task_id)
    other = host.host.newBuildRoot(None, "x86_64", task_id)
    rpm = imported_rpm["rpm"]
    # kojid's keys after a build root's init (id for an internal rpm, payloadhash, size, buildtime)
    entry = {k: rpm[k] for k in ("id", "name", "version", "release", "epoch", "arch", "payloadhash", "size")}
    host.host.setBuildRootList(root, [{**entry, "buildtime": rpm["buildtime"]}])
    assert [r["id"] for r in anon.listRPMs(componentBuildrootID=root)] == [rpm["id"]]
    host.host.setBuildRootState(root, "BUILDING")
    with pytest.raises(koji.GenericError, match=f"buildroot {root} in wrong state 2"):
        host.host.setBuildRootList(root, [])
    # kojid asks for the roots it has left behind by a tuple of ids
    found = anon.listBuildroots(buildrootID=(root, other))
    assert sorted(b["id"] for b in found) == [root, other]
    assert [b["id"] for b in anon.listBuildroots(buildrootID=[other])] == [other]
    assert anon.listBuildroots(hostID=host_id, state=(0, 1, 2), queryOpts={"countOnly": True}) == 2


def test_policies_as_kojid_asks_them(admin, anon, builder):
    host, _ = builder
    scm = {"scm_host": "git.example.com", "scm_repository": "/x.git", "scm_type": "GIT", "user_id": 1}
    assert anon.evalPolicy("build_from_scm", scm) == "allow"  # kiln's default: any SCM the builder allows
    assert anon.evalPolicy("build_from_srpm", {"user_id": admin.getLoggedInUser()["id"]}) == "allow"
    user = make_user_id(admin)
    assert anon.evalPolicy("build_from_srpm", {"user_id": user}).startswith("deny Only admin")
    with pytest.raises(koji.GenericError, match="no such policy: nope"):
        anon.evalPolicy("nope", {})
    assert host.host.checkPolicy("build_from_srpm", {"user_id": user}) == [
        False,
        "Only admin can do this via default policy",
    ]
    assert host.host.checkPolicy("build_rpm", {}) == [True, ""]
    assert host.host.checkPolicy("nope", {}) == [True, "missing policy"]  # Koji's MissingPolicyOk
    with pytest.raises(koji.ActionNotAllowed, match=r"policy violation \(build_from_srpm\)"):
        host.host.checkPolicy("build_from_srpm", {"user_id": user}, "deny", True)
    with pytest.raises(koji.AuthError):
        admin.host.checkPolicy("build_rpm", {})


def make_user_id(admin) -> int:
    name = unique("pol")
    return admin.createUser(name)


@pytest.mark.parametrize(
    ("releases", "expected"),
    [([], "1"), (["7"], "8"), (["3.el9"], "4.el9"), (["1.el9.2"], "1.el9.3"), (["5", "2"], "3")],
)
def test_next_release(admin, anon, releases, expected):
    name = unique("rel")
    for release in releases:
        admin.createEmptyBuild(name, "1.0", release, None)
    assert anon.getNextRelease({"name": name, "version": "1.0"}) == expected
    if releases:
        assert anon.getNextRelease({"name": name, "version": "1.0"}, 2) != expected


def test_next_release_refuses_what_it_cannot_count_up(admin, anon):
    name = unique("rel")
    admin.createEmptyBuild(name, "1.0", "0.1.beta.x", None)
    with pytest.raises(koji.BuildError, match="Unable to increment release value: 0.1.beta.x"):
        anon.getNextRelease({"name": name, "version": "1.0"})
    with pytest.raises(koji.ParameterError, match="incr parameter must be an integer"):
        anon.getNextRelease({"name": name, "version": "1.0"}, "x")


def test_maven_and_windows_builds_are_switched_off(admin, anon):
    """As on a Koji hub without EnableMaven and EnableWin: the reason, not "Invalid method"."""
    for call in (
        lambda: admin.mavenBuild("git://x/y.git#1", "t"),
        lambda: admin.wrapperRPM("b-1-1", "git://x/y.git#1", "t"),
        lambda: admin.chainMaven({}, "t"),
    ):
        with pytest.raises(koji.GenericError, match="Maven support not enabled"):
            call()
    with pytest.raises(koji.GenericError, match="Windows support not enabled"):
        admin.winBuild("vm", "git://x/y.git#1", "t")
    with pytest.raises(koji.ActionNotAllowed):
        anon.mavenBuild("git://x/y.git#1", "t")
