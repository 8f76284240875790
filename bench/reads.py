"""The reads of issue 17 and a hub filled so that each has something real to answer.

Shared by bench_reads (over HTTP, against the floor) and profile_hub (in-process,
under the profiler).  ``fill`` gives a hub 100,000 tasks (one parent with ten
children, one task with output files), 10,000 builds, a tag holding a hundred
builds of a hundred packages, a real imported RPM build, ten hosts, a repo and
a target; ``calls`` names each read with the arguments a watcher, the CLI or
a web page sends.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.tasks_clients import Rpc, engine_for, fill_tasks, host_login, make_hosts

TAG = "reads-tag"
TARGET = "reads-target"
RPM_NAME = "reads-rpm"
RPM_NVR = f"{RPM_NAME}-1.0-1"
READS = (
    "getTaskInfo",
    "getTaskChildren",
    "getTaskDescendents",
    "listTasks",
    "listTaskOutput",
    "getBuild",
    "listBuilds",
    "listBuildRPMs",
    "getTag",
    "listTagged",
    "getLatestBuilds",
    "listRPMs",
    "getRPM",
    "getHost",
    "listHosts",
    "getRepo",
    "repoInfo",
    "repo.get",
    "getUser",
    "getPackage",
    "getBuildTarget",
)


def fill(
    url: str, db_url: str, topdir: Path, admin: tuple[str, str], tasks: int = 100_000, builds: int = 10_000
) -> dict:
    """Write the data the reads look at; the ids ``calls`` needs."""
    from sqlalchemy import update

    from kiln.hub.db import tables

    rpc = Rpc(url, admin)
    owner = rpc.call("getLoggedInUser")["id"]
    other = rpc.call("createUser", "reads-user")
    hosts = make_hosts(rpc, db_url, 10, "reads-host")
    host_id = rpc.call("getHost", hosts[0])["id"]
    channel_id = rpc.call("getChannel", "default")["id"]
    fill_tasks(db_url, tasks, [owner, other], channel_id, host_id)
    parent = rpc.call("makeTask", "sleep", [1])
    engine = engine_for(db_url)
    with engine.begin() as conn:  # ten of the filled rows become its children
        conn.execute(update(tables.task).where(tables.task.c.id <= 10).values(parent=parent))
    engine.dispose()
    output_task = 2  # a CLOSED one (states cycle from FREE at id 0)
    out = topdir / "work" / "tasks" / str(output_task % 10000) / str(output_task)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("build.log", "root.log", "state.log", "hw_info.log", "mock_output.log"):
        (out / name).write_bytes(b"x" * 4096)

    names = [f"readspkg{i % 1000:04d}" for i in range(builds)]
    for start in range(0, builds, 500):
        rpc.multicall(
            [("createEmptyBuild", names[i], "1.0", str(i), None) for i in range(start, min(start + 500, builds))]
        )
    rpc.call("createTag", TAG, None, "x86_64", extra={"mock.package_manager": "dnf", "rpm.macro.dist": ".rd"})
    rpc.call("createTag", TAG + "-dest")
    rpc.call("createBuildTarget", TARGET, TAG, TAG + "-dest")
    rpc.multicall([("packageListAdd", TAG, names[i], "admin") for i in range(100)])
    rpc.multicall([("tagBuildBypass", TAG, f"{names[i]}-1.0-{i}") for i in range(100)])
    rpm_id = import_rpm(url, admin, RPM_NAME)

    builder = host_login(url, hosts[0])
    repo_id = builder.call("host.repoInit", TAG)[0]
    rpc.call("repo.setState", repo_id, 1)  # READY
    if not db_url.startswith("sqlite"):
        # The planner's statistics, as autovacuum would have them by now (a
        # plan for 3 builds where there are 10,000 reads them all).
        engine = engine_for(db_url)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        engine.dispose()
    return {
        "owner": owner,
        "host": host_id,
        "parent": parent,
        "task": output_task,
        "build": rpc.call("getBuild", f"{names[-1]}-1.0-{builds - 1}")["id"],
        "rpm_build": rpc.call("getBuild", RPM_NVR)["id"],
        "rpm": rpm_id,
        "repo": repo_id,
        "package": names[1],
    }


def import_rpm(url: str, admin: tuple[str, str], name: str) -> int:
    """A real noarch RPM and its source (rpmbuild) of ``name``-1.0-1, uploaded and imported: the RPM's id."""
    from tests.support.rpms import make_package

    from kiln.client import ClientSession
    from kiln.client.uploads import upload_file

    session = ClientSession(url)
    session.login(*admin)
    with tempfile.TemporaryDirectory() as tmp:
        srpm, rpm = make_package(Path(tmp), name)
        for path in (srpm, rpm):
            upload_file(session, path, f"imports/{path.name}")
            session.importRPM(f"imports/{path.name}", path.name)
    return next(r["id"] for r in session.listRPMs(buildID=f"{name}-1.0-1") if r["arch"] == "noarch")


def calls(ids: dict) -> dict[str, tuple[tuple, dict]]:
    """Each read's (args, kwargs), as its usual callers send them."""
    page = {"order": "-id", "limit": 50}
    return {
        "getTaskInfo": ((ids["task"],), {}),
        "getTaskChildren": ((ids["parent"],), {}),
        "getTaskDescendents": ((ids["parent"],), {}),
        "listTasks": (({"state": [0, 1], "owner": ids["owner"]}, page), {}),
        "listTaskOutput": ((ids["task"],), {"stat": True}),
        "getBuild": ((ids["build"],), {}),
        "listBuilds": ((), {"state": 1, "queryOpts": {"order": "-build_id", "limit": 50}}),
        "listBuildRPMs": ((ids["rpm_build"],), {}),
        "getTag": ((TAG,), {}),
        "listTagged": ((TAG,), {}),
        "getLatestBuilds": ((TAG,), {}),
        "listRPMs": ((), {"buildID": ids["rpm_build"]}),
        "getRPM": ((ids["rpm"],), {}),
        "getHost": ((ids["host"],), {}),
        "listHosts": ((), {}),
        "getRepo": ((TAG,), {}),
        "repoInfo": ((ids["repo"],), {}),
        "repo.get": ((TAG,), {}),
        "getUser": ((ids["owner"],), {}),
        "getPackage": ((ids["package"],), {}),
        "getBuildTarget": ((TARGET,), {}),
    }


def size(value: Any) -> int:
    """Rows in an answer (a list's length, a dict of lists' total), 1 for a single object."""
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        return sum(len(v) for v in value.values())
    return 1
