"""What every build root backend offers, and what a handler asks for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiln.builder.buildroot import solver
from kiln.builder.buildroot.repos import Repo


@dataclass
class BuildRootRequest:
    repo: str  # the build tag's repo for this arch: a directory or URL holding repodata/
    arch: str
    packages: list[str]  # what must be installed: the build group and the BuildRequires
    macros: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # backend settings (mock's config_opts, ...)


class BuildRoot:
    """Made in ``workdir``; ``builddir`` is the one place a command inside may write."""

    name = "base"

    def __init__(self, request: BuildRootRequest, workdir: Path, user: str | None = None) -> None:
        self.request = request
        self.user = user or None  # the account builds run as (where the backend can drop to one)
        self.workdir = Path(workdir)
        self.builddir = self.workdir / "build"
        self.builddir.mkdir(parents=True, exist_ok=True)
        self.repo = Repo(request.repo, self.workdir / "cache")
        # Unresolvable requirements fail here, naming what is missing.
        self.components: list[solver.Package] = solver.resolve(self.repo.primary(), request.arch, request.packages)
        self._reported = "INIT"
        self.hub_id: int | None = None

    # Set by the handler that asked for the build root: tells the hub each state change.
    reporter: Callable[[str], None] | None = None

    def _report(self, state: str) -> None:
        if self.reporter is not None and state != self._reported:
            self.reporter(state)
            self._reported = state

    def run(
        self, argv: list[str], log_path: Path, env: dict[str, str] | None = None, timeout: float | None = None
    ) -> int:
        """Run ``argv`` inside, in the build directory, its output appended to ``log_path``; the exit status."""
        self._report("BUILDING")
        return self._run(argv, log_path, env, timeout)

    def destroy(self) -> None:
        """Remove what the build root left outside the build directory; the hub hears it expired."""
        self._destroy()
        self._report("EXPIRED")

    def _run(self, argv: list[str], log_path: Path, env: dict[str, str] | None, timeout: float | None) -> int:
        raise NotImplementedError

    def _destroy(self) -> None:
        pass
