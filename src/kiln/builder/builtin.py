"""Koji's test tasks, built in: ``sleep``, ``fork`` and ``waittest``; and ``tagBuild``.

They exercise the daemon (a task that takes time, one that leaves processes
behind, one that waits on children, one of which fails) without building
anything; the same names and arguments as Koji's, so ``koji`` scripts that
make them work unchanged.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from kiln.builder.handler import RUN_FROM_START, BaseTaskHandler
from kiln.protocol import errors


class SleepTask(BaseTaskHandler):
    Methods = ["sleep"]

    def handler(self, n: Any) -> None:
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            raise errors.ParameterError(f"sleep takes a number of seconds, not {n!r}")
        self.logger.info("sleeping for %s seconds", n)
        time.sleep(n)
        self.logger.info("finished sleeping")


class ForkTask(BaseTaskHandler):
    Methods = ["fork"]

    def handler(self, n: int = 5, m: int = 37) -> None:
        """Start ``n`` processes that sleep ``m`` seconds, and return without waiting for them."""
        for _ in range(int(n)):
            subprocess.Popen(["sleep", str(int(m))], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.logger.info("started %s sleepers of %s seconds", n, m)


class WaitTestTask(BaseTaskHandler):
    Methods = ["waittest"]

    def handler(self, count: int, seconds: float = 10) -> dict:
        """``count`` sleeping children and one that fails (allowed to): waits on all of them."""
        children = [self.subtask("sleep", [seconds], label=str(i)) for i in range(int(count))]
        bad = self.subtask("sleep", ["BAD_ARG"], label="bad")
        results = self.wait([*children, bad], all=True, failany=True, canfail=[bad])
        self.logger.info("results: %r", results)
        return {str(k): v for k, v in results.items()}


class TagBuildTask(BaseTaskHandler):
    """Koji's tagBuild task: the hub checked the request; the tagging happens here, through host.tagBuild."""

    Methods = ["tagBuild"]

    def achieved(
        self, tag_id: int, build_id: int, force: bool = False, fromtag: int | None = None, ignore_success: bool = False
    ) -> Any:
        """Done when the build is in the tag already (and out of ``fromtag``): an earlier run tagged it.

        The hub refuses to make this task for a build the tag holds, so
        finding it there means the tagging happened since; run again, it
        would fail with "already tagged".
        """
        tagged = {tag["id"] for tag in self.session.listTags(build=build_id)}
        if tag_id in tagged and (fromtag is None or fromtag not in tagged):
            self.logger.info("build %s is in tag %s already: nothing left to do", build_id, tag_id)
            return None
        return RUN_FROM_START

    def handler(
        self, tag_id: int, build_id: int, force: bool = False, fromtag: int | None = None, ignore_success: bool = False
    ) -> None:
        self.session.host.tagBuild(self.id, tag_id, build_id, force, fromtag)
        self.logger.info("build %s tagged into tag %s", build_id, tag_id)


HANDLERS = [SleepTask, ForkTask, WaitTestTask, TagBuildTask]
