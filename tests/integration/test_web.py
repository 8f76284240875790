"""The web UI's first pages (index, taskinfo) from a real kiln-web process over a real hub.

What a Koji user clicks first: the ``Task info:`` link every ``koji build``
prints.  Bad input gets a page that says what is wrong, never a traceback;
every value from the hub is escaped.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest
import requests

from tests.conftest import channel_builder, task_result, unique
from tests.support.hub import HubProcess, stop_group
from tests.support.pgserver import free_port

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


class WebProcess:
    def __init__(self, hub_url: str, tmp: Path) -> None:
        self.port = free_port()
        self.log = tmp / "web.log"
        self.proc = subprocess.Popen(
            [str(BIN / "kiln-web"), "--hub-url", hub_url, "--listen", f"127.0.0.1:{self.port}", "--workers", "1"]
            + ["--files-url", hub_url.replace("/kojihub", "/kojifiles"), "--log-file", str(self.log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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


@pytest.fixture(scope="module")
def web(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    process = WebProcess(hub.url, tmp_path_factory.mktemp("web"))
    yield process
    stop_group(process.proc)


def no_traceback(page: requests.Response) -> None:
    assert "Traceback" not in page.text and 'File "' not in page.text


def test_taskinfo_shows_a_task_its_children_result_and_output(hub, admin, web):
    channel = unique("webchan")
    admin.addChannel(channel)
    host, host_id = channel_builder(hub, admin, channel)
    parent = admin.makeTask("sleep", ["<b>bold</b>"], channel=channel)
    assert admin.assignTask(parent, host_id)
    host.host.openTask(parent)
    child = host.host.subtask("sleep", [2], parent, label="kid")
    host.uploadWrapper(__file__, f"tasks/{parent % 10000}/{parent}", name="build.log")
    host.host.closeTask(parent, task_result("all <done>"))

    page = web.get(f"taskinfo?taskID={parent}")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    no_traceback(page)
    text = page.text
    assert f"Task {parent}: sleep" in text and "closed" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text and "<b>bold</b>" not in text  # the hub's values are escaped
    assert "all &lt;done&gt;" in text
    assert f'href="/koji/taskinfo?taskID={child}"' in text  # the descendants, linked
    assert admin.getHost(host_id)["name"] in text and channel in text
    assert f"/kojifiles/work/tasks/{parent % 10000}/{parent}/build.log" in text
    assert requests.get(f"http://127.0.0.1:{hub.port}/kojifiles/work/tasks/{parent % 10000}/{parent}/build.log",
                        timeout=10).status_code == 200  # fmt: skip

    kid = web.get(f"taskinfo?taskID={child}")
    assert kid.status_code == 200 and f'href="/koji/taskinfo?taskID={parent}"' in kid.text  # its parent

    failed = admin.makeTask("sleep", [1], channel=channel)
    admin.assignTask(failed, host_id)
    host.host.openTask(failed)
    host.host.failTask(failed, koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(1000, "it <broke>"), methodresponse=1))
    shown = web.get(f"taskinfo?taskID={failed}")
    assert shown.status_code == 200 and "it &lt;broke&gt;" in shown.text and "failed" in shown.text


def test_bad_input_and_unknown_things_get_pages_that_say_so(web):
    for page, status, words in (
        ("taskinfo?taskID=99999999", 404, "There is no task 99999999."),
        ("taskinfo?taskID=abc", 400, "taskID must be a number, not &#39;abc&#39;."),
        ("taskinfo", 400, "This page needs taskID="),
        ("nosuchpage", 404, "There is no page called"),
        ("static/..%2Fapp.py", 404, "No such file."),  # no way out of the static files
    ):
        answer = web.get(page)
        assert answer.status_code == status, page
        assert words in answer.text, (page, answer.text)
        no_traceback(answer)


def test_the_summary_lists_recent_tasks_and_hosts(admin, web):
    task_id = admin.makeTask("sleep", [1])
    page = web.get("index")
    assert page.status_code == 200 and f'href="/koji/taskinfo?taskID={task_id}"' in page.text
    assert f'href="/koji/taskinfo?taskID={task_id}"' in web.get("").text  # /koji/ is the summary too
    no_traceback(page)
    admin.cancelTask(task_id)


def test_a_hub_that_does_not_answer_gets_a_503_page(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/kojihub"
    process = WebProcess(dead, tmp_path)
    try:
        page = process.get("taskinfo?taskID=1")
        assert page.status_code == 503 and f"The hub at {dead} does not answer." in page.text
        no_traceback(page)
    finally:
        process.proc.send_signal(signal.SIGTERM)
        process.proc.wait(timeout=30)
