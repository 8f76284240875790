"""The files area: download-build and download-task, from the hub's topurl (``/kojifiles``).

Files are fetched as koji fetches them (the same URLs under
``kiln.protocol.paths.PathInfo``, the same file names, a partial copy
continued with a Range request, an RPM checked against the hub's size and
payload hash), with a progress bar on a terminal instead of koji's
``[=====]`` line (:mod:`kiln.cli.progress`).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context, UsageError


def http_session(ctx: Context) -> Any:
    """A connection pool for the downloads, trusting the profile's ``serverca`` for an https topurl."""
    import requests

    http = requests.Session()
    if ctx.profile.serverca:
        http.verify = ctx.profile.serverca
    return http


def fetch(
    ctx: Context,
    http: Any,
    url: str,
    relpath: str,
    number: int | None = None,
    count: int | None = None,
    filesize: int | None = None,
) -> None:
    """One file to ``relpath`` with koji's lines (``Downloading [n/N]: ...``, skipping or appending a partial copy)."""
    from kiln.cli import progress
    from kiln.client.downloads import download, remote_size

    options = ctx.options
    quiet = ctx.quiet
    if "/" in relpath:
        os.makedirs(os.path.dirname(relpath), exist_ok=True)
    if not quiet:
        print(f"Downloading [{number}/{count}]: {relpath}" if number and count else f"Downloading: {relpath}")
    if not filesize:
        filesize = remote_size(http, url)
    offset = 0
    if filesize and os.path.exists(relpath):
        offset = os.path.getsize(relpath)
        if offset == filesize:
            if not quiet:
                print(f"File {relpath} already downloaded, skipping")
            return
        if offset and not quiet:
            print(f"Appending to existing file {relpath}")
    sys.stdout.flush()
    drawn = progress.wanted(options.noprogress, quiet)
    with progress.bar(os.path.basename(relpath), drawn, total=filesize) as update:
        download(http, url, relpath, offset=offset, progress=update, size=filesize)


def _check_rpm(path: str, rpm: dict[str, Any], signed: bool) -> None:
    """The downloaded RPM is the hub's: its size (unsigned copies) and payload hash, else it is deleted."""
    from kiln.protocol import errors
    from kiln.rpm import headers

    if not signed and os.path.getsize(path) != rpm["size"]:
        size = os.path.getsize(path)
        os.unlink(path)
        raise CommandError(f"Downloaded rpm {path} size {size} does not match db size {rpm['size']}, deleting")
    try:
        header = headers.read(path)
    except errors.GenericError as exc:
        os.unlink(path)
        print(str(exc), file=sys.stderr)
        raise CommandError(f"Downloaded rpm {path} is not valid rpm file, deleting") from None
    if header.payloadhash != rpm["payloadhash"]:
        os.unlink(path)
        raise CommandError(f"Downloaded rpm {path} doesn't match db, deleting")


def _find_build(ctx: Context) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The build the argument names (by id, N-V-R, task, rpm or --latestfrom), and the rpm for --rpm."""
    options = ctx.options
    session = ctx.session()
    build: Any = options.build
    rpminfo = None
    if build.isdigit():
        if options.latestfrom:
            raise UsageError("--latestfrom not compatible with build IDs, specify a package name.")
        build = int(build)
        if options.task_id:
            builds = session.listBuilds(taskID=build)
            if not builds:
                raise CommandError(
                    f"No associated builds for task {build}\n"
                    "If this is a scratch build, try using download-task instead"
                )
            build = builds[0]["build_id"]
    if options.latestfrom:
        from kiln.protocol import errors

        try:
            builds = session.listTagged(options.latestfrom, latest=True, package=build, type=options.type)
        except errors.GenericError as exc:
            raise CommandError(f"Error finding latest build: {exc}") from None
        if not builds:
            raise CommandError(f"{options.latestfrom} has no builds of {build}")
        return builds[0], None
    if options.rpm:
        rpminfo = session.getRPM(build)
        if rpminfo is None:
            raise CommandError(f"No such rpm: {build}")
        return session.getBuild(rpminfo["build_id"]), rpminfo
    if isinstance(build, str) and build.rpartition(".")[0].count("-") >= 2:
        from kiln.protocol import errors

        try:  # an rpm's N-V-R.A without --rpm: its build
            found = session.getRPM(build)
        except errors.GenericError:
            found = None
        if found:
            build = found["build_id"]
    info = session.getBuild(build)
    if info is None:
        raise CommandError(f"No such build: {build}")
    return info, rpminfo


def _is_debuginfo(name: str) -> bool:
    return name.endswith(("-debuginfo", "-debugsource")) or "-debuginfo-" in name


def handle_download_build(ctx: Context) -> int:
    """A build's RPMs (or archives of a type) into the current directory."""
    import requests

    from kiln.protocol.paths import PathInfo

    options = ctx.options
    info, rpminfo = _find_build(ctx)
    assert info is not None
    session = ctx.session()
    topurl = options.topurl or ctx.profile.topurl
    if not topurl:
        raise CommandError("You must specify --topurl to download files")
    label = info["nvr"]
    if options.type:
        archives = session.listArchives(buildID=info["id"], type=options.type)
        if not archives:
            raise CommandError(f"No {options.type} archives available for {label}")
        raise CommandError(f"kiln cannot download {options.type} archives yet")
    arches = options.arches or None
    all_rpms = [rpminfo] if rpminfo else session.listRPMs(buildID=info["id"], arches=arches)
    if not all_rpms:
        if arches:
            raise CommandError(f"No {' or '.join(arches)} packages available for {label}")
        raise CommandError(f"No packages available for {label}")
    rpms = [rpm for rpm in all_rpms if options.debuginfo or not _is_debuginfo(rpm["name"])]
    unsigned: list[dict[str, Any]] = []
    if options.key:
        with session.multicall() as m:
            calls = [m.queryRPMSigs(rpm_id=rpm["id"], sigkey=options.key) for rpm in rpms]
        for rpm, call in list(zip(rpms, calls, strict=True)):
            if not call.result:
                print(f"No such sigkey {options.key} for rpm {rpm['nvr']}-{rpm['arch']}.rpm", file=sys.stderr)
                rpms.remove(rpm)
                if options.fallback_unsigned:
                    unsigned.append(rpm)
    count = len(rpms) + len(unsigned)
    pathinfo = PathInfo(topurl)
    http = http_session(ctx)
    work = [(rpm, options.key) for rpm in rpms] + [(rpm, None) for rpm in unsigned]
    for number, (rpm, sigkey) in enumerate(work, 1):
        fname = pathinfo.signed(rpm, sigkey) if sigkey else pathinfo.rpm(rpm)
        url = f"{pathinfo.build(info)}/{fname}"
        path = os.path.basename(fname)
        try:
            fetch(ctx, http, url, path, number, count, filesize=None if sigkey else rpm["size"])
        except requests.HTTPError as exc:
            if not (
                sigkey and options.fallback_unsigned and exc.response is not None and exc.response.status_code == 404
            ):
                raise CommandError(f"{exc}") from None
            print("Signed copy not present, will download unsigned copy", file=sys.stderr)
            sigkey, fname = None, pathinfo.rpm(rpm)
            path = os.path.basename(fname)
            fetch(ctx, http, f"{pathinfo.build(info)}/{fname}", path, number, count, filesize=rpm["size"])
        _check_rpm(path, rpm, signed=bool(sigkey))
    return 0


def _task_downloads(ctx: Context, tasks: list[dict[str, Any]]) -> list[tuple[dict, str, str, str]]:
    """(task, file, volume, local name) for each file to fetch, chosen as koji chooses them."""
    options = ctx.options
    session = ctx.session()
    downloads = []
    for task in tasks:
        arch, task_id = task["arch"], str(task["id"])
        files = session.listTaskOutput(task["id"], all_volumes=True)
        for filename in files:
            if options.filter and not all(re.search(pattern, filename) for pattern in options.filter):
                continue
            if options.skip and any(re.search(pattern, filename) for pattern in options.skip):
                continue
            filetype = "src.rpm" if filename.endswith("src.rpm") else filename.rsplit(".", 1)[-1]
            is_build = task["method"] in ("buildArch", "build")
            for volume in files[filename]:
                local = None
                if options.all and not (is_build and filetype in ("rpm", "src.rpm")):
                    if filetype != "log":
                        local = filename
                        if arch not in filename and filetype != "src.rpm":
                            local = f"{filename[: -len('.' + filetype)]}.{arch}.{filetype}"
                elif (
                    is_build
                    and filetype in ("rpm", "src.rpm")
                    and (not options.arches or filename.split(".")[-2] in options.arches)
                ):
                    local = filename
                if local is not None:
                    downloads.append((task, filename, volume, f"{task_id}/{filename}" if options.dirpertask else local))
                if filetype == "log" and options.logs:
                    local = filename if arch in filename else f"{filename[: -len('.log')]}.{arch}.log"
                    downloads.append((task, filename, volume, f"{task_id}/{filename}" if options.dirpertask else local))
    return downloads


def handle_download_task(ctx: Context) -> int:
    """A finished task's RPMs (and logs, or everything) into the current directory."""
    import requests

    from kiln.cli.watch import running_in_background, watch_for
    from kiln.protocol.constants import TaskState
    from kiln.protocol.paths import PathInfo

    options = ctx.options
    if options.filter and options.skip:
        raise UsageError("Only filter or skip may be specified. Not both.")
    if options.arches:
        options.arches = ",".join(options.arches).split(",")
    session = ctx.session()
    base_id = options.task_id
    base = session.getTaskInfo(base_id)
    if not base:
        raise CommandError(f"No such task: {base_id}")
    finished = (TaskState.CLOSED, TaskState.CANCELED, TaskState.FAILED)
    if (options.wait or (options.wait is None and not running_in_background())) and base["state"] not in finished:
        watch_for(ctx, [base_id])
        base = session.getTaskInfo(base_id)
    tasks = [base] if options.parentonly else [base, *session.getTaskChildren(base_id)]
    tasks.sort(key=lambda task: task["id"])
    for task in tasks:
        state = TaskState(task["state"])
        if state != TaskState.CLOSED:
            which = "Task" if task["id"] == base_id else "Child task"
            if state == TaskState.FAILED:
                raise CommandError(
                    f"{which} {task['id']} failed. You can use save-failed-tree plugin for FAILED tasks."
                )
            if state == TaskState.CANCELED:
                raise CommandError(f"{which} {task['id']} was canceled.")
            raise CommandError(f"{which} {task['id']} has not finished yet.")
    downloads = _task_downloads(ctx, tasks)
    if not downloads:
        print("No files for download found.")
        return 0
    topurl = options.topurl or ctx.profile.topurl
    if not topurl:
        raise CommandError("You must specify --topurl to download files")
    pathinfo = PathInfo(topurl)
    http = http_session(ctx)
    done: set[tuple[str, str]] = set()
    duplicates = False
    for number, (task, filename, volume, local) in enumerate(downloads, 1):
        if volume not in (None, "DEFAULT"):
            local = f"{task['id']}/{volume}/{filename}" if options.dirpertask else f"{volume}/{local}"
        if ".." in filename:
            raise CommandError(f"Invalid file name: {filename}")
        url = f"{pathinfo.work(volume)}/{pathinfo.task_relpath(task['id'])}/{filename}"
        if (local, volume) in done:
            if not ctx.quiet:
                print(f"Downloading [{number}/{len(downloads)}]: {local}")
                print(f"File {local} already downloaded, skipping")
            duplicates = True
            continue
        try:
            fetch(ctx, http, url, local, number, len(downloads))
        except requests.HTTPError as exc:
            raise CommandError(str(exc)) from None
        done.add((local, volume))
    if duplicates:
        print("Duplicate files, for download all duplicate files use --dirpertask.", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add the files commands."""
    build = add_command(subparsers, "download-build", handle_download_build)
    build.add_argument("build", metavar="n-v-r|build_id")
    build.add_argument(
        "--arch",
        "-a",
        dest="arches",
        metavar="ARCH",
        action="append",
        default=[],
        help="Only download packages for this arch (may be used multiple times)",
    )
    build.add_argument("--type", help="Download archives of the given type, rather than rpms")
    build.add_argument("--latestfrom", help="Download the latest build from this tag")
    build.add_argument("--debuginfo", action="store_true", help="Also download -debuginfo rpms")
    build.add_argument("--task-id", action="store_true", help="Interperet id as a task id")
    build.add_argument("--rpm", action="store_true", help="Download the given rpm")
    build.add_argument("--key", help="Download rpms signed with the given key")
    build.add_argument(
        "--fallback-unsigned",
        action="store_true",
        help="When used with --key: download unsigned if signed packages not found",
    )
    build.add_argument("--topurl", metavar="URL", help="URL under which Koji files are accessible")
    build.add_argument("--noprogress", action="store_true", help="Do not display progress meter")
    build.add_argument("-q", "--quiet", action="store_true", default=None, help="Suppress output")

    task = add_command(subparsers, "download-task", handle_download_task)
    task.add_argument("task_id", type=int, metavar="task_id")
    task.add_argument(
        "--arch",
        dest="arches",
        metavar="ARCH",
        action="append",
        default=[],
        help="Only download packages for this arch (may be used multiple times), "
        "only for build and buildArch task methods",
    )
    task.add_argument("--logs", action="store_true", help="Also download build logs")
    task.add_argument("--topurl", metavar="URL", help="URL under which Koji files are accessible")
    task.add_argument("--noprogress", action="store_true", help="Do not display progress meter")
    task.add_argument(
        "--wait",
        action="store_true",
        default=None,
        help="Wait for running tasks to finish, even if running in the background",
    )
    task.add_argument("--nowait", action="store_false", dest="wait", help="Do not wait for running tasks to finish")
    task.add_argument("-q", "--quiet", action="store_true", default=None, help="Suppress output")
    task.add_argument(
        "--all", action="store_true", help="Download all files, all methods instead of build and buildArch"
    )
    task.add_argument("--dirpertask", action="store_true", help="Download files to dir per task")
    task.add_argument("--parentonly", action="store_true", help="Download parent's files only")
    task.add_argument("--filter", action="append", default=[], help="Regex pattern to filter files")
    task.add_argument("--skip", action="append", default=[], help="Regex pattern to skip files")
