"""A hub restarted under a running ``kiln``: a watch, an upload and a repo wait each carry on.

The hub is this module's own (the shared one is never restarted), on
SQLite; it is killed outright (SIGKILL, as a crash or an OOM kill would) and
started again on the same port and database.  ``kiln`` runs as a user runs
it, with a profile whose retries are short (``max_retries``,
``retry_interval``) and ``--debug``, whose ``try #N of CALL ... failed``
lines on stderr tell when the client has noticed the hub gone: every step
waits on such a line, an output line or a task state, never on a fixed pause.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from pathlib import Path

import koji
import pytest

from tests.conftest import ADMIN, host_session, koji_session, open_task, start_hub, task_result, unique
from tests.support.hub import HubProcess
from tests.support.kiln_cli import KILN
from tests.support.koji_cli import write_koji_conf
from tests.support.slow_proxy import SlowProxy

pytestmark = pytest.mark.slow  # hubs killed and started again, the CLI waiting them out

MIB = 1 << 20
NOTICED = r"kiln\.client: try #\d+ of \S+ .*failed"  # the client found the hub gone and will retry


@pytest.fixture(scope="module")
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    return start_hub(request, "sqlite", tmp_path_factory.mktemp("restarted-hub"))


@pytest.fixture
def admin(hub: HubProcess):
    """The official client as admin, retrying briefly: its pooled connection dies with the hub."""
    session = koji_session(hub, *ADMIN, max_retries=20, retry_interval=0.25)
    yield session
    session.logout()


def profile(hub: HubProcess, path: Path, server: str | None = None) -> Path:
    """A koji.conf with short retries, as a user would write it: 40 tries a quarter second apart."""
    conf = write_koji_conf(hub, path)
    text = conf.read_text().replace("max_retries = 0", "max_retries = 40\nretry_interval = 0.25")
    if server:
        text = text.replace(f"server = {hub.url}", f"server = {server}")
    conf.write_text(text)
    return conf


class Running:
    """A ``kiln`` process whose stdout and stderr lines are collected as they come."""

    def __init__(self, conf: Path, *args: str, env: dict[str, str], user: bool = False) -> None:
        auth = ["--user", ADMIN[0], "--password", ADMIN[1]] if user else []
        self.proc = subprocess.Popen(
            [str(KILN), "-c", str(conf), "--debug", *auth, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def wait_for(self, pattern: str, stream: str = "out", timeout: float = 15) -> re.Match:
        """The first line of ``stream`` matching ``pattern``, once it has been printed."""
        lines = self.out if stream == "out" else self.err
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(lines):
                found = re.search(pattern, line)
                if found:
                    return found
            if self.proc.poll() is not None and not any(reader.is_alive() for reader in self._readers):
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} on std{stream}:\n{self.stdout}\n--- stderr:\n{self.stderr[-3000:]}")

    def finish(self, timeout: float = 15) -> int:
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        for reader in self._readers:
            reader.join(5)
        return self.proc.returncode


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """kiln's environment: unbuffered output, upload notes of its own, UTC, no KILN_SERVER."""
    environ = {k: v for k, v in os.environ.items() if k != "KILN_SERVER"}
    return {**environ, "TZ": "UTC", "PYTHONUNBUFFERED": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")}


def restart(hub: HubProcess, run: Running, killed: bool = False) -> None:
    """Kill the hub (unless ``killed`` already), let the client find it gone, and start it again.

    Again on the same port and database, as an operator's restart or a service manager's.
    """
    if not killed:
        hub.kill()
    run.wait_for(NOTICED, stream="err")
    assert run.proc.poll() is None, run.stderr
    hub.start_again()


def test_watch_task_carries_on_across_a_hub_restart(hub, admin, tmp_path, env):
    host, _host_id, _channel, task_id = open_task(hub, admin, "restartwatch")
    host.opts.update(max_retries=20, retry_interval=0.25)
    run = Running(profile(hub, tmp_path / "koji.conf"), "watch-task", str(task_id), env=env)
    run.wait_for(rf"^{task_id} sleep.*: open \(")
    restart(hub, run)
    host.host.closeTask(task_id, task_result())
    assert run.finish() == 0, run.stderr
    assert re.search(rf"^{task_id} sleep.*: open \(\S+\) -> closed$", run.stdout, re.M), run.stdout
    assert run.stdout.endswith(f"\n\n{task_id} sleep (noarch) completed successfully\n"), run.stdout


def wait_until(check, timeout: float = 15, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_build_upload_carries_on_across_a_hub_restart(hub, admin, tmp_path, env):
    target = unique("restartbuild")
    admin.createTag(f"{target}-dest", arches="x86_64")
    admin.createTag(f"{target}-build", parent=f"{target}-dest", arches="x86_64")
    admin.createBuildTarget(target, f"{target}-build", f"{target}-dest")
    srpm = tmp_path / f"{unique('restart')}-1.0-1.src.rpm"
    srpm.write_bytes(os.urandom(6 * MIB))  # six chunks, sent at 3 MiB/s: two seconds of upload
    proxy = SlowProxy(hub.port, rate=3 * MIB)
    conf = profile(hub, tmp_path / "koji.conf", server=proxy.url)
    run = Running(conf, "build", target, str(srpm), "--nowait", env=env, user=True)

    def copies() -> list[Path]:
        return list((hub.topdir / "work" / "cli-build").glob(f"*/{srpm.name}"))

    # the hook: once the upload has reached the hub's work dir (a chunk or more), the hub dies
    (copy,) = wait_until(lambda: [c for c in copies() if c.stat().st_size >= MIB], what="the first chunk on the hub")
    hub.kill()
    held = copy.stat().st_size
    assert held < 6 * MIB  # cut midway
    restart(hub, run, killed=True)
    assert run.finish() == 0, run.stderr
    proxy.close()
    assert proxy.sent < 6 * MIB + held, (proxy.sent, held)  # went on from what the hub held, not from the start
    assert len(copies()) == 1 and copies()[0].read_bytes() == srpm.read_bytes()
    created = re.findall(r"^Created task: (\d+)$", run.stdout, re.M)
    assert len(created) == 1, run.stdout
    source = copies()[0].relative_to(hub.topdir / "work").as_posix()
    builds = [t for t in admin.listTasks(opts={"method": "build"}) if target in map(str, admin.getTaskRequest(t["id"]))]
    assert [t["id"] for t in builds] == [int(created[0])]
    assert admin.getTaskRequest(builds[0]["id"])[0] == source
    assert not list((Path(env["XDG_CACHE_HOME"]) / "kiln" / "uploads").glob("*.json"))  # the note is dropped


def test_wait_repo_carries_on_across_a_hub_restart(hub, admin, tmp_path, env):
    tag = unique("restartrepo")
    admin.createTag(tag, arches="x86_64")
    run = Running(profile(hub, tmp_path / "koji.conf"), "wait-repo", tag, "--verbose", env=env)
    run.wait_for(rf"^Waiting on repo for {tag}$")
    restart(hub, run)
    assert run.proc.poll() is None  # still waiting: no repo yet
    # the repo appears as a newRepo task leaves it
    host, _ = host_session(hub, admin)
    repo_id, _event = host.host.repoInit(tag)
    admin.repo.setState(repo_id, koji.REPO_STATES["READY"])
    assert run.finish() == 0, run.stderr
    assert f"Got repo {repo_id}\n" in run.stdout, run.stdout


def test_watch_task_waits_out_a_hub_in_maintenance_with_offline_retry(hub, admin, tmp_path, env):
    """A hub restarted offline (ServerOffline) is waited for, without limit, when the profile says offline_retry."""
    host, _host_id, _channel, task_id = open_task(hub, admin, "restartoffline")
    host.opts.update(max_retries=20, retry_interval=0.25)
    conf = profile(hub, tmp_path / "koji.conf")
    conf.write_text(conf.read_text() + "offline_retry = yes\noffline_retry_interval = 0.1\n")
    run = Running(conf, "watch-task", str(task_id), env=env)
    run.wait_for(rf"^{task_id} sleep.*: open \(")
    hub.kill()
    hub.settings["offline"] = "yes"
    try:
        hub.start_again()
        run.wait_for(r"kiln\.client: the hub is offline \(.*\); multiCall .* again in 0\.1 s", stream="err")
        assert run.proc.poll() is None, run.stderr
    finally:
        hub.kill()
        hub.settings.pop("offline")
        hub.start_again()
    host.host.closeTask(task_id, task_result())
    assert run.finish() == 0, run.stderr
    assert run.stdout.endswith(f"\n\n{task_id} sleep (noarch) completed successfully\n"), run.stdout
