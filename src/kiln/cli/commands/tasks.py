"""The tasks area: watch-task, watch-logs, list-tasks, taskinfo, cancel, resubmit, set-task-priority, make-task.

Output is koji's, line for line (scripts parse ``list-tasks`` and
``watch-task``).  Where kiln differs on purpose:

- ``list-tasks`` logs in only for ``--mine`` (koji always logs in): the
  listing itself is anonymous on the hub, and a login costs two round trips.
- Unknown users, channels and hosts print koji's ``No such ...`` line on
  stdout and exit 1, as koji does.
- The watchers poll every 0.5 s (see :mod:`kiln.cli.watch`), or
  ``poll_interval`` seconds from the profile when it has one.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import CommandError, Context, UsageError, add_json_option, add_quiet_option, print_json
from kiln.cli.watch import poll_interval, running_in_background, watch_for
from kiln.client.task_labels import task_label
from kiln.protocol.constants import TaskState

_STATE_NAMES = {state.value: state.name for state in TaskState}
_MOCK_DIR = "/var/lib/mock"


def _task_ids(words: list[str], parser_error: str = "task id must be an integer") -> list[int]:
    try:
        return [int(word) for word in words]
    except ValueError:
        raise UsageError(parser_error) from None


# --- selecting tasks (list-tasks, watch-task, watch-logs) ------------------------


class _NotFound(Exception):
    """koji prints ``No such X: NAME`` on stdout and exits 1."""


def _parse_time(text: str) -> float:
    """A timestamp, or a date/time as koji's ``--before`` and ``--after`` read them."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        import dateutil.parser

        parsed = dateutil.parser.parse(text)
    except ImportError:
        import datetime

        parsed = datetime.datetime.fromisoformat(text)
    except Exception:
        raise argparse.ArgumentTypeError(f"invalid time specification: {text!r}") from None
    return time.mktime(parsed.timetuple())


def _selection(ctx: Context) -> dict[str, Any]:
    """The listTasks filters the options name: koji's ``_list_tasks`` choices, in its order."""
    options = ctx.options
    opts: dict[str, Any] = {"decode": True}
    if not getattr(options, "all", False):
        opts["state"] = [TaskState.FREE, TaskState.OPEN, TaskState.ASSIGNED]
    if getattr(options, "after", None):
        opts["startedAfter"] = options.after
    if getattr(options, "before", None):
        opts["startedBefore"] = options.before
    session = ctx.session()
    if getattr(options, "mine", False):
        if getattr(options, "user", None):
            raise CommandError("Can't specify 'mine' and 'user' in same time")
        user = ctx.login_session().getLoggedInUser()
        if not user:
            raise _NotFound("Unable to determine user")
        opts["owner"] = user["id"]
    if getattr(options, "user", None):
        user = session.getUser(options.user)
        if not user:
            raise _NotFound(f"No such user: {options.user}")
        opts["owner"] = user["id"]
    if getattr(options, "arch", None):
        from kiln.cli.values import parse_arches

        try:
            opts["arch"] = parse_arches(options.arch).split()
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if getattr(options, "method", None):
        opts["method"] = options.method
    if getattr(options, "channel", None):
        channel = session.getChannel(options.channel)
        if not channel:
            raise _NotFound(f"No such channel: {options.channel}")
        opts["channel_id"] = channel["id"]
    if getattr(options, "host", None):
        host = session.getHost(options.host)
        if not host:
            raise _NotFound(f"No such host: {options.host}")
        opts["host_id"] = host["id"]
    return opts


# listTasks' columns: with queryOpts asList a hub (Koji's, and kiln's without
# ``fields``) sends them in the order of their names.
_COLUMNS = (
    "id", "state", "create_time", "create_ts", "start_time", "start_ts", "completion_time", "completion_ts",
    "channel_id", "host_id", "parent", "label", "waiting", "awaited", "owner", "method", "arch", "priority",
    "weight", "request", "result", "owner_name", "owner_type",
)  # fmt: skip
_AS_LIST = tuple(sorted(_COLUMNS))
# What a list-tasks line shows; a kiln hub sends only these (queryOpts fields, a kiln extension).
_FIELDS = ("id", "parent", "priority", "owner_name", "state", "arch", "method", "request")
_ORDER = "priority,create_time"


def _decoded(text: Any) -> Any:
    """A request as XML text (Koji's hub does not decode asList rows) -> the value."""
    if not isinstance(text, str):
        return text
    from kiln.protocol.xmlrpc import Fault, loads

    try:
        return list(loads(text)[0])
    except Fault as fault:
        return {"faultCode": fault.faultCode, "faultString": fault.faultString}


def _fetch_tasks(ctx: Context, opts: dict[str, Any]) -> list[dict[str, Any]]:
    """listTasks rows as dicts, in one call that carries as little as it can.

    A listing of 10,000 tasks is 16 MB of XML as dicts; as lists (queryOpts
    ``asList``) it is half that, and a third of that again when the hub
    sends only the columns a line shows (``fields``, which kiln's hub knows
    and Koji's ignores).  Encoding and decoding that XML is where the time
    of a long listing goes, on both sides.
    """
    return rows_to_tasks(ctx.session().listTasks(opts, {"order": _ORDER, "asList": True, "fields": _FIELDS}))


def rows_to_tasks(rows: list[list[Any]]) -> list[dict[str, Any]]:
    """asList rows -> task dicts: a kiln hub's ``fields`` columns, or a Koji hub's full rows."""
    tasks = []
    for row in rows:
        # a Koji hub ignores ``fields`` and sends every column
        task = dict(zip(_FIELDS if len(row) == len(_FIELDS) else _AS_LIST, row, strict=False))
        task["request"] = _decoded(task["request"])
        tasks.append(task)
    return tasks


def _list_tasks(ctx: Context) -> list[dict[str, Any]]:
    """The selected tasks, ordered by priority and creation, children threaded under parents."""
    opts = _selection(ctx)
    tasks = ctx.session().listTasks(opts, {"order": _ORDER}) if ctx.json else _fetch_tasks(ctx, opts)
    by_id = {task["id"]: task for task in tasks}
    for task in tasks:
        parent = by_id.get(task["parent"]) if task["parent"] is not None else None
        if parent is not None:
            parent.setdefault("children", []).append(task)
            task["sub"] = True
    return tasks


def _task_lines(task: dict[str, Any], depth: int, out: list[str]) -> None:
    state = _STATE_NAMES.get(task["state"], "BADSTATE")
    indent = "  " * (depth - 1) + " +" if depth else ""
    out.append(
        f"{task['id']!s:<8} {task['priority']!s:<4} {task['owner_name']!s:<20} {state:<8} {task['arch']!s:<10} "
        f"{indent}{task_label(task)}"
    )
    for child in task.get("children", ()):
        _task_lines(child, depth + 1, out)


def handle_list_tasks(ctx: Context) -> int:
    """The unfinished tasks (or those started in a window), each with its subtasks under it."""
    options = ctx.options
    if options.all and not options.after:
        raise UsageError("--all must be used with --after")
    try:
        tasks = _list_tasks(ctx)
    except _NotFound as exc:
        print(exc)
        return 1
    if ctx.json:
        for task in tasks:
            task.pop("children", None)
            task.pop("sub", None)
        print_json(tasks)
        return 0
    if not tasks:
        print("(no tasks)")
        return 0
    out: list[str] = [] if ctx.quiet else ["ID       Pri  Owner                State    Arch       Name"]
    for task in tasks:
        if not task.get("sub"):
            _task_lines(task, 0, out)
    out.append("")
    sys.stdout.write("\n".join(out))
    return 0


# --- watch-task, watch-logs --------------------------------------------------------


def handle_watch_task(ctx: Context) -> int:
    """Watch the tasks (or the selected ones) until they finish; 1 when one did not close."""
    options = ctx.options
    selection = options.mine or options.user or options.arch or options.method or options.channel or options.host
    if options.tasks and selection:
        raise UsageError("Selection options cannot be combined with a task list")
    if selection:
        try:
            task_ids = [task["id"] for task in _list_tasks(ctx)]
        except _NotFound as exc:
            print(exc)
            return 1
        if not task_ids:
            print("(no tasks)")
            return 0
    else:
        task_ids = _task_ids(options.tasks)
        if not task_ids:
            raise UsageError("at least one task id must be specified")
    return watch_for(ctx, task_ids)


def _write_bytes(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def follow_logs(
    session: Any, task_ids: list[int], log: str | None = None, follow: bool = False, poll_interval: float = 0.5
) -> int:
    """Print the tasks' logs as they grow, until the tasks finish (koji's ``watch_logs``).

    Each log is read from where the last read ended (``downloadTaskOutput``
    offsets), so a growing log prints only its new bytes; a header
    ``==> ID:VOLUME:LOG <==`` marks each switch from one log to another.
    """
    import base64

    print("Watching logs (this may be safely interrupted)...")
    sys.stdout.flush()
    tasks = list(task_ids)
    offsets: dict[int, dict[tuple[str, str], int]] = {task_id: {} for task_id in tasks}
    last = None
    while True:
        for task_id in tasks[:]:
            info = session.getTaskInfo(task_id)
            if info is None:
                print(f"No such task id: {task_id}")
                return 1
            if info["state"] in (TaskState.CLOSED, TaskState.CANCELED, TaskState.FAILED):
                tasks.remove(task_id)
            output = session.listTaskOutput(task_id, all_volumes=True)
            files = [(name, volume) for name, volumes in output.items() for volume in volumes]
            logs = [f for f in files if (f[0] == log if log else f[0].endswith("log"))]
            seen = offsets[task_id]
            for name, volume in logs:
                while True:
                    offset = seen.setdefault((name, volume), 0)
                    chunk = session.downloadTaskOutput(task_id, name, offset, 16384, volume=volume)
                    data = base64.b64decode(chunk) if isinstance(chunk, str) else bytes(chunk)
                    if not data:
                        break
                    seen[(name, volume)] = offset + len(data)
                    current = f"{task_id}:{volume}:{name}:"
                    if current != last:
                        if last:
                            sys.stdout.write("\n")
                        sys.stdout.write(f"==> {current} <==\n")
                        last = current
                    _write_bytes(data)
            if follow:
                for child in session.getTaskChildren(task_id):
                    if child["id"] not in tasks and child["id"] not in offsets:
                        tasks.append(child["id"])
                        offsets[child["id"]] = {}
        if not tasks:
            return 0
        sys.stdout.flush()
        time.sleep(poll_interval)


def handle_watch_logs(ctx: Context) -> int:
    """Print the tasks' logs live, as they grow."""
    options = ctx.options
    if options.mine:
        if options.tasks:
            raise UsageError("Selection options cannot be combined with a task list")
        try:
            task_ids = [task["id"] for task in _list_tasks(ctx)]
        except _NotFound as exc:
            print(exc)
            return 1
        if not task_ids:
            print("You've no active tasks.")
            return 0
    else:
        task_ids = _task_ids(options.tasks)
    if not task_ids:
        raise UsageError("at least one task id must be specified")
    try:
        return follow_logs(ctx.session(), task_ids, options.log, options.follow, poll_interval(ctx))
    except KeyboardInterrupt:
        sys.stdout.flush()
        return 1


# --- taskinfo ----------------------------------------------------------------------


def _options_lines(lines: list[str], opts: Any, prefix: str = "") -> None:
    if opts:
        lines.append(f"{prefix}Options:")
        for key, value in opts.items():
            if key != "__starstar":
                lines.append(f"  {prefix}{key}: {value}")


def _build_label(build: dict[str, Any]) -> str:
    if "package_name" in build:
        return f"{build['package_name']}-{build['version']}-{build['release']}"
    return f"{build['name']}-{build['version']}-{build['release']}"


def _request_lines(session: Any, method: str, task_id: int, topdir: str) -> list[str]:
    """The ``Request Parameters:`` lines of ``taskinfo -v`` for the methods kiln's builders run."""
    params = session.getTaskRequest(task_id)
    lines: list[str] = []
    if method == "buildSRPMFromSCM":
        lines.append(f"SCM URL: {params[0]}")
    elif method == "buildArch":
        lines.append(f"SRPM: {topdir}/work/{params[0]}")
        tag = session.getTag(params[1])
        lines.append(f"Build Tag: {tag['name'] if tag else str(params[1]) + ' (deleted)'}")
        lines.append(f"Build Arch: {params[2]}")
        lines.append(f"SRPM Kept: {params[3]!r}")
        if len(params) > 4:
            _options_lines(lines, params[4])
    elif method == "tagBuild":
        build = session.getBuild(params[1])
        lines.append(f"Destination Tag: {session.getTag(params[0])['name']}")
        lines.append(f"Build: {_build_label(build)}")
    elif method == "buildNotification":
        lines.append(f"Recipients: {', '.join(params[0])}")
        lines.append(f"Build: {_build_label(params[1])}")
        lines.append(f"Build Target: {params[2]['name']}")
        lines.append(f"Web URL: {params[3]}")
    elif method == "build":
        lines.append(f"Source: {params[0]}")
        lines.append(f"Build Target: {params[1]}")
        if len(params) > 2:
            _options_lines(lines, params[2])
    elif method == "newRepo":
        lines.append(f"Tag: {session.getTag(params[0])['name']}")
    elif method == "createrepo":
        from kiln.cli.output import format_time_long

        lines.append(f"Repo ID: {int(params[0])}")
        lines.append(f"Arch: {params[1]}")
        if params[2]:
            lines.append(f"Old Repo ID: {int(params[2]['id'])}")
            lines.append(f"Old Repo Creation: {format_time_long(params[2]['create_ts'])}")
        if len(params) > 3:
            lines.append(f"External Repos: {', '.join(ext['external_repo_name'] for ext in params[3])}")
    elif method == "dependantTask":
        lines.append(f"Dependant Tasks: {', '.join(str(dep) for dep in params[0])}")
        lines.append("Subtasks:")
        for subtask in params[1]:
            lines.append(f"  Method: {subtask[0]}")
            lines.append(f"  Parameters: {', '.join(str(p) for p in subtask[1])}")
            if len(subtask) > 2 and subtask[2]:
                _options_lines(lines, subtask[2], prefix="  ")
            lines.append("")
    elif method == "chainbuild":
        lines.append("Build Groups:")
        for number, group in enumerate(params[0], 1):
            lines.append(f"  {number}: {', '.join(group)}")
        lines.append(f"Build Target: {params[1]}")
        if len(params) > 2:
            _options_lines(lines, params[2])
    elif method == "waitrepo":
        lines.append(f"Build Target: {params[0]}")
        if params[1]:
            lines.append(f"Newer Than: {params[1]}")
        if params[2]:
            lines.append(f"NVRs: {', '.join(params[2])}")
    return lines


def _task_files(session: Any, task_id: int, topdir: str) -> tuple[list[str], list[str]]:
    """The task's log files and its other output, as paths under topdir."""
    from kiln.protocol.paths import PathInfo

    paths = PathInfo(topdir)
    files = session.listTaskOutput(task_id, all_volumes=True)
    logs: list[str] = []
    output: list[str] = []
    for name, volumes in files.items():
        found = [f"{paths.work(volume)}/{paths.task_relpath(task_id)}/{name}" for volume in volumes]
        (logs if name.endswith(".log") else output).extend(found)
    return logs, output


def _print_task_info(
    ctx: Context, task_id: int, level: int, recurse: bool, verbose: bool, found: list[dict[str, Any]]
) -> None:
    session = ctx.session()
    topdir = ctx.profile.topdir or "/mnt/koji"
    indent = "  " * level
    info = session.getTaskInfo(task_id)
    if info is None:
        raise CommandError(f"No such task: {task_id}")
    host = session.getHost(info["host_id"]) if info["host_id"] else None
    buildroots = session.listBuildroots(taskID=task_id)
    builds = session.listBuilds(taskID=task_id)
    logs, output = _task_files(session, task_id, topdir)
    owner = session.getUser(info["owner"])["name"]
    if ctx.json:
        found.append({**info, "owner_name": owner, "host": host, "buildroots": buildroots, "builds": builds})
        found[-1].update(logs=logs, output=output)
    else:
        lines = [f"Task: {task_id}", f"Type: {info['method']}"]
        if verbose:
            lines.append("Request Parameters:")
            try:
                params = _request_lines(session, info["method"], task_id, topdir)
            except Exception:  # koji shows this for any request it cannot read
                params = ["Unable to parse task parameters"]
            lines += [f"  {line}" for line in params]
        lines.append(f"Owner: {owner}")
        lines.append(f"State: {_STATE_NAMES[info['state']].lower()}")
        lines.append(f"Created: {time.asctime(time.localtime(info['create_ts']))}")
        if info.get("start_ts"):
            lines.append(f"Started: {time.asctime(time.localtime(info['start_ts']))}")
        if info.get("completion_ts"):
            lines.append(f"Finished: {time.asctime(time.localtime(info['completion_ts']))}")
        if host:
            lines.append(f"Host: {host['name']}")
        if builds:
            lines.append(f"Build: {builds[0]['nvr']} ({builds[0]['build_id']})")
        if buildroots:
            lines.append("Buildroots:")
            lines += [f"  {_MOCK_DIR}/{r['tag_name']}-{r['id']}-{r['repo_id']}/" for r in buildroots]
        lines.append("Log Files:")
        lines += [f"  {path}" for path in logs] or ["  No outputs reported [1]"]
        lines.append("Output:")
        lines += [f"  {path}" for path in output] or ["  No outputs reported [1]"]
        if not logs or not output:
            lines.append("[1] Not all tasks produce outputs, and task outputs are not retained indefinitely.")
        for line in lines:
            print(indent + line)
        print("")
    if recurse:
        children = sorted(session.getTaskChildren(task_id, request=True), key=lambda child: child["id"])
        for child in children:
            _print_task_info(ctx, child["id"], level + 1, True, verbose, found)


def handle_taskinfo(ctx: Context) -> int:
    """Each task's method, owner, state, times, host, build, build roots and files."""
    options = ctx.options
    found: list[dict[str, Any]] = []
    for task_id in _task_ids(options.tasks, "task id must be an integer"):
        _print_task_info(ctx, task_id, 0, options.recurse, options.verbose, found)
    if ctx.json:
        print_json(found)
    return 0


# --- cancel, resubmit, set-task-priority, make-task --------------------------------


def _is_nvr(text: str) -> bool:
    """Koji's parse_NVR test: two dashes with something between and after them."""
    release_dash = text.rfind("-")
    if release_dash in (-1, len(text) - 1):
        return False
    version_dash = text.rfind("-", 0, release_dash)
    return version_dash not in (-1, release_dash - 1)


def handle_cancel(ctx: Context) -> int:
    """Cancel tasks (and their subtasks unless --justone) and builds by N-V-R."""
    options = ctx.options
    task_ids: list[int] = []
    builds: list[str] = []
    for word in options.items:
        try:
            task_ids.append(int(word))
        except ValueError:
            if not _is_nvr(word):
                raise UsageError("please specify only task ids (integer) or builds (n-v-r)") from None
            builds.append(word)
    session = ctx.login_session()
    opts: dict[str, Any] = {}
    method = "cancelTask"
    if options.justone:
        opts["recurse"] = False
    elif options.full:
        method = "cancelTaskFull"
        if options.force:
            opts["strict"] = False
    with session.multicall(batch=100) as m:
        calls = [m.callMethod(method, task_id, **opts) for task_id in task_ids]
        calls += [m.cancelBuild(build, strict=True) for build in builds]
    failed = False
    for call in calls:
        try:
            _ = call.result
        except Exception as exc:
            print(str(exc), file=sys.stderr)
            failed = True
    return 1 if failed else 0


def handle_resubmit(ctx: Context) -> int:
    """Resubmit a canceled or failed task with the same parameters, then watch the new one."""
    options = ctx.options
    if len(options.task) != 1:
        raise UsageError("Please specify a single task ID")
    task_id = _task_ids(options.task)[0]
    session = ctx.login_session()
    if not ctx.quiet:
        print("Resubmitting the following task:")
        _print_task_info(ctx, task_id, 0, False, True, [])
    new_id = session.resubmitTask(task_id)
    if not ctx.quiet:
        print(f"Resubmitted task {task_id} as new task {new_id}")
    if options.wait or (options.wait is None and not options.nowait and not running_in_background()):
        return watch_for(ctx, [new_id])
    return 0


def handle_set_task_priority(ctx: Context) -> int:
    """Set the tasks' priority (admin), their subtasks' too with --recurse."""
    options = ctx.options
    if not options.tasks:
        raise UsageError("You must specify at least one task id")
    if options.priority is None:
        raise UsageError("You must specify --priority")
    task_ids = _task_ids(options.tasks, "Task numbers must be integers")
    session = ctx.login_session()
    if not session.hasPerm("admin"):
        user = session.getLoggedInUser()
        raise CommandError(f"admin permission required (logged in as {user['name'] if user else None})")
    for task_id in task_ids:
        try:
            session.setTaskPriority(task_id, options.priority, options.recurse)
        except Exception:
            print(f"Can't update task priority on closed task: {task_id}", file=sys.stderr)
    return 0


def handle_make_task(ctx: Context) -> int:
    """Create a task of any method with the given arguments (admin; for debugging)."""
    from kiln.cli.values import parse_value

    options = ctx.options
    session = ctx.login_session()
    opts = {key: getattr(options, key) for key in ("channel", "priority", "arch") if getattr(options, key) is not None}
    task_id = session.makeTask(options.method, [parse_value(word) for word in options.args], **opts)
    print(f"Created task id {task_id}")
    if running_in_background() or not options.watch:
        return 0
    return watch_for(ctx, [task_id])


# --- registration ------------------------------------------------------------------


def _add_selection(parser: argparse.ArgumentParser, what: str = "tasks") -> None:
    parser.add_argument("--mine", action="store_true", help=f"just your {what}")
    parser.add_argument("--user", help="only tasks for this user")
    parser.add_argument("--arch", help="only tasks for this architecture")
    parser.add_argument("--method", help="only tasks of this method")
    parser.add_argument("--channel", help="only tasks in this channel")
    parser.add_argument("--host", help="only tasks for this host")


def register(subparsers: Any) -> None:
    """Add the tasks commands."""
    watch = add_command(subparsers, "watch-task", handle_watch_task)
    watch.add_argument("tasks", nargs="*", metavar="task_id")
    add_quiet_option(watch)
    _add_selection(watch)

    logs = add_command(subparsers, "watch-logs", handle_watch_logs)
    logs.add_argument("tasks", nargs="*", metavar="task_id")
    logs.add_argument("--log", help="watch only this log")
    logs.add_argument("--mine", action="store_true", help="watch the logs of all your tasks")
    logs.add_argument("-f", "--follow", action="store_true", help="follow spawned child tasks")

    tasks = add_command(subparsers, "list-tasks", handle_list_tasks)
    _add_selection(tasks)
    add_quiet_option(tasks)
    tasks.add_argument("--before", type=_parse_time, help="tasks started before this time (timestamp or date)")
    tasks.add_argument("--after", type=_parse_time, help="tasks started after this time (timestamp or date)")
    tasks.add_argument("--all", action="store_true", help="finished tasks too (only with --after)")
    add_json_option(tasks)

    info = add_command(subparsers, "taskinfo", handle_taskinfo)
    info.add_argument("tasks", nargs="+", metavar="task_id")
    info.add_argument("-r", "--recurse", action="store_true", help="show the task's children as well")
    info.add_argument("-v", "--verbose", action="store_true", help="show the request's parameters")
    add_json_option(info)

    cancel = add_command(subparsers, "cancel", handle_cancel)
    cancel.add_argument("items", nargs="+", metavar="task_id|build")
    cancel.add_argument("--justone", action="store_true", help="do not cancel subtasks")
    cancel.add_argument("--full", action="store_true", help="full cancellation (admin only)")
    cancel.add_argument("--force", action="store_true", help="allow subtasks with --full")

    resubmit = add_command(subparsers, "resubmit", handle_resubmit)
    resubmit.add_argument("task", nargs="*", metavar="task_id")
    resubmit.add_argument("--wait", action="store_true", default=None, help="watch the task, even in the background")
    resubmit.add_argument("--nowait", action="store_false", dest="wait", help="do not watch the task")
    resubmit.add_argument("--nowatch", action="store_true", dest="nowait", help="the same as --nowait")
    add_quiet_option(resubmit)

    priority = add_command(subparsers, "set-task-priority", handle_set_task_priority)
    priority.add_argument("tasks", nargs="*", metavar="task_id")
    priority.add_argument("--priority", type=int, help="the new priority")
    priority.add_argument("--recurse", action="store_true", help="change the child tasks' priority as well")

    make = add_command(subparsers, "make-task", handle_make_task)
    make.add_argument("method")
    make.add_argument("args", nargs="*", metavar="arg")
    make.add_argument("--channel", help="the task's channel")
    make.add_argument("--priority", type=int, help="the task's priority")
    make.add_argument("--arch", help="the task's arch")
    make.add_argument("--watch", action="store_true", help="watch the task")
