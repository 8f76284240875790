"""``make run``'s system (kiln.local_system): the hub, a builder and the repo daemon from one command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import koji
import pytest
import requests

from tests.support.builder import wait_for
from tests.support.hub import BIN
from tests.support.pgserver import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def local_system(tmp_path: Path):
    state = tmp_path / "state"
    port = free_port()
    password = "local-admin-pw"
    subprocess.run(
        [str(BIN / "kiln-hub"), "add-admin", "admin", "--password", password, "--state-dir", str(state)],
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiln.local_system", "--state-dir", str(state), "--listen", f"127.0.0.1:{port}"]
        + ["--admin-password", password],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/kojihub"
    session = koji.ClientSession(url)

    def up():
        """The first setup is done (its marker is written last): the target, tags and package list are there."""
        assert proc.poll() is None, f"the local system exited {proc.returncode}:\n{proc.stdout.read()}"
        try:
            return (state / "setup-done").exists() and session.getBuildTarget("sample")
        except Exception:
            return None

    try:
        try:
            # A bound for a failure, not a pause: on a loaded machine the first setup has taken over 60 s.
            wait_for(up, 180, interval=0.2, what="the local system's setup")
        except AssertionError:
            proc.send_signal(signal.SIGINT)
            raise AssertionError(f"{proc.communicate(timeout=60)[0]}\nlogs:\n{_logs(state)}") from None
        yield {"url": url, "state": state, "password": password, "proc": proc, "session": session}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


def _logs(state: Path) -> str:
    return "\n".join(f"== {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in (state / "logs").glob("*"))


def test_one_command_starts_hub_builder_and_repo_daemon_with_a_starter_setup(local_system):
    session, state = local_system["session"], local_system["state"]
    target = session.getBuildTarget("sample")
    assert (target["build_tag_name"], target["dest_tag_name"]) == ("build", "dest")
    assert [link["name"] for link in session.getInheritanceData("build")] == ["base"]
    assert [p["package_name"] for p in session.listPackages(tagID="dest")] == ["kiln-hello"]
    host = wait_for(lambda: (h := session.getHost("local-builder")) and h["ready"] and h, 30, what="the builder")
    assert sorted(c["name"] for c in session.listChannels(hostID=host["id"])) == ["createrepo", "default"]
    # the repo daemon made the build tag's repo, and the builder's createrepo task did the work
    repo = wait_for(lambda: session.getRepo("build"), 60, what="the build tag's repo")
    assert (state / "topdir" / "repos" / "build" / str(repo["id"]) / os.uname().machine / "repodata").is_dir()
    # the web UI at make run's weburl (http://LISTEN/koji): the newRepo task's page, as a Task info: link
    weburl = local_system["url"].replace("/kojihub", "/koji")
    page = requests.get(f"{weburl}/taskinfo?taskID={repo['task_id']}", timeout=30)
    assert page.status_code == 200 and f"Task {repo['task_id']}: newRepo" in page.text and "closed" in page.text
    assert requests.get(f"{weburl}/", timeout=30).status_code == 200
    # the sample package's git repository is there to build from
    log = subprocess.run(
        ["git", "-C", str(state / "sample" / "kiln-hello.git"), "log", "--oneline"],
        text=True,
        capture_output=True,
        check=True,
    )
    assert "kiln-hello 1.0-1" in log.stdout


def test_ctrl_c_stops_all_three_and_a_second_start_keeps_the_setup(local_system):
    proc, state, session = local_system["proc"], local_system["state"], local_system["session"]
    wait_for(lambda: (h := session.getHost("local-builder")) and h["ready"], 30, what="the builder")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "kiln stopped." in out
    left = subprocess.run(["pgrep", "-f", str(state)], capture_output=True, text=True)
    assert left.stdout.strip() == "", "processes of the local system outlived it"
    # the daemons stopped before the hub: the builder's goodbye reached it, with no retries
    builder_log = (state / "logs" / "builder.log").read_text()
    assert "signal 15: stopping" in builder_log and "try #" not in builder_log, builder_log
    assert (state / "setup-done").exists()
