"""What an RPM file says about itself, read with the ``rpm`` tool (Debian's package gives it).

``rpm -qp`` with a query format is the one reader every RPM-based site
trusts; signatures and digests are not checked here (kiln checks the
upload's own digest; signing is a separate matter).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from kiln.protocol import errors

_FIELDS = ("NAME", "VERSION", "RELEASE", "EPOCH", "ARCH", "SOURCERPM", "BUILDTIME", "SIGMD5")
_FORMAT = "\\t".join(f"%{{{f}}}" for f in _FIELDS) + "\\n"


@dataclass(frozen=True)
class RpmHeader:
    name: str
    version: str
    release: str
    epoch: int | None
    arch: str  # "src" for a source package
    sourcerpm: str | None  # the source package's file name; None for a source package
    buildtime: int
    payloadhash: str  # SIGMD5, hex

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @property
    def filename(self) -> str:
        return f"{self.nvr}.{self.arch}.rpm"


def read(path: str | Path) -> RpmHeader:
    try:
        done = subprocess.run(
            ["rpm", "-qp", "--nosignature", "--nodigest", "--qf", _FORMAT, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
        )
    except FileNotFoundError:
        raise errors.GenericError("the rpm tool is not installed on the hub") from None
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) != 1 or lines[0].count("\t") != len(_FIELDS) - 1:
        raise errors.GenericError(f"not an RPM file: {Path(path).name}: {done.stderr.strip()[-200:]}")
    name, version, release, epoch, arch, sourcerpm, buildtime, sigmd5 = lines[0].split("\t")
    source = sourcerpm in ("(none)", "")
    return RpmHeader(
        name=name,
        version=version,
        release=release,
        epoch=None if epoch == "(none)" else int(epoch),
        arch="src" if source else arch,
        sourcerpm=None if source else sourcerpm,
        buildtime=int(buildtime),
        payloadhash=sigmd5,
    )
