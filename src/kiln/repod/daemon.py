"""kiln-repod's loop: check tags, then now and then clean up.

- ``check_tags`` (every ``check_seconds``): a read (repo.staleTags) names
  the build tags whose newest repo is older than their last change (a change
  to a parent counts: it reaches every tag inheriting from it); each gets a
  repo request, hence a newRepo task on a builder.
- ``clean`` (every ``clean_seconds``): the queue's failed tasks are retried
  (repo.checkQueue); a READY repo that a newer one of the
  same tag and options replaced is EXPIRED; an expired repo older than
  ``deleted_repo_lifetime`` is deleted unless a build root still uses it; a
  repo whose task failed is marked PROBLEM and deleted after
  ``problem_repo_lifetime``; build roots still on record long after their
  task ended are expired, so they hold no repo forever.

It needs no topdir: the hub removes a deleted repo's files.

SIGTERM (or SIGINT) stops it at once, whatever it is doing: the signal
raises out of the pause between passes, out of a pass and out of the
client's retries while the hub is away.  Nothing in a pass needs finishing:
each call to the hub stands alone, and the next daemon's first pass does
what this one left.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import time
from typing import Any

from kiln.client import ClientSession
from kiln.protocol import errors
from kiln.protocol.constants import RepoState, TaskState
from kiln.repod.config import RepodSettings

log = logging.getLogger("kiln.repod")

RETRY_SECONDS = 5.0  # after the hub could not be reached


class _Stop(BaseException):
    """Raised by SIGTERM out of the daemon's work; a BaseException, so that no ``except Exception`` takes it."""


class RepoDaemon:
    def __init__(self, settings: RepodSettings) -> None:
        self.settings = settings
        self.session = ClientSession(settings.server, opts={"user": settings.user, "password": settings.password})
        self.stopping = False
        self._stoppable = False  # the signal raises _Stop (run's loop)

    def login(self) -> None:
        self.session.login()
        log.info("logged in to %s as %s", self.settings.server, self.settings.user)

    def run(self) -> None:
        self._stoppable = True  # before the handlers: a signal is either default (death) or raises
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        try:
            self.login()
            self._loop()
        except _Stop:
            pass
        finally:
            self._stoppable = False
        log.info("stopped")
        with contextlib.suppress(Exception):
            self.session.logout()

    def _loop(self) -> None:
        last_clean = 0.0
        while True:
            try:
                self.check_tags()
                if time.monotonic() - last_clean >= self.settings.clean_seconds:
                    self.clean()
                    last_clean = time.monotonic()
            except (errors.AuthError, errors.AuthExpired):
                raise
            except Exception as exc:  # a hub that is down or restarting: try again shortly
                log.warning("pass failed, retrying in %s s: %s", RETRY_SECONDS, exc)
                time.sleep(RETRY_SECONDS)
                continue
            log.debug("next pass in %s s", self.settings.check_seconds)
            time.sleep(self.settings.check_seconds)

    def _stop(self, signum: int, frame: Any) -> None:
        # No logging here: the signal may come in the middle of a log call.
        self.stopping = True
        if self._stoppable:
            self._stoppable = False
            raise _Stop

    # --- the story -------------------------------------------------------

    def check_tags(self) -> None:
        """A read every check_seconds; a write (a request, which files a newRepo task) only for a changed tag."""
        asked = []
        for tag_id in self.session.repo.staleTags():
            answer = self.session.repo.request(tag_id, min_event="last", priority=5)
            if answer["request"] is not None and not answer["duplicate"]:
                asked.append(tag_id)
        if asked:
            log.info("new repos requested for tags %s", asked)

    def check_queue(self) -> None:
        queue = self.session.repo.checkQueue()
        if queue.get("retried") or queue.get("given_up"):
            log.warning("repo queue: %s", queue)

    def clean(self) -> dict[str, list[int]]:
        """One cleaning pass; the repos it expired, deleted and marked, by what it did."""
        self.check_queue()
        now = time.time()
        repos = self.session.getActiveRepos()
        newest: dict[tuple, int] = {}
        for repo in repos:
            if repo["state"] == RepoState.READY:
                key = (repo["tag_id"], json.dumps(repo["custom_opts"], sort_keys=True), repo["dist"])
                newest[key] = max(newest.get(key, 0), repo["create_event"])
        done: dict[str, list[int]] = {"expired": [], "deleted": [], "problem": [], "in_use": []}
        for repo in repos:
            key = (repo["tag_id"], json.dumps(repo["custom_opts"], sort_keys=True), repo["dist"])
            state = repo["state"]
            if state == RepoState.READY and repo["create_event"] < newest[key]:
                self.session.repoExpire(repo["id"])
                done["expired"].append(repo["id"])
            elif state == RepoState.INIT and repo["task_state"] in (TaskState.FAILED, TaskState.CANCELED):
                self.session.repoProblem(repo["id"])
                done["problem"].append(repo["id"])
            elif (state == RepoState.EXPIRED and now - repo["state_ts"] > self.settings.deleted_repo_lifetime) or (
                state == RepoState.PROBLEM and now - repo["state_ts"] > self.settings.problem_repo_lifetime
            ):
                used = self.session.repoDelete(repo["id"])
                done["in_use" if used else "deleted"].append(repo["id"])
        stale = self.session.repo.expireBuildroots(self.settings.buildroot_lifetime)
        for what, ids in done.items():
            if ids:
                log.info("repos %s: %s", what, ids)
        if stale:
            log.info("stale build roots expired: %s", stale)
        return done
