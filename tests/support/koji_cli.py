"""The official koji CLI (the one installed next to this interpreter), run against a test hub."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support import forkserver
from tests.support.hub import ADMIN, HubProcess

KOJI = Path(sys.executable).parent / "koji"


@dataclass
class KojiCLI:
    """``koji -c CONF [--user U --password P | --noauth] COMMAND ...``, a process forked from the fork server."""

    hub: HubProcess
    config: Path

    def __call__(
        self, *args: str, user: tuple[str, str] | None = ADMIN, check: bool = True
    ) -> subprocess.CompletedProcess:
        # koji's config file ignores user/password keys, so credentials go on the command line
        auth = ["--user", user[0], "--password", user[1]] if user else ["--noauth"]
        result = forkserver.run(
            [str(KOJI), "-c", str(self.config), *auth, *args], env={**os.environ, "TZ": "UTC"}, timeout=60
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"koji {' '.join(args)} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result


def write_koji_conf(hub: HubProcess, path: Path) -> Path:
    """A koji.conf for ``hub`` that fails fast (no retries): the file both koji and kiln read."""
    base = f"http://127.0.0.1:{hub.port}"
    path.write_text(
        "[koji]\n"
        f"server = {hub.url}\n"
        f"weburl = {base}/koji\n"
        f"topurl = {base}/kojifiles\n"
        "anon_retry = false\n"
        "max_retries = 0\n"
    )
    return path
