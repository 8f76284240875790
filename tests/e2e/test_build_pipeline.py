"""koji build end to end: a real hub, a real kiln-builder, git, rpmbuild and createrepo_c.

The builder serves the default and createrepo channels and reads the hub's
topdir (the same directory here, a read-only mount on a real site), so the
build tag's repo is made on it too (the first build waits for it in a
``waitrepo`` child).  Build roots are the namespace backend's, which needs
root.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest
import requests

from tests.compat.conftest import KojiCLI
from tests.conftest import unique
from tests.e2e.conftest import topdir_builder
from tests.support.builder import BuilderProcess, processes_with_args, wait_for
from tests.support.hub import HubProcess

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the namespace build root needs root"),
]

CLOSED, FAILED, CANCELED = (koji.TASK_STATES[s] for s in ("CLOSED", "FAILED", "CANCELED"))
BUILDING, COMPLETE = koji.BUILD_STATES["BUILDING"], koji.BUILD_STATES["COMPLETE"]
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}


@pytest.fixture(scope="module")
def builder(hub: HubProcess) -> Iterator[BuilderProcess]:
    process = topdir_builder(hub)
    yield process
    process.cleanup()


@pytest.fixture
def cli(hub: HubProcess, tmp_path: Path) -> KojiCLI:
    base = f"http://127.0.0.1:{hub.port}"
    config = tmp_path / "koji.conf"
    config.write_text(f"[koji]\nserver = {hub.url}\nweburl = {base}/koji\ntopurl = {base}/kojifiles\nmax_retries = 0\n")
    return KojiCLI(hub, config)


@pytest.fixture
def target(admin) -> dict:
    """A target building in a tag that inherits from its destination (so built packages reach the build root)."""
    dest, build, name = unique("dest"), unique("build"), unique("target")
    admin.createTag(dest)
    admin.createTag(build, parent=dest, arches="x86_64")
    admin.createBuildTarget(name, build, dest)
    return {"name": name, "dest": dest, "build": build}


def git_package(root: Path, name: str, spec: str, **files: str) -> str:
    """A git repository holding ``name``.spec and the given files; its SCM URL at the commit made."""
    repo = root / f"{name}.git"
    repo.mkdir(parents=True)
    (repo / f"{name}.spec").write_text(spec)
    for filename, text in files.items():
        (repo / filename).write_text(text)
    env = {**os.environ, **GIT_ENV}
    for argv in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "package"]):
        subprocess.run(["git", "-C", str(repo), *argv], check=True, env=env)
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    return f"git+file://{repo}#{commit.stdout.strip()}"


def spec_a(name: str) -> str:
    return textwrap.dedent(f"""
        Name: {name}
        Version: 1.0
        Release: 1
        Summary: a package other packages build with
        License: MIT
        BuildArch: noarch
        Source0: data.txt
        %description
        kiln e2e test package
        %install
        install -D -m 644 %{{SOURCE0}} %{{buildroot}}/usr/share/{name}/data.txt
        %files
        /usr/share/{name}/data.txt
    """).lstrip()


def spec_b(name: str, needs: str) -> str:
    return textwrap.dedent(f"""
        Name: {name}
        Version: 2.0
        Release: 1
        Summary: builds with what {needs} installs
        License: MIT
        BuildArch: noarch
        BuildRequires: {needs}
        %description
        kiln e2e test package
        %build
        cat /usr/share/{needs}/data.txt > copied.txt
        %install
        install -D -m 644 copied.txt %{{buildroot}}/usr/share/{name}/copied.txt
        %files
        /usr/share/{name}/copied.txt
    """).lstrip()


def finished(admin, task_id: int, builder: BuilderProcess, timeout: float = 300.0) -> dict:
    def done():
        info = admin.getTaskInfo(task_id)
        return info if info["state"] in (CLOSED, FAILED, CANCELED) else None

    try:
        return wait_for(done, timeout, interval=0.5, what=f"task {task_id} to finish")
    except AssertionError:
        print(builder.log_text())
        raise


def children(admin, task_id: int) -> dict[str, dict]:
    return {child["label"]: child for child in admin.getTaskChildren(task_id)}


def output(admin, task_id: int, name: str) -> str:
    return admin.downloadTaskOutput(task_id, name).decode()


@pytest.mark.slow
def test_a_package_from_git_builds_is_imported_and_tagged_then_another_builds_with_it(
    hub, admin, cli, builder, target, tmp_path
):
    a, b = unique("pa"), unique("pb")
    for name in (a, b):
        admin.packageListAdd(target["dest"], name, owner="admin")
    url_a = git_package(tmp_path, a, spec_a(a), **{"data.txt": f"data from {a}\n"})

    created = cli("build", "--nowait", target["name"], url_a)
    task_id = int(re.search(r"Created task: (\d+)", created.stdout).group(1))
    info = finished(admin, task_id, builder)
    assert info["state"] == CLOSED, admin.getTaskResult(task_id, raise_fault=False)
    kids = children(admin, task_id)
    assert set(kids) == {"waitrepo", "srpm", "noarch", "tag"}  # no repo yet: the build waited for one
    assert {k["method"] for k in kids.values()} == {"waitrepo", "buildSRPMFromSCM", "buildArch", "tagBuild"}
    srpm_result = admin.getTaskResult(kids["srpm"]["id"])
    assert srpm_result["srpm"].endswith(f"/{a}-1.0-1.src.rpm")
    assert srpm_result["source"]["url"] == url_a

    build = admin.getBuild(f"{a}-1.0-1")
    assert (build["state"], build["task_id"], build["owner_name"]) == (COMPLETE, task_id, "admin")
    assert build["source"] == url_a  # the URL at the commit checked out (here the commit was named already)
    assert build["extra"] == {"source": {"original_url": url_a}}
    assert [t["name"] for t in admin.listTags(build["id"])] == [target["dest"]]
    rpm_url = f"http://127.0.0.1:{hub.port}/kojifiles/packages/{a}/1.0/1/noarch/{a}-1.0-1.noarch.rpm"
    rpm = requests.get(rpm_url, timeout=30)
    assert rpm.status_code == 200 and rpm.content[:4] == b"\xed\xab\xee\xdb"  # an RPM's lead
    assert sorted(r["arch"] for r in admin.listBuildRPMs(build["id"])) == ["noarch", "src"]
    logs = {(entry["dir"], entry["name"]) for entry in admin.getBuildLogs(build["id"])}
    assert logs == {("noarch", "build.log"), ("noarch", "root.log")}
    [rpm_info] = [r for r in admin.listBuildRPMs(build["id"]) if r["arch"] == "noarch"]
    assert admin.getBuildroot(rpm_info["buildroot_id"])["task_id"] == kids["noarch"]["id"]

    # B needs A in its build root: the repo must hold A first (wait_builds waits for one that does).
    url_b = git_package(tmp_path, b, spec_b(b, a))
    task_b = admin.build(url_b, target["name"], {"wait_builds": [f"{a}-1.0-1"]})
    info = finished(admin, task_b, builder)
    assert info["state"] == CLOSED, admin.getTaskResult(task_b, raise_fault=False)
    arch_task = children(admin, task_b)["noarch"]["id"]
    [broot] = admin.listBuildroots(taskID=arch_task)
    assert [entry["name"] for entry in admin.getBuildrootListing(broot["id"])] == [a]
    assert f"  {a}-1.0-1.noarch" in output(admin, arch_task, "root.log")
    assert admin.getBuild(f"{b}-2.0-1")["state"] == COMPLETE
    assert {x["nvr"] for x in admin.listTagged(target["dest"])} == {f"{a}-1.0-1", f"{b}-2.0-1"}


@pytest.mark.slow
def test_the_build_tags_build_group_is_in_every_build_root(admin, builder, target, tmp_path):
    base, user = unique("pg"), unique("pu")
    for name in (base, user):
        admin.packageListAdd(target["dest"], name, owner="admin")
    first = admin.build(git_package(tmp_path, base, spec_a(base), **{"data.txt": "from the group\n"}), target["name"])
    assert finished(admin, first, builder)["state"] == CLOSED, admin.getTaskResult(first, raise_fault=False)
    # The build group (through a required group, as comps allows) names it: no BuildRequires needed.
    admin.groupListAdd(target["build"], "build")
    admin.groupListAdd(target["build"], "tools")
    admin.groupPackageListAdd(target["build"], "tools", base)
    admin.groupReqListAdd(target["build"], "build", "tools")
    needs_nothing = spec_b(user, base).replace(f"BuildRequires: {base}\n", "")
    task_id = admin.build(git_package(tmp_path, user, needs_nothing), target["name"], {"wait_repo": True})
    assert finished(admin, task_id, builder)["state"] == CLOSED, admin.getTaskResult(task_id, raise_fault=False)
    kids = children(admin, task_id)
    assert "waitrepo" in kids  # wait_repo: a repo as current as the tag (its new group included)
    assert f"requirements: {base}" in output(admin, kids["noarch"]["id"], "root.log")


@pytest.mark.slow
def test_the_build_tags_rpm_macros_reach_the_build(admin, builder, target, tmp_path):
    name = unique("pd")
    admin.packageListAdd(target["dest"], name, owner="admin")
    admin.editTag2(target["build"], extra={"rpm.macro.dist": ".kiln1"})
    spec = spec_a(name).replace("Release: 1\n", "Release: 1%{?dist}\n")
    task_id = admin.build(git_package(tmp_path, name, spec, **{"data.txt": "x\n"}), target["name"])
    assert finished(admin, task_id, builder)["state"] == CLOSED, admin.getTaskResult(task_id, raise_fault=False)
    build = admin.getBuild(f"{name}-1.0-1.kiln1")  # the SRPM was made in the tag's root, with its %dist
    assert build["state"] == COMPLETE
    assert sorted(r["nvr"] for r in admin.listBuildRPMs(build["id"])) == [f"{name}-1.0-1.kiln1"] * 2


@pytest.mark.slow
def test_refusals_fail_early_and_leave_no_build(hub, admin, builder, target, tmp_path):
    unlisted, blocked = unique("pu"), unique("pk")
    admin.packageListAdd(target["dest"], blocked, owner="admin")
    admin.packageListBlock(target["dest"], blocked)
    for name, message in (
        (unlisted, f"package {unlisted} not in list for tag {target['dest']}"),
        (blocked, f"package {blocked} is blocked for tag {target['dest']}"),
    ):
        url = git_package(tmp_path, name, spec_a(name), **{"data.txt": "x\n"})
        task_id = admin.build(url, target["name"])
        assert finished(admin, task_id, builder)["state"] == FAILED
        with pytest.raises(koji.BuildError, match=re.escape(message)):
            admin.getTaskResult(task_id)
        assert "noarch" not in children(admin, task_id)  # refused before any binary build
        assert admin.getBuild(f"{name}-1.0-1") is None


@pytest.mark.slow
def test_the_same_nvr_twice_fails_the_second_build(admin, builder, target, tmp_path):
    name = unique("pt")
    admin.packageListAdd(target["dest"], name, owner="admin")
    url = git_package(tmp_path, name, spec_a(name), **{"data.txt": "x\n"})
    first = admin.build(url, target["name"], {"custom_user_metadata": {"ticket": "K-1"}})
    assert finished(admin, first, builder)["state"] == CLOSED, admin.getTaskResult(first, raise_fault=False)
    assert admin.getBuild(f"{name}-1.0-1")["extra"]["custom_user_metadata"] == {"ticket": "K-1"}
    second = admin.build(url, target["name"])
    assert finished(admin, second, builder)["state"] == FAILED
    with pytest.raises(koji.GenericError, match=f"Build already exists .*{name}-1.0-1"):
        admin.getTaskResult(second)
    assert admin.getBuild(f"{name}-1.0-1")["task_id"] == first


@pytest.mark.slow
def test_a_broken_spec_fails_the_build_and_keeps_its_logs(hub, admin, builder, target, tmp_path):
    name = unique("pf")
    admin.packageListAdd(target["dest"], name, owner="admin")
    broken = spec_a(name).replace("%install", "%build\necho about to fail\nexit 3\n%install")
    url = git_package(tmp_path, name, broken, **{"data.txt": "x\n"})
    task_id = admin.build(url, target["name"])
    assert finished(admin, task_id, builder)["state"] == FAILED
    with pytest.raises(koji.BuildError, match=r"error building package \(arch noarch\)"):
        admin.getTaskResult(task_id)
    arch_task = children(admin, task_id)["noarch"]["id"]
    assert {"build.log", "root.log"} <= set(admin.listTaskOutput(arch_task))
    assert "about to fail" in output(admin, arch_task, "build.log")
    build = admin.getBuild(f"{name}-1.0-1")
    assert build["state"] == koji.BUILD_STATES["FAILED"] and build["task_id"] == task_id
    assert admin.listBuilds(state=BUILDING) == []
    assert not (hub.topdir / "packages" / name).exists()


@pytest.mark.slow
def test_cancelling_a_build_cancels_it_and_stops_its_build_root(hub, admin, builder, target, tmp_path):
    name = unique("pc")
    admin.packageListAdd(target["dest"], name, owner="admin")
    seconds = str(6000 + int(unique("")[:4], 16) % 1000)  # unique among the machine's processes
    slow = spec_a(name).replace("%install", f"%build\nsleep {seconds}\n%install")
    task_id = admin.build(git_package(tmp_path, name, slow, **{"data.txt": "x\n"}), target["name"])
    wait_for(lambda: processes_with_args("sleep", seconds), 120, interval=0.5, what="rpmbuild's %build to run")
    assert admin.getBuild(f"{name}-1.0-1")["state"] == BUILDING
    admin.cancelTask(task_id)
    assert admin.getBuild(f"{name}-1.0-1")["state"] == koji.BUILD_STATES["CANCELED"]
    wait_for(lambda: not processes_with_args("sleep", seconds), 30, what="the build root's processes to go")
    assert {c["state"] for c in admin.getTaskChildren(task_id)} <= {CLOSED, CANCELED}
    assert not (hub.topdir / "packages" / name).exists()


def test_a_scratch_build_stays_off_the_record(hub, admin, builder, target, tmp_path):
    name = unique("ps")  # not even listed: scratch builds skip the destination's list
    # noarch first, as people type it: the source package's build root is still x86_64 (no noarch repo exists)
    admin.editTag2(target["build"], arches="noarch x86_64")
    url = git_package(tmp_path, name, spec_a(name), **{"data.txt": "x\n"})
    task_id = admin.build(url, target["name"], {"scratch": True})
    assert finished(admin, task_id, builder)["state"] == CLOSED, admin.getTaskResult(task_id, raise_fault=False)
    assert admin.getBuild(f"{name}-1.0-1") is None
    assert "tag" not in children(admin, task_id)
    scratch = hub.topdir / "scratch" / "admin" / f"task_{task_id}"
    assert (scratch / f"{name}-1.0-1.noarch.rpm").is_file()
    assert (scratch / "logs" / "noarch" / "build.log").is_file()


@pytest.mark.slow
def test_koji_build_of_an_uploaded_srpm_for_an_arch_waits_and_reports(hub, admin, cli, builder, target, tmp_path):
    name = unique("px")
    admin.packageListAdd(target["dest"], name, owner="admin")
    spec = tmp_path / f"{name}.spec"
    spec.write_text(
        textwrap.dedent(
            f"""
            %global debug_package %{{nil}}
            Name: {name}
            Version: 3.0
            Release: 1
            Summary: an arch package
            License: MIT
            ExcludeArch: s390x
            %description
            kiln e2e test package
            %install
            mkdir -p %{{buildroot}}/usr/lib/{name}
            echo %{{_arch}} > %{{buildroot}}/usr/lib/{name}/arch.txt
            %files
            /usr/lib/{name}/arch.txt
            """
        ).lstrip()
    )
    top = tmp_path / "rpmbuild"
    subprocess.run(["rpmbuild", "-bs", "--define", f"_topdir {top}", str(spec)], check=True, capture_output=True)
    srpm = top / "SRPMS" / f"{name}-3.0-1.src.rpm"

    done = cli("build", "--wait", target["name"], str(srpm))
    assert f"build ({target['name']}, {srpm.name}) completed successfully" in done.stdout, done.stdout
    task_id = int(re.search(r"Created task: (\d+)", done.stdout).group(1))
    kids = children(admin, task_id)
    assert kids["srpm"]["method"] == "rebuildSRPM"  # made again in the build tag's root first, as Koji does
    rebuilt = admin.getTaskResult(kids["srpm"]["id"])["srpm"]
    assert rebuilt == f"tasks/{kids['srpm']['id'] % 10000}/{kids['srpm']['id']}/{srpm.name}"
    assert admin.getTaskRequest(kids["x86_64"]["id"])[0] == rebuilt
    assert f"buildArch ({srpm.name}, x86_64)" in done.stdout
    build = admin.getBuild(f"{name}-3.0-1")
    assert build["state"] == COMPLETE and build["source"] == srpm.name
    assert sorted(r["arch"] for r in admin.listBuildRPMs(build["id"])) == ["src", "x86_64"]
    assert (hub.topdir / "packages" / name / "3.0" / "1" / "x86_64" / f"{name}-3.0-1.x86_64.rpm").is_file()
    assert {e["dir"] for e in admin.getBuildLogs(build["id"])} == {"x86_64"}

    # A scratch build may take the upload as it is; the same N-V-R again is no matter, nothing is recorded.
    area = f"cli-build/{unique()}"
    admin.uploadWrapper(str(srpm), area)
    scratch = admin.build(f"{area}/{srpm.name}", target["name"], {"scratch": True, "rebuild_srpm": False})
    assert finished(admin, scratch, builder)["state"] == CLOSED, admin.getTaskResult(scratch, raise_fault=False)
    assert set(children(admin, scratch)) == {"x86_64"}
    assert admin.getTaskRequest(children(admin, scratch)["x86_64"]["id"])[0] == f"{area}/{srpm.name}"
