"""A new user's path with the ``kiln`` client: ``make run``'s system, then README's ``kiln`` lines, as written.

The system is the one ``make run`` starts (``python -m kiln.local_system``,
the koji.conf and admin-password the Makefile writes under ``.kiln/``).
README's block of ``$KILN`` lines is read from README.md and each line run
through bash from a directory holding ``.kiln`` and ``.venv``, as a user in
a clone would; ``kiln build`` runs on a terminal (it watches there, as
koji's does).  ``watch-task`` and ``download-task`` are compared with the
official koji client's on the same finished tasks.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import koji
import pytest

from tests.e2e.test_local_system import local_system  # noqa: F401 - the fixture
from tests.support.builder import wait_for
from tests.support.terminal import run_in_pty

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the namespace build root needs root"),
]

README = Path(__file__).resolve().parents[2] / "README.md"
VENV = Path(sys.executable).parent.parent


def readme_kiln_lines() -> tuple[str, list[str]]:
    """README's ``KILN=...`` line and the ``$KILN`` commands after it, comments dropped."""
    block = re.search(r"```sh\n(KILN=.*?)```", README.read_text(), re.S)
    assert block, "README has no block of kiln commands"
    lines = [line.split("   #")[0].rstrip() for line in block.group(1).splitlines() if line.strip()]
    return lines[0], [line for line in lines[1:] if line.startswith("$KILN ")]


def test_a_new_user_builds_watches_and_downloads_with_kiln(local_system, tmp_path):  # noqa: F811 - the fixture
    url, state, password = local_system["url"], local_system["state"], local_system["password"]
    base = url.removesuffix("/kojihub")
    (state / "admin-password").write_text(password + "\n")
    (state / "koji.conf").write_text(f"[koji]\nserver = {url}\nweburl = {base}/koji\ntopurl = {base}/kojifiles\n")
    clone = tmp_path / "clone"  # where a user of a clone stands: .kiln and .venv at hand
    clone.mkdir()
    (clone / ".kiln").symlink_to(state)
    (clone / ".venv").symlink_to(VENV)
    env = {**{k: v for k, v in os.environ.items() if k != "KILN_SERVER"}, "TZ": "UTC", "COLUMNS": "120"}
    wait_for(lambda: local_system["session"].getRepo("build"), 60, what="the build tag's repo")

    assignment, commands = readme_kiln_lines()
    assert [c.split()[1] for c in commands] == ["moshimoshi", "build", "watch-task", "download-build"]

    def script(command: str, task_id: int | None = None) -> list[str]:
        # $PWD/.kiln is the state directory itself, as in a clone (the builder allows checkouts from there)
        command = command.replace("$PWD/.kiln", str(state))
        if task_id is not None:
            command = re.sub(r"\bN\b", str(task_id), command)
        return ["bash", "-c", f"{assignment}\n{command}"]

    def run(command: str, task_id: int | None = None) -> str:
        done = subprocess.run(script(command, task_id), cwd=clone, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{command}:\n{done.stdout}{done.stderr}"
        return done.stdout

    moshimoshi, build_line, watch_line, download_line = commands
    assert "Authenticated via password" in run(moshimoshi)

    status, screen = run_in_pty(script(build_line), env=env, cwd=clone, timeout=300)
    assert status == 0, screen
    task_id = int(re.search(r"Created task: (\d+)", screen).group(1))
    assert "Watching tasks (this may be safely interrupted)..." in screen
    assert f"{task_id} build (sample, " in screen and "completed successfully" in screen, screen
    build = local_system["session"].getBuild("kiln-hello-1.0-1")
    assert build["state"] == koji.BUILD_STATES["COMPLETE"] and build["task_id"] == task_id

    watched = run(watch_line, task_id)
    assert f"{task_id} build (sample, " in watched and watched.rstrip().endswith("completed successfully")
    koji_cli = [str(VENV / "bin" / "koji"), "-c", str(state / "koji.conf"), "--noauth"]
    theirs = subprocess.run([*koji_cli, "watch-task", str(task_id)], capture_output=True, text=True, env=env)
    assert watched == theirs.stdout

    run(download_line)
    filed = state / "topdir" / "packages" / "kiln-hello" / "1.0" / "1"
    for name in ("kiln-hello-1.0-1.src.rpm", "kiln-hello-1.0-1.noarch.rpm"):
        arch = name.split(".")[-2]
        assert (clone / name).read_bytes() == (filed / arch / name).read_bytes()

    # download-task: koji's needs no rpm bindings, so both clients fetch the task's RPMs side by side
    for who, command in (("kiln", [str(VENV / "bin" / "kiln"), "-c", str(state / "koji.conf")]), ("koji", koji_cli)):
        here = tmp_path / who
        here.mkdir()
        done = subprocess.run(
            [*command, "download-task", str(task_id), "--noprogress", "--logs"],
            cwd=here, capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        (here / "stdout").write_text(done.stdout)
    assert (tmp_path / "kiln" / "stdout").read_text() == (tmp_path / "koji" / "stdout").read_text()
    assert sorted(os.listdir(tmp_path / "kiln")) == sorted(os.listdir(tmp_path / "koji"))
    assert "kiln-hello-1.0-1.noarch.rpm" in os.listdir(tmp_path / "kiln")
    for name in os.listdir(tmp_path / "kiln"):
        assert (tmp_path / "kiln" / name).read_bytes() == (tmp_path / "koji" / name).read_bytes(), name
