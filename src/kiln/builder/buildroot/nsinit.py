"""Inside the namespaces: build the root, then become the command.

Run by the namespace backend as
``unshare --mount --net --pid --fork --propagation private python -m kiln.builder.buildroot.nsinit SPEC``
where SPEC is a JSON file: ``state`` (an empty directory for the root's
pieces), ``rpms`` (package files to lay over the host's root), ``builddir``
(the one writable directory, seen as ``/builddir``), ``argv`` and ``env``.

What it does (the order avoids overlayfs's ELOOP traps, see
shared/notes-buildroots.md): a tmpfs on ``state`` for everything the root
writes; the packages unpacked into a layer on that tmpfs; the host's root
bound there without its submounts (so the tmpfs is not inside it) and made
read-only; an overlay of the package layer over it, with the tmpfs as its
upper layer; the build directory bound in read-write; /proc (of the new
PID namespace) and /dev; then chroot and exec.  Everything mounted here
vanishes with the namespace; nothing written outside ``/builddir`` reaches
the host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _sh(*argv: str) -> None:
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)


def setup(spec: dict) -> str:
    state = spec["state"]
    _sh("mount", "-t", "tmpfs", "-o", "mode=0755", "kiln-buildroot", state)
    layer, lower, upper, work, merged = (f"{state}/{n}" for n in ("pkgs", "host", "upper", "work", "root"))
    for path in (layer, lower, upper, work, merged):
        os.mkdir(path)
    for rpm in spec["rpms"]:
        payload = subprocess.Popen(["rpm2archive", "-"], stdin=open(rpm, "rb"), stdout=subprocess.PIPE)  # noqa: SIM115
        subprocess.run(["tar", "-xz", "-C", layer, "--no-same-owner"], stdin=payload.stdout, check=True)
        payload.stdout.close()
        if payload.wait() != 0:
            raise RuntimeError(f"cannot unpack {rpm}")
    _sh("mount", "--bind", "/", lower)
    _sh("mount", "-o", "remount,bind,ro", lower)
    layers = f"lowerdir={layer}:{lower},upperdir={upper},workdir={work}"
    _sh("mount", "-t", "overlay", "kiln-root", "-o", layers, merged)
    os.makedirs(f"{merged}/builddir", exist_ok=True)
    _sh("mount", "--bind", spec["builddir"], f"{merged}/builddir")
    _sh("mount", "-t", "proc", "proc", f"{merged}/proc")
    _sh("mount", "--rbind", "/dev", f"{merged}/dev")
    return merged


def main() -> None:
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    root = setup(spec)
    os.chroot(root)
    os.chdir("/builddir")
    os.execvpe(spec["argv"][0], spec["argv"], spec["env"])


if __name__ == "__main__":
    main()
