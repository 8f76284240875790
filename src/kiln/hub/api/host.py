"""The ``host.*`` calls a builder makes for itself (hosts holding their exclusive session)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import update

from kiln.hub.argtypes import Id, IdOrName, Ref
from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.domain import build_imports, buildroots, builds, hosts, policy, scheduler, task_actions, task_waits
from kiln.hub.rpc import HOST, export
from kiln.protocol.constants import TaskState


@export("host.getID", access=HOST)
def getID(ctx: Context) -> int:
    return ctx.session.host_id


@export("host.getHost", access=HOST)
def getHost(ctx: Context) -> dict:
    return hosts.get(ctx, ctx.session.host_id, strict=True)


@export("host.updateHost", access=HOST, writes=True)
def updateHost(ctx: Context, task_load: float, ready: bool, data: dict | None = None) -> None:
    """Check in: the builder's own view of its load, and whether it takes work."""
    scheduler.periodic_checks(ctx)  # first: before this request locks its own host row
    h = tables.host
    values = {"task_load": float(task_load), "ready": bool(ready), "update_time": time.time()}
    ctx.conn.execute(update(h).where(h.c.id == ctx.session.host_id).values(**values))
    if ready:
        scheduler.announce(ctx)


@export("host.getLoadData", access=HOST)
def getLoadData(ctx: Context) -> list:
    """``[[this host, with its channel ids], its assigned tasks]``, as Koji 1.34+ answers."""
    host = hosts.get(ctx, ctx.session.host_id, strict=True)
    host["channels"] = scheduler.host_channels(ctx, host["id"])
    return [[host], scheduler.assigned_to(ctx, host["id"])]


@export("host.getTasks", access=HOST, writes=True)
def getTasks(ctx: Context, timeout: float | None = None) -> list:
    """The tasks the scheduler gave this host; with ``timeout`` (seconds, kiln's), wait that long for one."""
    return scheduler.tasks_for_host(ctx, ctx.session.host_id, timeout)


@export("host.getHostTasks", access=HOST)
def getHostTasks(ctx: Context) -> list:
    return task_waits.host_tasks(ctx, ctx.session.host_id)


@export("host.openTask", access=HOST, writes=True)
def openTask(ctx: Context, task_id: Id) -> dict | None:
    return task_actions.open_task(ctx, ctx.session.host_id, task_id)


@export("host.closeTask", access=HOST, writes=True)
def closeTask(ctx: Context, task_id: Id, response: Any) -> None:
    task_actions.finish(ctx, ctx.session.host_id, task_id, response, TaskState.CLOSED)


@export("host.failTask", access=HOST, writes=True)
def failTask(ctx: Context, task_id: Id, response: Any) -> None:
    task_actions.finish(ctx, ctx.session.host_id, task_id, response, TaskState.FAILED)


@export("host.freeTasks", access=HOST, writes=True)
def freeTasks(ctx: Context, tasks: list) -> None:
    task_actions.free_host_tasks(ctx, ctx.session.host_id, tasks)


@export("host.setTaskWeight", access=HOST, writes=True)
def setTaskWeight(ctx: Context, task_id: Id, weight: float) -> None:
    task_actions.set_weight(ctx, ctx.session.host_id, task_id, weight)


@export("host.refuseTask", access=HOST, writes=True)
def refuseTask(ctx: Context, task_id: Id, soft: bool = True, msg: str = "") -> None:
    """Give an ASSIGNED (or OPEN) task back; it goes to another host, or fails if none is left."""
    row = task_actions.tasks.row(ctx, task_id, lock=True)
    if row.host_id != ctx.session.host_id:
        return None  # an unrelated task: ignored, as Koji does
    roles = task_actions.roles_of(ctx, row, admin=False)
    scheduler.refuse(ctx, ctx.session.host_id, row.id, soft=soft, msg=str(msg or ""), roles=roles)
    return None


@export("host.subtask", access=HOST, writes=True)
def subtask(ctx: Context, method: str, arglist: list, parent: Id, **opts: Any) -> int:
    return task_actions.subtask(ctx, ctx.session.host_id, method, arglist, parent, **opts)


@export("host.subtask2", access=HOST, writes=True)
def subtask2(ctx: Context, __parent: Id, __taskopts: dict, __method: str, *args: Any, **opts: Any) -> int:
    arglist = [*args, {**opts, "__starstar": True}] if opts else list(args)
    return task_actions.subtask(ctx, ctx.session.host_id, __method, arglist, __parent, **__taskopts)


@export("host.taskSetWait", access=HOST, writes=True)
def taskSetWait(ctx: Context, parent: Id, tasks: list | None) -> None:
    task_waits.set_wait(ctx, ctx.session.host_id, parent, tasks)


@export("host.taskWait", access=HOST, writes=True)
def taskWait(ctx: Context, parent: Id, timeout: float | None = None) -> list:
    """``[finished, unfinished]`` awaited children; with ``timeout`` (kiln's), wait that long for one to finish."""
    return task_waits.wait(ctx, ctx.session.host_id, parent, timeout)


@export("host.taskWaitResults", access=HOST, writes=True)
def taskWaitResults(ctx: Context, parent: Id, tasks: list | None, canfail: list | None = None) -> list:
    return task_waits.results(ctx, ctx.session.host_id, parent, tasks, canfail)


@export("host.tagBuild", access=HOST, writes=True)
def tagBuild(
    ctx: Context, task_id: Id, tag: IdOrName, build: Ref, force: bool = False, fromtag: IdOrName | None = None
) -> None:
    builds.host_tagging(ctx, ctx.session.host_id, task_id, tag, build, bool(force), fromtag)


@export("host.initBuild", access=HOST, writes=True)
def initBuild(ctx: Context, data: dict) -> int:
    """A BUILDING build for the task's N-V-R (``{name, version, release, epoch, task_id[, source, extra]}``)."""
    return build_imports.init_build(ctx, ctx.session.host_id, data)


@export("host.completeBuild", access=HOST, writes=True)
def completeBuild(
    ctx: Context, task_id: Id, build_id: Id, srpm: str, rpms: list, brmap: dict | None = None, logs: dict | None = None
) -> dict:
    """Import the task's results (work-relative paths) into its build, all or nothing; the COMPLETE build."""
    return build_imports.complete_build(ctx, ctx.session.host_id, task_id, build_id, srpm, rpms, brmap, logs)


@export("host.failBuild", access=HOST, writes=True)
def failBuild(ctx: Context, task_id: Id, build_id: Id) -> None:
    build_imports.fail_build(ctx, ctx.session.host_id, task_id, build_id)


@export("host.moveBuildToScratch", access=HOST, writes=True)
def moveBuildToScratch(ctx: Context, task_id: Id, srpm: str, rpms: list, logs: dict | None = None) -> None:
    """A scratch build's files to scratch/<owner>/task_<id>/, not on record."""
    build_imports.move_to_scratch(ctx, ctx.session.host_id, task_id, srpm, rpms, logs)


@export("host.newBuildRoot", access=HOST, writes=True)
def newBuildRoot(ctx: Context, repo: Id | None, arch: str, task_id: Id | None = None) -> int:
    """A build root this host makes (for a task it runs); ``repo`` may be None until kiln has repos."""
    return buildroots.new(ctx, ctx.session.host_id, repo, arch, task_id)


@export("host.setBuildRootState", access=HOST, writes=True)
def setBuildRootState(ctx: Context, brootid: Id, state: int | str, task_id: Id | None = None) -> None:
    buildroots.set_state(ctx, ctx.session.host_id, brootid, state)


@export("host.setBuildRootList", access=HOST, writes=True)
def setBuildRootList(ctx: Context, brootid: Id, rpmlist: list, task_id: Id | None = None) -> None:
    """The packages of a new build root (kojid sends them after its init): it must still be INIT."""
    buildroots.set_list(ctx, ctx.session.host_id, brootid, rpmlist)


@export("host.updateBuildRootList", access=HOST, writes=True)
def updateBuildRootList(ctx: Context, brootid: Id, rpmlist: list, task_id: Id | None = None) -> None:
    buildroots.update_list(ctx, ctx.session.host_id, brootid, rpmlist)


@export("host.evalPolicy", access=HOST)
def evalPolicy(ctx: Context, name: str, data: dict) -> str:
    """The action a hub policy gives for ``data`` (e.g. ``build_from_scm``): ``allow``, ``deny reason``..."""
    return policy.evaluate(ctx, name, data)


@export("host.assertPolicy", access=HOST)
def assertPolicy(ctx: Context, name: str, data: dict, default: str = "deny") -> None:
    policy.check(ctx, name, data, default)
