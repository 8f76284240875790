"""The build pipeline's figure: ``build`` to COMPLETE and tagged, over plain ``rpmbuild -ba`` of the same spec.

    .venv/bin/python -m bench.bench_builds [--rounds 5] [--packages hello,kiln]

A real system on SQLite: ``kiln-hub serve``, one ``kiln-builder``
(namespace build roots, reading the hub's topdir) and ``kiln-repod``.  Two
small noarch packages, each built ``--rounds`` times with a new release:

- ``hello``: the sample package of ``make run`` (contrib/sample/kiln-hello:
  a shell script and a README), from a git repository: the checkout,
  rpmbuild -bs in a build root, rpmbuild --rebuild in another, the import
  and the tagBuild task.  rpmbuild itself takes about 0.1 s for it, so this
  is nearly all kiln's own cost.
- ``kiln``: kiln's own source package (``make srpm``: 120 modules installed
  with pip), uploaded as ``koji build`` uploads it: rebuildSRPM, buildArch,
  import, tagBuild.  Its Fedora BuildRequires are provided by a stub
  package; the build tag's ``rpm.macro.__python3`` names this .venv's python.

Each round times from the ``build`` call to the build COMPLETE and tagged
into the target's destination.  The baseline is ``rpmbuild -ba --nodeps`` of
the same spec and sources, in the same run.  Target: the ratio of the
medians at most 3.  Results also go to ``bench/results/builds.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import koji
from tests.support.builder import wait_for
from tests.support.rpms import KILN_BUILDREQ_STUBS, build_spec, import_files

from bench import system
from kiln.client import ClientSession
from kiln.client.uploads import upload_file

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "contrib" / "sample" / "kiln-hello"
GIT_ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def set_release(repo: Path, release: int) -> None:
    spec = repo / "kiln-hello.spec"
    lines = [
        f"Release:        {release}" if line.startswith("Release:") else line for line in spec.read_text().splitlines()
    ]
    spec.write_text("\n".join(lines) + "\n")
    git(repo, "commit", "-q", "-am", f"release {release}")


def rpmbuild_seconds(repo: Path, root: Path) -> float:
    top = root / "rpmbuild"
    shutil.rmtree(top, ignore_errors=True)
    started = time.monotonic()
    subprocess.run(
        ["rpmbuild", "-ba", "--nodeps", "--define", f"_topdir {top}", "--define", f"_sourcedir {repo}"]
        + [str(repo / "kiln-hello.spec")],
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def timeline(admin: koji.ClientSession, task_id: int) -> None:
    """Where the time went: each task of the build's tree, from the parent's creation."""
    tasks = [admin.getTaskInfo(task_id)]
    tasks += [t for ts in admin.getTaskDescendents(task_id).values() for t in ts]
    zero = tasks[0]["create_ts"]
    for task in sorted({t["id"]: t for t in tasks}.values(), key=lambda t: t["id"]):
        marks = [task[k] - zero if task.get(k) else float("nan") for k in ("create_ts", "start_ts", "completion_ts")]
        print(f"    {task['method']:<18} created +{marks[0]:.3f}  started +{marks[1]:.3f}  ended +{marks[2]:.3f}")
        if os.environ.get("KILN_BENCH_LOGS") and task.get("completion_ts"):
            print(admin.downloadTaskOutput(task["id"], "task.log").decode())


def wait_tagged(admin: koji.ClientSession, task_id: int, nvr: str) -> None:
    def done() -> bool:
        if admin.getTaskInfo(task_id)["state"] in (koji.TASK_STATES["FAILED"], koji.TASK_STATES["CANCELED"]):
            raise SystemExit(f"build task {task_id} failed: {admin.getTaskResult(task_id, raise_fault=False)}")
        return any(b["nvr"] == nvr for b in admin.listTagged("dest"))

    wait_for(done, 600, interval=0.01, what=f"{nvr} to be tagged")


def hello_rounds(admin: koji.ClientSession, root: Path, rounds: int) -> tuple[list[float], list[float]]:
    repo = root / "kiln-hello.git"
    shutil.copytree(SAMPLE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "sample")
    admin.packageListAdd("dest", "kiln-hello", owner="admin")
    baseline, pipeline = [], []
    for r in range(rounds):
        set_release(repo, r + 2)
        baseline.append(rpmbuild_seconds(repo, root))
        nvr = f"kiln-hello-1.0-{r + 2}"
        started = time.monotonic()
        task_id = admin.build(f"git+file://{repo}#main", "target")
        wait_tagged(admin, task_id, nvr)
        pipeline.append(time.monotonic() - started)
        timeline(admin, task_id)
        print(
            f"hello round {r + 1}: {nvr} COMPLETE and tagged in {pipeline[-1]:.2f} s; rpmbuild -ba {baseline[-1]:.2f} s"
        )
    return baseline, pipeline


def kiln_rounds(admin: koji.ClientSession, uploader: ClientSession, root: Path, rounds: int) -> tuple[list, list]:
    dist = root / "dist"
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    subprocess.run(["make", "-s", "tarball", f"DIST={dist}"], check=True, capture_output=True, cwd=REPO, env=env)
    admin.packageListAdd("dest", "kiln-buildreq-stubs", owner="admin")
    admin.packageListAdd("dest", "kiln", owner="admin")
    import_files(admin, uploader, build_spec(root / "stubs", "kiln-buildreq-stubs", KILN_BUILDREQ_STUBS))
    admin.tagBuildBypass("dest", "kiln-buildreq-stubs-1-1")
    admin.editTag2("build", extra={"rpm.macro.__python3": sys.executable})
    changed = admin.tagLastChangeEvent("build")
    wait_for(lambda: (admin.getRepo("build") or {}).get("create_event", 0) >= changed, 60, what="a repo with the stubs")
    spec_text = (REPO / "kiln.spec").read_text()
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    baseline, pipeline = [], []
    for r in range(rounds):
        release = f"{r + 2}"
        spec = root / "kiln.spec"
        spec.write_text(spec_text.replace("Release:        1%{?dist}", f"Release:        {release}"))
        build_top = root / f"kiln-rpmbuild-{r}"
        common = ["--nodeps", "--define", f"_topdir {build_top}", "--define", f"_sourcedir {dist}"]
        common += ["--define", f"__python3 {sys.executable}"]
        subprocess.run(["rpmbuild", "-bs", *common, str(spec)], check=True, capture_output=True)
        [srpm] = (build_top / "SRPMS").glob("*.src.rpm")
        started = time.monotonic()
        subprocess.run(["rpmbuild", "-ba", *common, str(spec)], check=True, capture_output=True)
        baseline.append(time.monotonic() - started)
        area = f"cli-build/bench-{r}"
        upload_file(uploader, srpm, area)  # as koji build uploads it, before it asks for the build
        nvr = f"kiln-{version}-{release}"
        started = time.monotonic()
        task_id = admin.build(f"{area}/{srpm.name}", "target")
        wait_tagged(admin, task_id, nvr)
        pipeline.append(time.monotonic() - started)
        timeline(admin, task_id)
        print(
            f"kiln round {r + 1}: {nvr} COMPLETE and tagged in {pipeline[-1]:.2f} s; rpmbuild -ba {baseline[-1]:.2f} s"
        )
    return baseline, pipeline


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--packages", default="hello,kiln")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kiln-bench-builds-"))
    with system.running(root, allowed_scms=f":{root}/*") as kiln:
        admin = kiln.admin
        admin.createTag("base")
        admin.createTag("build", parent="base", arches="x86_64")
        admin.createTag("dest")
        dest_link = {"parent_id": admin.getTag("dest")["id"], "priority": 5, "maxdepth": None}
        dest_link.update(intransitive=False, noconfig=False, pkg_filter="")
        admin.setInheritanceData("build", [*admin.getInheritanceData("build"), dest_link])  # builds see dest's
        admin.createBuildTarget("target", "build", "dest")
        wait_for(lambda: admin.getRepo("build"), 60, what="the build tag's repo")
        result: dict[str, dict] = {}
        runs = {"hello": lambda: hello_rounds(admin, root, args.rounds)}
        runs["kiln"] = lambda: kiln_rounds(admin, kiln.uploader, root, args.rounds)
        for name in args.packages.split(","):
            baseline, pipeline = runs[name]()
            result[name] = {
                "pipeline_seconds": pipeline,
                "rpmbuild_seconds": baseline,
                "median_pipeline": statistics.median(pipeline),
                "median_rpmbuild": statistics.median(baseline),
                "ratio": statistics.median(pipeline) / statistics.median(baseline),
                "target_ratio": 3.0,
            }
    for name, figures in result.items():
        print(
            f"{name}: build -> COMPLETE and tagged, median {figures['median_pipeline']:.2f} s; rpmbuild -ba, "
            f"median {figures['median_rpmbuild']:.2f} s; ratio {figures['ratio']:.2f} (target at most 3)"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "builds.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
