"""koji chain-build end to end: a level is built and reaches the build tag's repo before the next builds with it."""

from __future__ import annotations

import os

import koji
import pytest

from tests.conftest import unique
from tests.e2e.test_build_pipeline import builder, cli, git_package, spec_a, spec_b, target  # noqa: F401

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the namespace build root needs root"),
]


@pytest.mark.slow
def test_chain_build_builds_level_by_level(admin, builder, cli, target, tmp_path):  # noqa: F811 - fixtures
    a, b = unique("chaina"), unique("chainb")
    for name in (a, b):
        admin.packageListAdd(target["dest"], name, owner="admin")
    url_a = git_package(tmp_path, a, spec_a(a), **{"data.txt": "from a\n"})
    url_b = git_package(tmp_path, b, spec_b(b, a))
    done = cli("chain-build", "--wait", target["name"], url_a, ":", url_b, check=False)
    assert done.returncode == 0, done.stdout + done.stderr + builder.log_text()[-3000:]
    task_id = int(done.stdout.split("Created task: ")[1].split()[0])
    assert f"{task_id} chainbuild ({target['name']}) completed successfully" in done.stdout
    methods = sorted(t["method"] for ts in admin.getTaskDescendents(task_id).values() for t in ts)
    assert methods.count("build") == 2 and "waitrepo" in methods
    for nvr in (f"{a}-1.0-1", f"{b}-2.0-1"):
        assert admin.getBuild(nvr)["state"] == koji.BUILD_STATES["COMPLETE"]
    assert sorted(x["nvr"] for x in admin.listTagged(target["dest"])) == sorted([f"{a}-1.0-1", f"{b}-2.0-1"])
    # B's build root installed A from the repo the first level reached; koji list-buildroot says so
    [rpm_b] = admin.listRPMs(buildID=admin.getBuild(f"{b}-2.0-1")["id"], arches="noarch")
    installed = cli("list-buildroot", str(rpm_b["buildroot_id"])).stdout.split()
    assert f"{a}-1.0-1.noarch" in installed
    built = cli("list-buildroot", "--built", str(rpm_b["buildroot_id"])).stdout.split()
    assert f"{b}-2.0-1.noarch" in built and f"{a}-1.0-1.noarch" not in built


def test_chain_build_refuses_what_is_not_a_source(admin, target):  # noqa: F811 - fixture
    with pytest.raises(koji.GenericError, match="is not an SCM URL or package N-V-R"):
        admin.chainBuild([["not-a-source"], ["x"]], target["name"])
    with pytest.raises(koji.GenericError, match="No such build target"):
        admin.chainBuild([["git+file:///tmp/x#1"]], unique("nope"))
    with pytest.raises(koji.ParameterError, match="build level"):
        admin.chainBuild([[]], target["name"])
