"""A real ``kiln-builder`` process for end-to-end tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.hub import BIN


class BuilderProcess:
    """``kiln-builder`` for one host, with its own work directory and log."""

    def __init__(self, hub_url: str, host: str, password: str, plugins: tuple = ("example",), **settings: object):
        self.dir = Path(tempfile.mkdtemp(prefix="kiln-builder-"))
        self.settings = {
            "server": hub_url,
            "host": host,
            "password": password,
            "workdir": str(self.dir / "work"),
            "log_file": str(self.dir / "builder.log"),
            "log_level": "DEBUG",
            "poll_seconds": 5,
            "plugins": " ".join(plugins),
            **settings,
        }
        self.proc: subprocess.Popen | None = None

    @property
    def config_path(self) -> Path:
        return self.dir / "builder.conf"

    def start(self) -> BuilderProcess:
        lines = ["[kiln-builder]"] + [f"{key} = {value}" for key, value in self.settings.items()]
        self.config_path.write_text("\n".join(lines) + "\n")
        self.proc = subprocess.Popen(
            [str(BIN / "kiln-builder"), "--config", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "builder.err", "ab"),  # noqa: SIM115 - lives as long as the process
            start_new_session=True,
        )
        return self

    def log_text(self) -> str:
        return "\n".join(
            (self.dir / name).read_text(errors="replace")
            for name in ("builder.err", "builder.log")
            if (self.dir / name).exists()
        )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9 of the daemon alone: its task processes (groups of their own) live on."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


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
