"""Which packages a build root needs: the requirements resolved against the tag's repo (libsolv).

Only the repo counts: the builder's own system is not an RPM system, and a
build must not depend on what one builder happens to have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import solv

from kiln.protocol import errors

_SELECT = solv.Selection.SELECTION_NAME | solv.Selection.SELECTION_PROVIDES | solv.Selection.SELECTION_REL


@dataclass(frozen=True)
class Package:
    name: str
    epoch: int | None
    version: str
    release: str
    arch: str
    location: str  # relative to the repo

    @property
    def nvra(self) -> str:
        return f"{self.name}-{self.version}-{self.release}.{self.arch}"


def resolve(primary: Path, arch: str, requirements: list[str]) -> list[Package]:
    """Every package to install for ``requirements``, dependencies included, sorted by name.

    Requirements no package provides fail with their names; other problems
    (conflicts, a dependency the repo cannot satisfy) fail with libsolv's
    description of each.
    """
    pool = solv.Pool()
    pool.setarch(arch)
    repo = pool.add_repo("tag")
    handle = solv.xfopen(str(primary))
    if handle is None or not repo.add_rpmmd(handle, None):
        raise errors.BuildrootError(f"cannot read the repo metadata {primary}")
    handle.close()
    pool.addfileprovides()
    pool.createwhatprovides()
    jobs, missing = [], []
    for requirement in requirements:
        selection = pool.select(requirement, _SELECT)
        if selection.isempty():
            missing.append(requirement)
        else:
            jobs += selection.jobs(solv.Job.SOLVER_INSTALL)
    if missing:
        raise errors.BuildrootError(f"nothing in the build tag's repo provides: {', '.join(missing)}")
    solver = pool.Solver()
    problems = solver.solve(jobs)
    if problems:
        raise errors.BuildrootError("cannot make the build root: " + "; ".join(str(p) for p in problems))
    found = []
    for solvable in solver.transaction().newsolvables():
        evr = solvable.evr
        epoch, _, rest = evr.rpartition(":")
        version, _, release = rest.partition("-")
        location = solvable.lookup_location()[0]
        found.append(Package(solvable.name, int(epoch) if epoch else None, version, release, solvable.arch, location))
    return sorted(found, key=lambda p: p.name)
