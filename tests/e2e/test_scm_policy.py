"""The hub's build_from_scm policy, asked by a real builder before a checkout (kojid's allowed_scms_use_policy)."""

from __future__ import annotations

import os
import subprocess

import koji
import pytest

from tests.conftest import ADMIN, host_session, koji_session, start_hub
from tests.support.builder import BuilderProcess, wait_for

RULES = ["match scm_repository */allowed.git :: allow", "all :: deny only allowed.git may be built"]


def git_repo(path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "hello.spec").write_text("Name: hello\n")
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", "x"], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "tag", "v1"], check=True)


def test_the_builder_asks_the_hub_policy_before_checking_out(request, tmp_path):
    hub = start_hub(request, "sqlite", tmp_path / "hub", policy={"build_from_scm": RULES})
    admin = koji_session(hub, *ADMIN)
    session, host_id = host_session(hub, admin)
    name = admin.getHost(host_id)["name"]
    session.logout()
    builder = BuilderProcess(hub.url, name, "hostpw", allowed_scms=":/tmp/*", scm_policy="yes").start()
    request.addfinalizer(builder.cleanup)
    for repo in ("allowed.git", "denied.git"):
        git_repo(tmp_path / repo)

    def run(repo: str) -> dict:
        task_id = admin.makeTask("example.checkout", [f"git+file://{tmp_path / repo}#v1"])
        return wait_for(lambda: (i := admin.getTaskInfo(task_id))["state"] in (2, 3, 5) and i, 60, what=f"{repo} task")

    assert run("allowed.git")["state"] == koji.TASK_STATES["CLOSED"], builder.log_text()
    refused = run("denied.git")
    assert refused["state"] == koji.TASK_STATES["FAILED"]
    with pytest.raises(koji.GenericError, match="refused by the hub's build_from_scm policy: only allowed.git"):
        admin.getTaskResult(refused["id"])
