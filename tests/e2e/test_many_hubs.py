"""docs/deploy.md's site brought up for real: two hubs on one PostgreSQL behind nginx, two builders, kiln-repod.

The builders stand for other machines: each runs in a network namespace of
its own and knows only nginx's address, as kiln-repod and the clients do
(tests/support/site.py).  A ``kiln build`` and a ``koji build`` go through
the balancer at once; both complete, their packages reach the build tag's
repo (which the repo daemon made again after the tagging), and each hub
answered a share of the calls.  Required wherever the suite runs (as root,
with iproute2): it fails rather than skips without them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest
import requests

from kiln.local_system import sample_repository
from tests.conftest import ADMIN, hub_db_url
from tests.e2e.test_build_pipeline import git_package, spec_a
from tests.e2e.test_repos import primary_packages
from tests.support.builder import wait_for
from tests.support.kiln_cli import kiln
from tests.support.koji_cli import KojiCLI
from tests.support.site import REPOD_USER, Site, site_needs

pytestmark = [pytest.mark.slow]

CLOSED, FAILED, CANCELED = (koji.TASK_STATES[s] for s in ("CLOSED", "FAILED", "CANCELED"))
COMPLETE = koji.BUILD_STATES["COMPLETE"]
# A hub's log at DEBUG has a line for each call it answered.
CALL = re.compile(r"^.* (\S+) took [\d.]+ ms$", re.M)


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    needs = site_needs()
    if needs:
        pytest.fail(needs, pytrace=False)
    directory = tmp_path_factory.mktemp("site")
    site = Site(hub_db_url("postgres", request, directory), directory)
    try:
        yield site.start()
    finally:
        site.close()


def created_task(output: str) -> int:
    return int(re.search(r"Created task: (\d+)", output).group(1))


def test_a_kiln_build_and_a_koji_build_through_the_balancer_of_two_hubs(site, tmp_path):
    admin = site.admin()
    dest, build_tag = "dest", "build"
    admin.createTag(dest)
    admin.createTag(build_tag, parent=dest, arches="x86_64")
    admin.createBuildTarget("site", build_tag, dest)
    other = "kiln-other"
    for name in ("kiln-hello", other):
        admin.packageListAdd(dest, name, owner=ADMIN[0])
    hello_url = f"git+file://{sample_repository(tmp_path)}#main"
    other_url = git_package(tmp_path / "git", other, spec_a(other), **{"data.txt": "from the second package\n"})
    config = site.koji_conf(tmp_path / "koji.conf")

    by_kiln = kiln(config, "build", "--nowait", "site", hello_url, user=ADMIN)
    assert by_kiln.returncode == 0, by_kiln.stdout + by_kiln.stderr
    by_koji = KojiCLI(site.hubs[0], config)("build", "--nowait", "site", other_url)
    tasks = [created_task(by_kiln.stdout), created_task(by_koji.stdout)]

    def all_finished() -> bool:
        return all(admin.getTaskInfo(t)["state"] in (CLOSED, FAILED, CANCELED) for t in tasks)

    try:
        wait_for(all_finished, 80, interval=0.5, what=f"tasks {tasks} to finish")
        for task_id in tasks:
            assert admin.getTaskInfo(task_id)["state"] == CLOSED, admin.getTaskResult(task_id, raise_fault=False)
    except AssertionError:
        print(site.log_text())
        raise
    for nvr, task_id in (("kiln-hello-1.0-1", tasks[0]), (f"{other}-1.0-1", tasks[1])):
        info = admin.getBuild(nvr)
        assert (info["state"], info["task_id"]) == (COMPLETE, task_id)
        assert [t["name"] for t in admin.listTags(info["id"])] == [dest]

    # The tagging changed the build tag (it inherits dest): kiln-repod asks for a new repo, a builder makes it.
    def repo_with_both() -> dict | None:
        repo = admin.getRepo(build_tag)
        repodata = site.topdir / "repos" / build_tag / str(repo["id"]) / "x86_64" / "repodata" if repo else None
        if repodata is None or not (repodata / "repomd.xml").exists():
            return None
        return repo if {"kiln-hello", other} <= set(primary_packages(repodata)) else None

    repo = wait_for(repo_with_both, 60, interval=0.5, what="the build tag's repo with both builds")
    assert admin.getTaskInfo(repo["task_id"])["owner"] == admin.getUser(REPOD_USER)["id"]
    served = requests.get(
        f"{site.base}/kojifiles/repos/{build_tag}/{repo['id']}/x86_64/repodata/repomd.xml", timeout=10
    )
    assert served.status_code == 200 and b"primary" in served.content  # the repo, through the balancer

    # The builders are other machines: networks of their own, from which no hub is reached but through nginx.
    for builder in site.builders:
        assert os.readlink(f"/proc/{builder.proc.pid}/ns/net") != os.readlink("/proc/self/ns/net")
        probe = f"import socket; socket.create_connection(('127.0.0.1', {site.hubs[0].port}), timeout=2)"
        refused = subprocess.run(builder.netns.argv([sys.executable, "-c", probe]), capture_output=True, text=True)
        assert refused.returncode != 0 and "ConnectionRefusedError" in refused.stderr, refused.stderr

    # Every task ran on one of the site's builders; both hubs answered calls (nginx spreads them round robin).
    builders = {admin.getHost(b.settings["host"])["id"] for b in site.builders}
    ran = [admin.getTaskInfo(t["id"]) for task_id in tasks for t in admin.getTaskChildren(task_id)]
    assert {t["host_id"] for t in ran} <= builders
    calls = [CALL.findall(Path(hub.settings["log_file"]).read_text()) for hub in site.hubs]
    assert all(calls), [len(c) for c in calls]
    print(f"calls per hub: {[len(c) for c in calls]}; tasks per host: {[t['host_id'] for t in ran]}")
    admin.logout()
