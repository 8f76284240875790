"""The namespace backend: unshare, an overlay of the tag's packages on the host's root, chroot.

Needs root (the notes in shared/notes-buildroots.md record how an ordinary
user could do it with a user namespace: not done yet).  Each ``run`` makes
the root afresh inside new namespaces (kiln.builder.buildroot.nsinit): the
packages are unpacked onto a tmpfs every time, so nothing of one command
reaches the next except through the build directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kiln.builder.buildroot.base import BuildRoot
from kiln.protocol import errors

BASE_ENV = {
    "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
    "HOME": "/builddir",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
}


class NamespaceBuildRoot(BuildRoot):
    name = "namespace"

    def run(
        self, argv: list[str], log_path: Path, env: dict[str, str] | None = None, timeout: float | None = None
    ) -> int:
        if os.geteuid() != 0:
            raise errors.BuildrootError("the namespace build root needs root (user namespaces are not supported yet)")
        rpms = [str(self.repo.fetch(p.location)) for p in self.components]
        if self.request.macros:
            lines = [f"%{name} {value}" for name, value in self.request.macros.items()]
            (self.builddir / ".rpmmacros").write_text("\n".join(lines) + "\n")
        state = self.workdir / "root-state"
        state.mkdir(exist_ok=True)
        spec = {
            "state": str(state),
            "rpms": rpms,
            "builddir": str(self.builddir),
            "argv": list(argv),
            "env": {**BASE_ENV, **(env or {})},
        }
        spec_path = self.workdir / "buildroot.json"
        spec_path.write_text(json.dumps(spec))
        command = ["unshare", "--mount", "--net", "--pid", "--fork", "--propagation", "private"]
        command += [sys.executable, "-m", "kiln.builder.buildroot.nsinit", str(spec_path)]
        with open(log_path, "ab") as log:
            try:
                done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise errors.BuildrootError(f"{argv[0]} did not finish within {timeout} s") from None
        return done.returncode
