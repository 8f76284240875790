"""Running ``kiln`` in tests, and comparing what it prints with what ``koji`` prints.

Both clients read one koji.conf (kiln accepts koji's format as it is) and
run with TZ=UTC, so times print alike.  A module comparing them uses the
``koji_cli`` fixture of its own (``KojiCLI(hub, write_koji_conf(...))``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import forkserver
from tests.support.koji_cli import KojiCLI

KILN = Path(sys.executable).parent / "kiln"


def kiln(
    config: Path,
    *args: str,
    user: tuple[str, str] | None = None,
    timeout: float = 60,
    cwd: str | os.PathLike | None = None,
) -> subprocess.CompletedProcess:
    """``kiln -c CONFIG [--user U --password P] ARGS`` with TZ=UTC; never raises on a non-zero exit.

    The run is a process forked from the fork server (tests/support/forkserver.py).
    """
    auth = ["--user", user[0], "--password", user[1]] if user else []
    environ = {k: v for k, v in os.environ.items() if k != "KILN_SERVER"}
    return forkserver.run(
        [str(KILN), "-c", str(config), *auth, *args], env={**environ, "TZ": "UTC"}, cwd=cwd, timeout=timeout
    )


def same_output(koji_cli: KojiCLI, *args: str, user: tuple[str, str] | None = None) -> str:
    """Run ``kiln ARGS`` and ``koji ARGS``; assert they print the same and exit alike; return the text."""
    ours = kiln(koji_cli.config, *args, user=user)
    theirs = koji_cli(*args, user=user, check=False)
    assert ours.returncode == theirs.returncode, (ours.stderr, theirs.stderr)
    assert ours.stdout == theirs.stdout, (ours.stderr, theirs.stderr, ours.stdout, theirs.stdout)
    assert ours.returncode != 0 or ours.stderr == theirs.stderr == "", (ours.stderr, theirs.stderr)
    return ours.stdout


def kiln_json(koji_cli: KojiCLI, *args: str, user: tuple[str, str] | None = None) -> object:
    """``kiln ARGS --json``, parsed (the run must succeed)."""
    done = kiln(koji_cli.config, *args, "--json", user=user)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def plain(data: object) -> object:
    """The hub's answer as JSON would carry it (what ``--json`` promises)."""
    return json.loads(json.dumps(data, default=str))
