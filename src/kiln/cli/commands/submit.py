"""The submit area: build, chain-build and import (uploads to the hub's work area, then the call).

Sources are uploaded as koji uploads them (``cli-build/<time>.<8 letters>``
for build, ``cli-import/...`` for import, in verified 1 MiB chunks), with
two additions: a progress bar on a terminal (:mod:`kiln.cli.progress`), and
resumption.  Before the first chunk the upload's work directory is noted in
``$XDG_CACHE_HOME/kiln/uploads`` (``~/.cache/kiln/uploads``), keyed by hub,
user and the local file (path, size, mtime); the note is dropped once the
hub holds the whole file.  A run that finds a note (the last one was cut
short by Ctrl-C, a kill or a lost connection) reuses that directory and
sends only what the hub lacks, after checking by md5 that what the hub
holds is this file's beginning.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context, UsageError, add_quiet_option
from kiln.cli.watch import running_in_background, watch_for

PRIO_BACKGROUND = 5  # koji's --background: relative to the default priority


def unique_path(prefix: str) -> str:
    """``prefix/<time.time()>.<8 random letters>``: koji's name for a fresh upload directory."""
    import random
    import string
    import time

    letters = "".join(random.choice(string.ascii_letters) for _ in range(8))
    return f"{prefix}/{time.time()!r}.{letters}"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kiln"


def upload(ctx: Context, local: str, prefix: str, show_progress: bool, transient: bool = False) -> str:
    """Upload ``local`` into a work directory under ``prefix`` (resuming a cut-short upload); the directory.

    ``transient``: wipe the bar when done (import writes its line after it).
    """
    import requests

    from kiln.cli import progress
    from kiln.client.uploads import ResumeRecords, upload_file

    if not os.path.isfile(local):
        raise CommandError(f"No such file: {local}")
    session = ctx.session()
    records = ResumeRecords(cache_dir() / "uploads")
    key = records.key(ctx.profile.server, ctx.profile.user, local)
    serverdir = records.get(key)
    resume = serverdir is not None and serverdir.startswith(f"{prefix}/")
    if not resume:
        serverdir = unique_path(prefix)
    assert serverdir is not None
    records.put(key, serverdir, local)
    name = os.path.basename(local)
    told = False

    drawn = progress.wanted(noprogress=not show_progress)
    with progress.bar(name, drawn, transient=transient, total=os.path.getsize(local)) as update:

        def moved(done: int, total: int | None) -> None:
            nonlocal told
            if not told and done and resume:
                print(f"Resuming the upload of {name}: the hub holds {done} of {total} bytes", file=sys.stderr)
            told = True
            update(done, total)

        try:
            upload_file(session, local, serverdir, name, resume=resume, progress=moved)
        except (KeyboardInterrupt, requests.RequestException):
            print(f"Upload of {name} cut short: run the same command again to resume it", file=sys.stderr)
            raise
    records.drop(key)
    return serverdir


def _build_opts(ctx: Context) -> dict[str, Any]:
    """build's ``opts`` from the options, checked as koji checks them (UsageError where koji's parser errs)."""
    from kiln.cli.values import parse_arches

    options = ctx.options
    if options.rebuild_srpm is not None and not options.scratch:
        raise UsageError("--no-/rebuild-srpm is only allowed for --scratch builds")
    if options.arch_override and not options.scratch:
        raise UsageError("--arch_override is only allowed for --scratch builds")
    if options.scratch and options.draft:
        raise UsageError("--scratch and --draft cannot be both specfied")
    metadata: Any = {}
    if options.custom_user_metadata:
        try:
            metadata = json.loads(options.custom_user_metadata)
        except ValueError:
            raise UsageError("--custom-user-metadata is not valid JSON") from None
    if not isinstance(metadata, dict):
        raise UsageError("--custom-user-metadata must be a JSON object")
    opts: dict[str, Any] = {}
    if options.arch_override:
        try:
            opts["arch_override"] = parse_arches(options.arch_override)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    for key in ("skip_tag", "scratch", "repo_id", "fail_fast", "wait_repo", "wait_builds", "rebuild_srpm", "draft"):
        value = getattr(options, key)
        if value is not None:
            opts[key] = value
    opts["custom_user_metadata"] = metadata
    return opts


def _check_target(ctx: Context, target: str, scratch: bool) -> None:
    session = ctx.session()
    build_target = session.getBuildTarget(target)
    if not build_target:
        raise UsageError(f"No such build target: {target}")
    dest_tag = session.getTag(build_target["dest_tag"])
    if not dest_tag:
        raise UsageError(f"No such destination tag: {build_target['dest_tag_name']}")
    if dest_tag["locked"] and not scratch:
        raise UsageError(f"Destination tag {dest_tag['name']} is locked")


def _priority(ctx: Context) -> int | None:
    options = ctx.options
    if getattr(options, "priority", None) is not None:
        return options.priority
    return PRIO_BACKGROUND if options.background else None


def _created(ctx: Context, task_id: int) -> int:
    """koji's lines for a new task, then (unless told not to, or in the background) the watch."""
    options = ctx.options
    if not ctx.quiet:
        print(f"Created task: {task_id}")
        print(f"Task info: {ctx.profile.weburl}/taskinfo?taskID={task_id}")
    sys.stdout.flush()
    if options.wait or (options.wait is None and not running_in_background()):
        return watch_for(ctx, [task_id])  # logged out first, as koji watches
    return 0


def handle_build(ctx: Context) -> int:
    """A build of an SRPM (uploaded first) or an SCM URL for a target; watched as koji does."""
    options = ctx.options
    if len(options.args) != 2:
        raise UsageError("Exactly two arguments (a build target and a SCM URL or srpm file) are required")
    options.target, options.source = options.args
    opts = _build_opts(ctx)
    session = ctx.login_session()
    target: str | None = options.target
    if target is not None and target.lower() == "none" and options.repo_id:
        target = None
        opts["skip_tag"] = True
    else:
        _check_target(ctx, options.target, bool(options.scratch))
    source = options.source
    if "://" not in source:
        if not ctx.quiet:
            print(f"Uploading srpm: {source}")
            sys.stdout.flush()
        serverdir = upload(ctx, source, "cli-build", not (options.noprogress or ctx.quiet))
        print("")
        source = f"{serverdir}/{os.path.basename(source)}"
    kwargs: dict[str, Any] = {"priority": _priority(ctx)}
    if options.channel_override:
        kwargs["channel"] = options.channel_override
    task_id = session.build(source, target, opts, **kwargs)
    return _created(ctx, task_id)


def chain_levels(sources: list[str]) -> list[list[str]]:
    """``a b : c`` -> ``[[a, b], [c]]``: each entry an SCM URL or an N-V-R, as koji allows."""
    levels: list[list[str]] = []
    level: list[str] = []
    for src in sources:
        if src == ":":
            if level:
                levels.append(level)
                level = []
        elif "://" in src or ("/" not in src and not src.endswith(".rpm") and len(src.split("-")) >= 3):
            level.append(src)
        else:
            raise CommandError(f'"{src}" is not a SCM URL or package N-V-R')
    if level:
        levels.append(level)
    return levels


def handle_chain_build(ctx: Context) -> int:
    """Levels of builds separated by ``:``; each level lands in the build tag's repo before the next."""
    options = ctx.options
    if len(options.args) < 2:
        raise UsageError("At least two arguments (a build target and a SCM URL) are required")
    session = ctx.login_session()
    target, *sources = options.args
    build_target = session.getBuildTarget(target)
    if not build_target:
        raise UsageError(f"No such build target: {target}")
    dest_tag = session.getTag(build_target["dest_tag"], strict=True)
    if dest_tag["locked"]:
        raise UsageError(f"Destination tag {dest_tag['name']} is locked")
    ancestors = session.getFullInheritance(build_target["build_tag"])
    if dest_tag["id"] not in [build_target["build_tag"]] + [a["parent_id"] for a in ancestors]:
        print(
            f"Packages in destination tag {build_target['dest_tag_name']} are not inherited by build tag "
            f"{build_target['build_tag_name']}",
            file=sys.stderr,
        )
        raise CommandError(f"Target {build_target['name']} is not usable for a chain-build")
    levels = chain_levels(sources)
    if len(levels) < 2:
        raise UsageError(
            "You must specify at least one dependency between builds with : (colon)\n"
            "If there are no dependencies, use the build command instead"
        )
    task_id = session.chainBuild(levels, target, priority=PRIO_BACKGROUND if options.background else None)
    return _created(ctx, task_id)


def _read_headers(paths: list[str]) -> dict[str, list[tuple[str, Any]]]:
    """The files to import, grouped by the N-V-R of the build each belongs to, each group sorted."""
    from kiln.protocol import errors
    from kiln.rpm import headers

    groups: dict[str, list[tuple[str, Any]]] = {}
    for path in paths:
        try:
            header = headers.read(path)
        except errors.GenericError as exc:
            raise CommandError(str(exc)) from None
        # a binary RPM belongs to the build of its source RPM, named N-V-R.src.rpm
        nvr = header.nvr if header.sourcerpm is None else header.sourcerpm.removesuffix(".rpm").rsplit(".", 1)[0]
        groups.setdefault(nvr, []).append((path, header))
    for group in groups.values():
        group.sort(key=lambda item: item[0])
    return groups


def _import_one(ctx: Context, path: str, header: Any) -> None:
    """Upload one RPM (or link it into a local topdir) and import it, printing koji's lines."""
    from kiln.protocol import errors

    options = ctx.options
    session = ctx.session()
    rinfo = {"name": header.name, "version": header.version, "release": header.release, "arch": header.arch}
    prev = session.getRPM(rinfo)
    if prev and not prev.get("external_repo_id", 0):
        if prev["payloadhash"] == header.payloadhash:
            print(f"RPM already imported: {path}")
        else:
            print(f"md5sum mismatch for {path}", file=sys.stderr)
            print("  A different rpm with the same name has already been imported", file=sys.stderr)
            print(
                f"  Existing sigmd5 is {prev['payloadhash']!r}, your import has {header.payloadhash!r}", file=sys.stderr
            )
        print("Skipping import")
        return
    if options.test:
        print(f"Test mode -- skipping import for {path}")
        return
    if options.link:
        serverdir = unique_path("cli-import")
        if not ctx.profile.topdir:
            raise CommandError("--link needs the hub's topdir (--topdir or the profile's topdir)")
        dest = Path(ctx.profile.topdir) / "work" / serverdir
        dest.mkdir(parents=True)
        print(f"Linking rpm to: {dest / os.path.basename(path)}")
        os.link(path, dest / os.path.basename(path))
    else:
        from kiln.cli import progress

        # on a terminal the bar is drawn first and wiped, then koji's line is written whole:
        # a bar drawn after "uploading X... " would overwrite it
        later = progress.wanted(noprogress=options.noprogress)
        if not later:
            sys.stdout.write(f"uploading {path}... ")
            sys.stdout.flush()
        serverdir = upload(ctx, path, "cli-import", not options.noprogress, transient=True)
        print(f"uploading {path}... done" if later else "done")
    sys.stdout.write(f"importing {path}... ")
    sys.stdout.flush()
    try:
        session.importRPM(serverdir, os.path.basename(path))
    except errors.GenericError as exc:
        print(f"\nError importing: {str(exc).splitlines()[-1]}")
    else:
        print("done")
    sys.stdout.flush()


def _src_epoch(text: str | None) -> int | None:
    if text in (None, "None", "none", "(none)"):
        return None
    try:
        return int(text)  # type: ignore[arg-type]
    except ValueError:
        raise UsageError(f"Invalid value for epoch: {text}") from None


def _empty_build(ctx: Context, nvr: str, epoch: int | None) -> None:
    name, version, release = nvr.rsplit("-", 2)
    ctx.session().createEmptyBuild(name=name, version=version, release=release, epoch=epoch)


def handle_import(ctx: Context) -> int:
    """Import RPMs built elsewhere: source RPMs make their builds, binary ones join existing builds."""
    from kiln.protocol.constants import BuildState

    options = ctx.options
    if not options.packages:
        raise UsageError("At least one package must be specified")
    src_epoch = _src_epoch(options.src_epoch)
    session = ctx.login_session()
    groups = _read_headers(options.packages)
    nvrs = sorted(groups)
    missing = False
    for nvr in nvrs:
        if not any(header.sourcerpm is None for _, header in groups[nvr]) and not session.getBuild(nvr):
            print(f"Missing build or srpm: {nvr}")
            missing = True
    if missing and not options.create_build:
        print("Aborting import")
        return 0
    for nvr in nvrs:
        need_build = True
        build = session.getBuild(nvr)
        state = BuildState(build["state"]).name if build else None
        if build:
            if state == "COMPLETE":
                need_build = False
            elif state in ("FAILED", "CANCELED"):
                if not options.create_build:
                    print(f"Build {nvr} state is {state}. Skipping import")
                    continue
            else:
                print(f"Build {nvr} exists with state={state}. Skipping import")
                continue
        for path, header in groups[nvr]:
            if header.sourcerpm is None:
                if build and state != "COMPLETE":
                    print(f"Creating empty build: {nvr}")
                    _empty_build(ctx, nvr, header.epoch)
                    build = session.getBuild(nvr)
                _import_one(ctx, path, header)
                need_build = False
        if need_build:
            epoch = src_epoch if src_epoch else groups[nvr][0][1].epoch
            if options.test:
                print(f"Test mode -- would have created empty build: {nvr}")
            else:
                print(f"Creating empty build: {nvr}")
                _empty_build(ctx, nvr, epoch)
        for path, header in groups[nvr]:
            if header.sourcerpm is not None:
                _import_one(ctx, path, header)
    return 0


def register(subparsers: Any) -> None:
    """Add the submit commands."""
    build = add_command(subparsers, "build", handle_build)
    build.add_argument("args", nargs="*", metavar="<target> <srpm path or scm url>")
    build.add_argument("--skip-tag", action="store_true", default=None, help="Do not attempt to tag package")
    build.add_argument("--scratch", action="store_true", default=None, help="Perform a scratch build")
    build.add_argument(
        "--rebuild-srpm",
        action="store_true",
        dest="rebuild_srpm",
        default=None,
        help="Force rebuilding SRPM for scratch build only",
    )
    build.add_argument(
        "--no-rebuild-srpm",
        action="store_false",
        dest="rebuild_srpm",
        help="Force not to rebuild srpm for scratch build only",
    )
    build.add_argument(
        "--wait", action="store_true", default=None, help="Wait on the build, even if running in the background"
    )
    build.add_argument("--nowait", action="store_false", dest="wait", help="Don't wait on build")
    build.add_argument(
        "--wait-repo", action="store_true", default=None, help="Wait for a current repo for the build tag"
    )
    build.add_argument(
        "--wait-build",
        metavar="NVR",
        action="append",
        dest="wait_builds",
        default=[],
        help="Wait for the given nvr to appear in buildroot repo",
    )
    add_quiet_option(build)
    build.add_argument("--arch-override", help="Override build arches")
    build.add_argument(
        "--fail-fast",
        action="store_true",
        default=None,
        help="Override build_arch_can_fail settings and fail as fast as possible",
    )
    build.add_argument("--repo-id", type=int, help="Use a specific repo")
    build.add_argument("--noprogress", action="store_true", help="Do not display progress of the upload")
    build.add_argument("--background", action="store_true", help="Run the build at a lower priority")
    build.add_argument(
        "--priority",
        type=int,
        help="kiln: the task's priority relative to the default (--background is 5; below 0 for admins only)",
    )
    build.add_argument("--channel-override", help="kiln: run the build in this channel (admins only)")
    build.add_argument(
        "--custom-user-metadata",
        help="Provide a JSON string of custom metadata to be deserialized and stored "
        "under the build's extra.custom_user_metadata field",
    )
    build.add_argument("--draft", action="store_true", default=None, help="Build draft build instead")

    chain = add_command(subparsers, "chain-build", handle_chain_build)
    chain.add_argument("args", nargs="*", metavar="<target> <URL> [<URL> [:] <URL> [:] <URL> ...]")
    chain.add_argument(
        "--wait", action="store_true", default=None, help="Wait on build, even if running in the background"
    )
    chain.add_argument("--nowait", action="store_false", dest="wait", help="Don't wait on build")
    add_quiet_option(chain)
    chain.add_argument("--background", action="store_true", help="Run the build at a lower priority")

    imp = add_command(subparsers, "import", handle_import)
    imp.add_argument("packages", nargs="*", metavar="package")
    imp.add_argument("--link", action="store_true", help="Attempt to hardlink instead of uploading")
    imp.add_argument("--test", action="store_true", help="Don't actually import")
    imp.add_argument("--create-build", action="store_true", help="Auto-create builds as needed")
    imp.add_argument("--src-epoch", help="When auto-creating builds, use this epoch")
    imp.add_argument("--noprogress", action="store_true", help="kiln: do not display progress of the uploads")
