"""What a person at a terminal sees, and what survives a cut: progress bars and resumed uploads.

Progress: kiln runs in a pseudo-terminal (and draws a bar on it) and in a
pipe (and draws none).  Resuming: an upload through a slow proxy is
interrupted midway (Ctrl-C, or the process killed), or its connection is
dropped; the next run continues where the hub's copy ends, which the hub's
file (complete, byte for byte) and the bytes counted by the proxy show.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ADMIN, unique
from tests.support.hub import HubProcess
from tests.support.kiln_cli import KILN
from tests.support.koji_cli import write_koji_conf
from tests.support.slow_proxy import SlowProxy
from tests.support.terminal import run_in_pty

MIB = 1 << 20


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


@pytest.fixture(scope="module")
def target(hub) -> str:
    from tests.conftest import koji_session

    admin = koji_session(hub, *ADMIN)
    name = unique("xfer")
    admin.createTag(f"{name}-dest", arches="x86_64")
    admin.createTag(f"{name}-build", parent=f"{name}-dest", arches="x86_64")
    admin.createBuildTarget(name, f"{name}-build", f"{name}-dest")
    admin.logout()
    return name


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """kiln's environment: its own upload notes (XDG_CACHE_HOME), UTC, no KILN_SERVER."""
    environ = {k: v for k, v in os.environ.items() if k != "KILN_SERVER"}
    return {**environ, "TZ": "UTC", "XDG_CACHE_HOME": str(tmp_path / "cache")}


def run_kiln(conf: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    auth = ["--user", ADMIN[0], "--password", ADMIN[1]]
    return subprocess.run(
        [str(KILN), "-c", str(conf), *auth, *args], env=env, capture_output=True, text=True, timeout=60
    )


def big_srpm(tmp_path: Path, size: int) -> Path:
    path = tmp_path / f"{unique('big')}-1.0-1.src.rpm"
    path.write_bytes(os.urandom(size))
    return path


def proxied_conf(hub: HubProcess, proxy: SlowProxy, path: Path, retries: int = 0) -> Path:
    conf = write_koji_conf(hub, path)
    text = conf.read_text().replace(f"server = {hub.url}", f"server = {proxy.url}")
    conf.write_text(text.replace("max_retries = 0", f"max_retries = {retries}\nretry_interval = 0"))
    return conf


def hub_copies(hub: HubProcess, srpm: Path) -> list[Path]:
    return list((hub.topdir / "work" / "cli-build").glob(f"*/{srpm.name}"))


def wait_until(check, timeout: float = 30, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _task_source(hub: HubProcess, stdout: str) -> str:
    from tests.conftest import koji_session

    task_id = int(re.search(r"Created task: (\d+)", stdout).group(1))
    return koji_session(hub).getTaskInfo(task_id, request=True)["request"][0]


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_an_interrupted_upload_resumes_where_the_hub_copy_ends(hub, target, tmp_path, env, how):
    size = 6 * MIB
    srpm = big_srpm(tmp_path, size)
    proxy = SlowProxy(hub.port, rate=2 * MIB)
    conf = proxied_conf(hub, proxy, tmp_path / "koji.conf")
    args = [str(KILN), "-c", str(conf), "--user", ADMIN[0], "--password", ADMIN[1]]
    args += ["build", target, str(srpm), "--nowait"]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        copy = wait_until(lambda: [c for c in hub_copies(hub, srpm) if c.stat().st_size >= 2 * MIB], what="2 MiB")
        first.send_signal(how)
        out, err = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    held = copy[0].stat().st_size
    assert 2 * MIB <= held < size
    assert "Created task" not in out
    if how == signal.SIGINT:
        assert first.returncode == 130
        assert f"Upload of {srpm.name} cut short: run the same command again to resume it" in err
    (note,) = (Path(env["XDG_CACHE_HOME"]) / "kiln" / "uploads").glob("*.json")
    assert json.loads(note.read_text())["path"] == copy[0].parent.relative_to(hub.topdir / "work").as_posix()

    time.sleep(0.3)  # the hub finishes with the cut chunk
    held = copy[0].stat().st_size
    proxy.rate, proxy.sent = None, 0
    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert f"Resuming the upload of {srpm.name}: the hub holds" in second.stderr
    assert proxy.sent < size - held + MIB // 2, (proxy.sent, size, held)
    assert hub_copies(hub, srpm) == copy  # the same directory, no second copy
    assert copy[0].read_bytes() == srpm.read_bytes()
    assert _task_source(hub, second.stdout) == copy[0].relative_to(hub.topdir / "work").as_posix()
    assert not note.exists()
    proxy.close()


def test_a_dropped_connection_is_resumed_within_the_run(hub, target, tmp_path, env):
    size = 4 * MIB
    srpm = big_srpm(tmp_path, size)
    proxy = SlowProxy(hub.port)
    proxy.cut_after = int(2.5 * MIB)
    conf = proxied_conf(hub, proxy, tmp_path / "koji.conf", retries=2)
    done = run_kiln(conf, "build", target, str(srpm), "--nowait", env=env)
    assert done.returncode == 0, done.stderr
    (copy,) = hub_copies(hub, srpm)
    assert copy.read_bytes() == srpm.read_bytes()
    assert proxy.sent < 2 * size  # the cut chunk again, not the whole file
    proxy.close()


@pytest.mark.slow
def test_progress_bars_on_a_terminal_and_not_in_a_pipe(hub, target, tmp_path, env):
    srpm = big_srpm(tmp_path, 3 * MIB)
    conf = write_koji_conf(hub, tmp_path / "koji.conf")
    args = [str(KILN), "-c", str(conf), "--user", ADMIN[0], "--password", ADMIN[1], "build", target, str(srpm)]
    status, screen = run_in_pty([*args, "--nowait"], {**env, "COLUMNS": "100"})
    assert status == 0, screen
    assert f"Uploading srpm: {srpm}" in screen and "Created task: " in screen
    assert "━" in screen and "3.1/3.1 MB" in screen, screen  # rich's bar, with the size done
    piped = run_kiln(conf, "build", target, str(srpm), "--nowait", env=env)
    assert piped.returncode == 0
    assert "━" not in piped.stdout + piped.stderr and "\r" not in piped.stdout + piped.stderr
    assert piped.stdout.startswith(f"Uploading srpm: {srpm}\n\nCreated task: ")
    status, screen = run_in_pty([*args, "--nowait", "--noprogress"], env)
    assert status == 0 and "━" not in screen and "Created task: " in screen


def test_resume_keeps_only_a_prefix_that_is_this_files(hub, tmp_path):
    """What the hub holds is trusted only when its md5 is that of the local file's beginning."""
    from kiln.client import ClientSession
    from kiln.client.uploads import held_prefix, send_chunk, upload_file

    session = ClientSession(hub.url, opts={"max_retries": 0})
    session.login(*ADMIN)
    local = tmp_path / "blob.bin"
    data = os.urandom(3 * MIB + 5)
    local.write_bytes(data)
    area = f"cli-build/{unique()}"
    send_chunk(session, data[:MIB], area, local.name, 0, overwrite=True)  # the start of this file
    assert held_prefix(session, local, area, local.name)[0] == MIB
    assert upload_file(session, local, area, resume=True) == len(data)
    assert (hub.topdir / "work" / area / local.name).read_bytes() == data
    other = area + "x"
    send_chunk(session, os.urandom(MIB), other, local.name, 0, overwrite=True)  # bytes of some other file
    assert held_prefix(session, local, other, local.name)[0] == 0
    upload_file(session, local, other, resume=True)
    assert (hub.topdir / "work" / other / local.name).read_bytes() == data
    session.logout()


def test_import_and_download_draw_bars_on_a_terminal_and_keep_kojis_lines(hub, tmp_path, env):
    from tests.support.rpms import make_package

    srpm, rpm = make_package(tmp_path, unique("bars"))
    conf = write_koji_conf(hub, tmp_path / "koji.conf")
    kiln_cmd = [str(KILN), "-c", str(conf), "--user", ADMIN[0], "--password", ADMIN[1]]
    status, screen = run_in_pty([*kiln_cmd, "import", str(srpm), str(rpm)], {**env, "COLUMNS": "100"})
    assert status == 0, screen
    assert "━" in screen
    for path in (srpm, rpm):  # the bar is wiped before koji's line is written, whole
        assert f"uploading {path}... done\r\nimporting {path}... done\r\n" in screen
    here = tmp_path / "download"
    here.mkdir()
    nvr = srpm.name.removesuffix(".src.rpm")
    status, screen = run_in_pty([*kiln_cmd, "download-build", nvr], {**env, "COLUMNS": "100"}, cwd=here)
    assert status == 0, screen
    assert "Downloading [1/2]: " in screen and "━" in screen and "kB" in screen
    assert sorted(os.listdir(here)) == sorted([srpm.name, rpm.name])
