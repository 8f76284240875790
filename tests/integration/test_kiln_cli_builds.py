"""``kiln`` build and RPM commands print what ``koji``'s print, against one hub with real RPMs.

The builds are made by rpmbuild and imported through the hub (one package
in two versions, one with a changelog, one more package), so buildinfo and
rpminfo read real headers.  The commands that change the hub run twice, on
twin tags with the same content: kiln on one, koji on the other; their
outputs must match (task ids normalised) and both tags must end alike.
The tagBuild tasks they make are run by a builder session of the test's
own (as kiln-builder's tagBuild handler does: host.tagBuild, then close).
"""

from __future__ import annotations

import re
import subprocess
import time

import koji
import pytest

from kiln.client import ClientSession
from tests.conftest import ADMIN, host_session, koji_session, task_result, unique
from tests.support.hub import HubProcess
from tests.support.kiln_cli import KILN, kiln, kiln_json, plain, same_output
from tests.support.koji_cli import KojiCLI, write_koji_conf
from tests.support.rpms import build_spec, import_files


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


@pytest.fixture(scope="module")
def koji_cli(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> KojiCLI:
    return KojiCLI(hub, write_koji_conf(hub, tmp_path_factory.mktemp("builds") / "koji.conf"))


@pytest.fixture(scope="module")
def boss(hub: HubProcess):
    session = koji_session(hub, *ADMIN)
    yield session
    session.logout()


@pytest.fixture(scope="module")
def builder(hub: HubProcess, boss) -> koji.ClientSession:
    """A ready host in the default channel, where the hub puts tagBuild tasks."""
    session, _host_id = host_session(hub, boss, arches=("x86_64", "noarch"), capacity=10000.0)
    return session


def run_tag_tasks(builder: koji.ClientSession, boss) -> list[int]:
    """Run every tagBuild task offered to the builder as kiln-builder does; the ids run."""
    done = []
    for task in builder.host.getTasks():
        if task["method"] != "tagBuild" or builder.host.openTask(task["id"]) is None:
            continue
        tag_id, build_id, force, fromtag = boss.getTaskRequest(task["id"])[:4]
        builder.host.tagBuild(task["id"], tag_id, build_id, force, fromtag)
        builder.host.closeTask(task["id"], task_result(None))
        done.append(task["id"])
    return done


SPEC = """
    Name: {name}
    Version: {version}
    Release: 1
    Epoch: {epoch}
    Summary: a kiln CLI test package
    License: MIT and BSD
    BuildArch: noarch
    %description
    kiln test package
    %install
    mkdir -p %{{buildroot}}/usr/share/{name}
    echo {name} > %{{buildroot}}/usr/share/{name}/file.txt
    %files
    /usr/share/{name}/file.txt
    %changelog
    * Tue Dec 01 2026 Kiln Tester <tester@example.com> - {version}-1
    - version {version}
    - second line
    * Mon Nov 30 2026 Kiln Tester <tester@example.com> - 0.9-1
    - the first one
"""


@pytest.fixture(scope="module")
def world(hub: HubProcess, boss, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Packages alpha (1.0 and 1.1, epoch 2) and beta, imported from real RPMs, tagged into a tag."""
    root = tmp_path_factory.mktemp("rpms")
    prefix = unique("cb")
    alpha, beta = f"{prefix}-alpha", f"{prefix}-beta"
    uploader = ClientSession(hub.url, opts={"max_retries": 0})
    uploader.login(*ADMIN)
    for name, version, epoch in [(alpha, "1.0", 2), (alpha, "1.1", 2), (beta, "3.0", 0)]:
        files = build_spec(root / f"{name}-{version}", name, SPEC.format(name=name, version=version, epoch=epoch))
        import_files(boss, uploader, files)
    uploader.logout()
    tag = f"{prefix}-tag"
    boss.createTag(tag, arches="noarch")
    for name in (alpha, beta):
        boss.packageListAdd(tag, name, owner=ADMIN[0])
    nvrs = [f"{alpha}-1.0-1", f"{alpha}-1.1-1", f"{beta}-3.0-1"]
    for nvr in nvrs:
        boss.tagBuildBypass(tag, nvr)
    return {"prefix": prefix, "alpha": alpha, "beta": beta, "tag": tag, "nvrs": nvrs}


def twin_tags(boss, world: dict, nvrs: list[str], count: int = 2) -> list[str]:
    """Tags with the world's packages listed and the given builds tagged, in order."""
    names = []
    for _ in range(count):
        name = unique(f"{world['prefix']}-twin")
        boss.createTag(name, arches="noarch")
        for package in (world["alpha"], world["beta"]):
            boss.packageListAdd(name, package, owner=ADMIN[0])
        for nvr in nvrs:
            boss.tagBuildBypass(name, nvr)
        names.append(name)
    return names


def tagged_nvrs(boss, tag: str) -> list[str]:
    return sorted(build["nvr"] for build in boss.listTagged(tag))


def same_effect(koji_cli: KojiCLI, kiln_args: list[str], koji_args: list[str], tasks: bool = True) -> str:
    """kiln with kiln_args and koji with koji_args print the same once task ids are normalised."""
    ours = kiln(koji_cli.config, *kiln_args, user=ADMIN)
    theirs = koji_cli(*koji_args, user=ADMIN, check=False)
    assert ours.returncode == theirs.returncode, (ours.stderr, theirs.stderr)

    def normal(text: str) -> str:
        return re.sub(r"Created task \d+", "Created task N", text) if tasks else text

    assert normal(ours.stdout) == normal(theirs.stdout), (ours.stderr, theirs.stderr)
    return ours.stdout


# --- buildinfo ------------------------------------------------------------------------


def test_buildinfo(koji_cli, boss, world):
    build_id = str(boss.getBuild(world["nvrs"][2])["id"])
    text = same_output(koji_cli, "buildinfo", world["nvrs"][0], build_id)
    assert f"BUILD: {world['nvrs'][0]} [" in text and "Task: none" in text
    assert f"\nRPMs:\n/mnt/koji/packages/{world['alpha']}/1.0/1/src/{world['nvrs'][0]}.src.rpm\n" in text
    assert f"\n/mnt/koji/packages/{world['alpha']}/1.0/1/noarch/{world['nvrs'][0]}.noarch.rpm\n" in text
    assert f"Tags: {world['tag']}" in text
    text = same_output(koji_cli, "buildinfo", "--changelog", world["nvrs"][1])
    assert "Changelog:\n* Tue Dec 01 2026 Kiln Tester <tester@example.com> - 1.1-1\n- version 1.1\n" in text
    entries = boss.getChangelogEntries(boss.getBuild(world["nvrs"][1])["id"])
    assert entries[0]["date"] == "2026-12-01 12:00:00"  # koji's naive text, which its CLI parses
    topdir = koji_cli.config.parent / "topdir.conf"
    topdir.write_text(koji_cli.config.read_text() + "topdir = /srv/kiln\n")
    ours = kiln(topdir, "buildinfo", world["nvrs"][0])
    theirs = subprocess.run(
        [str(KILN.parent / "koji"), "-c", str(topdir), "--noauth", "buildinfo", world["nvrs"][0]],
        capture_output=True,
        text=True,
        env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert ours.stdout == theirs.stdout and f"/srv/kiln/packages/{world['alpha']}/1.0/1/" in ours.stdout


def test_buildinfo_json_and_unknown_build(koji_cli, boss, world):
    [info] = kiln_json(koji_cli, "buildinfo", world["nvrs"][0])
    assert info["id"] == boss.getBuild(world["nvrs"][0])["id"] and world["tag"] in info["tags"]
    # other tests of the module tag the world's builds too (in any order): the hub's list, whatever it holds
    assert sorted(info["tags"]) == sorted(t["name"] for t in boss.listTags(build=world["nvrs"][0]))
    assert sorted(rpm["arch"] for rpm in info["rpms"]) == ["noarch", "src"]
    ghost = unique("ghost") + "-1-1"
    ours = kiln(koji_cli.config, "buildinfo", ghost, world["nvrs"][2])
    theirs = koji_cli("buildinfo", ghost, world["nvrs"][2], check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours.returncode == 1 and ours.stderr.strip() == f"No such build: {ghost}"
    ours = kiln(koji_cli.config, "buildinfo")
    assert ours.returncode == koji_cli("buildinfo", check=False).returncode == 2


# --- listings -------------------------------------------------------------------------


@pytest.mark.parametrize("options", [["--paths"], ["--sigs"], ["--rpms", "--paths"], ["--latest", "--paths"]], ids=str)
def test_list_tagged_paths_and_sigs(koji_cli, world, options):
    text = same_output(koji_cli, "list-tagged", world["tag"], *options)
    if options == ["--paths"]:
        assert f"/mnt/koji/packages/{world['alpha']}/1.0/1 " in text
    if options == ["--sigs"]:
        assert f"None {world['nvrs'][0]}.noarch" in text


def test_list_tagged_sigs_paths_needs_packages_dir(koji_cli, world):
    ours = kiln(koji_cli.config, "list-tagged", "--sigs", "--paths", world["tag"])
    theirs = koji_cli("list-tagged", "--sigs", "--paths", world["tag"], check=False)
    assert ours.returncode == theirs.returncode == 1 and ours.stdout == theirs.stdout == ""
    assert ours.stderr == "kiln: error: 'list-tagged --sigs --paths' requires accessible /mnt/koji/packages\n"


@pytest.mark.parametrize("options", [["--paths"], ["--paths", "--arch", "noarch"], ["--arch", "src"]], ids=str)
def test_latest_build_paths(koji_cli, world, options):
    text = same_output(koji_cli, "latest-build", world["tag"], world["alpha"], world["beta"], *options)
    assert "1.0" not in text


@pytest.mark.slow
def test_list_builds_times_and_volume(koji_cli, boss, world):
    completed = boss.getBuild(world["nvrs"][1])["completion_ts"]
    pattern = f"{world['prefix']}*"
    for options in (
        ["--before", str(completed)],
        ["--after", str(completed - 0.001)],
        ["--after", "2020-01-01"],
        ["--before", "2020-01-01 12:30"],
        ["--volume", "DEFAULT"],
        ["--volume", "0"],
        ["--volume", "1"],
    ):
        text = same_output(koji_cli, "list-builds", "--pattern", pattern, *options)
        if options[0] == "--after" and options[1] == "2020-01-01":
            assert all(nvr in text for nvr in world["nvrs"])
    ours = kiln(koji_cli.config, "list-builds", "--volume", "nowhere")
    assert ours.returncode == koji_cli("list-builds", "--volume", "nowhere", check=False).returncode == 2
    assert ours.stderr.splitlines()[-1] == "kiln list-builds: error: No such volume: nowhere"
    ours = kiln(koji_cli.config, "list-builds", "--before", "not a time")
    assert ours.returncode == koji_cli("list-builds", "--before", "not a time", check=False).returncode == 2


@pytest.mark.slow
def test_list_untagged(koji_cli, boss, world):
    lone = f"{world['prefix']}-lone"
    boss.createEmptyBuild(lone, "1", "1", None)
    for options in ([], ["--paths"], ["--show-references"], ["--paths", "--show-references"]):
        text = same_output(koji_cli, "list-untagged", *options)
        same_output(koji_cli, "list-untagged", lone, *options)
        assert lone in text
    assert world["nvrs"][0] not in same_output(koji_cli, "list-untagged", world["alpha"])
    assert [b["name"] for b in kiln_json(koji_cli, "list-untagged", lone)] == [lone]
    ghost = unique("ghost")
    ours = kiln(koji_cli.config, "list-untagged", ghost)
    theirs = koji_cli("list-untagged", ghost, check=False)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr == f"kiln: error: No such package: {ghost}\n" and theirs.stderr == f"No such package: {ghost}\n"


# --- rpminfo, list-buildroot, search ------------------------------------------------------


@pytest.fixture(scope="module")
def buildroot(hub: HubProcess, boss, world) -> int:
    """A build root of a task, with alpha 1.0's noarch RPM and an unknown package installed."""
    channel = unique("cbchan")
    boss.addChannel(channel)
    host, _ = host_session(hub, boss, channels=(channel,))
    task_id = boss.makeTask("sleep", [0], channel=channel)
    host.host.getTasks()
    assert host.host.openTask(task_id) is not None
    root = host.host.newBuildRoot(None, "noarch", task_id)
    components = [
        {"name": world["alpha"], "version": "1.0", "release": "1", "epoch": 2, "arch": "noarch"},
        {"name": "bash", "version": "5.2", "release": "1", "epoch": None, "arch": "x86_64"},
    ]
    host.host.updateBuildRootList(root, components, task_id)
    return root


def test_rpminfo(koji_cli, boss, world, buildroot):
    noarch = f"{world['nvrs'][0]}.noarch"
    text = same_output(koji_cli, "rpminfo", noarch, f"{world['nvrs'][1]}.src")
    assert f"RPM: 2:{noarch} [" in text and "License: MIT and BSD" in text and "No buildroot data available" in text
    # koji sends an id as text, which its hub reads as a malformed N-V-R.A; kiln sends the number
    beta = f"{world['nvrs'][2]}.noarch"
    by_id = kiln(koji_cli.config, "rpminfo", str(boss.getRPM(beta)["id"]))
    assert by_id.returncode == 0 and by_id.stdout == same_output(koji_cli, "rpminfo", beta)
    text = same_output(koji_cli, "rpminfo", "--buildroots", noarch, f"{world['nvrs'][1]}.noarch")
    assert "Used in 1 buildroots:" in text and "Used in 0 buildroots:" in text
    [info] = kiln_json(koji_cli, "rpminfo", noarch)
    assert info["id"] == boss.getRPM(noarch)["id"] and info["srpm"]["arch"] == "src"
    ghost = unique("ghost") + "-1-1.noarch"
    ours = kiln(koji_cli.config, "rpminfo", ghost)
    theirs = koji_cli("rpminfo", ghost, check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours.returncode == 1


def test_list_buildroot(koji_cli, boss, world, buildroot):
    text = same_output(koji_cli, "list-buildroot", str(buildroot))
    assert text == f"Component RPMs:\n{world['nvrs'][0]}.noarch\n"
    assert same_output(koji_cli, "list-buildroot", "--verbose", str(buildroot)) == text
    assert same_output(koji_cli, "list-buildroot", "--built", str(buildroot)) == ""
    listed = kiln_json(koji_cli, "list-buildroot", str(buildroot))
    assert listed == {"rpms": plain(boss.listRPMs(componentBuildrootID=buildroot)), "archives": []}
    for args in ([], [str(buildroot), "2"]):
        assert kiln(koji_cli.config, "list-buildroot", *args).returncode == 2
        assert koji_cli("list-buildroot", *args, check=False).returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        ["package", "{prefix}*"],
        ["build", "{prefix}-alpha-*"],
        ["rpm", "{prefix}-alpha-1.0-1.*"],
        ["tag", "{prefix}*"],
        ["build", "-r", "^{prefix}-(alpha|beta)-[0-9.]+-1$"],
        ["package", "--exact", "{prefix}-beta"],
        ["user", ADMIN[0]],
    ],
    ids=str,
)
def test_search(koji_cli, world, args):
    args = [arg.format(prefix=world["prefix"]) for arg in args]
    assert same_output(koji_cli, "search", *args)


def test_search_bad_usage(koji_cli):
    for args in ([], ["build"], ["flavour", "x"]):
        ours = kiln(koji_cli.config, "search", *args)
        assert ours.returncode == koji_cli("search", *args, check=False).returncode == 2
        assert len(ours.stderr.splitlines()) == 1 or ours.stderr.splitlines()[-1].startswith("kiln search: error:")


# --- tag-build, move-build, untag-build: the same effect on twin tags ----------------------


def test_tag_build_nowait(koji_cli, boss, builder, world):
    ours_tag, their_tag = twin_tags(boss, world, [])
    nvrs = world["nvrs"][:2]
    text = same_effect(koji_cli, ["tag-build", ours_tag, *nvrs], ["tag-build", their_tag, *nvrs])
    assert re.fullmatch(r"Created task \d+\nCreated task \d+\n", text)
    assert tagged_nvrs(boss, ours_tag) == []  # not in the tag before the task runs
    assert len(run_tag_tasks(builder, boss)) == 4
    assert tagged_nvrs(boss, ours_tag) == tagged_nvrs(boss, their_tag) == sorted(nvrs)
    ours_tag, their_tag = twin_tags(boss, world, [])
    again = [nvrs[0], "--nowait", "--force", nvrs[1]]  # options among the builds, as koji allows
    text = same_effect(koji_cli, ["tag-build", ours_tag, *again], ["tag-build", their_tag, *again])
    assert text.count("Created task") == 2
    run_tag_tasks(builder, boss)
    assert tagged_nvrs(boss, ours_tag) == tagged_nvrs(boss, their_tag) == sorted(nvrs)
    ours = kiln(koji_cli.config, "tag-build", ours_tag, nvrs[0], user=ADMIN)  # already there: refused at once
    theirs = koji_cli("tag-build", their_tag, nvrs[0], check=False)
    assert ours.returncode == theirs.returncode == 1 and ours.stdout == theirs.stdout == ""
    assert len(ours.stderr.splitlines()) == 1, ours.stderr


@pytest.mark.slow
def test_tag_build_waits_for_its_task(koji_cli, boss, builder, world):
    [tag] = twin_tags(boss, world, [], count=1)
    process = subprocess.Popen(
        [str(KILN), "-c", str(koji_cli.config), "-u", ADMIN[0], "--password", ADMIN[1]]
        + ["tag-build", "--wait", tag, world["nvrs"][2]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
    )
    deadline = time.monotonic() + 30
    while not run_tag_tasks(builder, boss):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    task_id = re.match(r"Created task (\d+)\n", out).group(1)
    lines = out.splitlines()
    assert lines[1] == "Watching tasks (this may be safely interrupted)..."
    # The watcher's first look may come before the task runs (free/open, then "-> closed") or after it closed.
    assert lines[2].startswith(f"{task_id} tagBuild (noarch): ")
    assert lines[2].endswith(": closed") or lines[3].endswith(" -> closed"), lines
    assert lines[-1] == f"{task_id} tagBuild (noarch) completed successfully"
    assert tagged_nvrs(boss, tag) == [world["nvrs"][2]]


def test_tag_build_errors(koji_cli, boss, world):
    ghost = unique("ghost")
    for args, code in ([[world["tag"]], 2], [[ghost, world["nvrs"][0]], 1], [[world["tag"], f"{ghost}-1-1"], 1]):
        ours = kiln(koji_cli.config, "tag-build", *args, user=ADMIN)
        theirs = koji_cli("tag-build", *args, check=False)
        assert ours.returncode == theirs.returncode == code, (args, ours.stderr, theirs.stderr)
        assert len(ours.stderr.splitlines()) == 1 and ours.stdout == theirs.stdout == ""


@pytest.mark.slow
def test_move_build(koji_cli, boss, builder, world):
    alpha_old, alpha_new, beta = world["nvrs"]
    (ours_from, their_from), (ours_to, their_to) = twin_tags(boss, world, [alpha_old, beta]), twin_tags(boss, world, [])
    ghost = f"{unique('ghost')}-1-1"
    text = same_effect(
        koji_cli,
        ["move-build", ours_from, ours_to, alpha_old, ghost],
        ["move-build", their_from, their_to, alpha_old, ghost],
    )
    assert f"No such build: {ghost}, skipping.\n" in text and f", moving {alpha_old}\n" in text
    run_tag_tasks(builder, boss)
    assert tagged_nvrs(boss, ours_to) == tagged_nvrs(boss, their_to) == [alpha_old]
    assert tagged_nvrs(boss, ours_from) == tagged_nvrs(boss, their_from) == [beta]
    text = same_effect(
        koji_cli,
        ["move-build", "--all", ours_from, ours_to, world["beta"], "nosuchpkg"],
        ["move-build", "--all", their_from, their_to, world["beta"], "nosuchpkg"],
    )
    assert text == "No such package: nosuchpkg, skipping.\n"
    run_tag_tasks(builder, boss)
    assert tagged_nvrs(boss, ours_to) == tagged_nvrs(boss, their_to) == sorted([alpha_old, beta])
    assert tagged_nvrs(boss, ours_from) == []
    for args in ([ours_from, ours_to], ["--all", ours_from]):
        assert kiln(koji_cli.config, "move-build", *args, user=ADMIN).returncode == 2
        assert koji_cli("move-build", *args, check=False).returncode == 2
    del alpha_new


@pytest.mark.parametrize(
    "options",
    [["-v"], ["--all", "-v"], ["--non-latest", "-v"], ["--non-latest", "--force", "-v"], ["--test"]],
    ids=str,
)
def test_untag_build(koji_cli, boss, world, options):
    alpha_old, alpha_new, beta = world["nvrs"]
    ours, theirs = twin_tags(boss, world, world["nvrs"])
    if "--all" in options or "--non-latest" in options:
        words = [] if "--force" in options else [world["alpha"], world["beta"]]
    else:
        words = [alpha_old, beta]
    text = same_effect(koji_cli, ["untag-build", *options, ours, *words], ["untag-build", *options, theirs, *words])
    assert tagged_nvrs(boss, ours) == tagged_nvrs(boss, theirs)
    left = tagged_nvrs(boss, ours)
    if options == ["-v"]:
        assert left == [alpha_new] and text == f"untagging {beta}\nuntagging {alpha_old}\n"
    elif "--all" in options:
        assert left == []
    elif "--non-latest" in options:
        assert left == sorted([alpha_new, beta]) and f"Leaving latest build for package {world['alpha']}" in text
    else:
        assert left == sorted(world["nvrs"]) and "would have untagged" in text


def test_untag_build_errors(koji_cli, boss, world):
    ours, theirs = twin_tags(boss, world, [world["nvrs"][0]])
    missing, ghost = world["nvrs"][1], f"{unique('ghost')}-1-1"
    for args in ([missing], [ghost], [missing, "--force"]):
        mine = kiln(koji_cli.config, "untag-build", ours, *args, user=ADMIN)
        their = koji_cli("untag-build", theirs, *args, check=False)
        assert (mine.returncode, mine.stdout) == (their.returncode, their.stdout)
        assert mine.stderr.replace(ours, theirs) == their.stderr
    assert tagged_nvrs(boss, ours) == tagged_nvrs(boss, theirs) == [world["nvrs"][0]]
    ghost_tag = unique("ghost")
    for args in ([ghost_tag, missing], [ours], ["--non-latest", "--force"]):
        mine = kiln(koji_cli.config, "untag-build", *args, user=ADMIN)
        assert mine.returncode == koji_cli("untag-build", *args, check=False).returncode == 2
        assert mine.stderr.splitlines()[-1].startswith("kiln untag-build: error: ")


def test_buildinfo_of_a_build_its_task_is_making(koji_cli, hub, boss, world):
    """A BUILDING build begun by a build task: its source, and the task by koji's label."""
    channel = unique("cbbuild")
    boss.addChannel(channel)
    host, _ = host_session(hub, boss, channels=(channel,))
    target = unique(f"{world['prefix']}-target")
    boss.createBuildTarget(target, world["tag"], world["tag"])
    task_id = boss.build("git+https://git.example.com/rpms/making.git#abc123", target, None, channel=channel)
    host.host.getTasks()
    assert host.host.openTask(task_id) is not None
    name = f"{world['prefix']}-making"
    data = {"name": name, "version": "1", "release": "1", "epoch": None, "task_id": task_id}
    host.host.initBuild({**data, "source": "git+https://git.example.com/rpms/making.git#abc123"})
    text = same_output(koji_cli, "buildinfo", f"{name}-1-1")
    assert "State: BUILDING\n" in text and "Source: git+https://git.example.com/rpms/making.git#abc123\n" in text
    assert f"Task: {task_id} build ({target}, /rpms/making.git:abc123)\n" in text
