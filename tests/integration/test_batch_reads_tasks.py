"""A multicall's runs of getTaskChildren and getTaskDescendents answer as the same calls one by one.

Both are list-valued reads with batch forms (api/tasks.py): a task without
children still answers ``[]`` (or ``{str(id): []}``), and only a ``strict``
getTaskChildren faults on an unknown task.  Each run goes both ways over the
official koji client, compared entry by entry (tests/integration/test_batch_reads.py).
"""

from __future__ import annotations

import koji

from tests.conftest import open_task
from tests.integration.test_batch_reads import batched, one_by_one

UNKNOWN = 99_999_999


def _tree(hub, admin: koji.ClientSession) -> tuple[int, list[int], int, int]:
    """An OPEN parent with two children, the first OPEN with one child of its own; and a task with none."""
    session, _host_id, channel, parent = open_task(hub, admin, "batchtree")
    kids = [session.host.subtask("buildArch", [i], parent, label=f"l{i}") for i in range(2)]
    session.host.getTasks()
    session.host.openTask(kids[0])
    grandchild = session.host.subtask("createrepo", ["g"], kids[0])
    lonely = admin.makeTask("sleep", [1], channel=channel)
    return parent, kids, grandchild, lonely


def test_get_task_children_batched_and_one_by_one_agree(hub, admin):
    parent, kids, grandchild, lonely = _tree(hub, admin)
    calls = [
        ("getTaskChildren", (parent,), {}),
        ("getTaskChildren", (parent,), {"request": True}),
        ("getTaskChildren", (str(kids[0]),), {}),
        ("getTaskChildren", (kids[1],), {"strict": True}),  # known, no children
        ("getTaskChildren", (lonely,), {}),
        ("getTaskChildren", (UNKNOWN,), {}),
        ("getTaskChildren", (UNKNOWN,), {"strict": True}),
        ("getTaskChildren", (kids[0],), {"strict": True, "request": True}),
        ("getTaskChildren", ("abc",), {}),
        ("getTaskChildren", ("abc",), {"strict": True}),
        ("getTaskChildren", (1.5,), {}),
        ("getTaskChildren", ([parent],), {}),
        ("getTaskChildren", (parent, True, True), {}),
        ("getTaskChildren", (), {}),
        ("getTaskChildren", (parent,), {"recurse": True}),
        ("getTaskChildren", (parent,), {}),
    ]
    together = batched(admin, calls)
    assert together == one_by_one(admin, calls)
    assert [t["id"] for t in together[0][0]] == kids and together[0] == together[-1]
    assert together[1][0][0]["request"] == [0] and "request" not in together[0][0][0]
    assert [t["id"] for t in together[2][0]] == [grandchild]
    assert together[3] == together[4] == together[5] == [[]]
    assert together[6]["faultString"].endswith(f"No such task: {UNKNOWN}")
    assert together[7][0][0]["request"] == ["g"]
    for i in (8, 9, 10, 11, 13, 14):
        assert together[i]["faultCode"] == koji.ParameterError.faultCode
    admin.cancelTask(parent)
    admin.cancelTask(lonely)


def test_get_task_descendents_batched_and_one_by_one_agree(hub, admin):
    parent, kids, grandchild, lonely = _tree(hub, admin)
    calls = [
        ("getTaskDescendents", (parent,), {}),
        ("getTaskDescendents", (parent,), {"request": True}),
        ("getTaskDescendents", (str(kids[0]),), {}),
        ("getTaskDescendents", (kids[1],), {}),
        ("getTaskDescendents", (lonely,), {"request": True}),
        ("getTaskDescendents", (UNKNOWN,), {}),
        ("getTaskDescendents", ("abc",), {}),
        ("getTaskDescendents", (None,), {}),
        ("getTaskDescendents", (parent,), {"strict": True}),
        ("getTaskDescendents", (), {}),
        ("getTaskDescendents", (kids[0], True), {}),
        ("getTaskDescendents", (parent,), {}),
    ]
    together = batched(admin, calls)
    assert together == one_by_one(admin, calls)
    tree = together[0][0]
    assert list(tree) == [str(i) for i in (parent, *kids, grandchild)]  # breadth first
    assert [t["id"] for t in tree[str(parent)]] == kids and tree[str(kids[1])] == tree[str(grandchild)] == []
    assert together[1][0][str(kids[0])][0]["request"] == ["g"] and together[0] == together[-1]
    assert together[2] == [{str(kids[0]): tree[str(kids[0])], str(grandchild): []}]
    assert together[3] == [{str(kids[1]): []}] and together[4] == [{str(lonely): []}]
    assert together[5] == [{str(UNKNOWN): []}]
    for i in (6, 7, 8, 9):
        assert together[i]["faultCode"] == koji.ParameterError.faultCode
    admin.cancelTask(parent)
    admin.cancelTask(lonely)
