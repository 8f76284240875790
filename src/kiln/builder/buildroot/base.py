"""What every build root backend offers, and what a handler asks for."""

from __future__ import annotations

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

    def run(
        self, argv: list[str], log_path: Path, env: dict[str, str] | None = None, timeout: float | None = None
    ) -> int:
        """Run ``argv`` inside, in the build directory, its output appended to ``log_path``; the exit status."""
        raise NotImplementedError

    def destroy(self) -> None:
        """Remove what the build root left outside the build directory."""
