"""The batch forms of the tag, target and repo reads answer as the calls made one by one.

A multicall's run of getTag, getBuildTarget, repoInfo, getRepo or repo.get is
answered from one query (hub/rpc.py, api/batches.py); each run here is sent
both ways through the official koji client and compared entry by entry:
answers, types and faults (unknown and malformed ids and names, ``strict``,
missing arguments, ``event=`` calls, which the batch leaves to the method).
"""

from __future__ import annotations

import koji

from tests.conftest import host_session, unique
from tests.integration.test_batch_reads import batched, one_by_one

UNKNOWN = 99_999_999
READY, INIT = koji.REPO_STATES["READY"], koji.REPO_STATES["INIT"]


def agree(session: koji.ClientSession, method: str, calls: list[tuple[tuple, dict]]) -> list:
    """The entries of ``calls`` to ``method``, batched, after checking them against one by one."""
    run = [(method, args, kwargs) for args, kwargs in calls]
    together = batched(session, run)
    assert together == one_by_one(session, run)
    return together


def fault(entry: object) -> str:
    assert isinstance(entry, dict), entry
    return entry["faultString"]


def test_get_tag_batched_and_one_by_one_agree(admin):
    name, plain, gone = unique("batchtag"), unique("batchtag"), unique("batchtag")
    tag_id = admin.createTag(name, arches="x86_64", extra={"b": [1, 2], "a": {"x": "y"}, "blocked": 1})
    before = admin.getLastEvent()["id"]
    admin.editTag2(name, block_extra=["blocked"], locked=True, perm="admin")
    plain_id = admin.createTag(plain)
    admin.createTag(gone)
    admin.deleteTag(gone)
    calls = [
        ((tag_id,), {}),
        ((name,), {}),
        ((name,), {"blocked": True}),
        ((plain_id,), {"strict": True}),
        ((plain,), {"blocked": True}),
        (({"name": name},), {}),
        (({"id": plain_id},), {"strict": True}),
        ((gone,), {}),
        ((gone,), {"strict": True}),
        ((UNKNOWN,), {}),
        ((UNKNOWN,), {"strict": True}),
        ((unique("notag"),), {"strict": True}),
        ((name,), {"event": before}),
        ((tag_id,), {"event": before, "blocked": True}),
        ((plain,), {"event": before, "strict": True}),
        ((True,), {}),
        ((1.5,), {}),
        ((None,), {}),
        ((), {}),
        ((name, False, None, False, "extra"), {}),
    ]
    together = agree(admin, "getTag", calls)
    tag = together[0][0]
    assert together[1] == [tag] and tag["id"] == tag_id and tag["locked"] is True and tag["perm"] == "admin"
    assert list(tag["extra"]) == ["a", "b"] and tag["extra"]["b"] == [1, 2]
    assert together[2][0]["extra"]["blocked"] == [True, None] and together[2][0]["extra"]["a"] == [False, {"x": "y"}]
    assert together[4][0]["extra"] == {} and together[6][0]["id"] == plain_id
    assert together[7] == [None] and fault(together[8]).endswith(f"No such tagInfo: {gone!r}")
    assert together[9] == [None] and fault(together[10]).endswith(f"No such tagInfo: {UNKNOWN}")
    assert together[12][0]["extra"]["blocked"] == 1 and together[12][0]["locked"] is False
    assert together[12][0]["query_event"] == before
    assert fault(together[14]).endswith(f"No such tagInfo: {plain!r}")
    assert all(together[i]["faultCode"] == koji.ParameterError.faultCode for i in (15, 16, 17, 18, 19))


def test_get_build_target_batched_and_one_by_one_agree(admin):
    build_tag, dest_tag, other = (unique("batchtgt") for _ in range(3))
    for tag in (build_tag, dest_tag, other):
        admin.createTag(tag)
    name, gone = unique("batchtarget"), unique("batchtarget")
    earlier = admin.getLastEvent()["id"]
    admin.createBuildTarget(name, build_tag, dest_tag)
    target_id = admin.getBuildTarget(name)["id"]
    before = admin.getLastEvent()["id"]
    admin.editBuildTarget(name, name, other, dest_tag)
    admin.createBuildTarget(gone, build_tag, dest_tag)
    admin.deleteBuildTarget(gone)
    calls = [
        ((target_id,), {}),
        ((name,), {"strict": True}),
        (({"name": name},), {}),
        (({"id": target_id},), {}),
        ((gone,), {}),
        ((gone,), {"strict": True}),
        ((UNKNOWN,), {}),
        ((UNKNOWN,), {"strict": True}),
        ((name,), {"event": before}),
        ((target_id,), {"event": earlier, "strict": True}),
        ((True,), {}),
        ((1.5,), {"strict": True}),
        ((), {}),
    ]
    together = agree(admin, "getBuildTarget", calls)
    target = together[0][0]
    assert together[1] == together[2] == together[3] == [target]
    assert target["build_tag_name"] == other and target["dest_tag_name"] == dest_tag
    assert together[4] == [None] and fault(together[5]).endswith(f"No such build target: {gone!r}")
    assert together[6] == [None] and fault(together[7]).endswith(f"No such build target: {UNKNOWN}")
    assert together[8][0]["build_tag_name"] == build_tag
    assert fault(together[9]).endswith(f"No such build target: {target_id}")
    assert all(together[i]["faultCode"] == koji.ParameterError.faultCode for i in (10, 11, 12))


def make_repo(builder: koji.ClientSession, admin: koji.ClientSession, tag: str, state: int = READY, **kw) -> int:
    """A repo of ``tag`` (host.repoInit), moved on to ``state``."""
    repo_id = builder.host.repoInit(tag, **kw)[0]
    if state != INIT:
        admin.repo.setState(repo_id, state)
    return repo_id


def test_repo_info_batched_and_one_by_one_agree(hub, admin):
    builder, _host_id = host_session(hub, admin)
    tag = unique("batchrepo")
    admin.createTag(tag, arches="x86_64")
    ready, initial = make_repo(builder, admin, tag), make_repo(builder, admin, tag, INIT)
    calls = [
        ((ready,), {}),
        ((initial,), {"strict": True}),
        ((str(ready),), {}),
        ((UNKNOWN,), {}),
        ((UNKNOWN,), {"strict": True}),
        (("abc",), {}),
        ((None,), {"strict": True}),
        ((True,), {}),
        ((), {}),
        ((ready, False, "extra"), {}),
    ]
    together = agree(admin, "repoInfo", calls)
    assert together[0][0]["id"] == ready and together[0][0]["tag_name"] == tag and together[0][0]["state"] == READY
    assert together[1][0]["id"] == initial and together[2] == together[0]
    assert together[3] == [None] and fault(together[4]).endswith(f"No such repo: {UNKNOWN}")
    assert all(together[i]["faultCode"] == koji.ParameterError.faultCode for i in (5, 6, 8, 9))


def test_get_repo_and_repo_get_batched_and_one_by_one_agree(hub, admin):
    builder, _host_id = host_session(hub, admin)
    tag, other, empty, gone = (unique("batchrepo") for _ in range(4))
    tag_id = admin.createTag(tag, arches="x86_64")
    admin.createTag(other, arches="x86_64")
    empty_id = admin.createTag(empty)
    admin.createTag(gone)
    admin.deleteTag(gone)
    first = make_repo(builder, admin, tag)
    after_first = admin.getLastEvent()["id"]
    with_src = make_repo(builder, admin, tag, opts={"src": True})
    newest = make_repo(builder, admin, tag)
    initial = make_repo(builder, admin, tag, INIT)
    other_repo = make_repo(builder, admin, other)
    first_event = admin.repoInfo(first)["create_event"]

    calls = [
        ((tag,), {}),
        ((tag_id,), {}),
        ((other,), {}),
        ((empty,), {}),
        ((empty_id,), {"dist": True}),
        ((gone,), {}),
        ((UNKNOWN,), {}),
        ((unique("notag"),), {}),
        ((tag,), {"state": INIT}),
        ((tag,), {"state": koji.REPO_STATES["EXPIRED"]}),
        ((tag,), {"dist": True}),
        ((tag,), {"event": after_first}),
        ((tag,), {"min_event": after_first}),
        ((tag,), {"state": "1"}),
        ((unique("notag"),), {"state": "abc"}),
        ((tag,), {"state": "abc"}),
        (({"name": tag},), {}),
        ((True,), {}),
        ((1.5,), {}),
        ((), {}),
    ]
    together = agree(admin, "getRepo", calls)
    assert together[0] == together[1] and together[0][0]["id"] == newest and together[2][0]["id"] == other_repo
    assert together[3] == together[4] == together[5] == [None] and together[8][0]["id"] == initial  # gone: still named
    assert fault(together[6]).endswith(f"No such tagInfo: {UNKNOWN}")
    assert together[11][0]["id"] == first and together[14]["faultString"].endswith(f"{calls[14][0][0]!r}")
    assert together[15]["faultCode"] == koji.ParameterError.faultCode

    run = [
        ((tag,), {}),
        ((tag_id,), {"opts": {"src": True}}),
        ((tag,), {"opts": {"src": False, "debuginfo": None}}),
        ((tag,), {"opts": {"debuginfo": True}}),
        ((other,), {}),
        ((empty,), {}),
        ((gone,), {}),
        ((UNKNOWN,), {}),
        ((tag,), {"at_event": first_event}),
        ((tag,), {"min_event": after_first, "opts": {"src": True}}),
        ((tag,), {"opts": {"nosuch": True}}),
        ((unique("notag"),), {"opts": {"nosuch": True}}),
        ((tag,), {"opts": "src"}),
        ((tag,), {"min_event": "abc"}),
        (({"id": tag_id},), {}),
        ((None,), {}),
        ((), {}),
    ]
    together = agree(admin, "repo.get", run)
    assert together[0][0]["id"] == newest and together[1][0]["id"] == with_src and together[2] == together[0]
    assert together[3] == [None] and together[4][0]["id"] == other_repo and together[5] == [None]
    assert together[6] == [None] and fault(together[7]).endswith(f"No such tagInfo: {UNKNOWN}")
    assert together[8][0]["id"] == first
    assert together[9][0]["id"] == with_src and together[14] == together[0]
    assert together[10]["faultCode"] == koji.ParameterError.faultCode
    assert together[11]["faultCode"] == koji.GenericError.faultCode
