"""Inside the namespaces: build the root, then become the command.

Run by the namespace backend as
``unshare [--user --map-root-user] --mount --net --pid --fork --propagation private
python -m kiln.builder.buildroot.nsinit SPEC`` where SPEC is a JSON file: ``state`` (an empty directory for the root's
pieces), ``rpms`` (package files to lay over the host's root), ``builddir``
(the one writable directory, seen as ``/builddir``), ``argv`` and ``env``.

What it does (the order avoids overlayfs's ELOOP traps, see
shared/notes-buildroots.md): a tmpfs on ``state`` for everything the root
writes; the packages unpacked into a layer on that tmpfs; the host's root
bound there without its submounts (so the tmpfs is not inside it) and made
read-only; an overlay of the package layer over it, with the tmpfs as its
upper layer; the build directory bound in read-write; /proc (of the new
PID namespace) and /dev; then chroot and exec.  In a user namespace (an
ordinary user's builder) the kernel refuses an overlay of the whole root, so
the root is put together one top-level directory at a time instead.  Everything mounted here
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
    if os.getuid() == 0 and not spec.get("user_namespace"):
        _sh("mount", "--bind", "/", lower)
        _sh("mount", "-o", "remount,bind,ro", lower)
        layers = f"lowerdir={layer}:{lower},upperdir={upper},workdir={work}"
        _sh("mount", "-t", "overlay", "kiln-root", "-o", layers, merged)
    else:
        _per_directory_root(layer, lower, upper, work, merged)
    os.makedirs(f"{merged}/builddir", exist_ok=True)
    _sh("mount", "--bind", spec["builddir"], f"{merged}/builddir")
    _sh("mount", "-t", "proc", "proc", f"{merged}/proc")
    _sh("mount", "--rbind", "/dev", f"{merged}/dev")
    return merged


def _per_directory_root(layer: str, lower: str, upper: str, work: str, merged: str) -> None:
    """In a user namespace: an overlay of the whole root is refused, one per top-level directory is not.

    The host's root is bound recursively (a user namespace may not reveal
    what its submounts cover); the new root is a directory on the tmpfs with
    each of the host's top-level directories in it: overlaid with the
    packages' files where the packages have that directory, else bound
    read-only.  Top-level symlinks (/bin -> usr/bin) are copied.
    """
    _sh("mount", "--rbind", "/", lower)
    touched = set(os.listdir(layer))
    for name in sorted(os.listdir("/")):
        host_path, target = f"{lower}/{name}", f"{merged}/{name}"
        if os.path.islink(host_path):
            os.symlink(os.readlink(host_path), target)
            continue
        if not os.path.isdir(host_path) or name in ("proc", "dev", "sys"):
            continue
        os.mkdir(target)
        if name in touched:
            os.mkdir(f"{upper}/{name}")
            os.mkdir(f"{work}/{name}")
            layers = f"lowerdir={layer}/{name}:{host_path},upperdir={upper}/{name},workdir={work}/{name},userxattr"
            _sh("mount", "-t", "overlay", f"kiln-{name}", "-o", layers, target)
        else:
            _sh("mount", "--rbind", host_path, target)
            subprocess.run(["mount", "-o", "remount,bind,ro", target], stderr=subprocess.DEVNULL)
    for name in sorted(touched - set(os.listdir(merged))):  # a top-level directory the host lacks
        os.mkdir(f"{merged}/{name}")
        _sh("mount", "--rbind", f"{layer}/{name}", f"{merged}/{name}")
    for name in ("proc", "dev"):
        os.makedirs(f"{merged}/{name}", exist_ok=True)


def main() -> None:
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    root = setup(spec)
    os.chroot(root)
    os.chdir("/builddir")
    os.execvpe(spec["argv"][0], spec["argv"], spec["env"])


if __name__ == "__main__":
    main()
