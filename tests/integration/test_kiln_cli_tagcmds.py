"""kiln's tag, inheritance, target, package, repo and history commands against koji's, on one real hub.

Each write command runs as kiln on one object and as koji on its twin, and
the hub's state must come out the same; output is compared where it does not
hold ids.  list-tag-inheritance and list-history are compared with koji over
a prepared set of changes.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

import koji
import pytest

from tests.conftest import ADMIN, host_session, make_user, task_result, unique
from tests.support.hub import HubProcess
from tests.support.kiln_cli import KILN, kiln, kiln_json, plain, same_output
from tests.support.koji_cli import KOJI, KojiCLI, write_koji_conf


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


@pytest.fixture(scope="module")
def koji_cli(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> KojiCLI:
    config = write_koji_conf(hub, tmp_path_factory.mktemp("tagcmds") / "koji.conf")
    with config.open("a") as conf:
        conf.write("poll_interval = 1\n")  # both clients' waits poll each second
    return KojiCLI(hub, config)


def both(koji_cli: KojiCLI, template: list[str], **names: tuple[str, str]) -> tuple:
    """Run ``template`` as kiln with the first of each pair of names, as koji with the second."""
    ours = kiln(koji_cli.config, *[w.format(**{k: v[0] for k, v in names.items()}) for w in template], user=ADMIN)
    theirs = koji_cli(*[w.format(**{k: v[1] for k, v in names.items()}) for w in template], check=False)
    return ours, theirs


def same_effect(koji_cli: KojiCLI, template: list[str], **names: tuple[str, str]) -> None:
    """Both succeed, printing the same (once each one's names are swapped for the keys) and nothing on stderr."""
    ours, theirs = both(koji_cli, template, **names)
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert ours.stderr == theirs.stderr == ""

    def neutral(text: str, side: int) -> str:
        for key, pair in names.items():
            text = text.replace(pair[side], key.upper())
        return text

    assert neutral(ours.stdout, 0) == neutral(theirs.stdout, 1)


def same_failure(koji_cli: KojiCLI, args: list[str], code: int, message: str, lines: int = 1) -> None:
    """Both exit ``code``; kiln's last stderr line is ``message`` in kiln's form, koji's names it too.

    kiln's stderr is one line (``lines`` where koji too warns before its error).
    """
    ours = kiln(koji_cli.config, *args, user=ADMIN)
    theirs = koji_cli(*args, check=False)
    assert ours.returncode == theirs.returncode == code, (ours.stderr, theirs.stderr)
    assert len(ours.stderr.splitlines()) == lines, ours.stderr
    assert ours.stderr.rstrip("\n").endswith(message), ours.stderr
    assert message in theirs.stderr, theirs.stderr


def pair(prefix: str) -> tuple[str, str]:
    base = unique(prefix)
    return f"{base}-kiln", f"{base}-koji"


def without_identity(info: dict) -> dict:
    return {key: value for key, value in info.items() if key not in ("id", "name")}


# --- edit-tag, remove-tag -------------------------------------------------------


def test_edit_tag_every_option(koji_cli, admin):
    parent = unique("etparent")
    admin.createTag(parent, extra={"inherited.x": 1})
    tags = pair("edittag")
    renamed = (tags[0] + "-new", tags[1] + "-new")
    for name in tags:
        admin.createTag(name, parent=parent, extra={"old": "v"})
    same_effect(
        koji_cli,
        ["edit-tag", "{tag}", "--arches", "x86_64,aarch64", "--perm", "admin", "--lock", "--maven-support"]
        + ["-x", "num=1", "-x", 'js={{"k": [1, 2]}}', "-x", "word=text", "-r", "old", "-b", "inherited.x"],
        tag=tags,
    )
    ours, theirs = admin.getTag(tags[0]), admin.getTag(tags[1])
    assert without_identity(ours) == without_identity(theirs)
    assert ours["locked"] and ours["perm"] == "admin" and ours["arches"] == "x86_64 aarch64"
    assert ours["extra"] == {"num": 1, "js": {"k": [1, 2]}, "word": "text"}
    assert "inherited.x" not in admin.getBuildConfig(tags[0])["extra"]
    same_effect(
        koji_cli,
        ["edit-tag", "{tag}", "--no-perm", "--unlock", "--no-maven-support", "--include-all", "--rename", "{new}"],
        tag=tags,
        new=renamed,
    )
    ours, theirs = admin.getTag(renamed[0]), admin.getTag(renamed[1])
    assert without_identity(ours) == without_identity(theirs)
    assert not ours["locked"] and ours["perm"] is None and ours["maven_include_all"]
    assert admin.getTag(tags[0]) is None


def test_edit_tag_bad_usage(koji_cli, admin):
    ghost = unique("ghost")
    same_failure(koji_cli, ["edit-tag"], 2, "Please specify a name for the tag")
    same_failure(koji_cli, ["edit-tag", ghost, "--lock"], 1, f"GenericError: No such tagInfo: '{ghost}'")
    name = unique("dupx")
    admin.createTag(name)
    same_failure(koji_cli, ["edit-tag", name, "-x", "a=1", "-x", "a=2"], 2, "Duplicate extra key: a")
    assert admin.getTag(name)["extra"] == {}


def test_remove_tag(koji_cli, admin):
    tags = pair("rmtag")
    for name in tags:
        admin.createTag(name)
    same_effect(koji_cli, ["remove-tag", "{tag}"], tag=tags)
    assert admin.getTag(tags[0]) is None and admin.getTag(tags[1]) is None
    same_failure(koji_cli, ["remove-tag", tags[0]], 1, f"No such tag: {tags[0]}")
    same_failure(koji_cli, ["remove-tag"], 2, "Please specify a tag to remove")


def test_remove_tag_needs_the_permission(koji_cli, hub, admin):
    name = unique("keep")
    admin.createTag(name)
    user = make_user(hub, admin)
    ours = kiln(koji_cli.config, "remove-tag", name, user=user)
    theirs = koji_cli("remove-tag", name, user=user, check=False)
    assert ours.returncode == theirs.returncode == 2
    assert ours.stderr == "kiln remove-tag: error: This action requires tag or admin privileges\n"
    assert admin.getTag(name) is not None


# --- tag inheritance --------------------------------------------------------------


def links(admin, tag: str) -> list:
    return sorted(
        (link["name"], without_identity(link) | {"child_id": 0, "parent_id": 0})
        for link in [dict(link, name=admin.getTag(link["parent_id"])["name"]) for link in admin.getInheritanceData(tag)]
    )


@pytest.mark.slow
def test_add_edit_remove_tag_inheritance(koji_cli, admin):
    parents = [unique("par") for _ in range(2)]
    for name in parents:
        admin.createTag(name)
    tags = pair("child")
    for name in tags:
        admin.createTag(name, parent=parents[0])
    same_effect(
        koji_cli,
        ["add-tag-inheritance", "{tag}", parents[1], "--priority", "10", "--maxdepth", "2"]
        + ["--intransitive", "--noconfig", "--pkg-filter", "^foo"],
        tag=tags,
    )
    assert links(admin, tags[0]) == links(admin, tags[1])
    [second] = [link for link in admin.getInheritanceData(tags[0]) if link["priority"] == 10]
    assert (second["maxdepth"], second["intransitive"], second["noconfig"], second["pkg_filter"]) == (
        2,
        True,
        True,
        "^foo",
    )
    same_effect(
        koji_cli,
        ["edit-tag-inheritance", "{tag}", parents[0], "--priority", "5", "--maxdepth", "3", "--pkg-filter", "bar"],
        tag=tags,
    )
    assert links(admin, tags[0]) == links(admin, tags[1])
    same_effect(koji_cli, ["edit-tag-inheritance", "{tag}", parents[0], "5", "--maxdepth", "none"], tag=tags)
    assert links(admin, tags[0]) == links(admin, tags[1])
    assert [link["maxdepth"] for link in admin.getInheritanceData(tags[0])] == [None, 2]
    same_effect(koji_cli, ["remove-tag-inheritance", "{tag}", parents[1]], tag=tags)
    assert links(admin, tags[0]) == links(admin, tags[1])
    assert [link["parent_id"] for link in admin.getInheritanceData(tags[0])] == [admin.getTag(parents[0])["id"]]


@pytest.mark.slow
def test_tag_inheritance_errors(koji_cli, admin):
    parent, child, ghost = unique("epar"), unique("echild"), unique("ghost")
    admin.createTag(parent)
    admin.createTag(child, parent=parent)
    before = admin.getInheritanceData(child)
    two = "This command takes exactly two arguments: a tag name or ID and that tag's new parent name or ID"
    same_failure(koji_cli, ["add-tag-inheritance", child], 2, two)
    same_failure(koji_cli, ["add-tag-inheritance", child, ghost], 2, f"No such tag: {ghost}")
    same_failure(
        koji_cli,
        ["add-tag-inheritance", child, parent],
        1,
        "Please use --force if this is what you really want to do.",
        2,
    )
    other = unique("other")
    admin.createTag(other)
    same_failure(
        koji_cli,
        ["add-tag-inheritance", child, other],
        1,
        f"Error: There is already an active inheritance with that priority on {child}, "
        "please specify a different priority with --priority.",
    )
    missing = "No inheritance link found to remove.  Please check your arguments"
    same_failure(koji_cli, ["edit-tag-inheritance", child, other, "--priority", "3"], 1, missing)
    same_failure(koji_cli, ["remove-tag-inheritance", other], 1, missing)
    same_failure(koji_cli, ["remove-tag-inheritance"], 2, "This command takes at least one argument: a tag name or ID")
    same_failure(koji_cli, ["edit-tag-inheritance", child, parent, "--maxdepth", "x"], 1, "Invalid maxdepth: x")
    assert admin.getInheritanceData(child) == before


@pytest.fixture(scope="module")
def tree(hub) -> dict:
    """A tag with a deep, branching ancestry (flags on some links), and the event before its last change."""
    admin = koji.ClientSession(hub.url, opts={"max_retries": 0})
    admin.opts["user"], admin.opts["password"] = ADMIN
    admin.login()
    p = unique("tree")
    names = {key: f"{p}-{key}" for key in ("leaf", "a", "b", "c", "a1", "a2", "b1", "top", "kid")}
    for key in ("top", "a1", "a2", "b1", "c", "a", "b", "leaf", "kid"):
        admin.createTag(names[key])

    def link(child: str, parent: str, priority: int, **flags: object) -> None:
        data = {"parent_id": admin.getTag(names[parent])["id"], "priority": priority, "maxdepth": None}
        data |= {"intransitive": False, "noconfig": False, "pkg_filter": ""} | flags
        admin.setInheritanceData(names[child], [*admin.getInheritanceData(names[child]), data])

    link("leaf", "a", 10)
    link("leaf", "b", 20, maxdepth=1)
    link("leaf", "c", 30, noconfig=True)
    link("a", "a1", 0, pkg_filter="^x")
    link("a", "a2", 5)
    link("a1", "top", 0)
    link("a2", "top", 0, intransitive=True)
    link("b", "b1", 0)
    link("kid", "leaf", 0)
    event = admin.getLastEvent()["id"]
    link("c", "top", 0)
    admin.logout()
    return {"names": names, "event": event}


@pytest.mark.parametrize("options", [[], ["--reverse"]], ids=str)
def test_list_tag_inheritance_tree(koji_cli, tree, options):
    names = tree["names"]
    for tag in ("leaf", "kid", "top", "a"):
        text = same_output(koji_cli, "list-tag-inheritance", names[tag], *options)
        assert text.startswith(f"     {names[tag]} (")
    assert "\u251c" in same_output(koji_cli, "list-tag-inheritance", names["kid"])


def test_list_tag_inheritance_at_event_json_and_errors(koji_cli, admin, tree):
    names = tree["names"]
    before = same_output(koji_cli, "list-tag-inheritance", "--event", str(tree["event"]), names["leaf"])
    assert before.startswith(f"Querying at event {tree['event']} (")
    # a2's link to top is intransitive: top comes only through a1, and later through c too
    assert before.count(names["top"]) == 1
    assert same_output(koji_cli, "list-tag-inheritance", names["leaf"]).count(names["top"]) == 2
    leaf_id = admin.getTag(names["leaf"])["id"]
    assert kiln_json(koji_cli, "list-tag-inheritance", names["leaf"]) == plain(admin.getFullInheritance(leaf_id))
    ghost = unique("ghost")
    same_failure(koji_cli, ["list-tag-inheritance", ghost], 2, f"No such tag: {ghost}")
    same_failure(koji_cli, ["list-tag-inheritance"], 2, "This command takes exactly one argument: a tag name or ID")
    same_failure(koji_cli, ["list-tag-inheritance", "--stop", "x", ghost], 2, "--stop option has been removed in 1.26")


# --- targets --------------------------------------------------------------------


@pytest.mark.slow
def test_edit_and_remove_target(koji_cli, admin):
    build, dest, build2, dest2 = (unique(k) for k in ("tb", "td", "tb2", "td2"))
    admin.createTag(build, arches="x86_64")
    admin.createTag(build2, arches="aarch64")
    admin.createTag(dest)
    admin.createTag(dest2)
    targets = pair("target")
    renamed = (targets[0] + "-new", targets[1] + "-new")
    for name in targets:
        admin.createBuildTarget(name, build, dest)
    same_effect(
        koji_cli,
        ["edit-target", "{target}", "--rename", "{new}", "--build-tag", build2, "--dest-tag", dest2],
        target=targets,
        new=renamed,
    )
    ours, theirs = admin.getBuildTarget(renamed[0]), admin.getBuildTarget(renamed[1])
    assert without_identity(ours) == without_identity(theirs)
    assert (ours["build_tag_name"], ours["dest_tag_name"]) == (build2, dest2)
    same_failure(koji_cli, ["edit-target", renamed[0], "--build-tag", dest], 1, f"Build tag has no arches: {dest}")
    ghost = unique("ghost")
    same_failure(koji_cli, ["edit-target", renamed[0], "--dest-tag", ghost], 1, f"No such destination tag: {ghost}")
    same_failure(koji_cli, ["edit-target", ghost], 1, f"No such build target: {ghost}")
    same_failure(koji_cli, ["edit-target"], 2, "Please specify a build target")
    same_effect(koji_cli, ["remove-target", "{target}"], target=renamed)
    assert admin.getBuildTarget(renamed[0]) is None and admin.getBuildTarget(renamed[1]) is None
    same_failure(koji_cli, ["remove-target", ghost], 1, f"No such build target: {ghost}")
    same_failure(koji_cli, ["remove-target"], 2, "Please specify a build target to remove")


# --- packages -------------------------------------------------------------------


def listing(admin, tag: str) -> list:
    rows = admin.listPackages(tagID=admin.getTag(tag)["id"], inherited=True)
    return sorted((r["package_name"], r["owner_name"], r["blocked"], r["tag_id"] == r["tag_id"]) for r in rows)


@pytest.mark.slow
def test_package_list_commands(koji_cli, hub, admin):
    owner, _ = make_user(hub, admin)
    parent = unique("pkgparent")
    admin.createTag(parent)
    admin.packageListAdd(parent, "inherited-pkg", owner=ADMIN[0])
    tags = pair("pkgtag")
    for name in tags:
        admin.createTag(name, parent=parent)
        for package in ("p1", "p2", "p3"):
            admin.packageListAdd(name, package, owner=ADMIN[0])
    same_effect(koji_cli, ["remove-pkg", "{tag}", "p1"], tag=tags)
    same_effect(koji_cli, ["block-pkg", "{tag}", "p2", "inherited-pkg"], tag=tags)
    same_effect(koji_cli, ["set-pkg-owner", owner, "{tag}", "p3", "p2"], tag=tags)
    assert listing(admin, tags[0]) == listing(admin, tags[1])
    assert ("inherited-pkg", ADMIN[0], True, True) in listing(admin, tags[0])
    assert "p1" not in [row[0] for row in listing(admin, tags[0])]
    same_effect(koji_cli, ["unblock-pkg", "{tag}", "p2"], tag=tags)
    same_effect(koji_cli, ["remove-pkg", "--force", "{tag}", "p3"], tag=tags)
    assert listing(admin, tags[0]) == listing(admin, tags[1])
    assert ("p2", owner, False, True) in listing(admin, tags[0])


@pytest.mark.slow
def test_package_list_command_errors(koji_cli, admin):
    tag, ghost = unique("pkgerr"), unique("ghost")
    admin.createTag(tag)
    admin.packageListAdd(tag, "here", owner=ADMIN[0])
    before = listing(admin, tag)
    for args, message in [
        (["remove-pkg", tag, "here", "absent"], f"Package absent is not in tag {tag}"),
        (["block-pkg", tag, "absent", "here"], f"Package absent doesn't exist in tag {tag}"),
        (["remove-pkg", ghost, "here"], f"No such tag: {ghost}"),
    ]:
        ours, theirs = both(koji_cli, args)
        assert ours.returncode == theirs.returncode == 1, args
        assert ours.stderr.rstrip("\n").endswith(message) and message in theirs.stderr, (ours.stderr, theirs.stderr)
    # faults of the hub: the same text from both clients, kiln's on one line
    for args in (["set-pkg-owner", ghost, tag, "here"], ["unblock-pkg", tag, "here"], ["unblock-pkg", ghost, "here"]):
        ours, theirs = both(koji_cli, args)
        assert ours.returncode == theirs.returncode == 1, args
        fault = theirs.stderr.strip().splitlines()[-1].split(" koji: ", 1)[1]  # after koji's log prefix
        assert ours.stderr == f"kiln: error: {fault}\n", (ours.stderr, theirs.stderr)
    for command in ("remove-pkg", "block-pkg", "unblock-pkg"):
        same_failure(koji_cli, [command, tag], 2, "Please specify a tag and at least one package")
    same_failure(
        koji_cli, ["set-pkg-owner", ADMIN[0], tag], 2, "Please specify an owner, a tag, and at least one package"
    )
    assert listing(admin, tag) == before


# --- repos ------------------------------------------------------------------------


def ready_repo(hub, admin, tag: str) -> int:
    """A READY repo of ``tag`` at its current event, as a repo task would leave it."""
    host, _ = host_session(hub, admin)
    repo_id, _event = host.host.repoInit(tag)
    admin.repo.setState(repo_id, koji.REPO_STATES["READY"])
    return repo_id


@pytest.mark.slow
def test_regen_repo_requests_a_repo(koji_cli, hub, admin):
    tag = unique("regen")
    admin.createTag(tag, arches="x86_64")
    first = kiln(koji_cli.config, "regen-repo", tag, user=ADMIN)
    assert first.returncode == 0, first.stderr
    request_id, task_id = re.fullmatch(
        r"Got request: (\d+)\nGot task: (\d+)\nTask info: \S+taskID=\2\n", first.stdout
    ).groups()
    check = admin.repo.checkRequest(int(request_id))
    assert check["request"]["tag_id"] == admin.getTag(tag)["id"] and check["request"]["active"]
    assert admin.getTaskInfo(int(task_id))["method"] == "newRepo"
    # asked again, the hub answers the same request: both clients print it alike
    assert same_output(koji_cli, "regen-repo", tag, user=ADMIN) == first.stdout
    repo_id = ready_repo(hub, admin, tag)
    assert same_output(koji_cli, "regen-repo", tag, "--nowait", user=ADMIN).startswith(f"Got repo {repo_id}\n")
    target = unique("regentarget")
    admin.createBuildTarget(target, tag, tag)
    assert same_output(koji_cli, "regen-repo", "--target", target, user=ADMIN).startswith(f"Got repo {repo_id}\n")
    ghost = unique("ghost")
    same_failure(koji_cli, ["regen-repo", ghost], 2, f"No such tag: {ghost}")
    same_failure(koji_cli, ["regen-repo"], 2, "A tag name must be specified")
    same_failure(koji_cli, ["regen-repo", "--target", tag], 2, f"No such build target: {tag}")


def test_regen_repo_make_task(koji_cli, admin):
    tags = pair("mktask")
    for name in tags:
        admin.createTag(name)
    ours, theirs = both(koji_cli, ["regen-repo", "--make-task", "--debuginfo", "--source", "{tag}"], tag=tags)
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert ours.stderr.replace(tags[0], "T") == theirs.stderr.replace(tags[1], "T")
    assert f"Tag {tags[0]} has an empty arch list" in ours.stderr
    [our_task, their_task] = [int(re.search(r"Created task: (\d+)", r.stdout).group(1)) for r in (ours, theirs)]

    def neutral(text: str, tag: str) -> str:
        return re.sub(r"(task: |taskID=)\d+", r"\1N", text.replace(tag, "T"))

    assert neutral(ours.stdout, tags[0]) == neutral(theirs.stdout, tags[1])
    ours_info, theirs_info = (admin.getTaskInfo(t, request=True) for t in (our_task, their_task))
    assert ours_info["method"] == theirs_info["method"] == "newRepo"
    assert ours_info["request"][1:] == theirs_info["request"][1:]


@pytest.mark.slow
def test_wait_repo(koji_cli, hub, admin):
    tag = unique("waitrepo")
    admin.createTag(tag, arches="x86_64")
    repo_id = ready_repo(hub, admin, tag)
    for options in ([], ["--request"], ["--quiet"]):
        ours = kiln(koji_cli.config, "wait-repo", tag, *options, user=ADMIN)
        theirs = koji_cli("wait-repo", tag, *options, check=False)
        assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
        assert (ours.stdout, ours.stderr) == (theirs.stdout, theirs.stderr)
        assert ours.stdout == ("" if options == ["--quiet"] else f"Got repo {repo_id}\n{ours.stdout.splitlines()[1]}\n")
    target = unique("waittarget")
    admin.createBuildTarget(target, tag, tag)
    ours = kiln(koji_cli.config, "wait-repo", "--target", target)
    theirs = koji_cli("wait-repo", "--target", target, user=None)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours.stdout.startswith(f"Got repo {repo_id}\n")
    build = admin.createEmptyBuild(unique("pkg"), "1", "1", None)
    nvr = admin.getBuild(build)["nvr"]
    admin.packageListAdd(tag, nvr.rsplit("-", 2)[0], owner=ADMIN[0])
    admin.tagBuildBypass(tag, build)
    # the repo lacks the build: with a request, wait-repo gives up at the timeout
    fresh = unique("nobuild")
    admin.createTag(fresh, arches="x86_64")
    ours = kiln(koji_cli.config, "wait-repo", fresh, "--request", "--timeout", "0", user=ADMIN)
    theirs = koji_cli("wait-repo", fresh, "--request", "--timeout", "0", check=False)
    assert ours.returncode == theirs.returncode == 1
    message = f"Failed to get repo -- Unsuccessfully waited 0:0N for a new {fresh} repo"
    assert re.sub("0:0[0-9]", "0:0N", ours.stderr).endswith(message + "\n")
    assert re.sub("0:0[0-9]", "0:0N", theirs.stderr).endswith(message + "\n")
    new_repo = ready_repo(hub, admin, tag)
    ours = kiln(koji_cli.config, "wait-repo", tag, "--build", nvr, "--request", "--quiet", user=ADMIN)
    theirs = koji_cli("wait-repo", tag, "--build", nvr, "--request", "--quiet")
    assert (ours.returncode, ours.stdout, ours.stderr) == (0, "", theirs.stderr)
    assert kiln(koji_cli.config, "wait-repo", tag, "--build", nvr).stdout.startswith(f"Got repo {new_repo}\n")
    ghost = unique("ghost")
    same_failure(koji_cli, ["wait-repo", "--no-request", ghost], 2, f"No such tag: {ghost}")
    same_failure(koji_cli, ["wait-repo"], 2, "Please specify a tag name")


# --- list-history ---------------------------------------------------------------


@pytest.fixture(scope="module")
def changes(hub) -> dict:
    """One of each kind of change the hub records, on objects of this fixture's own."""
    admin = koji.ClientSession(hub.url, opts={"max_retries": 0})
    admin.opts["user"], admin.opts["password"] = ADMIN
    admin.login()
    p = unique("hist")
    names = {k: f"{p}-{k}" for k in ("tag", "parent", "build", "target", "user", "host", "chan", "pkg", "group")}
    admin.createTag(names["parent"], extra={"inh": 1})
    admin.createTag(names["tag"], parent=names["parent"], arches="x86_64", extra={"k": "v"})
    admin.editTag2(names["tag"], arches="x86_64 aarch64", locked=True, extra={"k": "w", "n": 2}, remove_extra=[])
    admin.editTag2(names["tag"], locked=False, remove_extra=["n"], block_extra=["inh"])
    admin.createTag(names["build"], arches="x86_64")
    other = admin.getInheritanceData(names["tag"])
    admin.setInheritanceData(names["tag"], [dict(other[0], priority=3, maxdepth=2)])
    admin.setInheritanceData(names["tag"], [dict(other[0], parent_id=admin.getTag(names["build"])["id"], priority=7)])
    admin.setInheritanceData(names["tag"], [{"parent_id": admin.getTag(names["build"])["id"], "delete link": True}])
    user, _ = make_user(hub, admin, names["user"])
    admin.packageListAdd(names["tag"], names["pkg"], owner=ADMIN[0])
    admin.packageListSetOwner(names["tag"], names["pkg"], user)
    admin.packageListBlock(names["tag"], names["pkg"])
    admin.packageListUnblock(names["tag"], names["pkg"])
    admin.packageListAdd(names["tag"], "other-" + names["pkg"], owner=user)
    admin.packageListRemove(names["tag"], "other-" + names["pkg"])
    build = admin.createEmptyBuild(names["pkg"], "1.0", "1", None)
    admin.tagBuildBypass(names["tag"], build)
    admin.untagBuild(names["tag"], build)
    admin.tagBuildBypass(names["tag"], build)
    admin.createBuildTarget(names["target"], names["build"], names["tag"])
    admin.editBuildTarget(names["target"], names["target"], names["build"], names["parent"])
    admin.deleteBuildTarget(names["target"])
    admin.grantPermission(user, "repo")
    admin.grantPermission(user, "tag")
    admin.revokePermission(user, "repo")
    admin.addHost(names["host"], ["x86_64"])
    admin.editHost(names["host"], capacity=3.0, comment="busy")
    admin.addChannel(names["chan"])
    admin.addHostToChannel(names["host"], names["chan"])
    admin.removeHostFromChannel(names["host"], names["chan"])
    admin.groupListAdd(names["tag"], names["group"])
    admin.groupPackageListAdd(names["tag"], names["group"], "bash")
    admin.groupPackageListAdd(names["tag"], names["group"], names["pkg"])
    admin.groupListRemove(names["tag"], names["group"])
    admin.logout()
    return names


@pytest.mark.parametrize(
    "selection",
    [
        ["--tag", "{tag}"],
        ["--tag", "{tag}", "-v"],
        ["--tag", "{tag}", "-e", "--utc"],
        ["--tag", "{tag}", "--active"],
        ["--tag", "{tag}", "--revoked", "--show", "tag_config,tag_extra"],
        ["--tag", "{parent}", "-v", "-s", "build_target_config"],
        ["--package", "{pkg}", "-v"],
        ["--build", "{pkg}-1.0-1"],
        ["--build-target", "{target}", "-v"],
        ["--user", "{user}", "-v"],
        ["--editor", "{user}"],
        ["--host", "{host}", "-v"],
        ["--channel", "{chan}"],
        ["--group", "{group}", "-v"],
        ["--permission", "repo", "--user", "{user}"],
    ],
    ids=str,
)
def test_list_history(koji_cli, changes, selection):
    args = [word.format(**changes) for word in selection]
    text = same_output(koji_cli, "list-history", *args)
    if "--editor" not in selection:
        assert text


def test_list_history_event_and_time_limits(koji_cli, admin, changes):
    rows = admin.queryHistory(tag=changes["tag"])["tag_config"]
    first, last = rows[0]["create_event"], rows[-1]["create_event"]
    text = same_output(koji_cli, "list-history", "--tag", changes["tag"], "--after-event", str(first), "-e")
    assert f"(eid {first})" not in text
    text = same_output(koji_cli, "list-history", "--tag", changes["tag"], "--before-event", str(last + 1), "-e")
    assert text
    ts = str(rows[0]["create_ts"] + 0.0001)
    same_output(koji_cli, "list-history", "--tag", changes["tag"], "--after", ts, "--context")
    same_output(koji_cli, "list-history", "--tag", changes["tag"], "--before", "2000-01-01 00:00")
    history = kiln_json(koji_cli, "list-history", "--tag", changes["tag"])
    assert history == plain(admin.queryHistory(tag=changes["tag"]))


def test_list_history_bad_usage(koji_cli):
    same_failure(koji_cli, ["list-history"], 2, "Please specify an option to limit the query")
    ghost = unique("ghost")
    same_failure(koji_cli, ["list-history", "--host", ghost], 1, f"No such host: {ghost}")
    same_failure(koji_cli, ["list-history", "--channel", ghost], 1, f"No such channel: {ghost}")
    same_failure(koji_cli, ["list-history", "extra"], 2, "This command takes no arguments")


def test_list_history_shows_edits_with_their_changed_fields(koji_cli, changes):
    text = same_output(koji_cli, "list-history", "--tag", changes["tag"])
    tag = changes["tag"]
    for line in [
        f"new tag: {tag} by {ADMIN[0]}",
        f"tag configuration for {tag} altered by {ADMIN[0]}",
        "    arches: x86_64 -> x86_64 aarch64",
        f"tag option k for tag {tag} altered",
        f"inheritance line {tag}->{changes['parent']} updated",
        f"package owner changed for {changes['pkg']} in {tag}",
        f"{changes['pkg']}-1.0-1 untagged from {tag}",
        f"{changes['pkg']}-1.0-1 tagged into {tag} by {ADMIN[0]} [still active]",
    ]:
        assert line in text


@pytest.mark.slow
def test_regen_repo_make_task_waits_for_the_task(koji_cli, hub, admin):
    """With --wait, both clients watch their newRepo task until it closes (a host closes them here)."""
    tags = pair("mkwait")
    for name in tags:
        admin.createTag(name, arches="x86_64")
    command = ["regen-repo", "--make-task", "--wait"]
    auth = ["--user", ADMIN[0], "--password", ADMIN[1]]
    environ = {**os.environ, "TZ": "UTC"}
    environ.pop("KILN_SERVER", None)
    runs = [
        subprocess.Popen([str(KILN), "-c", str(koji_cli.config), *auth, *command, tags[0]], **PIPES, env=environ),
        subprocess.Popen([str(KOJI), "-c", str(koji_cli.config), *auth, *command, tags[1]], **PIPES, env=environ),
    ]
    host, _ = host_session(hub, admin)
    admin.addHostToChannel(admin.getHost(host.host.getID())["name"], "createrepo", create=True)
    for name in tags:
        [task] = wait_for_tasks(admin, name)
        host.host.openTask(task["id"])
        host.host.closeTask(task["id"], task_result(None))
    outputs = []
    for run, name in zip(runs, tags, strict=True):
        stdout, stderr = run.communicate(timeout=60)
        assert run.returncode == 0, stderr
        task_id = re.search(r"Created task: (\d+)", stdout).group(1)
        assert stdout.splitlines()[-1] == f"{task_id} newRepo ({name}) completed successfully"
        outputs.append(stdout.splitlines()[:4])
    assert outputs[0][3] == outputs[1][3] == "Watching tasks (this may be safely interrupted)..."


PIPES = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}


def wait_for_tasks(admin, tag: str) -> list:
    """The newRepo tasks of ``tag``, once the client has made one."""
    for _ in range(200):
        found = [t for t in admin.listTasks({"method": "newRepo", "decode": True}, {}) if t["request"][0] == tag]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no newRepo task for {tag}")


@pytest.mark.slow
def test_regen_repo_wait_follows_the_request(koji_cli, hub, admin):
    """Both clients wait on one request (the hub hands them the one already made); a ready repo answers both."""
    tag = unique("regenwait")
    admin.createTag(tag, arches="x86_64")
    auth = ["--user", ADMIN[0], "--password", ADMIN[1]]
    environ = {key: value for key, value in os.environ.items() if key != "KILN_SERVER"} | {"TZ": "UTC"}
    request = admin.repo.request(tag)["request"]
    runs = [
        subprocess.Popen(
            [str(client), "-c", str(koji_cli.config), *auth, "regen-repo", "--wait", tag], **PIPES, env=environ
        )
        for client in (KILN, KOJI)
    ]
    time.sleep(2)  # both are following the request now
    assert admin.repo.checkRequest(request["id"])["request"]["active"]
    repo_id = ready_repo(hub, admin, tag)
    ours, theirs = (run.communicate(timeout=60) for run in runs)
    assert [run.returncode for run in runs] == [0, 0], (ours[1], theirs[1])
    assert ours == theirs
    assert ours[0].startswith(f"Got repo {repo_id}\nRepo info: ")


def test_list_history_filters_as_kojis_hub(koji_cli, admin, changes):
    """--xkey, --user and --package select what Koji's hub selects; --cg and --external-repo find nothing here."""
    tag, pkg, user = changes["tag"], changes["pkg"], changes["user"]
    text = same_output(koji_cli, "list-history", "--tag", tag, "--xkey", "k")
    assert text and all(" tag option k for tag " in line for line in text.splitlines() if not line.startswith(" "))
    assert set(admin.queryHistory(tag=tag, xkey="k")) == {"tag_extra"}
    text = same_output(koji_cli, "list-history", "--user", user)
    assert f"package owner {user} set for other-{pkg} in {tag}" in text
    assert f"permission tag granted to {user}" in text
    text = same_output(koji_cli, "list-history", "--package", pkg)
    assert f"package {pkg} added to group {changes['group']} in tag {tag}" in text
    assert "package bash" not in text
    assert same_output(koji_cli, "list-history", "--tag", changes["build"], "-s", "build_target_config") == ""
    text = same_output(koji_cli, "list-history", "--tag", changes["parent"], "-s", "build_target_config")
    assert f"build target deleted: {changes['target']}" in text
    for option in ("--cg", "--external-repo"):
        assert same_output(koji_cli, "list-history", option, "anything") == ""


@pytest.mark.slow
def test_list_history_watch_prints_new_changes(koji_cli, admin):
    """--watch starts at the last event and prints each later change; both clients alike, until Ctrl-C."""
    import signal

    tag = unique("watched")
    admin.createTag(tag)
    auth = ["--user", ADMIN[0], "--password", ADMIN[1]]
    environ = {key: value for key, value in os.environ.items() if key != "KILN_SERVER"} | {"TZ": "UTC"}
    runs = [
        subprocess.Popen(
            [str(client), "-c", str(koji_cli.config), *auth, "list-history", "--tag", tag, "--watch"],
            **PIPES,
            env=environ,
        )
        for client in (KILN, KOJI)
    ]
    time.sleep(2)  # both have read the last event
    admin.editTag2(tag, arches="x86_64")
    admin.packageListAdd(tag, "watched-pkg", owner=ADMIN[0])
    time.sleep(2.5)  # and polled since
    for run in runs:
        run.send_signal(signal.SIGINT)
    ours, theirs = (run.communicate(timeout=30)[0] for run in runs)
    assert ours == theirs
    assert f"tag configuration for {tag} altered by {ADMIN[0]} [still active]" in ours
    assert f"new tag: {tag}" not in ours
