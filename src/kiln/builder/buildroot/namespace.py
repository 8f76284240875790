"""The namespace backend: unshare, an overlay of the tag's packages on the host's root, chroot.

As root, or as an ordinary user where the kernel allows unprivileged user
namespaces (then inside one, mapped to root there).  A root builder may run
its builds as an ordinary account (the ``build_user`` setting, as mock runs
builds as mockbuild): the same user-namespace way.  Each ``run`` makes
the root afresh inside new namespaces (kiln.builder.buildroot.nsinit): the
packages are unpacked onto a tmpfs every time, so nothing of one command
reaches the next except through the build directory.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from kiln.builder.buildroot import nsinit
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

    def _run(self, argv: list[str], log_path: Path, env: dict[str, str] | None, timeout: float | None) -> int:
        account = pwd.getpwnam(self.user) if self.user and os.geteuid() == 0 else None
        user_namespace = os.geteuid() != 0 or account is not None
        rpms = [self.repo.fetch(p.location) for p in self.components]
        if account is not None:
            # The build's user may not read the daemon's files: it gets copies of its own.
            own = self.workdir / "rpms"
            own.mkdir(exist_ok=True)
            rpms = [shutil.copyfile(rpm, own / rpm.name) for rpm in rpms]
        if self.request.macros:
            lines = [f"%{name} {value}" for name, value in self.request.macros.items()]
            (self.builddir / ".rpmmacros").write_text("\n".join(lines) + "\n")
        state = self.workdir / "root-state"
        state.mkdir(exist_ok=True)
        # nsinit needs only the standard library: a copy beside the build runs
        # wherever kiln is installed, under any user's interpreter.
        init = shutil.copyfile(nsinit.__file__, self.workdir / "nsinit.py")
        spec = {
            "state": str(state),
            "rpms": [str(rpm) for rpm in rpms],
            "builddir": str(self.builddir),
            "argv": list(argv),
            "env": {**BASE_ENV, **(env or {})},
            "user_namespace": user_namespace,
        }
        spec_path = self.workdir / "buildroot.json"
        spec_path.write_text(json.dumps(spec))
        command = ["unshare", "--mount", "--net", "--pid", "--fork", "--propagation", "private"]
        if user_namespace:
            command[1:1] = ["--user", "--map-root-user"]
        drop: dict = {}
        python = sys.executable
        if account is not None:
            for path in (self.workdir, *self.workdir.rglob("*")):
                os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
            drop = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
            python = shutil.which("python3", path=BASE_ENV["PATH"]) or "python3"
        command += [python, str(init), str(spec_path)]
        with open(log_path, "ab") as log:
            try:
                done = subprocess.run(
                    command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=timeout, **drop
                )
            except subprocess.TimeoutExpired:
                raise errors.BuildrootError(f"{argv[0]} did not finish within {timeout} s") from None
        return done.returncode
