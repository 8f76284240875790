"""Build roots on this machine: the namespace backend for real, mock through a stand-in.

The namespace backend needs root; as an ordinary user these tests are
skipped with the reason (user namespaces are not supported yet).
"""

from __future__ import annotations

import functools
import http.server
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from kiln.builder.buildroot import BuildRootRequest, MockBuildRoot, NamespaceBuildRoot
from kiln.protocol import errors
from tests.support.rpms import GREETING, make_repo

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the namespace build root needs root")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("rpms"))


def request_for(repo: Path | str, *packages: str, **kw: object) -> BuildRootRequest:
    return BuildRootRequest(repo=str(repo), arch="x86_64", packages=list(packages), **kw)


def test_requirements_resolve_with_their_dependencies(repo, tmp_path):
    root = NamespaceBuildRoot(request_for(repo, "kiln-greeting"), tmp_path)
    assert [p.nvra for p in root.components] == ["kiln-base-2.0-1.noarch", "kiln-greeting-1.0-1.noarch"]
    by_provide = NamespaceBuildRoot(request_for(repo, "kiln-base-capability"), tmp_path / "2")
    assert [p.name for p in by_provide.components] == ["kiln-base"]


def test_unresolvable_requirements_name_what_is_missing(repo, tmp_path):
    with pytest.raises(errors.BuildrootError, match="provides: no-such-tool, kiln-base >= 9"):
        NamespaceBuildRoot(request_for(repo, "kiln-greeting", "no-such-tool", "kiln-base >= 9"), tmp_path)


@needs_root
def test_a_command_sees_the_repo_packages_and_writes_only_the_build_directory(repo, tmp_path):
    root = NamespaceBuildRoot(request_for(repo, "kiln-greeting", macros={"dist": ".kiln1"}), tmp_path)
    log = tmp_path / "run.log"
    marker = f"/usr/bin/kiln-escape-{os.getpid()}"
    script = f"cat {GREETING}; echo built > /builddir/out.txt; echo x > {marker}; rpm --eval %dist"
    assert root.run(["sh", "-c", script], log) == 0
    assert log.read_text().splitlines() == ["hello from the repo", ".kiln1"]
    assert (root.builddir / "out.txt").read_text() == "built\n"
    assert not Path(marker).exists()  # written inside, gone with the build root
    assert not Path(GREETING).exists()  # the repo's packages never touch the host


@needs_root
def test_no_network_inside(repo, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        root = NamespaceBuildRoot(request_for(repo, "kiln-base"), tmp_path)
        log = tmp_path / "net.log"
        probe = f"import socket; socket.create_connection(('127.0.0.1', {server.server_address[1]}), 2)"
        assert root.run([sys.executable, "-c", probe], log) != 0
        assert "Network is unreachable" in log.read_text() or "Connection refused" in log.read_text()
    finally:
        server.shutdown()


@needs_root
def test_the_repo_can_be_read_over_http(repo, tmp_path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(repo))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        root = NamespaceBuildRoot(request_for(url, "kiln-greeting"), tmp_path)
        assert root.run(["cat", GREETING], tmp_path / "log") == 0
        assert (tmp_path / "log").read_text() == "hello from the repo\n"
    finally:
        server.shutdown()


@pytest.fixture
def stand_in_mock(tmp_path, monkeypatch) -> Path:
    """A ``mock`` on PATH that records its arguments and the config it was given (the real one is not here)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "mock-calls"
    script = bindir / "mock"
    script.write_text(
        f'#!/bin/sh\necho "$@" >> {record}\n[ "$1" = -r ] && cp "$2" {tmp_path}/mock-config-seen\nexit 0\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    return tmp_path


def test_the_mock_backend_writes_a_config_for_the_tag_repo_and_runs_mock(repo, tmp_path, stand_in_mock):
    request = request_for(
        repo, "kiln-greeting", "kiln-base", macros={"dist": ".kiln1"}, options={"package_manager": "dnf"}
    )
    root = MockBuildRoot(request, tmp_path / "work")
    assert root.run(["rpmbuild", "-ba", "x.spec"], tmp_path / "mock.log", env={"LANG": "C"}) == 0
    root.run(["true"], tmp_path / "mock.log")
    calls = (stand_in_mock / "mock-calls").read_text().splitlines()
    config = str(root.config_path)
    assert calls == [
        f"-r {config} --init",
        f"-r {config} --setenv=LANG=C --cwd=/builddir --chroot -- rpmbuild -ba x.spec",
        f"-r {config} --cwd=/builddir --chroot -- true",
    ]
    seen = (stand_in_mock / "mock-config-seen").read_text()
    assert f"baseurl=file://{repo.resolve()}" in seen
    assert "config_opts['chroot_setup_cmd'] = 'install kiln-greeting kiln-base'" in seen
    assert "config_opts['macros']['%dist'] = '.kiln1'" in seen
    assert "config_opts['package_manager'] = 'dnf'" in seen
    assert f"({str(root.builddir)!r}, '/builddir')" in seen
    assert "config_opts['rpmbuild_networking'] = False" in seen
    root.destroy()
    assert (stand_in_mock / "mock-calls").read_text().splitlines()[-1] == f"-r {config} --clean"


def _user_namespaces_work() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "needs root to become another user for the test"
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], user="nobody", capture_output=True, text=True
    )
    if probe.returncode != 0:
        return False, f"unprivileged user namespaces are not allowed here: {probe.stderr.strip()}"
    return True, ""


@pytest.mark.skipif(not _user_namespaces_work()[0], reason=_user_namespaces_work()[1])
def test_the_same_as_an_ordinary_user_in_a_user_namespace(repo):
    workdir = Path(tempfile.mkdtemp(prefix="kiln-userns-"))  # the build's user must reach it
    workdir.chmod(0o755)
    try:
        root = NamespaceBuildRoot(request_for(repo, "kiln-greeting"), workdir / "work", user="nobody")
        log = workdir / "run.log"
        marker = f"kiln-escape-{os.getpid()}"
        script = f"cat {GREETING}; echo built > /builddir/out.txt; echo x > /usr/bin/{marker}; echo x > /etc/{marker}"
        root.run(["sh", "-c", script], log)
        text = log.read_text()
        assert text.startswith("hello from the repo\n"), text
        assert (root.builddir / "out.txt").read_text() == "built\n"
        assert (root.builddir / "out.txt").stat().st_uid == pwd.getpwnam("nobody").pw_uid
        assert not Path(f"/usr/bin/{marker}").exists() and not Path(f"/etc/{marker}").exists()
        net = workdir / "net.log"
        probe = "import socket; socket.create_connection(('127.0.0.1', 22), 2)"
        assert root.run(["python3", "-c", probe], net) != 0  # the system's python3: the user can run it
        assert "Network is unreachable" in net.read_text()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
