"""kiln build, chain-build, import and download-build against a real hub, beside the official koji client.

Both clients submit to the same hub from the same koji.conf; what they print
is compared with task ids and upload directories normalised, and the tasks
they leave on the hub are compared too (same source form, same options,
same priority).  No builder runs here: the tasks stay free, which is all a
submission needs; tests/e2e/test_new_user_cli.py runs a build to the end.
"""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ADMIN, unique
from tests.support.hub import HubProcess
from tests.support.kiln_cli import KILN, kiln
from tests.support.koji_cli import KOJI, KojiCLI, write_koji_conf
from tests.support.rpms import make_package


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


@pytest.fixture
def koji_cli(hub: HubProcess, tmp_path: Path) -> KojiCLI:
    return KojiCLI(hub, write_koji_conf(hub, tmp_path / "koji.conf"))


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Two real packages, (srpm, noarch rpm) each: one for kiln to import, one for koji."""
    root = tmp_path_factory.mktemp("rpms")
    prefix = unique("kilnsub")
    for who in ("kiln", "koji"):
        (root / who).mkdir()
    return {who: make_package(root / who, f"{prefix}-{who}") for who in ("kiln", "koji")}


@pytest.fixture
def target(admin) -> dict[str, str]:
    """A target whose build tag inherits its destination tag (as chain-build needs)."""
    prefix = unique("subtag")
    names = {"dest": f"{prefix}-dest", "build": f"{prefix}-build", "target": f"{prefix}-target"}
    admin.createTag(names["dest"], arches="x86_64")
    admin.createTag(names["build"], parent=names["dest"], arches="x86_64")
    admin.createBuildTarget(names["target"], names["build"], names["dest"])
    return names


def _task_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^Created task: (\d+)$", text, re.M)]


def _rest_of(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """The rest of a process's stdout after lines read with readline, and its stderr, once it ends.

    Not ``communicate()``: it reads the pipe itself and skips what readline
    has already buffered (koji's watch header, when it came with the first lines).
    """
    with ThreadPoolExecutor(2) as pool:
        out, err = pool.submit(proc.stdout.read), pool.submit(proc.stderr.read)
        try:
            rest = out.result(timeout), err.result(timeout)
        except TimeoutError:
            proc.kill()
            raise
    proc.wait(timeout)
    return rest


def _normalised(text: str) -> str:
    text = re.sub(r"taskID=\d+", "taskID=N", re.sub(r"Created task: \d+", "Created task: N", text))
    return text


def both(koji_cli: KojiCLI, *args: str) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    ours = kiln(koji_cli.config, *args, user=ADMIN)
    theirs = koji_cli(*args, check=False)
    return ours, theirs


def test_build_from_an_srpm_uploads_it_as_koji_does(koji_cli, admin, hub, target, packages, tmp_path):
    srpm = packages["kiln"][0]
    ours, theirs = both(koji_cli, "build", target["target"], str(srpm), "--nowait")
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert _normalised(ours.stdout) == _normalised(theirs.stdout)
    assert ours.stdout.startswith(f"Uploading srpm: {srpm}\n\nCreated task: ")
    assert ours.stderr == ""
    (mine,), (kojis,) = _task_ids(ours.stdout), _task_ids(theirs.stdout)
    assert ours.stdout.endswith(f"Task info: http://127.0.0.1:{hub.port}/koji/taskinfo?taskID={mine}\n")
    requests = [admin.getTaskInfo(task, request=True) for task in (mine, kojis)]
    sources = [task["request"][0] for task in requests]
    for source in sources:
        assert re.fullmatch(rf"cli-build/\d+\.\d+\.[A-Za-z]{{8}}/{re.escape(srpm.name)}", source), source
    assert (hub.topdir / "work" / sources[0]).read_bytes() == srpm.read_bytes()
    assert [task["request"][1:] for task in requests[:1]] == [task["request"][1:] for task in requests[1:]]
    assert requests[0]["priority"] == requests[1]["priority"]


def test_build_from_scm_with_koji_options(koji_cli, admin, target):
    url = "git+https://example.com/rpms/foo.git#abc123"
    args = ["build", target["target"], url, "--scratch", "--arch-override", "x86_64,noarch", "--skip-tag"]
    args += ["--fail-fast", "--wait-build", "foo-1-1", "--background", "--nowait", "--wait-repo"]
    args += ["--custom-user-metadata", '{"team": "a"}']
    ours, theirs = both(koji_cli, *args)
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert _normalised(ours.stdout) == _normalised(theirs.stdout)
    tasks = [admin.getTaskInfo(task, request=True) for task in _task_ids(ours.stdout) + _task_ids(theirs.stdout)]
    assert tasks[0]["request"] == tasks[1]["request"]
    assert tasks[0]["request"][2]["arch_override"] == "x86_64 noarch"
    assert tasks[0]["priority"] == tasks[1]["priority"]
    quiet = kiln(koji_cli.config, "--quiet", "build", target["target"], url, "--nowait", user=ADMIN)
    assert quiet.returncode == 0 and quiet.stdout == ""


def test_build_priority_and_channel_override(koji_cli, admin, target):
    done = kiln(
        koji_cli.config, "build", target["target"], "git://example.com/foo.git#main", "--nowait",
        "--priority", "3", "--channel-override", "createrepo", user=ADMIN,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    task = admin.getTaskInfo(_task_ids(done.stdout)[0])
    assert task["priority"] == 20 + 3  # relative to the default, as the hub's build() takes it
    assert admin.getChannel(task["channel_id"])["name"] == "createrepo"


@pytest.mark.parametrize(
    "extra",
    [
        ["no-such-target", "git://example.com/foo.git#main"],
        ["TARGET", "git://example.com/foo.git#main", "--arch-override", "x86_64"],
        ["TARGET", "git://example.com/foo.git#main", "--scratch", "--draft"],
        ["TARGET", "git://example.com/foo.git#main", "--custom-user-metadata", "[1]"],
        ["TARGET"],
    ],
)
def test_build_refuses_what_koji_refuses(koji_cli, admin, target, extra):
    args = ["build", *[target["target"] if word == "TARGET" else word for word in extra], "--nowait"]
    before = admin.listTasks(opts={"method": "build"}, queryOpts={"countOnly": True})
    ours, theirs = both(koji_cli, *args)
    assert ours.returncode == theirs.returncode == 2, (ours.stderr, theirs.stderr)
    assert ours.stdout == theirs.stdout == ""
    theirs_error = theirs.stderr.strip().splitlines()[-1].split("error: ", 1)[1]
    assert ours.stderr.strip().splitlines()[-1].split("error: ", 1)[1] == theirs_error
    assert admin.listTasks(opts={"method": "build"}, queryOpts={"countOnly": True}) == before


def test_build_into_a_locked_tag_only_as_scratch(koji_cli, admin, target):
    admin.editTag2(target["dest"], locked=True)
    url = "git://example.com/foo.git#main"
    ours, theirs = both(koji_cli, "build", target["target"], url, "--nowait")
    assert ours.returncode == theirs.returncode == 2
    assert ours.stderr.endswith(f"error: Destination tag {target['dest']} is locked\n")
    ours, theirs = both(koji_cli, "build", target["target"], url, "--nowait", "--scratch")
    assert ours.returncode == theirs.returncode == 0


def test_chain_build_levels_as_koji_sends_them(koji_cli, admin, target):
    args = ["chain-build", target["target"], "git://example.com/a.git#1", "git://example.com/b.git#1", ":"]
    args += ["git://example.com/c.git#1", "--nowait"]
    ours, theirs = both(koji_cli, *args)
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert _normalised(ours.stdout) == _normalised(theirs.stdout)
    tasks = [admin.getTaskInfo(task, request=True) for task in _task_ids(ours.stdout) + _task_ids(theirs.stdout)]
    assert tasks[0]["request"] == tasks[1]["request"]
    assert tasks[0]["request"][0] == [
        ["git://example.com/a.git#1", "git://example.com/b.git#1"],
        ["git://example.com/c.git#1"],
    ]
    for bad in (["git://example.com/a.git#1", "--nowait"], ["./foo.src.rpm", ":", "git://x/b.git#1"]):
        ours, theirs = both(koji_cli, "chain-build", target["target"], *bad)
        assert ours.returncode == theirs.returncode != 0
        assert (
            ours.stderr.strip().splitlines()[-1].split("error: ")[-1]
            == theirs.stderr.strip().splitlines()[-1].split("error: ")[-1]
        )


def test_import_prints_koji_lines_and_makes_the_build(koji_cli, admin, packages):
    # koji's own import and download-build need rpm's Python bindings, which the venv lacks:
    # the lines expected are koji's, from its source (handle_import, download_file)
    srpm, rpm = packages["kiln"]
    done = kiln(koji_cli.config, "import", str(rpm), str(srpm), user=ADMIN)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"uploading {srpm}... done\nimporting {srpm}... done\nuploading {rpm}... done\nimporting {rpm}... done\n"
    )
    build = admin.getBuild(srpm.name.removesuffix(".src.rpm"))
    assert build and build["state"] == 1
    assert sorted(r["arch"] for r in admin.listRPMs(buildID=build["id"])) == ["noarch", "src"]
    again = kiln(koji_cli.config, "import", str(srpm), str(rpm), user=ADMIN)
    assert again.stdout == "".join(f"RPM already imported: {path}\nSkipping import\n" for path in (srpm, rpm))


def test_import_of_a_binary_rpm_without_its_build(koji_cli, admin, tmp_path):
    _, rpm = make_package(tmp_path, unique("orphan"))
    nvr = rpm.name.removesuffix(".noarch.rpm")
    done = kiln(koji_cli.config, "import", str(rpm), user=ADMIN)
    assert done.stdout == f"Missing build or srpm: {nvr}\nAborting import\n"
    done = kiln(koji_cli.config, "import", "--test", "--create-build", str(rpm), user=ADMIN)
    assert done.stdout == (
        f"Missing build or srpm: {nvr}\nTest mode -- would have created empty build: {nvr}\n"
        f"Test mode -- skipping import for {rpm}\n"
    )
    assert admin.getBuild(nvr) is None
    done = kiln(koji_cli.config, "import", "--create-build", str(rpm), user=ADMIN)
    assert done.stdout.startswith(f"Missing build or srpm: {nvr}\nCreating empty build: {nvr}\nuploading {rpm}... ")
    assert [r["arch"] for r in admin.listRPMs(buildID=admin.getBuild(nvr)["id"])] == ["noarch"]


def _koji_in(koji_cli: KojiCLI, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(KOJI), "-c", str(koji_cli.config), "--noauth", *args],
        cwd=cwd, capture_output=True, text=True, env={**os.environ, "TZ": "UTC"}, timeout=60, check=False,
    )  # fmt: skip


def test_download_build_fetches_the_build_files(koji_cli, admin, packages, tmp_path):
    srpm, rpm = packages["koji"]
    kiln(koji_cli.config, "import", str(srpm), str(rpm), user=ADMIN)
    nvr = srpm.name.removesuffix(".src.rpm")
    order = [r["arch"] for r in admin.listRPMs(buildID=admin.getBuild(nvr)["id"])]
    files = {"src": srpm, "noarch": rpm}
    for args, arches in (([nvr], order), ([nvr, "--arch", "src"], ["src"]), ([rpm.name[:-4], "--rpm"], ["noarch"])):
        here = tmp_path / unique("dl")
        here.mkdir()
        done = kiln(koji_cli.config, "download-build", *args, "--noprogress", cwd=here)
        assert done.returncode == 0, done.stderr
        names = [files[arch].name for arch in arches]
        assert done.stdout == "".join(f"Downloading [{n}/{len(names)}]: {name}\n" for n, name in enumerate(names, 1))
        assert sorted(os.listdir(here)) == sorted(names)
        for arch in arches:
            assert (here / files[arch].name).read_bytes() == files[arch].read_bytes()
    again = kiln(koji_cli.config, "download-build", rpm.name[:-4], "--rpm", "--noprogress", cwd=here)
    assert again.stdout == f"Downloading [1/1]: {rpm.name}\nFile {rpm.name} already downloaded, skipping\n"
    # a partial copy is continued, as koji's Range request does
    data = rpm.read_bytes()
    (here / rpm.name).write_bytes(data[: len(data) // 2])
    again = kiln(koji_cli.config, "download-build", rpm.name[:-4], "--rpm", "--noprogress", cwd=here)
    assert again.stdout == f"Downloading [1/1]: {rpm.name}\nAppending to existing file {rpm.name}\n"
    assert (here / rpm.name).read_bytes() == data
    quiet_dir = tmp_path / "quiet"
    quiet_dir.mkdir()
    quiet = kiln(koji_cli.config, "--quiet", "download-build", nvr, cwd=quiet_dir)
    assert quiet.returncode == 0 and quiet.stdout == quiet.stderr == ""
    assert sorted(os.listdir(quiet_dir)) == sorted(f.name for f in files.values())


@pytest.mark.slow
def test_download_build_errors(koji_cli, tmp_path):
    for args in (["no-such-1-1"], ["12", "--latestfrom", "x"], []):
        ours = kiln(koji_cli.config, "download-build", *args, cwd=tmp_path)
        theirs = _koji_in(koji_cli, tmp_path, "download-build", *args)
        assert ours.returncode == theirs.returncode != 0, (ours.stderr, theirs.stderr)
        assert ours.stdout == theirs.stdout == ""
    assert os.listdir(tmp_path) == ["koji.conf"]


def test_build_wait_watches_until_the_task_ends(koji_cli, admin, target):
    """--wait watches even off a terminal; a canceled build ends the watch with koji's line and exit 1."""
    koji_cli.config.write_text(koji_cli.config.read_text() + "poll_interval = 1\n")
    url = "git://example.com/foo.git#main"
    outputs = []
    for command in ([str(KILN), "-c", str(koji_cli.config), "--user", ADMIN[0], "--password", ADMIN[1]],
                    [str(KOJI), "-c", str(koji_cli.config), "--user", ADMIN[0], "--password", ADMIN[1]]):  # fmt: skip
        proc = subprocess.Popen(
            [*command, "build", "--wait", target["target"], url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TZ": "UTC"},
        )  # fmt: skip
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert _task_ids(lines[0]), (command[0], lines, proc.stderr.read() if proc.poll() is not None else "")
        task_id = _task_ids(lines[0])[0]
        admin.cancelTask(task_id)
        rest, err = _rest_of(proc, timeout=60)
        outputs.append((proc.returncode, task_id, "".join(lines) + rest, err))
    for code, task_id, text, err in outputs:
        assert code == 1, (text, err)
        assert "Watching tasks (this may be safely interrupted)..." in text, (text, err)
        assert text.endswith(f"\n\n{task_id} build ({target['target']}, /foo.git:main) was canceled\n"), text
    assert admin.getTaskInfo(outputs[0][1])["state"] == 3  # CANCELED
