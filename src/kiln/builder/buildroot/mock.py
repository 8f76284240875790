"""The mock backend: a mock config pointing at the tag's repo, and mock to run in it.

For RPM-based builders with mock installed.  The config names the repo (a
repo is the tag's content at one event, so the build root is that event's),
the packages to install, the macros and any ``config_opts`` a handler asks
for in ``options``; the build directory is bind-mounted at /builddir.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from kiln.builder.buildroot.base import BuildRoot, BuildRootRequest
from kiln.protocol import errors


class MockBuildRoot(BuildRoot):
    name = "mock"

    def __init__(self, request: BuildRootRequest, workdir: Path, user: str | None = None) -> None:
        super().__init__(request, workdir, user)  # mock runs builds as its own mockbuild user
        self.config_path = self.workdir / "mock" / "kiln.cfg"
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text())

    def config_text(self) -> str:
        request = self.request
        repo_url = request.repo if self.repo.remote else f"file://{Path(request.repo).resolve()}"
        lines = [
            f"config_opts['root'] = {('kiln-' + self.workdir.parent.name)!r}",
            f"config_opts['target_arch'] = {request.arch!r}",
            f"config_opts['legal_host_arches'] = ({request.arch!r},)",
            f"config_opts['chroot_setup_cmd'] = {('install ' + ' '.join(request.packages))!r}",
            "config_opts['rpmbuild_networking'] = False",
            "config_opts['use_host_resolv'] = False",
            f"config_opts['basedir'] = {str(self.workdir / 'mock' / 'root')!r}",
            "config_opts['plugin_conf']['bind_mount_enable'] = True",
            f"config_opts['plugin_conf']['bind_mount_opts']['dirs'].append(({str(self.builddir)!r}, '/builddir'))",
        ]
        for name, value in request.macros.items():
            lines.append(f"config_opts['macros'][{('%' + name)!r}] = {str(value)!r}")
        for name, value in request.options.items():
            lines.append(f"config_opts[{name!r}] = {value!r}")
        dnf = (
            "[main]\\ncachedir=/var/cache/dnf\\nkeepcache=0\\ndebuglevel=2\\nreposdir=/dev/null\\n"
            "retries=20\\nobsoletes=1\\ngpgcheck=0\\nassumeyes=1\\n\\n"
            f"[build]\\nname=build\\nbaseurl={repo_url}\\nenabled=1\\ngpgcheck=0\\n"
        )
        lines.append(f"config_opts['dnf.conf'] = '{dnf}'")
        return "\n".join(lines) + "\n"

    def _mock(self, args: list[str], log_path: Path, timeout: float | None) -> int:
        command = ["mock", "-r", str(self.config_path), *args]
        with open(log_path, "ab") as log:
            try:
                done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=timeout)
            except FileNotFoundError:
                raise errors.BuildrootError("mock is not installed on this builder") from None
            except subprocess.TimeoutExpired:
                raise errors.BuildrootError(f"mock did not finish within {timeout} s") from None
        return done.returncode

    def _run(self, argv: list[str], log_path: Path, env: dict[str, str] | None, timeout: float | None) -> int:
        if not (self.workdir / "mock" / "initialized").exists():
            if self._mock(["--init"], log_path, timeout) != 0:
                raise errors.BuildrootError("mock could not make the build root (see the log)")
            (self.workdir / "mock" / "initialized").touch()
        setenv = [f"--setenv={k}={v}" for k, v in (env or {}).items()] if env else []
        return self._mock([*setenv, "--cwd=/builddir", "--chroot", "--", *argv], log_path, timeout)

    def _destroy(self) -> None:
        if (self.workdir / "mock" / "initialized").exists():
            self._mock(["--clean"], self.workdir / "mock" / "clean.log", 600)
