"""Batched reads in a multicall answer exactly as the same calls made one by one.

A run of consecutive calls to one read method with a batch form (hub/rpc.py)
is answered with one query; these tests send each run both ways, over the
official koji client, and compare answers, types and faults (unknown ids,
``strict``, malformed ids) entry by entry.
"""

from __future__ import annotations

import re
import xmlrpc.client

import koji

from tests.conftest import unique


def one_by_one(session: koji.ClientSession, calls: list[tuple]) -> list:
    answers = []
    for method, args, kwargs in calls:
        try:
            answers.append([getattr(session, method)(*args, **kwargs)])
        except koji.GenericError as exc:
            answers.append({"faultCode": exc.faultCode, "faultString": str(exc)})
    return answers


def batched(session: koji.ClientSession, calls: list[tuple]) -> list:
    with session.multicall(strict=False) as m:
        pending = [getattr(m, method)(*args, **kwargs) for method, args, kwargs in calls]
    answers = []
    for call in pending:
        try:
            answers.append([call.result])
        except (koji.GenericError, xmlrpc.client.Fault) as exc:  # a call failing unexpectedly gives code 1
            text = getattr(exc, "faultString", str(exc))
            # An internal error's reference to the hub's log differs from one call to the next.
            answers.append({"faultCode": exc.faultCode, "faultString": re.sub(r"reference \w+", "reference", text)})
    return answers


def test_get_task_info_batched_and_one_by_one_agree(admin):
    channel = unique("batchchan")
    admin.addChannel(channel)
    made = [admin.makeTask("sleep", [i], channel=channel) for i in range(3)]
    calls = [
        ("getTaskInfo", (made[0],), {}),
        ("getTaskInfo", (made[1],), {"request": True}),
        ("getTaskInfo", (str(made[2]),), {}),
        ("getTaskInfo", (99_999_999,), {}),
        ("getTaskInfo", (99_999_999,), {"strict": True}),
        ("getTaskInfo", ("abc",), {}),
        ("getTaskInfo", (made,), {"request": True}),
        ("getTaskInfo", (made[0], True, True), {}),
        ("getTaskInfo", (), {}),
    ]
    together = batched(admin, calls)
    assert together == one_by_one(admin, calls)
    assert together[0][0]["id"] == made[0] and "request" in together[1][0] and together[3] == [None]
    assert together[4]["faultString"].endswith(f"No such task: {99_999_999}")
    assert together[5]["faultCode"] == koji.ParameterError.faultCode
    for task_id in made:
        admin.cancelTask(task_id)


def test_get_build_batched_and_one_by_one_agree(admin):
    name = unique("batchpkg")
    ids = [admin.createEmptyBuild(name, "1.0", str(i), None) for i in range(3)]
    calls = [
        ("getBuild", (ids[0],), {}),
        ("getBuild", (ids[1],), {"strict": True}),
        ("getBuild", (f"{name}-1.0-2",), {}),  # by N-V-R: answered as a single call
        ("getBuild", ({"name": name, "version": "1.0", "release": "0"},), {}),
        ("getBuild", (99_999_999,), {}),
        ("getBuild", (99_999_999,), {"strict": True}),
        ("getBuild", (f"{name}-9-9",), {"strict": True}),
        ("getBuild", (True,), {}),
        ("getBuild", (), {}),
    ]
    together = batched(admin, calls)
    assert together == one_by_one(admin, calls)
    assert [together[i][0]["id"] for i in (0, 1, 2, 3)] == [ids[0], ids[1], ids[2], ids[0]]
    assert together[4] == [None] and together[5]["faultString"].endswith("No such build: 99999999")


def test_get_package_and_get_user_batched_and_one_by_one_agree(hub, admin):
    from tests.conftest import make_user

    name = unique("batchpkg")
    build_id = admin.createEmptyBuild(name, "1.0", "1", None)
    package_id = admin.getBuild(build_id)["package_id"]
    packages = [
        ("getPackage", (package_id,), {}),
        ("getPackage", (name,), {}),
        ("getPackage", ({"name": name},), {}),
        ("getPackage", (unique("nopkg"),), {}),
        ("getPackage", (unique("nopkg"),), {"strict": True}),
        ("getPackage", (99_999_999,), {"strict": True}),
        ("getPackage", (name,), {"create": True}),
        ("getPackage", ([1],), {}),
    ]
    together = batched(admin, packages)
    assert together == one_by_one(admin, packages)
    assert together[0] == together[1] == [{"id": package_id, "name": name}]

    user, _password = make_user(hub, admin)
    user_id = admin.getUser(user)["id"]
    users = [
        ("getUser", (user_id,), {}),
        ("getUser", (user,), {"krb_princs": False}),
        ("getUser", (user,), {"groups": True}),
        ("getUser", ("admin",), {}),
        ("getUser", (), {}),  # the caller
        ("getUser", ({"name": user},), {}),
        ("getUser", (unique("nobody"),), {}),
        ("getUser", (unique("nobody"),), {"strict": True}),
        ("getUser", ("someone@EXAMPLE.COM",), {}),
        ("getUser", (99_999_999,), {"strict": True}),
        ("getUser", (1.5,), {}),
    ]
    together = batched(admin, users)
    assert together == one_by_one(admin, users)
    assert together[0][0]["name"] == user and "krb_principals" not in together[1][0]
    assert together[2][0]["groups"] == [] and together[4][0]["name"] == "admin"
