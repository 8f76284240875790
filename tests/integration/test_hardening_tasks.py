"""Wrong arguments to the task, host, scheduler and session calls: a Koji fault that names the problem.

Issue 18's cases, each once on SQLite and once on PostgreSQL: never an
internal error (fault 1), never SQL in the text, and the same answer on
both databases (an id beyond 32 bits is refused alike, not "not found" on
one and a fault on the other).
"""

from __future__ import annotations

from typing import Any

import koji
import pytest

from tests.conftest import host_session, koji_session, make_user, open_task
from tests.integration import test_fuzz_api as fuzz
from tests.support.faults import check_fault, fault_of
from tests.support.hub import HubProcess


def raw_fault(caller: fuzz.Caller, method: str, *args: Any) -> dict:
    """A fault for arguments the koji client cannot send (numbers beyond 64 bits)."""
    answer = caller.post(method, args)
    assert isinstance(answer, dict) and "faultCode" in answer, answer
    check_fault(answer["faultCode"], answer["faultString"])
    return answer


@pytest.fixture
def host(hub: HubProcess, admin: koji.ClientSession) -> koji.ClientSession:
    session, _host_id = host_session(hub, admin)
    return session


@pytest.mark.parametrize(
    ("method", "args", "words"),
    [
        ("listTasks", (23,), ("opts",)),
        ("listTasks", ("admin",), ("opts",)),
        ("listTasks", ({"owner": "plain"},), ("owner", "plain")),
        ("listTasks", ({"state": [{"x": 1}]},), ("state",)),
        ("listTasks", ({"method": ["build"]},), ("method",)),
        ("listTasks", ({}, {"limit": -1}), ("limit",)),
        ("queryHistory", (0,), ("tables",)),
        ("queryHistory", ([["user_perms"]],), ("history table",)),
        ("listHosts", (1,), ("arches",)),
        ("listHosts", ([["x86_64"]],), ("arches",)),
        ("scheduler.getLogMessages", (1,), ("clauses",)),
        ("scheduler.getLogMessages", ([["task_id", "=", {"x": 1}]],), ("task_id",)),
        ("scheduler.getLogMessages", ([["task_id", True]],), ("task_id",)),
        ("scheduler.getLogMessages", ([["msg", "IN", [5]]],), ("msg",)),
        ("scheduler.getLogMessages", ([["nosuch", 1]],), ("nosuch",)),
        ("hasPerm", ({}, True), ("perm",)),
        ("getEvent", ([],), ("id",)),
        ("getHost", ({"id": "x"},), ("x",)),
        ("getChannel", ({"id": [1]},), ("channel",)),
        ("getTaskInfo", ("x",), ("task_id",)),
    ],
)
def test_anonymous_calls_name_the_problem(anon: koji.ClientSession, method: str, args: tuple, words: tuple) -> None:
    call = anon
    for part in method.split("."):
        call = getattr(call, part)
    fault_of(lambda: call(*args), *words)


def test_filter_opts_are_checked(anon: koji.ClientSession) -> None:
    fault_of(lambda: anon.countAndFilterResults("listHosts", filterOpts={"limit": "x"}), "limit")
    fault_of(lambda: anon.countAndFilterResults("listHosts", filterOpts=[1]), "filterOpts")


def test_history_bounds_are_checked(anon: koji.ClientSession) -> None:
    fault_of(lambda: anon.queryHistory(after="yesterday"), "after")
    fault_of(lambda: anon.queryHistory(afterEvent="x"), "afterEvent")
    assert isinstance(anon.queryHistory(tables=["user_perms"], after="2000-01-01"), dict)


def test_scheduler_log_takes_kojis_clauses(anon: koji.ClientSession) -> None:
    """``[field, value]`` as the koji CLI's scheduler-logs sends it, and ``[field, op, value]``."""
    assert anon.scheduler.getLogMessages([["task_id", 1]], fields=("id", "msg")) == []
    assert anon.scheduler.getLogMessages([["task_id", "IN", [1, 2]]], opts={"order": "-id", "limit": 5}) == []
    assert anon.scheduler.getLogMessages([["task_id", "1"], ["msg_ts", ">", 0], ["host_ready", True]]) == []


def test_logout_child_and_login(hub: HubProcess, admin: koji.ClientSession) -> None:
    user = koji_session(hub, *make_user(hub, admin))
    fault_of(lambda: user.logoutChild([1]), "session_id")
    caller = fuzz.Caller(hub.url)
    for value in (2**31, 2**63, -(2**63) - 1):
        raw_fault(caller, "login", value, "pw")
        raw_fault(caller, "login", "admin", "pw", {"hostip": value})
    assert user.getLoggedInUser() is not None


def test_build_root_calls(host: koji.ClientSession) -> None:
    fault_of(lambda: host.host.setBuildRootState([1], 1), "brootid")
    fault_of(lambda: host.host.newBuildRoot("x", "noarch"), "repo")
    fault_of(lambda: host.host.newBuildRoot(None, "noarch", [1]), "task_id")


def test_host_task_calls(hub: HubProcess, admin: koji.ClientSession) -> None:
    host, _host_id, _channel, task_id = open_task(hub, admin, "hardening")
    fault_of(lambda: host.host.taskSetWait(task_id, [[1]]), "task id")
    fault_of(lambda: host.host.taskWaitResults(task_id, [], [{"x": 1}]), "task id")
    fault_of(lambda: host.host.subtask("sleep", [1], task_id, parent="x"), "parent")
    fault_of(lambda: host.host.subtask("sleep", [1], 1, label={"x": 1}), "label")
    fault_of(lambda: host.host.freeTasks(["x"]), "task id")
    fault_of(lambda: host.host.setTaskWeight(1, "heavy"), "weight")


@pytest.mark.parametrize("task_id", [2**31, -(2**31) - 1, 2**63 - 1, 2**63, 2**64])
def test_ids_beyond_32_bits_are_parameter_errors(hub: HubProcess, host: koji.ClientSession, task_id: int) -> None:
    """The same answer on both databases: ParameterError naming the parameter."""
    for caller, method in ((fuzz.Caller(hub.url), "getTaskInfo"), (fuzz.Caller(hub.url, host), "host.openTask")):
        answer = raw_fault(caller, method, task_id)
        assert answer["faultCode"] == koji.ParameterError.faultCode, answer
        assert "task_id" in answer["faultString"], answer


def test_numbers_as_text_are_ids_as_in_koji(anon: koji.ClientSession, admin: koji.ClientSession) -> None:
    """Koji converts "12" with int(): so do we, and a missing task is "not found", not a fault 1."""
    task_id = admin.makeTask("sleep", [1])
    assert anon.getTaskInfo(str(task_id))["id"] == task_id
    assert anon.getTaskInfo(str(2**30), strict=False) is None
    fault_of(lambda: anon.getTaskInfo(2**30, strict=True), "No such task")
    fault_of(lambda: anon.getEvent(str(2**30)), "No such event")
