"""Build roots: a clean, isolated place to build in, made from the build tag's repo.

A handler asks for one with a ``BuildRootRequest`` (the repo, the arch, the
packages it must hold, macros, backend options) through
``BaseTaskHandler.buildroot``; the backend the builder is configured with
makes it.  Backends (``BACKENDS``) share one small interface: ``run`` a
command inside, the ``components`` installed (for the hub's record of the
build's inputs), ``destroy``.

- ``namespace``: mount, network and PID namespaces; the host's root
  read-only under the packages the requirements resolve to (libsolv, the
  tag's repo only); only the build directory writable; no network.
- ``mock``: a mock config pointing at the tag's repo, for RPM-based
  builders where mock is installed.
"""

from __future__ import annotations

from kiln.builder.buildroot.base import BuildRoot, BuildRootRequest
from kiln.builder.buildroot.mock import MockBuildRoot
from kiln.builder.buildroot.namespace import NamespaceBuildRoot

BACKENDS: dict[str, type[BuildRoot]] = {"namespace": NamespaceBuildRoot, "mock": MockBuildRoot}

__all__ = ["BACKENDS", "BuildRoot", "BuildRootRequest", "MockBuildRoot", "NamespaceBuildRoot"]
