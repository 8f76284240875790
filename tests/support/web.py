"""kiln-web as a real process in front of a hub, for the web UI's tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support import forkserver
from tests.support.hub import BIN, stop_group
from tests.support.pgserver import free_port

CHROMIUM = Path("/usr/bin/chromium")


class WebProcess:
    def __init__(self, hub_url: str, tmp: Path, *options: str) -> None:
        """``options``: more of kiln-web's command-line options (``--proxy-login``...)."""
        self.port = free_port()
        self.log = tmp / "web.log"
        # forked from the fork server (tests/support/forkserver.py), which has the web's imports done
        with open(self.log.with_suffix(".err"), "wb") as stderr:
            self.proc = forkserver.spawn(
                [str(BIN / "kiln-web"), "--hub-url", hub_url, "--listen", f"127.0.0.1:{self.port}", "--workers", "1"]
                + ["--files-url", hub_url.replace("/kojihub", "/kojifiles"), "--log-file", str(self.log), *options],
                stderr=stderr.fileno(),
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url("static/kiln.css"), timeout=5)
                return
            except requests.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"kiln-web did not start: {self.log.read_text(errors='replace')}") from None
                time.sleep(0.05)

    def url(self, page: str) -> str:
        return f"http://127.0.0.1:{self.port}/koji/{page}"

    def get(self, page: str) -> requests.Response:
        return requests.get(self.url(page), timeout=30)

    def stop(self) -> None:
        stop_group(self.proc)


def no_traceback(page: requests.Response) -> None:
    assert "Traceback" not in page.text and 'File "' not in page.text


@contextmanager
def chromium() -> Iterator:
    """Debian's chromium, driven by Playwright (whose own browser download cannot reach its host here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: the tests may run as root, where chromium's own sandbox will not start
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def pages_show(web: WebProcess, pages: dict[str, list[str]]) -> None:
    """Each page answers 200, without a traceback, and shows each of its words."""
    for page, words in pages.items():
        answer = web.get(page)
        assert answer.status_code == 200, (page, answer.text)
        no_traceback(answer)
        for word in words:
            assert word in answer.text, (page, word)
