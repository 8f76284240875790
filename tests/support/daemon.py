"""A kiln daemon (kiln-builder, kiln-repod) as a real process: its own directory, config file and logs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.hub import BIN


class DaemonProcess:
    """``kiln-<name> --config DIR/<name>.conf`` with ``settings`` in its ``[kiln-<name>]`` section."""

    name = ""

    def __init__(self, settings: dict[str, object]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"kiln-{self.name}-"))
        self.settings = {"log_file": str(self.dir / f"{self.name}.log"), "log_level": "DEBUG", **settings}
        self.proc: subprocess.Popen | None = None

    @property
    def config_path(self) -> Path:
        return self.dir / f"{self.name}.conf"

    def _argv(self, *args: str) -> list[str]:
        lines = [f"[kiln-{self.name}]"] + [f"{key} = {value}" for key, value in self.settings.items()]
        self.config_path.write_text("\n".join(lines) + "\n")
        return [str(BIN / f"kiln-{self.name}"), "--config", str(self.config_path), *args]

    def command(self, *args: str) -> subprocess.CompletedProcess:
        """The daemon's command run to its end (``--once`` and the like)."""
        return subprocess.run(self._argv(*args), capture_output=True, text=True, timeout=60)

    def start(self) -> DaemonProcess:
        self.proc = subprocess.Popen(
            self._argv(),
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / f"{self.name}.err", "ab"),  # noqa: SIM115 - lives as long as the process
            start_new_session=True,
        )
        return self

    def log_text(self) -> str:
        names = (f"{self.name}.err", f"{self.name}.log")
        return "\n".join((self.dir / n).read_text(errors="replace") for n in names if (self.dir / n).exists())

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL to its process group after 15 s; its exit status (None if not started)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        code, self.proc = self.proc.returncode, None
        return code

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def timed_stop(process: DaemonProcess) -> tuple[int | None, float]:
    """``process.stop()``: the daemon's exit status, and the seconds it took to exit."""
    started = time.monotonic()
    code = process.stop()
    return code, time.monotonic() - started
