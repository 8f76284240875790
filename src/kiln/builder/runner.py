"""One task in its own process: what the daemon's child does after the fork.

The child leads a process group of its own (so that cancelling the task
kills everything it started), logs into ``task.log`` in its work directory,
sends that log to the hub every second while it runs (a second subsession
does that from a thread, so the handler's session keeps its call numbers in
order), runs the handler and reports the result itself, as kojid's children
do.  Its sessions wait out an unreachable hub as the daemon's do
(``retry_interval``, ``max_retries``: kiln.builder.hub_session), so a task
in progress outlives a hub restart of minutes and reports once the hub is
back.  Whatever happens, the child ends with ``os._exit``: it never returns
into the daemon's loop.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from kiln.builder.handler import BaseTaskHandler, task_output_dir
from kiln.builder.hub_session import HostSession, patience
from kiln.client.uploads import LogFollower
from kiln.protocol import errors
from kiln.protocol.xmlrpc import Fault, dumps, loads

LOG_NAME = "task.log"
LOG_SEND_SECONDS = 1.0

log = logging.getLogger("kiln.builder.runner")


@dataclass
class TaskStart:
    """What the daemon hands its child: the opened task and two subsessions."""

    task: dict
    handler_class: type[BaseTaskHandler]
    server: str
    handler_session: dict
    log_session: dict
    workdir: Path
    options: Any = None


def child_main(start: TaskStart) -> None:
    """The child's whole life; never returns."""
    code = 1
    try:
        os.setpgid(0, 0)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        _log_to(start.workdir / LOG_NAME)
        run_task(start)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        logging.shutdown()
        os._exit(code)


def _log_to(path: Path) -> None:
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _session(server: str, sinfo: dict, settings: Any) -> HostSession:
    # As patient as the daemon: a child that gives up on its hub loses its
    # task (the daemon fails it for the child), so it waits as long as kojid's.
    session = HostSession(server, opts=patience(settings))
    session.set_session(sinfo)
    return session


def run_task(start: TaskStart) -> None:
    """Run the handler and report: closeTask with its result, or failTask with the error."""
    task = start.task
    task_id = int(task["id"])
    session = _session(start.server, start.handler_session, start.options)
    log_session = _session(start.server, start.log_session, start.options)
    follower = LogFollower(log_session, start.workdir / LOG_NAME, task_output_dir(task_id))
    stop = threading.Event()
    sender = threading.Thread(target=_send_log, args=(follower, stop), name="log-sender", daemon=True)
    sender.start()
    logger = logging.getLogger(f"kiln.builder.task.{task_id}")
    params, method = loads(task["request"])
    handler = start.handler_class(
        task_id, method or task["method"], list(params), session, start.workdir / "work", start.options
    )
    handler.workdir.mkdir(parents=True, exist_ok=True)
    logger.info("task %s: %s%r on %s", task_id, handler.method, tuple(params), os.uname().nodename)
    try:
        weight = handler.weight()
        if weight is not None:
            session.host.setTaskWeight(task_id, weight)
        result = handler.run()
        response = dumps((result,), methodresponse=True)
        failed = False
        logger.info("task %s: done", task_id)
    except BaseException as exc:
        logger.exception("task %s failed", task_id)
        code = getattr(exc, "faultCode", 1)
        response = dumps(Fault(code if isinstance(code, int) else 1, traceback.format_exc()))
        failed = True
    finally:
        try:
            handler.cleanup()
        except Exception:
            logger.exception("task %s: cleanup failed", task_id)
        stop.set()
        sender.join()
    try:
        _send_patiently(follower, log_session)  # the whole log is on the hub before the task ends
    except Exception:
        log.exception("task %s: could not send the last of its log", task_id)
    try:
        if failed:
            session.host.failTask(task_id, response)
        else:
            session.host.closeTask(task_id, response)
    except errors.ActionNotAllowed as exc:
        # The hub took the task back while this host was out of reach past its
        # host timeout, and it ran elsewhere: this run's result is not to be
        # reported, and that is no failure of this process.
        log.warning(
            "task %s: the hub refused its result (%s: %s); it no longer belongs to this host",
            task_id,
            type(exc).__name__,
            exc,
        )


def _send_patiently(follower: LogFollower, session: HostSession) -> None:
    """``follower.send()``, tried as the session tries a call: a chunk is not retried by the client."""
    tries = 0
    while True:
        try:
            follower.send()
            return
        except requests.RequestException:
            tries += 1
            if tries > int(session.opts["max_retries"]):
                raise
            time.sleep(float(session.opts["retry_interval"]) if tries > 1 else 0)


def _send_log(follower: LogFollower, stop: threading.Event) -> None:
    while not stop.wait(LOG_SEND_SECONDS):
        try:
            follower.send()
        except Exception:  # the hub may be busy; the next round sends it
            log.warning("could not send the task log", exc_info=True)
