"""A real ``kiln-builder`` process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.support.daemon import DaemonProcess


class BuilderProcess(DaemonProcess):
    """``kiln-builder`` for one host, with its own work directory and log."""

    name = "builder"

    def __init__(self, hub_url: str, host: str, password: str, plugins: tuple = ("example",), **settings: object):
        super().__init__({"server": hub_url, "host": host, "password": password, "poll_seconds": 5, **settings})
        self.settings.setdefault("workdir", str(self.dir / "work"))
        self.settings.setdefault("plugins", " ".join(plugins))

    def kill(self) -> None:
        """kill -9 of the daemon alone: its task processes (groups of their own) live on."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def processes_with_args(*args: str) -> list[int]:
    """Pids of processes whose command line is exactly ``args``."""
    wanted = "\0".join(args) + "\0"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
            status = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if cmdline == wanted and status.rsplit(")", 1)[1].split()[0] != "Z":
            found.append(int(entry))
    return found


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
