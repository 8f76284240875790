"""multiCall: one transaction, a savepoint per call, faults as entries."""

from __future__ import annotations

import koji
import pytest

from kiln.hub.rpc import build_registry
from tests.conftest import ADMIN, koji_session, start_hub, unique


def test_results_are_one_element_lists_and_faults_are_structs(admin):
    admin.multicall = True
    admin.getAPIVersion()
    admin.callMethod("noSuchMethod")
    admin.echo(1, None)
    raw = admin.multiCall()
    assert raw[0] == [1]
    assert raw[1]["faultCode"] == 1000 and raw[1]["faultString"] == "Invalid method: noSuchMethod"
    assert raw[2] == [[1, None]]


def test_a_failing_call_rolls_back_only_itself(admin, anon):
    good, dup = unique("mc"), unique("mc")
    admin.createUser(dup)
    with admin.multicall() as m:
        created = m.createUser(good)
        failed = m.createUser(dup)  # already exists
        perm = m.grantPermission(good, "tag")
    assert isinstance(created.result, int)
    with pytest.raises(koji.GenericError, match=f"user already exists: {dup}"):
        _ = failed.result
    assert perm.result is None
    assert anon.getUser(good)["id"] == created.result
    assert anon.getUserPerms(good) == ["tag"]


def test_a_failing_call_mid_way_keeps_neither_its_own_half_writes(admin, anon):
    # addHostToChannel on a missing channel fails after nothing; grantPermission on a
    # perm the user already has fails after the lookup: both leave no trace, the rest stays.
    name = unique("mc")
    m = admin.multicall(strict=False)
    first = m.createUser(name)
    second = m.grantPermission(name, "tag")
    third = m.grantPermission(name, "tag")
    m.call_all()
    assert isinstance(first.result, int) and second.result is None
    with pytest.raises(koji.GenericError, match="already has permission"):
        _ = third.result
    history = anon.queryHistory(tables=["user_perms"], user=name)["user_perms"]
    assert len(history) == 1


def test_strict_raises_the_first_fault_after_all_ran(admin, anon):
    name = unique("mc")
    with pytest.raises(koji.GenericError, match="No such user"), admin.multicall(strict=True) as m:
        m.getUser(unique("ghost"), strict=True)
        m.createUser(name)
    assert anon.getUser(name) is not None


def test_batches_are_separate_transactions(admin, anon):
    names = [unique("b") for _ in range(5)]
    with admin.multicall(batch=2) as m:
        calls = [m.createUser(n) for n in names]
    assert [anon.getUser(n)["id"] for n in names] == [c.result for c in calls]


def test_each_call_of_a_multicall_gets_its_own_event(admin, anon):
    a, b = unique("ev"), unique("ev")
    with admin.multicall() as m:
        m.createUser(a)
        m.createUser(b)
        m.grantPermission(a, "tag")
        m.grantPermission(b, "tag")
    rows = anon.queryHistory(tables=["user_perms"], permission="tag")["user_perms"]
    events = {r["user.name"]: r["create_event"] for r in rows if r["user.name"] in (a, b)}
    assert events[a] != events[b]


def test_nested_multicall_runs_as_koji_does(admin):
    admin.multicall = True
    admin.callMethod("multiCall", [{"methodName": "getAPIVersion", "params": []}])
    result = admin.multiCall()
    assert result == [[[[1]]]]


def test_multicall_methods_are_checked_for_access(anon):
    name = unique("mc")
    anon.multicall = True
    anon.createUser(name)
    anon.getAPIVersion()
    result = anon.multiCall()
    assert result[0]["faultCode"] == koji.ActionNotAllowed.faultCode
    assert result[1] == [1]
    assert anon.getUser(name) is None


def test_registry_knows_which_calls_write():
    registry = build_registry()
    assert registry.writes("createUser", ())
    assert not registry.writes("getUser", ())
    calls = [{"methodName": "getUser", "params": []}, {"methodName": "createUser", "params": []}]
    assert registry.writes("multiCall", (calls,))
    assert not registry.writes("multiCall", (calls[:1],))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_crash_in_the_middle_commits_nothing(request, tmp_path, backend):
    hub = start_hub(request, backend, tmp_path, plugins="example")
    admin = koji_session(hub, *ADMIN)
    before, after = unique("crash"), unique("crash")
    admin.multicall = True
    admin.createUser(before)
    admin.callMethod("example.crash")  # the worker dies mid-transaction
    admin.createUser(after)
    with pytest.raises(Exception):  # noqa: B017 - the connection drops, whatever the exception
        admin.multiCall()
    hub.wait_ready()
    anon = koji_session(hub)
    assert anon.getUser(before) is None
    assert anon.getUser(after) is None
    assert anon.hello() == "Hello World"


def test_a_run_of_gethost_calls_answers_each_call_as_single_calls_would(admin, anon):
    names = [unique("mh") for _ in range(3)]
    ids = [admin.addHost(n, ["x86_64"]) for n in names]
    event = anon.getLastEvent()["id"]
    admin.editHost(names[0], capacity=9)
    missing = unique("nohost")
    anon.multicall = True
    anon.getHost(ids[0])
    anon.getHost(names[1])
    anon.getHost(missing)
    anon.getHost(missing, strict=True)
    anon.getHost(ids[0], event=event)
    anon.getHost({"name": names[2]})
    anon.getHost()
    anon.getHost(ids[2], bogus=1)
    anon.getAPIVersion()
    anon.getHost(ids[1])
    batched = anon.multiCall()
    singles = []
    for call in (
        lambda: anon.getHost(ids[0]),
        lambda: anon.getHost(names[1]),
        lambda: anon.getHost(missing),
    ):
        singles.append([call()])
    assert batched[:3] == singles
    assert batched[0][0]["capacity"] == 9.0
    assert batched[3]["faultCode"] == 1000 and batched[3]["faultString"] == f"Invalid hostInfo: {missing}"
    assert batched[4][0]["capacity"] == 2.0  # as of the event
    assert batched[5][0]["id"] == ids[2]
    assert batched[6]["faultCode"] == koji.ParameterError.faultCode
    assert "getHost() missing 1 required positional argument: 'hostInfo'" in batched[6]["faultString"]  # as singly
    assert batched[7]["faultCode"] == koji.ParameterError.faultCode
    assert "unexpected keyword argument 'bogus'" in batched[7]["faultString"]
    assert batched[8] == [1]
    assert batched[9][0]["name"] == names[1]
