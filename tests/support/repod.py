"""A real ``kiln-repod`` process for end-to-end tests."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.support.hub import BIN


class RepodProcess:
    """``kiln-repod`` logged in as an account with the repo permission, with its own config and log."""

    def __init__(self, hub_url: str, user: str, password: str, **settings: object) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kiln-repod-"))
        self.settings = {
            "server": hub_url,
            "user": user,
            "password": password,
            "log_file": str(self.dir / "repod.log"),
            "log_level": "DEBUG",
            **settings,
        }
        self.config_path = self.dir / "repod.conf"
        self.config_path.write_text(
            "\n".join(["[kiln-repod]"] + [f"{k} = {v}" for k, v in self.settings.items()]) + "\n"
        )
        self.proc: subprocess.Popen | None = None

    def command(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "kiln-repod"), "--config", str(self.config_path), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    def start(self) -> RepodProcess:
        self.proc = subprocess.Popen(
            [str(BIN / "kiln-repod"), "--config", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "repod.err", "ab"),  # noqa: SIM115 - lives as long as the process
            start_new_session=True,
        )
        return self

    def log_text(self) -> str:
        return "\n".join(
            (self.dir / n).read_text(errors="replace") for n in ("repod.err", "repod.log") if (self.dir / n).exists()
        )

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code, self.proc = self.proc.returncode, None
        return code

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
