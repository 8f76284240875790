"""Builder side: task handlers a third party might ship, for kiln-builder's tests.

Enable it with ``plugins = example`` in the builder's ``[kiln-builder]`` section.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from kiln.builder.buildroot import BuildRootRequest
from kiln.builder.handler import BaseTaskHandler
from kiln.builder.hookspecs import hookimpl


class EchoTask(BaseTaskHandler):
    """Answers its arguments: the plugin's handler ran, with what it was given."""

    Methods = ["example.echo"]

    def handler(self, *args: Any, **kwargs: Any) -> dict:
        self.logger.info("echo %r %r", args, kwargs)
        return {"args": list(args), "kwargs": kwargs, "pid": os.getpid()}


class CrashTask(BaseTaskHandler):
    """Its process dies without a word, as a segfaulting tool would take it down."""

    Methods = ["example.crash"]

    def handler(self) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


class SpinTask(BaseTaskHandler):
    """Runs ``sleep <seconds>`` as a child process (visible to tests by its arguments), logging first."""

    Methods = ["example.spin"]

    def handler(self, seconds: float) -> str:
        self.logger.info("spinning for %s seconds", seconds)
        subprocess.run(["sleep", str(seconds)], check=True)
        return "spun"


class FailFastTask(BaseTaskHandler):
    """Three children, the second of which fails: with failany the others are cancelled."""

    Methods = ["example.failfast"]

    def handler(self, seconds: int = 30) -> None:
        children = [
            self.subtask("sleep", [seconds], label="first"),
            self.subtask("sleep", ["BAD_ARG"], label="second"),
            self.subtask("sleep", [seconds], label="third"),
        ]
        self.wait(children, all=True, failany=True)


class CheckoutTask(BaseTaskHandler):
    """Checks an SCM URL out; answers the commit and the files it got."""

    Methods = ["example.checkout"]

    def handler(self, url: str) -> dict:
        found = self.checkout_scm(url)
        root = Path(found["path"])
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
        return {"commit": found["commit"], "files": [f for f in files if not f.startswith(".svn")]}


class InRootTask(BaseTaskHandler):
    """Runs a command in a build root made from ``repo`` with ``packages``; answers its output."""

    Methods = ["example.inroot"]

    def handler(self, repo: str, packages: list, argv: list) -> dict:
        root = self.buildroot(BuildRootRequest(repo=repo, arch="x86_64", packages=packages))
        log = self.workdir / "inroot.log"
        status = root.run(argv, log)
        self.upload_file(log)
        root.destroy()
        return {"status": status, "output": log.read_text(), "components": [p.nvra for p in root.components]}


@hookimpl
def kiln_builder_handlers() -> list:
    return [EchoTask, CrashTask, SpinTask, FailFastTask, CheckoutTask, InRootTask]
