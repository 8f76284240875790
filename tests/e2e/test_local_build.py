"""``make run``'s next step, as README gives it: koji build of the sample package, then koji download-build."""

from __future__ import annotations

import os
import re
import subprocess

import koji
import pytest

from tests.e2e.test_local_system import local_system  # noqa: F401 - the fixture
from tests.support.builder import wait_for
from tests.support.hub import BIN
from tests.support.web import chromium

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the namespace build root needs root"),
]


def test_the_sample_package_builds_and_downloads(local_system, tmp_path):  # noqa: F811 - the fixture
    url, state = local_system["url"], local_system["state"]
    base = url.removesuffix("/kojihub")
    config = tmp_path / "koji.conf"
    config.write_text(f"[koji]\nserver = {url}\nweburl = {base}/koji\ntopurl = {base}/kojifiles\nmax_retries = 0\n")
    koji_cli = [str(BIN / "koji"), "-c", str(config), "--user", "admin", "--password", local_system["password"]]
    wait_for(lambda: local_system["session"].getRepo("build"), 60, what="the build tag's repo")
    source = f"git+file://{state}/sample/kiln-hello.git#main"
    done = subprocess.run([*koji_cli, "build", "--wait", "sample", source], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "completed successfully" in done.stdout
    build = local_system["session"].getBuild("kiln-hello-1.0-1")
    assert build["state"] == koji.BUILD_STATES["COMPLETE"]
    # the Task info: link koji printed opens that task's page in a browser (make run serves the web UI)
    link = re.search(r"Task info: (\S+)", done.stdout).group(1)
    assert link == f"{base}/koji/taskinfo?taskID={build['task_id']}"
    with chromium() as browser:
        page = browser.new_page(java_script_enabled=False)
        answer = page.goto(link)
        assert answer is not None and answer.status == 200
        assert page.locator("main h1").inner_text().startswith(f"Task {build['task_id']}: build (sample, ")
        page.get_by_role("link", name="kiln-hello-1.0-1").first.click()  # on to the build it made
        assert page.locator("main h1").inner_text() == "kiln-hello-1.0-1"

    def koji_says(*args: str) -> str:
        result = subprocess.run([*koji_cli, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"koji {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    task_id = build["task_id"]
    assert f"{task_id} build (sample, /" in koji_says("watch-task", str(task_id))
    assert "completed successfully" in koji_says("watch-task", str(task_id))
    tagged = koji_says("list-tagged", "dest").splitlines()
    assert tagged[2:] and tagged[2].split() == ["kiln-hello-1.0-1", "dest", "admin"]
    info = koji_says("buildinfo", "kiln-hello-1.0-1")
    assert "BUILD: kiln-hello-1.0-1" in info and "State: COMPLETE" in info and "Tags: dest" in info
    assert "/packages/kiln-hello/1.0/1/noarch/kiln-hello-1.0-1.noarch.rpm" in info
    assert "kiln-hello-1.0-1" in koji_says("latest-build", "dest", "kiln-hello").splitlines()[-1]
    history = koji_says("list-history", "--build", "kiln-hello-1.0-1")
    assert "kiln-hello-1.0-1 tagged into dest by admin" in history
    fetched = subprocess.run(
        [*koji_cli, "download-build", "--arch=noarch", "kiln-hello-1.0-1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    # The client checks the file it fetched with rpm's Python bindings, which Debian does not ship: without
    # them it says so and exits 1 after the download.  The download itself is the hub's part.
    assert fetched.returncode == 0 or "rpm's python bindings are not installed" in fetched.stderr, fetched.stderr
    rpm = tmp_path / "kiln-hello-1.0-1.noarch.rpm"
    filed = state / "topdir" / "packages" / "kiln-hello" / "1.0" / "1" / "noarch" / rpm.name
    assert rpm.read_bytes() == filed.read_bytes()
