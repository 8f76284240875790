"""A hub outage of minutes, end to end: a real hub killed and started again, a real kiln-builder riding it out.

The builder's patience is short here (``retry_interval`` 0.5 s, 60 retries:
about 30 s) so that the test stays fast; the hub is away for clearly longer
than a task process's patience used to be (5 retries 2 s apart, about 8 s),
and every task in progress must still end once, as its handler ended.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import koji
import pytest
import requests

from kiln.protocol.xmlrpc import loads
from tests.conftest import channel_builder
from tests.support.builder import BuilderProcess, wait_for
from tests.support.hub import HubProcess

pytestmark = pytest.mark.slow  # a builder waiting out hubs killed, restarted and taken offline

CLOSED, FAILED, CANCELED = (koji.TASK_STATES[s] for s in ("CLOSED", "FAILED", "CANCELED"))
FINISHED = (CLOSED, FAILED, CANCELED)
OUTAGE_SECONDS = 12.0  # clearly past the old limit of about 8 s
PATIENCE = {"retry_interval": 0.5, "max_retries": 60}  # about 30 s, in place of kojid's 2 hours


class LossyProxy:
    """A front proxy that loses the hub's reply (a 502 after the hub did the call) to the first call of some methods.

    As a balancer whose hub went away between doing a call and answering it.
    """

    def __init__(self, target: str, lose: set[str]) -> None:
        self.target, self.lose, self.lost = target, set(lose), []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                method = loads(body)[1] if self.headers.get("Content-Type") == "text/xml" else None
                headers = {k: v for k, v in self.headers.items() if k.startswith("Koji-") or k == "Content-Type"}
                query = self.path.partition("?")[2]
                url = proxy.target + (f"?{query}" if query else "")
                reply = requests.post(url, data=body, headers=headers, timeout=120)
                if method in proxy.lose:
                    proxy.lose.discard(method)
                    proxy.lost.append(method)
                    return self._reply(502, b"bad gateway\n", "text/plain")
                return self._reply(reply.status_code, reply.content, reply.headers["Content-Type"])

            def _reply(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/kojihub"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_builder(request: pytest.FixtureRequest, hub: HubProcess, admin: koji.ClientSession, channel: str, url: str):
    """A running kiln-builder serving ``channel`` only, through ``url``, waiting out an unreachable hub about 30 s."""
    session, host_id = channel_builder(hub, admin, channel)
    name = admin.getHost(host_id)["name"]
    session.logout()  # the daemon takes the host over
    process = BuilderProcess(url, name, "hostpw", check_seconds=0.5, **PATIENCE).start()
    request.addfinalizer(process.cleanup)
    request.node.builder_log = process.log_text
    return process


@pytest.fixture
def builder(request: pytest.FixtureRequest, hub: HubProcess, admin: koji.ClientSession, channel: str) -> Iterator:
    yield start_builder(request, hub, admin, channel, hub.url)


def task_info(admin: koji.ClientSession, task_id: int) -> dict | None:
    """The task's info, or None while the hub does not answer yet (the client's pooled connection died with it)."""
    try:
        return admin.getTaskInfo(task_id)
    except (requests.RequestException, OSError):
        return None


def task_log(admin: koji.ClientSession, task_id: int) -> str:
    try:
        return admin.downloadTaskOutput(task_id, "task.log").decode()
    except koji.GenericError:
        return ""  # not uploaded yet


def ended(admin: koji.ClientSession, task_id: int, builder: BuilderProcess, timeout: float = 40.0) -> dict:
    def done() -> dict | None:
        info = task_info(admin, task_id)
        return info if info and info["state"] in FINISHED else None

    try:
        return wait_for(done, timeout, interval=0.2, what=f"task {task_id} to end")
    except AssertionError:
        print(builder.log_text())
        raise


def test_a_task_rides_out_a_hub_outage_and_closes_exactly_once(hub, admin, channel, builder):
    task_id = admin.makeTask("sleep", [3], channel=channel)
    wait_for(lambda: "sleeping for 3 seconds" in task_log(admin, task_id), 30, what="the task to run")
    hub.kill()  # as a crash, or a balancer's restart: connections refused
    time.sleep(OUTAGE_SECONDS)  # the task ends while the hub is away, and keeps trying to report
    hub.start_again()  # the same port and database
    info = ended(admin, task_id, builder)
    assert info["state"] == CLOSED, builder.log_text()
    assert admin.getTaskResult(task_id) is None
    # run once: one start, one end, never freed or failed by the daemon for a child that gave up
    text = task_log(admin, task_id)
    assert text.count("sleeping for 3 seconds") == 1 and text.count("finished sleeping") == 1, text
    notes = [m["msg"] for m in admin.scheduler.getLogMessages([["task_id", "=", task_id]])]
    assert not [n for n in notes if "freed" in n], notes
    assert "without reporting" not in builder.log_text()
    # the daemon carries on: the next task is taken and closed
    after = admin.makeTask("sleep", [0], channel=channel)
    assert ended(admin, after, builder)["state"] == CLOSED
    assert builder.running()


LOST = {"host.openTask", "host.subtask", "host.closeTask", "host.failTask"}


def test_writes_whose_reply_was_lost_count_once(request, hub, admin, channel):
    """The hub did the call, the reply never came: the retry's RetryError means done, never twice, never a failure."""
    proxy = LossyProxy(hub.url, LOST)
    request.addfinalizer(proxy.close)
    builder = start_builder(request, hub, admin, channel, proxy.url)
    task_id = admin.makeTask("waittest", [1, 0.1], channel=channel)
    info = ended(admin, task_id, builder)
    assert info["state"] == CLOSED, builder.log_text()
    assert sorted(proxy.lost) == sorted(LOST)  # each lost once
    children = sorted((c["label"], c["state"]) for c in admin.getTaskChildren(task_id))
    assert children == [("0", CLOSED), ("bad", FAILED)]  # one child per subtask call
    assert "without reporting" not in builder.log_text()
    assert builder.running()


def test_a_hub_offline_for_maintenance_is_waited_out(hub, admin, channel, builder):
    """ServerOffline (kojihub's ServerOffline setting) is the hub saying "later": the daemon and its tasks wait."""
    task_id = admin.makeTask("sleep", [2], channel=channel)
    wait_for(lambda: "sleeping for 2 seconds" in task_log(admin, task_id), 30, what="the task to run")
    hub.stop()
    hub.settings.update(offline=True, offline_message="down for maintenance")
    hub.start_again()
    try:
        wait_for(lambda: "down for maintenance" in builder.log_text(), 30, what="the builder to meet the offline hub")
        time.sleep(1)  # the task ends meanwhile, and keeps trying to report
    finally:
        hub.stop()
        hub.settings.update(offline=False)
        hub.start_again()
    assert ended(admin, task_id, builder)["state"] == CLOSED, builder.log_text()
    after = admin.makeTask("sleep", [0], channel=channel)
    assert ended(admin, after, builder)["state"] == CLOSED
    assert builder.running()
