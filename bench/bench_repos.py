"""The repos figure: from a tag change to the build tag's regenerated repo being READY, for 1,000 RPMs.

    .venv/bin/python -m bench.bench_repos [--rpms 1000] [--rounds 5]

A real system on SQLite: ``kiln-hub serve``, one ``kiln-builder`` (createrepo
channel, reading the hub's topdir) and ``kiln-repod`` (check_seconds 0.5, its
default).  A base tag holds ``--rpms`` RPMs (builds of 100 subpackages each,
made by rpmbuild and imported through importRPM); a build tag inherits from
it and is a target's build tag.  Each round tags one more small build into
the *base* tag and times, from that call's return, until ``getRepo(build
tag)`` answers a repo made at or after the change: the repo daemon noticing,
the newRepo task, repoInit's package lists, createrepo_c (updating from the
previous repo) and repoDone.  Target: under 2 s.  For scale, the same
createrepo_c run from scratch over the same package list is timed too.

The process helpers come from tests/support (the same processes the e2e
tests start).  Results also go to ``bench/results/repos.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.builder import wait_for
from tests.support.rpms import build_spec, import_files

from bench import system

RESULTS = Path(__file__).resolve().parent / "results"
PER_BUILD = 100


def make_builds(root: Path, count: int) -> list[list[Path]]:
    """``count`` RPMs in builds of PER_BUILD subpackages: per build, [srpm, rpms...]."""
    root.mkdir(parents=True, exist_ok=True)
    builds = []
    for b in range((count + PER_BUILD - 1) // PER_BUILD):
        n = min(PER_BUILD, count - b * PER_BUILD)
        name = f"benchpkg{b}"
        lines = [f"Name: {name}", "Version: 1.0", "Release: 1", "Summary: s", "License: MIT", "BuildArch: noarch"]
        lines += ["%description", "bench package"]
        for i in range(n - 1):
            lines += [f"%package sub{i}", f"Summary: sub {i}", f"%description sub{i}", "sub"]
        lines += ["%install"]
        lines += [
            f"mkdir -p %{{buildroot}}/usr/share/{name}/{i} && echo {i} > %{{buildroot}}/usr/share/{name}/{i}/f"
            for i in range(n)
        ]
        lines += ["%files", f"/usr/share/{name}/{n - 1}/f"]
        for i in range(n - 1):
            lines += [f"%files sub{i}", f"/usr/share/{name}/{i}/f"]
        spec = root / f"{name}.spec"
        spec.write_text("\n".join(lines) + "\n")
        top = root / name
        subprocess.run(
            ["rpmbuild", "-ba", "--nodeps", "--define", f"_topdir {top}", str(spec)], check=True, capture_output=True
        )
        builds.append([*sorted((top / "SRPMS").glob("*.rpm")), *sorted((top / "RPMS" / "noarch").glob("*.rpm"))])
    return builds


SMALL = """
    Name: {name}
    Version: 1
    Release: 1
    Summary: s
    License: MIT
    BuildArch: noarch
    %description
    d
    %install
    mkdir -p %{{buildroot}}/usr/share/{name}
    echo x > %{{buildroot}}/usr/share/{name}/f
    %files
    /usr/share/{name}/f
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpms", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kiln-bench-repos-"))
    with system.running(root) as kiln:
        hub, admin, uploader = kiln.hub, kiln.admin, kiln.uploader
        admin.createTag("base")
        admin.createTag("build", parent="base", arches="x86_64")
        admin.createTag("dest")
        admin.createBuildTarget("target", "build", "dest")

        started = time.monotonic()
        builds = make_builds(root / "rpms", args.rpms)
        made = time.monotonic() - started
        for i, files in enumerate(builds):
            admin.packageListAdd("base", f"benchpkg{i}", owner="admin")
            import_files(admin, uploader, files)
            admin.tagBuildBypass("base", f"benchpkg{i}-1.0-1")
        rpm_count = sum(len(f) - 1 for f in builds)
        print(f"{rpm_count} RPMs in {len(builds)} builds: made in {made:.1f} s, imported and tagged")

        wait_for(lambda: admin.getRepo("build"), 120, what="the first repo")
        rounds = []
        for r in range(args.rounds):
            name = f"benchextra{r}"
            files = build_spec(root / "extra", name, SMALL.format(name=name))
            admin.packageListAdd("base", name, owner="admin")
            import_files(admin, uploader, files)
            time.sleep(1.0)  # let the previous round's cleaning settle
            t0 = time.monotonic()
            admin.tagBuildBypass("base", f"{name}-1-1")
            changed = admin.tagLastChangeEvent("build")

            def regenerated(event: int = changed) -> dict | None:
                repo = admin.getRepo("build")
                return repo if repo and repo["create_event"] >= event else None

            repo = wait_for(regenerated, 60, interval=0.01, what="the regenerated repo")
            rounds.append(time.monotonic() - t0)
            print(f"round {r + 1}: repo {repo['id']} READY {rounds[-1]:.2f} s after the change")

        arch_dir = hub.topdir / "repos" / "build" / str(repo["id"]) / "x86_64"
        out = root / "scratch"
        out.mkdir()
        t0 = time.monotonic()
        subprocess.run(
            [
                "createrepo_c",
                "--quiet",
                "--no-database",
                "-o",
                str(out),
                "-i",
                str(arch_dir / "pkglist"),
                str(arch_dir),
            ],
            check=True,
        )
        scratch = time.monotonic() - t0
        result = {
            "rpms": rpm_count + args.rounds,
            "change_to_ready_seconds": rounds,
            "median_seconds": statistics.median(rounds),
            "max_seconds": max(rounds),
            "target_seconds": 2.0,
            "createrepo_from_scratch_seconds": scratch,
            "median_over_target": statistics.median(rounds) / 2.0,
        }
        print(
            f"tag change -> repo READY, {result['rpms']} RPMs: median {result['median_seconds']:.2f} s, "
            f"max {result['max_seconds']:.2f} s (target 2 s: ratio {result['median_over_target']:.2f}); "
            f"createrepo_c from scratch alone: {scratch:.2f} s"
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "repos.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
