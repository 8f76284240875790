"""``kiln X`` prints what ``koji X`` prints, against the same real hub, from the same koji.conf.

Both clients read one koji.conf (kiln accepts koji's format as it is) and run
with TZ=UTC, so times print alike.  Listings cover the whole hub, which other
tests of this module also write to: each comparison runs kiln and koji back
to back, with nothing writing in between.  ``--json`` is checked against
what the hub itself answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ADMIN, host_session, make_user, unique
from tests.support.hub import HubProcess
from tests.support.kiln_cli import kiln, kiln_json, plain, same_output
from tests.support.koji_cli import KojiCLI, write_koji_conf


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


@pytest.fixture
def koji_cli(hub: HubProcess, tmp_path: Path) -> KojiCLI:
    return KojiCLI(hub, write_koji_conf(hub, tmp_path / "koji.conf"))


# --- misc --------------------------------------------------------------------


@pytest.mark.slow
def test_moshimoshi_anonymous_and_logged_in(koji_cli, hub):
    for user in (None, ADMIN):
        ours = kiln(koji_cli.config, "moshimoshi", user=user).stdout.splitlines()
        theirs = koji_cli("moshimoshi", user=user).stdout.splitlines()
        greeting = 1 if user is None else 0
        assert ours[:greeting] == theirs[:greeting]
        assert ours[greeting].split(", ", 1)[1] == theirs[greeting].split(", ", 1)[1]
        assert ours[greeting + 1 :] == theirs[greeting + 1 :]
    assert "Authenticated via password" in ours


def test_version_reports_the_hub_as_koji_does(koji_cli):
    ours = kiln(koji_cli.config, "version").stdout.splitlines()
    theirs = koji_cli("version", user=None).stdout.splitlines()
    assert ours[1] == theirs[1] and ours[1].startswith("Hub:    ")
    assert ours[0].startswith("Client: ")


def test_list_api(koji_cli, admin):
    text = same_output(koji_cli, "list-api")
    assert "getBuildTargets(" in text
    assert same_output(koji_cli, "list-api", "getTag", "listTags").strip()
    methods = kiln_json(koji_cli, "list-api")
    assert methods == sorted(plain(admin._listapi()), key=lambda m: m["name"])


def test_list_api_unknown_method(koji_cli):
    done = kiln(koji_cli.config, "list-api", "noSuchMethod")
    assert done.returncode == koji_cli("list-api", "noSuchMethod", check=False).returncode == 2
    assert done.stderr.splitlines()[-1] == "kiln list-api: error: Unknown method: noSuchMethod"


# --- tags ----------------------------------------------------------------------


@pytest.fixture
def tags(admin) -> dict[str, str]:
    """A build tag, a destination tag (locked, with a permission) and a target between them."""
    prefix = unique("clitag")
    names = {"build": f"{prefix}-build", "dest": f"{prefix}-dest", "target": f"{prefix}-target"}
    admin.createTag(names["build"], arches="x86_64")
    admin.createTag(names["dest"], parent=names["build"], perm="admin", locked=True)
    admin.createBuildTarget(names["target"], names["build"], names["dest"])
    names["prefix"] = prefix
    return names


@pytest.mark.parametrize(
    "options", [[], ["--show-id"], ["--verbose"], ["--unlocked"], ["--show-id", "--verbose"]], ids=str
)
def test_list_tags(koji_cli, tags, options):
    text = same_output(koji_cli, "list-tags", *options)
    assert tags["build"] in text
    text = same_output(koji_cli, "list-tags", *options, f"{tags['prefix']}*")
    assert (tags["dest"] in text) != ("--unlocked" in options)


def test_list_tags_json_and_unknown_package(koji_cli, admin, tags):
    assert kiln_json(koji_cli, "list-tags", f"{tags['prefix']}*") == plain(
        sorted(admin.listTags(pattern=f"{tags['prefix']}*"), key=lambda t: t["name"])
    )
    ghost = unique("ghost")
    done = kiln(koji_cli.config, "list-tags", "--package", ghost)
    assert done.returncode == 2 == koji_cli("list-tags", "--package", ghost, check=False).returncode
    assert done.stderr.splitlines()[-1] == f"kiln list-tags: error: No such package: {ghost}"


@pytest.mark.parametrize("options", [[], ["--quiet"]], ids=str)
def test_list_targets(koji_cli, tags, options):
    assert tags["target"] in same_output(koji_cli, "list-targets", *options)
    assert same_output(koji_cli, "list-targets", "--name", tags["target"], *options)
    assert same_output(koji_cli, "-q", "list-targets", "--name", tags["target"]).count("\n") == 1


def test_list_targets_json_and_unknown_target(koji_cli, admin, tags):
    assert kiln_json(koji_cli, "list-targets", "--name", tags["target"]) == plain(admin.getBuildTargets(tags["target"]))
    ghost = unique("ghost")
    done = kiln(koji_cli.config, "list-targets", "--name", ghost)
    assert done.returncode == 2 == koji_cli("list-targets", "--name", ghost, check=False).returncode
    assert done.stderr.splitlines()[-1] == f"kiln list-targets: error: No such build target: {ghost}"


# --- hosts ---------------------------------------------------------------------


@pytest.fixture
def hosts(hub: HubProcess, admin) -> dict[str, object]:
    """A channel with one checked-in, ready host in it and one disabled host."""
    channel = unique("clichan")
    admin.addChannel(channel, description="a channel\nfor the CLI tests")
    _, ready_id = host_session(hub, admin, arches=("x86_64", "noarch"), capacity=4.0, channels=(channel,))
    idle = unique("idle")
    idle_id = admin.addHost(idle, ["aarch64"])
    admin.addHostToChannel(idle, channel)
    admin.disableHost(idle)
    admin.editHost(idle, comment="out for repairs " + "x" * 60)
    return {"channel": channel, "ready": admin.getHost(ready_id)["name"], "idle": idle, "idle_id": idle_id}


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--quiet"],
        ["--show-channels"],
        ["--comment", "--description"],
        ["--enabled"],
        ["--not-enabled"],
        ["--ready"],
        ["--arch", "aarch64"],
    ],
    ids=str,
)
def test_list_hosts(koji_cli, hosts, options):
    same_output(koji_cli, "list-hosts", *options)
    text = same_output(koji_cli, "list-hosts", "--channel", hosts["channel"], *options)
    if not options:
        assert hosts["ready"] in text and hosts["idle"] in text


def test_list_hosts_json_unknown_channel_and_none_found(koji_cli, admin, hosts):
    listed = kiln_json(koji_cli, "list-hosts", "--channel", hosts["channel"])
    channel_id = admin.getChannel(hosts["channel"])["id"]
    assert listed == plain(sorted(admin.listHosts(channelID=channel_id), key=lambda h: h["name"]))
    ghost = unique("ghost")
    done = kiln(koji_cli.config, "list-hosts", "--channel", ghost)
    assert done.returncode == 2 == koji_cli("list-hosts", "--channel", ghost, check=False).returncode
    assert done.stderr.splitlines()[-1] == f"kiln list-hosts: error: No such channel: {ghost}"
    done = kiln(koji_cli.config, "list-hosts", "--arch", "s390x-none")
    theirs = koji_cli("list-hosts", "--arch", "s390x-none", check=False)
    assert (done.returncode, done.stdout, done.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)


@pytest.mark.parametrize(
    "options",
    [[], ["--quiet"], ["--simple"], ["--simple", "--quiet"], ["--description", "--comment"], ["--enabled"]],
    ids=str,
)
def test_list_channels(koji_cli, hosts, options):
    text = same_output(koji_cli, "list-channels", *options)
    assert hosts["channel"] in text
    same_output(koji_cli, "list-channels", "--arch", "aarch64", *options)


def test_list_channels_json(koji_cli, admin, hosts):
    channels = {row["name"]: row for row in kiln_json(koji_cli, "list-channels")}
    row = channels[hosts["channel"]]
    assert row["id"] == admin.getChannel(hosts["channel"])["id"]
    assert (row["enabled_hosts"], row["disabled_hosts"], row["ready_hosts"]) == (1, 1, 1)


# --- users ---------------------------------------------------------------------


@pytest.fixture
def users(hub: HubProcess, admin) -> dict[str, str]:
    prefix = unique("cliuser")
    plain_user, _ = make_user(hub, admin, name=f"{prefix}-plain")
    tagger, _ = make_user(hub, admin, name=f"{prefix}-tagger", perms=("tag", "repo"))
    admin.disableUser(plain_user)
    return {"prefix": prefix, "plain": plain_user, "tagger": tagger}


@pytest.mark.parametrize(
    "options",
    [[], ["--usertype", "any"], ["--usertype", "host"], ["--perm", "tag"], ["--perm", "admin"]],
    ids=str,
)
def test_list_users(koji_cli, users, options):
    text = same_output(koji_cli, "list-users", *options, user=ADMIN)
    same_output(koji_cli, "list-users", "--prefix", users["prefix"], *options, user=ADMIN)
    if not options:
        assert users["tagger"] in text


def test_list_users_json_and_bad_values(koji_cli, admin, users):
    listed = kiln_json(koji_cli, "list-users", "--prefix", users["prefix"], user=ADMIN)
    assert listed == plain(admin.listUsers(prefix=users["prefix"]))
    for option, value, message in [
        ("--usertype", "robot", "Invalid usertype: robot"),
        ("--perm", "flying", "Invalid permission: flying"),
    ]:
        done = kiln(koji_cli.config, "list-users", option, value, user=ADMIN)
        theirs = koji_cli("list-users", option, value, check=False)
        assert done.returncode == theirs.returncode == 1
        assert done.stderr == f"kiln: error: {message}\n" and theirs.stderr == f"{message}\n"


def test_userinfo(koji_cli, admin, users):
    text = same_output(koji_cli, "userinfo", users["plain"], users["tagger"], ADMIN[0])
    assert "Status: BLOCKED" in text and "Permissions:\n  repo\n  tag\n" in text
    ghost = unique("ghost")
    ours = kiln(koji_cli.config, "userinfo", ghost, users["tagger"])
    theirs = koji_cli("userinfo", ghost, users["tagger"])
    assert (ours.stdout, ours.stderr) == (theirs.stdout, theirs.stderr)
    [info] = kiln_json(koji_cli, "userinfo", users["tagger"])
    assert info["id"] == admin.getUser(users["tagger"])["id"]
    assert sorted(info["permissions"]) == ["repo", "tag"]


def test_anonymous_commands_never_log_in(koji_cli, hub, admin):
    """A wrong password goes unnoticed by a command that needs no login, and stops one that does."""
    name, _ = make_user(hub, admin)
    done = kiln(koji_cli.config, "list-tags", user=(name, "wrong-password"))
    assert done.returncode == 0, done.stderr
    done = kiln(koji_cli.config, "list-users", user=(name, "wrong-password"))
    assert done.returncode == 1
    assert done.stderr == "kiln: error: AuthError: invalid username or password\n"


def test_hostinfo(koji_cli, admin, hosts):
    text = same_output(koji_cli, "hostinfo", hosts["ready"], str(hosts["idle_id"]))
    assert "Enabled: no" in text and f"Channels: default {hosts['channel']}" in text
    ghost = unique("ghost")
    ours = kiln(koji_cli.config, "hostinfo", ghost, hosts["idle"])
    theirs = koji_cli("hostinfo", ghost, hosts["idle"], check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours.returncode == 1
    [info] = kiln_json(koji_cli, "hostinfo", hosts["idle"])
    assert info["id"] == hosts["idle_id"] and [c["name"] for c in info["channels"]] == ["default", hosts["channel"]]


def test_taginfo(koji_cli, admin, tags):
    admin.editTag2(tags["build"], extra={"mock.package_manager": "dnf", "rpm.macro.dist": ".el9"})
    admin.groupListAdd(tags["build"], "build")
    admin.groupListAdd(tags["build"], "srpm-build")
    admin.setInheritanceData(
        tags["dest"],
        [
            {
                "parent_id": admin.getTag(tags["build"])["id"],
                "priority": 5,
                "maxdepth": 2,
                "intransitive": True,
                "noconfig": False,
                "pkg_filter": "^kiln-.*",
            }
        ],
        clear=True,
    )
    text = same_output(koji_cli, "taginfo", tags["build"], tags["dest"])
    assert "Required permission: 'admin'" in text and "LOCKED" in text and "maxdepth: 2" in text
    assert "Groups: build, srpm-build" in text and "rpm.macro.dist : '.el9'" in text
    event = admin.getLastEvent()["id"]
    admin.editTag2(tags["build"], arches="aarch64")
    assert "Arches: x86_64" in same_output(koji_cli, "taginfo", "--event", str(event), tags["build"])
    [info] = kiln_json(koji_cli, "taginfo", tags["dest"])
    assert info["id"] == admin.getTag(tags["dest"])["id"] and info["inheritance"][0]["priority"] == 5


def test_taginfo_unknown_tag_and_tag_ids(koji_cli, admin, tags):
    """An unknown tag is one line (koji logs the hub's fault); an id works where koji's lookup fails."""
    ghost = unique("ghost")
    done = kiln(koji_cli.config, "taginfo", tags["build"], ghost)
    theirs = koji_cli("taginfo", tags["build"], ghost, check=False)
    assert done.returncode == theirs.returncode == 1 and done.stdout == theirs.stdout == ""
    assert done.stderr == f"kiln: error: No such tag: {ghost}\n"
    tag_id = admin.getTag(tags["dest"])["id"]
    by_id = kiln(koji_cli.config, "taginfo", str(tag_id))
    assert by_id.returncode == 0 and by_id.stdout == same_output(koji_cli, "taginfo", tags["dest"])


# --- packages and builds ---------------------------------------------------------


@pytest.fixture
def content(hub: HubProcess, admin, tags) -> dict[str, object]:
    """Packages listed in the build tag (one blocked in the destination), builds tagged into both."""
    owner, _ = make_user(hub, admin)
    prefix = tags["prefix"]
    names = [f"{prefix}-alpha", f"{prefix}-beta", f"{prefix}-gamma"]
    admin.packageListAdd(tags["build"], names[0], owner=ADMIN[0], extra_arches="ppc64le")
    admin.packageListAdd(tags["build"], names[1], owner=owner)
    admin.packageListAdd(tags["build"], names[2], owner=owner)
    admin.editTag2(tags["dest"], locked=False)  # locked tags refuse even admins
    admin.packageListBlock(tags["dest"], names[2])
    builds = []
    for name, version in [(names[0], "1.0"), (names[0], "1.1"), (names[1], "2.0")]:
        build_id = admin.createEmptyBuild(name, version, "1", None)
        admin.tagBuildBypass(tags["build"], build_id)
        builds.append(admin.getBuild(build_id)["nvr"])
    before = admin.getLastEvent()["id"]
    admin.tagBuildBypass(tags["dest"], builds[1])
    admin.editTag2(tags["dest"], locked=True)
    return {"packages": names, "builds": builds, "owner": owner, "event": before}


@pytest.mark.parametrize(
    "options",
    [[], ["--quiet"], ["--noinherit"], ["--show-blocked"], ["--show-dups"]],
    ids=str,
)
@pytest.mark.slow
def test_list_pkgs(koji_cli, tags, content, options):
    text = same_output(koji_cli, "list-pkgs", "--tag", tags["dest"], *options)
    if options in ([], ["--show-blocked"]):
        assert (content["packages"][2] in text) == bool(options)
    same_output(koji_cli, "list-pkgs", "--owner", content["owner"], *options)
    same_output(koji_cli, "list-pkgs", "--package", content["packages"][0], *options)
    same_output(koji_cli, "list-pkgs", "--tag", tags["build"], "--event", str(content["event"]), *options)


def test_list_pkgs_everything_json_and_errors(koji_cli, admin, tags, content):
    assert content["packages"][0] in same_output(koji_cli, "list-pkgs")
    listed = kiln_json(koji_cli, "list-pkgs", "--tag", tags["build"])
    assert listed == plain(admin.listPackages(tagID=admin.getTag(tags["build"])["id"], inherited=True, with_dups=False))
    ghost = unique("ghost")
    for args, code in [
        (["--tag", ghost], 2),
        (["--owner", ghost], 2),
        (["--show-blocked"], 2),
        (["--tag", tags["dest"], "--noinherit"], 0),
        (["--package", ghost], 1),
        (["--owner", ADMIN[0], "--tag", tags["dest"], "--noinherit"], 1),
    ]:
        ours = kiln(koji_cli.config, "list-pkgs", *args)
        theirs = koji_cli("list-pkgs", *args, check=False)
        assert ours.returncode == theirs.returncode == code, (args, ours.stderr, theirs.stderr)
        assert ours.stdout == theirs.stdout
        if code == 1:
            expected = f"GenericError: No such package: {ghost!r}" if ghost in args else "(no matching packages)"
            assert ours.stderr == f"kiln: error: {expected}\n"


@pytest.mark.parametrize(
    "options",
    [[], ["--quiet"], ["--latest"], ["--latest-n", "2"], ["--inherit"], ["--rpms"], ["--inherit", "--latest"]],
    ids=str,
)
def test_list_tagged(koji_cli, tags, content, options):
    text = same_output(koji_cli, "list-tagged", tags["build"], *options)
    if "--rpms" not in options:
        assert content["builds"][2] in text
    same_output(koji_cli, "list-tagged", tags["dest"], *options)
    same_output(koji_cli, "list-tagged", tags["dest"], content["packages"][0], *options)
    same_output(koji_cli, "list-tagged", "--event", str(content["event"]), tags["dest"], *options)


def test_list_tagged_json_and_unknown_tag(koji_cli, admin, tags, content):
    assert kiln_json(koji_cli, "list-tagged", tags["build"]) == plain(admin.listTagged(tags["build"]))
    ghost = unique("ghost")
    ours = kiln(koji_cli.config, "list-tagged", ghost)
    assert ours.returncode == koji_cli("list-tagged", ghost, check=False).returncode == 2
    assert ours.stderr.splitlines()[-1] == f"kiln list-tagged: error: No such tag: {ghost}"


@pytest.mark.parametrize("options", [[], ["--quiet"]], ids=str)
def test_latest_build(koji_cli, tags, content, options):
    alpha, beta, _ = content["packages"]
    text = same_output(koji_cli, "latest-build", tags["build"], alpha, beta, *options)
    assert content["builds"][1] in text and content["builds"][0] not in text
    same_output(koji_cli, "latest-build", tags["dest"], "--all", *options)
    same_output(koji_cli, "latest-build", tags["build"], alpha, "--arch", "x86_64", *options)


def test_latest_build_json_and_usage(koji_cli, admin, tags, content):
    alpha = content["packages"][0]
    assert kiln_json(koji_cli, "latest-build", tags["build"], alpha) == plain(
        admin.getLatestBuilds(tags["build"], package=alpha)
    )
    for args in ([tags["build"]], [tags["build"], alpha, "--all"]):
        ours = kiln(koji_cli.config, "latest-build", *args)
        assert ours.returncode == koji_cli("latest-build", *args, check=False).returncode == 2


# --- write commands: the same effect and the same output ---------------------------


def same_effect(koji_cli: KojiCLI, template: list[str], user: tuple[str, str] = ADMIN) -> tuple[str, str]:
    """Run ``template`` (with ``{name}`` filled in) as kiln, then as koji, each on a fresh name."""
    ours_name, theirs_name = unique("kilnmade"), unique("kojimade")
    ours = kiln(koji_cli.config, *[word.format(name=ours_name) for word in template], user=user)
    theirs = koji_cli(*[word.format(name=theirs_name) for word in template], user=user, check=False)
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert ours.stdout.replace(ours_name, "NAME") == theirs.stdout.replace(theirs_name, "NAME")
    assert ours.stderr == theirs.stderr == ""
    return ours_name, theirs_name


def without_identity(info: dict) -> dict:
    return {key: value for key, value in info.items() if key not in ("id", "name")}


@pytest.mark.parametrize(
    "options",
    [[], ["--arches", "x86_64,aarch64"], ["--maven-support", "--include-all"], ["-x", "mock.x=1", "-x", "flag=True"]],
    ids=str,
)
def test_add_tag(koji_cli, admin, tags, options):
    ours, theirs = same_effect(koji_cli, ["add-tag", "{name}", "--parent", tags["build"], *options])
    assert without_identity(admin.getTag(ours)) == without_identity(admin.getTag(theirs))
    [ours_parent] = admin.getInheritanceData(ours)
    [theirs_parent] = admin.getInheritanceData(theirs)
    assert without_identity(ours_parent) | {"child_id": 0} == without_identity(theirs_parent) | {"child_id": 0}


def test_add_target(koji_cli, admin, tags):
    ours, theirs = same_effect(koji_cli, ["add-target", "{name}", tags["build"], tags["dest"]])
    assert without_identity(admin.getBuildTarget(ours)) == without_identity(admin.getBuildTarget(theirs))


def test_add_pkg(koji_cli, hub, admin, tags):
    owner, _ = make_user(hub, admin)
    for tag in ("one", "two"):
        admin.createTag(f"{tags['prefix']}-{tag}")
    template = ["add-pkg", "--owner", owner, "--extra-arches", "ppc64le,s390x", "{name}", "pkg-a", "already-there"]
    first, second = f"{tags['prefix']}-one", f"{tags['prefix']}-two"
    admin.packageListAdd(first, "already-there", owner=owner)
    admin.packageListAdd(second, "already-there", owner=owner)
    ours = kiln(koji_cli.config, *[w.format(name=first) for w in template], user=ADMIN)
    theirs = koji_cli(*[w.format(name=second) for w in template], check=False)
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert ours.stdout.replace(first, "TAG") == theirs.stdout.replace(second, "TAG")
    assert "Adding 1 packages to tag TAG" in ours.stdout.replace(first, "TAG")

    def listing(tag: str) -> list:
        rows = admin.listPackages(tagID=admin.getTag(tag)["id"])
        return sorted((r["package_name"], r["owner_name"], r["extra_arches"], r["blocked"]) for r in rows)

    assert listing(first) == listing(second)
    assert ("pkg-a", owner, "ppc64le s390x", False) in listing(first)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["add-tag", "{ghost}"], 2, "kiln add-tag: error: This action requires tag or admin privileges"),
        (
            ["add-target", "{ghost}", "{build}"],
            2,
            "kiln add-target: error: This action requires target or admin privileges",
        ),
    ],
)
def test_write_commands_refuse_without_the_permission(koji_cli, hub, admin, tags, args, code, message):
    user = make_user(hub, admin)
    words = [w.format(ghost=unique("ghost"), build=tags["build"]) for w in args]
    ours = kiln(koji_cli.config, *words, user=user)
    theirs = koji_cli(*words, user=user, check=False)
    assert ours.returncode == theirs.returncode == code
    assert ours.stderr.splitlines()[-1] == message


@pytest.mark.slow
def test_write_command_errors_match_koji(koji_cli, hub, admin, tags):
    ghost = unique("ghost")
    for args, message in [
        (["add-target", ghost, ghost], f"No such tag: {ghost}"),
        (["add-target", ghost, tags["dest"]], f"Build tag has no arches: {tags['dest']}"),
        (["add-target", ghost, tags["build"], ghost], f"No such destination tag: {ghost}"),
        (["add-pkg", "--owner", ghost, tags["build"], "p"], f"No such user: {ghost}"),
        (["add-pkg", "--owner", ADMIN[0], ghost, "p"], f"No such tag: {ghost}"),
    ]:
        ours = kiln(koji_cli.config, *args, user=ADMIN)
        theirs = koji_cli(*args, check=False)
        assert ours.returncode == theirs.returncode == 1, args
        assert (ours.stderr, theirs.stderr) == (f"kiln: error: {message}\n", f"{message}\n")


@pytest.mark.parametrize(
    "options",
    [[], ["--quiet"], ["-k", "owner_name", "-k", "build_id"], ["--reverse"], ["--state", "COMPLETE"], ["--state", "1"]],
    ids=str,
)
def test_list_builds(koji_cli, content, options):
    alpha = content["packages"][0]
    text = same_output(koji_cli, "list-builds", "--package", alpha, *options)
    assert content["builds"][0] in text and content["builds"][2] not in text
    same_output(koji_cli, "list-builds", "--prefix", alpha.rsplit("-", 1)[0], *options)
    same_output(koji_cli, "list-builds", "--owner", ADMIN[0], "--pattern", f"{alpha}*", *options)
    same_output(koji_cli, "list-builds", "--buildid", content["builds"][1], *options)


@pytest.mark.slow
def test_list_builds_json_and_errors(koji_cli, admin, content):
    alpha = content["packages"][0]
    listed = kiln_json(koji_cli, "list-builds", "--package", alpha)
    assert listed == plain(sorted(admin.listBuilds(packageID=admin.getPackageID(alpha)), key=lambda b: b["build_id"]))
    ghost = unique("ghost")
    for args, message in [
        ([], "Filter must be provided for list"),
        (["--package", ghost], f"No such package: {ghost}"),
        (["--owner", ghost], f"No such user: {ghost}"),
        (["--state", "MELTED"], "Invalid state: MELTED"),
        (["--state", "9"], "Invalid state: 9"),
        (["--task", "x"], "Task id must be an integer"),
        (["--buildid", f"{ghost}-1-1"], f"No such build: '{ghost}-1-1'"),
    ]:
        ours = kiln(koji_cli.config, "list-builds", *args)
        theirs = koji_cli("list-builds", *args, check=False)
        assert ours.returncode == theirs.returncode == 2, (args, theirs.stderr)
        assert ours.stderr.splitlines()[-1] == f"kiln list-builds: error: {message}"
        assert theirs.stderr.splitlines()[-1] == f"koji: error: {message}"
