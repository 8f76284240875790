"""koji tag-build end to end: the hub checks, a tagBuild task runs on a real builder, history names the user."""

from __future__ import annotations

import re

import koji
import pytest

from tests.compat.conftest import KojiCLI
from tests.conftest import host_session, unique
from tests.support.builder import BuilderProcess


@pytest.fixture(scope="module")
def default_builder(hub, tmp_path_factory):
    """A kiln-builder in the default channel, where tagBuild tasks go."""
    admin = koji.ClientSession(hub.url)
    admin.opts.update(user="admin", password="admin-secret")
    admin.login()
    session, host_id = host_session(hub, admin)
    name = admin.getHost(host_id)["name"]
    session.logout()
    process = BuilderProcess(hub.url, name, "hostpw", check_seconds=0.5).start()
    yield process
    process.cleanup()


@pytest.fixture
def cli(hub, tmp_path) -> KojiCLI:
    config = tmp_path / "koji.conf"
    config.write_text(
        f"[koji]\nserver = {hub.url}\nweburl = http://x/koji\ntopurl = http://x/kojifiles\nmax_retries = 0\n"
        "poll_interval = 1\n"  # --wait polls every second, not koji's default 6
    )
    return KojiCLI(hub, config)


def test_tag_build_runs_a_task_that_tags_for_the_user(cli, admin, default_builder):
    tag, pkg = unique("ttag"), unique("tpkg")
    admin.createTag(tag)
    admin.packageListAdd(tag, pkg, owner="admin")
    admin.createEmptyBuild(pkg, "1", "1", None)
    nvr = f"{pkg}-1-1"
    done = cli("tag-build", "--wait", tag, nvr)
    task_id = int(re.search(r"Created task:? (\d+)", done.stdout).group(1))
    assert f"{task_id} tagBuild (noarch) completed successfully" in done.stdout, done.stdout
    info = admin.getTaskInfo(task_id, request=True)
    assert (info["method"], info["state"], info["priority"]) == ("tagBuild", koji.TASK_STATES["CLOSED"], 10)
    assert [b["nvr"] for b in admin.listTagged(tag)] == [nvr]
    [entry] = admin.queryHistory(tables=["tag_listing"], tag=tag)["tag_listing"]
    assert entry["creator_name"] == "admin"  # the user who asked, not the builder that did it

    again = cli("tag-build", tag, nvr, check=False)
    assert again.returncode == 1 and f"build {nvr} already tagged ({tag})" in again.stderr
    other = unique("tother")
    admin.createEmptyBuild(other, "1", "1", None)
    refused = cli("tag-build", tag, f"{other}-1-1", check=False)
    assert refused.returncode == 1 and f"package {other} not in list for tag {tag}" in refused.stderr


@pytest.mark.slow
def test_move_build_tags_into_one_and_out_of_the_other_in_one_task(cli, admin, default_builder):
    source, target, pkg = unique("msrc"), unique("mdst"), unique("mpkg")
    for tag in (source, target):
        admin.createTag(tag)
        admin.packageListAdd(tag, pkg, owner="admin")
    admin.createEmptyBuild(pkg, "1", "1", None)
    nvr = f"{pkg}-1-1"
    admin.tagBuildBypass(source, nvr)
    done = cli("move-build", "--wait", source, target, nvr)
    task_id = int(re.search(r"Created task:? (\d+)", done.stdout).group(1))
    assert f"{task_id} tagBuild (noarch) completed successfully" in done.stdout, done.stdout
    assert admin.listTagged(source) == [] and [b["nvr"] for b in admin.listTagged(target)] == [nvr]
    refused = cli("move-build", source, target, nvr, check=False)
    assert refused.returncode == 1 and f"build {nvr} not in tag {source}" in refused.stderr
