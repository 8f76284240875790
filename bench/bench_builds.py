"""The build pipeline's figure: ``build`` to COMPLETE and tagged, over plain ``rpmbuild -ba`` of the same spec.

    .venv/bin/python -m bench.bench_builds [--rounds 5]

A real system on SQLite: ``kiln-hub serve``, one ``kiln-builder``
(namespace build roots, reading the hub's topdir) and ``kiln-repod``.  The
package is the sample package of ``make run`` (contrib/sample/kiln-hello, a
small noarch package) in a git repository.  Each round commits a new
release and times ``build(git URL, target)`` until the build is COMPLETE and
tagged into the target's destination tag: the checkout, rpmbuild -bs in a
build root, rpmbuild --rebuild in another, the import and the tagBuild task.
The baseline is ``rpmbuild -ba --nodeps`` of the same spec and sources,
timed on the same machine in the same run.  Target: the ratio of the
medians at most 3.  Results also go to ``bench/results/builds.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import koji
from tests.conftest import make_user
from tests.support.builder import BuilderProcess, wait_for
from tests.support.hub import ADMIN, HubProcess
from tests.support.repod import RepodProcess

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLE = Path(__file__).resolve().parents[1] / "contrib" / "sample" / "kiln-hello"
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kiln-bench-builds-"))
    repo = root / "kiln-hello.git"
    shutil.copytree(SAMPLE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "sample")
    hub = HubProcess(f"sqlite:///{root}/kiln.db").start()
    builder = repod = None
    try:
        admin = koji.ClientSession(hub.url)
        admin.opts.update(user=ADMIN[0], password=ADMIN[1])
        admin.login()
        admin.addHost("bench-builder", ["x86_64", "noarch"])
        hub.admin_command("passwd", "bench-builder", "--password", "hostpw")
        admin.addHostToChannel("bench-builder", "createrepo")
        builder = BuilderProcess(
            hub.url,
            "bench-builder",
            "hostpw",
            topdir=str(hub.topdir),
            allowed_scms=f":{root}/*",
            log_level="INFO",
        ).start()
        user, password = make_user(hub, admin, "bench-repod", "repodpw", perms=("repo",))
        repod = RepodProcess(hub.url, user, password, log_level="INFO").start()
        admin.createTag("base")
        admin.createTag("build", parent="base", arches="x86_64")
        admin.createTag("dest")
        admin.createBuildTarget("target", "build", "dest")
        admin.packageListAdd("dest", "kiln-hello", owner="admin")
        wait_for(lambda: admin.getRepo("build"), 60, what="the build tag's repo")

        baseline, pipeline = [], []
        for r in range(args.rounds):
            set_release(repo, r + 2)
            baseline.append(rpmbuild_seconds(repo, root))
            nvr = f"kiln-hello-1.0-{r + 2}"
            started = time.monotonic()
            task_id = admin.build(f"git+file://{repo}#main", "target")

            def done(nvr: str = nvr, task_id: int = task_id) -> bool:
                if admin.getTaskInfo(task_id)["state"] in (koji.TASK_STATES["FAILED"], koji.TASK_STATES["CANCELED"]):
                    raise SystemExit(f"build task {task_id} failed: {admin.getTaskResult(task_id, raise_fault=False)}")
                return any(b["nvr"] == nvr for b in admin.listTagged("dest"))

            wait_for(done, 300, interval=0.01, what=f"{nvr} to be tagged")
            pipeline.append(time.monotonic() - started)
            timeline(admin, task_id)
            print(
                f"round {r + 1}: {nvr} COMPLETE and tagged in {pipeline[-1]:.2f} s; rpmbuild -ba {baseline[-1]:.2f} s"
            )
        result = {
            "pipeline_seconds": pipeline,
            "rpmbuild_seconds": baseline,
            "median_pipeline": statistics.median(pipeline),
            "median_rpmbuild": statistics.median(baseline),
            "ratio": statistics.median(pipeline) / statistics.median(baseline),
            "target_ratio": 3.0,
        }
        print(
            f"build -> COMPLETE and tagged: median {result['median_pipeline']:.2f} s; rpmbuild -ba: median "
            f"{result['median_rpmbuild']:.2f} s; ratio {result['ratio']:.2f} (target at most 3)"
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "builds.json").write_text(json.dumps(result, indent=2) + "\n")
    finally:
        for process in (repod, builder):
            if process is not None:
                process.cleanup()
        hub.stop()


if __name__ == "__main__":
    main()
