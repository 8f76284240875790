"""kiln.client.triage on failures a builder reports: a build root's missing dependencies, a task's bare fault.

(An RPM build's error line in build.log is shown end to end in
tests/e2e/test_web_build.py, with a real rpmbuild.)
"""

from __future__ import annotations

import koji
import pytest

from kiln.client import ClientSession
from kiln.client.triage import why_failed
from tests.conftest import open_task
from tests.support.hub import HubProcess


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


def _fail(host, task_id: int, fault: koji.GenericError) -> None:
    host.host.failTask(
        task_id, koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(fault.faultCode, str(fault)), methodresponse=1)
    )


def test_a_build_root_failure_names_the_missing_dependencies_and_their_line(hub, admin, tmp_path):
    host, host_id, _channel, parent = open_task(hub, admin, "trichan")
    child = host.host.subtask("sleep", [2], parent, label="x86_64")
    admin.assignTask(child, host_id)
    host.host.openTask(child)
    log = tmp_path / "root.log"
    log.write_text("resolving the build root\nnothing in the build tag's repo provides: gcc, make >= 4\n")
    host.uploadWrapper(str(log), f"tasks/{child % 10000}/{child}", name="root.log")
    _fail(host, child, koji.BuildrootError("nothing in the build tag's repo provides: gcc, make >= 4"))
    _fail(host, parent, koji.BuildError(f"task {child} failed"))

    anonymous = ClientSession(hub.url)
    finding = why_failed(anonymous, parent)  # from the top: the deepest failed task is the one to read
    assert finding is not None and (finding.task_id, finding.log, finding.line) == (child, "root.log", 2)
    assert finding.missing == ["gcc", "make >= 4"]
    assert finding.summary == "Missing build dependencies: gcc, make >= 4"
    assert finding.offset == 0 and finding.lines[-1].startswith("nothing in the build tag's repo provides")


def test_a_failure_without_logs_is_its_fault_and_a_success_is_nothing(hub, admin):
    host, _host_id, channel, task_id = open_task(hub, admin, "trichan")
    _fail(host, task_id, koji.GenericError("the disk is full"))
    finding = why_failed(ClientSession(hub.url), task_id)
    assert finding is not None and finding.summary.endswith("the disk is full") and finding.log == ""
    fine = admin.makeTask("sleep", [1], channel=channel)
    assert why_failed(ClientSession(hub.url), fine) is None
    admin.cancelTask(fine)
