"""Asking for a build: Koji's ``build`` call, checked at once, run later by a ``build`` task on a builder.

The hub checks what it can know now (the source looks like one, the
target exists, the options are Koji's and well typed) so that a typo fails
in the user's terminal and not minutes later on a builder; the rest (the
package list, policies, repos) is the builder's part, as in Koji.
"""

from __future__ import annotations

import re
from typing import Any

from kiln.hub.context import Context
from kiln.hub.domain import rpms, scheduler, tags, targets, tasks
from kiln.protocol import errors
from kiln.protocol.constants import PRIO_DEFAULT

# Koji's build options (the CLI sends these), each with the type it must have.
BUILD_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "skip_tag": bool,
    "scratch": bool,
    "repo_id": int,
    "fail_fast": bool,
    "wait_repo": bool,
    "wait_builds": list,
    "rebuild_srpm": bool,
    "draft": bool,
    "arch_override": str,
    "custom_user_metadata": dict,
}
_SCM_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s#]+#\S+$")


def check_options(opts: Any) -> dict:
    """The options as given (None: none), or a ParameterError naming what is wrong."""
    if opts is None:
        return {}
    if not isinstance(opts, dict):
        raise errors.ParameterError(f"build options must be a struct, not {type(opts).__name__}")
    unknown = sorted(set(opts) - set(BUILD_OPTIONS))
    if unknown:
        known = ", ".join(BUILD_OPTIONS)
        raise errors.ParameterError(f"unknown build option(s): {', '.join(unknown)} (known: {known})")
    for key, value in opts.items():
        wanted = BUILD_OPTIONS[key]
        if value is None:
            continue
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            raise errors.ParameterError(f"build option {key}: {value!r} is not a {wanted.__name__}")  # type: ignore[union-attr]
    if not all(isinstance(nvr, str) for nvr in opts.get("wait_builds") or []):
        raise errors.ParameterError("build option wait_builds: give a list of N-V-R strings")
    if opts.get("draft"):
        raise errors.GenericError("draft builds are not supported")
    if opts.get("arch_override") and not opts.get("scratch"):
        raise errors.GenericError("arch_override is only allowed for scratch builds")
    return opts


def check_source(ctx: Context, src: Any) -> None:
    """An SCM URL (``scheme://host/path#ref``) or the work-relative path of an uploaded source RPM."""
    if not isinstance(src, str) or not src:
        raise errors.ParameterError(f"Invalid source: {src!r}: give an SCM URL or an uploaded .src.rpm")
    if "://" in src:
        if not _SCM_URL.match(src):
            raise errors.GenericError(f"Invalid SCM URL: {src}: give scheme://host/repository#ref")
        return
    if not src.endswith(".src.rpm"):
        raise errors.GenericError(f"Invalid source: {src}: not an SCM URL (no '://') nor a .src.rpm")
    rpms.work_file(ctx.settings.topdir, src)  # refuses paths outside work/ and missing files


def check_target(ctx: Context, target: Any, opts: dict) -> None:
    """The target exists; with ``repo_id`` (whose tag is the build tag) it may be a tag, or None."""
    if target is None:
        if opts.get("repo_id") is not None:
            return
        raise errors.GenericError("No such build target: None (only a build with repo_id may go without one)")
    if not isinstance(target, (str, int)) or isinstance(target, bool):
        raise errors.ParameterError(f"Invalid build target: {target!r}")
    if targets.get(ctx, target) is not None:
        return
    if opts.get("repo_id") is not None and tags.get(ctx, target) is not None:
        return
    raise errors.GenericError(f"No such build target: {target}")


def _task_options(priority: Any, channel: Any, admin: bool) -> dict[str, Any]:
    """Priority 20 + ``priority`` (below 0 for admins only) and the channel asked for."""
    task_opts: dict[str, Any] = {}
    if priority:
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise errors.ParameterError(f"Invalid priority: {priority!r}")
        if priority < 0 and not admin:
            raise errors.ActionNotAllowed("only admins may create high-priority tasks")
        task_opts["priority"] = PRIO_DEFAULT + priority
    if channel:
        task_opts["channel"] = channel
    return task_opts


def submit(ctx: Context, src: Any, target: Any, opts: Any, priority: Any, channel: Any, admin: bool) -> int:
    """The ``build [src, target, opts]`` task, at priority 20 + ``priority`` (below 0 for admins only)."""
    opts = check_options(opts)
    check_source(ctx, src)
    check_target(ctx, target, opts)
    task_opts = _task_options(priority, channel, admin)
    task_id = tasks.create(ctx, "build", [src, target, opts], **task_opts)
    scheduler.announce(ctx)
    return task_id


def submit_chain(ctx: Context, srcs: Any, target: Any, opts: Any, priority: Any, channel: Any, admin: bool) -> int:
    """Koji's chainBuild: ``chainbuild [srcs, target, opts]``; srcs are levels of SCM URLs or N-V-Rs of builds."""
    opts = check_options(opts)
    if not isinstance(srcs, (list, tuple)) or not srcs:
        raise errors.ParameterError("chainBuild takes a list of build levels, each a list of sources")
    for level in srcs:
        if not isinstance(level, (list, tuple)) or not level:
            raise errors.ParameterError(f"Invalid build level: {level!r}: give a non-empty list of sources")
        for src in level:
            if isinstance(src, str) and "://" in src:
                check_source(ctx, src)
            elif not isinstance(src, str) or "/" in src or src.endswith(".rpm") or len(src.split("-")) < 3:
                raise errors.GenericError(f"{src!r} is not an SCM URL or package N-V-R")
    check_target(ctx, target, {})
    task_opts = _task_options(priority, channel, admin)
    task_id = tasks.create(ctx, "chainbuild", [[list(level) for level in srcs], target, opts], **task_opts)
    scheduler.announce(ctx)
    return task_id
