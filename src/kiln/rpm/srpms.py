"""What a source RPM says about the build it makes: its N-V-R, where it builds, what it needs.

Read with the ``rpm`` tool, as ``headers`` reads binary packages.  The
builder uses it to name the build (host.initBuild), to choose the arches
(BuildArch, ExclusiveArch, ExcludeArch) and to find the build root's
packages (BuildRequires: the host's rpm database is empty, so kiln resolves
them against the tag's repo itself).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kiln.protocol import errors

_FORMAT = "\\t".join(
    [
        "%{NAME}",
        "%{VERSION}",
        "%{RELEASE}",
        "%{EPOCH}",
        "%{SOURCEPACKAGE}",
        "[%{BUILDARCHS} ]",
        "[%{EXCLUSIVEARCH} ]",
        "[%{EXCLUDEARCH} ]",
    ]
)
_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}


@dataclass(frozen=True)
class SourceHeader:
    name: str
    version: str
    release: str
    epoch: int | None
    source: bool  # a source package at all
    buildarchs: list[str] = field(default_factory=list)
    exclusivearch: list[str] = field(default_factory=list)
    excludearch: list[str] = field(default_factory=list)

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @property
    def filename(self) -> str:
        return f"{self.nvr}.src.rpm"


def _query(path: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["rpm", "-qp", "--nosignature", "--nodigest", *args, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env=_ENV,
        )
    except FileNotFoundError:
        raise errors.BuildError("the rpm tool is not installed on this builder") from None
    if done.returncode != 0:
        raise errors.BuildError(f"cannot read {path.name}: {done.stderr.strip()[-300:]}")
    return done.stdout


def read(path: str | Path) -> SourceHeader:
    """The header of a source RPM (BuildError if it is not an RPM at all)."""
    text = _query(Path(path), "--qf", _FORMAT + "\\n")
    fields = text.rstrip("\n").split("\t")
    if len(fields) != 8:
        raise errors.BuildError(f"cannot read {Path(path).name}: unexpected rpm output {text[:200]!r}")
    name, version, release, epoch, source, buildarchs, exclusive, exclude = fields
    return SourceHeader(
        name=name,
        version=version,
        release=release,
        epoch=None if epoch == "(none)" else int(epoch),
        source=source == "1",
        buildarchs=buildarchs.split(),
        exclusivearch=exclusive.split(),
        excludearch=exclude.split(),
    )


def build_requires(path: str | Path) -> list[str]:
    """The BuildRequires, as libsolv takes them (``name``, ``name >= 1.0``); rpm's own rpmlib() ones left out."""
    lines = _query(Path(path), "--requires").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("rpmlib(")]
