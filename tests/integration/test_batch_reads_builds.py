"""The batch forms of the RPM reads (getRPM, listBuildRPMs, listRPMs) answer as the calls made one by one.

A multicall's run of calls to one of them is answered from one query
(hub/rpc.py, api/batches.py); each run here is sent both ways through the
official koji client and compared entry by entry: answers, types and faults
(unknown and malformed ids, ``strict``, missing or extra arguments, a build
without RPMs).
"""

from __future__ import annotations

from pathlib import Path

import koji

from kiln.client import ClientSession
from kiln.client.uploads import upload_file
from tests.conftest import ADMIN, unique
from tests.integration.test_batch_reads import batched, one_by_one
from tests.support.rpms import make_package

UNKNOWN = 99_999_999


def imported(hub, admin: koji.ClientSession, root: Path) -> tuple[str, int, list[int]]:
    """A real build (a source and a noarch RPM, imported): its N-V-R, id and RPM ids (source first)."""
    name = unique("batchrpm")
    uploader = ClientSession(hub.url, opts={"max_retries": 0})
    uploader.login(*ADMIN)
    for path in make_package(root, name):
        area = f"imports/{unique()}"
        upload_file(uploader, path, area)
        admin.importRPM(area, path.name)
    nvr = f"{name}-1.0-1"
    build_id = admin.getBuild(nvr, strict=True)["id"]
    return nvr, build_id, [r["id"] for r in admin.listBuildRPMs(build_id)]


def interleaved(session: koji.ClientSession, calls: list[tuple]) -> list:
    """The calls in one multicall with no two alike in a row (so none is batched): their entries."""
    spaced = [c for call in calls for c in (call, ("getAPIVersion", (), {}))]
    return batched(session, spaced)[::2]


def test_list_build_rpms_batched_and_one_by_one_agree(hub, admin, tmp_path):
    nvr, build_id, rpm_ids = imported(hub, admin, tmp_path)
    empty = admin.createEmptyBuild(unique("batchempty"), "1.0", "1", None)
    calls = [
        ("listBuildRPMs", (build_id,), {}),
        ("listBuildRPMs", (empty,), {}),  # a build without RPMs: []
        ("listBuildRPMs", (UNKNOWN,), {}),  # an unknown build is a fault, strict or not
        ("listBuildRPMs", (build_id,), {}),
        ("listBuildRPMs", (nvr,), {}),  # by N-V-R: answered as a single call
        ("listBuildRPMs", ({"id": empty},), {}),
        ("listBuildRPMs", (f"{nvr}9",), {}),
        ("listBuildRPMs", ("nodashes",), {}),
        ("listBuildRPMs", (True,), {}),
        ("listBuildRPMs", ([build_id],), {}),
        ("listBuildRPMs", (), {}),
        ("listBuildRPMs", (build_id,), {"strict": True}),  # it takes no strict
        ("listBuildRPMs", (build_id, 1), {}),
        ("listBuildRPMs", (UNKNOWN + 1,), {}),
    ]
    together = batched(admin, calls)
    assert together == one_by_one(admin, calls)
    assert [r["id"] for r in together[0][0]] == rpm_ids and [r["arch"] for r in together[0][0]] == ["src", "noarch"]
    assert together[1] == [[]] and together[3] == together[4] == together[0]
    assert together[2]["faultString"].endswith(f"No such build: {UNKNOWN}")
    assert together[13]["faultString"].endswith(f"No such build: {UNKNOWN + 1}")
    assert together[8]["faultCode"] == together[10]["faultCode"] == koji.ParameterError.faultCode
    # one of them faulting does not spoil the others
    assert batched(admin, calls[:3]) == [together[0], together[1], together[2]]


def test_list_rpms_batched_and_one_by_one_agree(hub, admin, tmp_path):
    nvr, build_id, rpm_ids = imported(hub, admin, tmp_path)
    empty = admin.createEmptyBuild(unique("batchempty"), "1.0", "1", None)
    calls = [
        ("listRPMs", (), {"buildID": build_id}),
        ("listRPMs", (build_id,), {}),
        ("listRPMs", (), {"buildID": empty}),
        ("listRPMs", (), {"buildID": UNKNOWN}),
        ("listRPMs", (), {"buildID": build_id, "queryOpts": {"order": "-id"}}),  # the rest: single calls
        ("listRPMs", (), {"buildID": build_id, "queryOpts": {"countOnly": True}}),
        ("listRPMs", (), {"buildID": build_id, "arches": "src"}),
        ("listRPMs", (), {"buildID": nvr}),
        ("listRPMs", (), {"buildID": UNKNOWN, "arches": ["src"]}),
        ("listRPMs", (), {"buildID": build_id, "imageID": 1}),
        ("listRPMs", (), {"hostID": UNKNOWN}),
        ("listRPMs", (), {"buildID": True}),
        ("listRPMs", (), {"buildID": build_id, "strict": True}),  # it takes no strict
        ("listRPMs", (), {"buildID": f"{nvr}9"}),
    ]
    together = batched(admin, calls)
    assert together == one_by_one(admin, calls)
    assert [r["id"] for r in together[0][0]] == rpm_ids and together[1] == together[0] == together[7]
    assert together[2] == [[]] and together[3]["faultString"].endswith(f"No such build: {UNKNOWN}")
    assert [r["id"] for r in together[4][0]] == rpm_ids[::-1] and together[5] == [2]
    assert together[9] == together[10] == [[]] and together[11]["faultCode"] == koji.ParameterError.faultCode


def test_get_rpm_batched_and_one_by_one_agree(hub, admin, tmp_path):
    nvr, build_id, rpm_ids = imported(hub, admin, tmp_path)
    calls = [
        ("getRPM", (rpm_ids[0],), {}),
        ("getRPM", (rpm_ids[1],), {"strict": True}),
        ("getRPM", (UNKNOWN,), {}),
        ("getRPM", (UNKNOWN,), {"strict": True}),
        ("getRPM", (rpm_ids[1],), {"multi": True}),  # a list: answered as a single call
        ("getRPM", (UNKNOWN,), {"multi": True}),
        ("getRPM", (f"{nvr}.noarch",), {}),
        ("getRPM", ({"id": rpm_ids[0]},), {"strict": True}),
        ("getRPM", (f"{nvr}.x86_64",), {"strict": True}),
        ("getRPM", ("nodashes",), {}),
        ("getRPM", (True,), {}),
        ("getRPM", (1.5,), {"strict": True}),
        ("getRPM", (), {}),
        ("getRPM", (rpm_ids[0],), {"bogus": 1}),
        ("getRPM", (rpm_ids[0], True, False, 1), {}),
        ("getRPM", (rpm_ids[0],), {}),
    ]
    together = batched(admin, calls)
    assert together == one_by_one(admin, calls)
    src, noarch = rpm_ids
    assert [together[i][0]["id"] for i in (0, 1, 6, 7, 15)] == [src, noarch, noarch, src, src]
    assert together[0][0]["build_id"] == build_id and together[0][0]["arch"] == "src"
    assert together[2] == [None] and together[4] == [[together[1][0]]] and together[5] == [[]]
    assert together[3]["faultString"].endswith(f"No such rpm: {UNKNOWN}")
    assert together[10]["faultCode"] == koji.ParameterError.faultCode


def test_a_call_failing_unexpectedly_spoils_no_other_in_its_run(hub, admin, tmp_path):
    """Arguments a read cannot use fail that call only, batched or not.

    A dict without its keys fails in Python; an id larger than PostgreSQL's
    4-byte ids fails there in the database (SQLite simply finds nothing).
    """
    _nvr, build_id, rpm_ids = imported(hub, admin, tmp_path)
    huge = 2**40
    for method, good, bad in (
        ("getRPM", rpm_ids[0], {}),
        ("listBuildRPMs", build_id, {"id": "x"}),
        ("getBuild", build_id, huge),
        ("listBuildRPMs", build_id, huge),
        ("getRPM", rpm_ids[1], huge),
    ):
        calls = [(method, (good,), {}), (method, (bad,), {}), (method, (good,), {})]
        together = batched(admin, calls)
        assert together == interleaved(admin, calls)
        assert together[0] == together[2] and isinstance(together[0], list) and together[1] != together[0]
    calls = [("listRPMs", (), {"buildID": build_id}), ("listRPMs", (), {"buildID": huge})] * 2
    together = batched(admin, calls)
    assert together == interleaved(admin, calls) and together[0] == together[2] and isinstance(together[0], list)


def test_list_rpms_of_a_build_answers_as_the_filtered_listing(hub, admin, tmp_path):
    """listRPMs(buildID=...) alone reads the build and its RPMs at once; with filters, as before: the same rows."""
    nvr, build_id, rpm_ids = imported(hub, admin, tmp_path)
    empty = admin.createEmptyBuild(unique("batchempty"), "1.0", "1", None)
    both = ["src", "noarch"]
    assert admin.listRPMs(buildID=build_id) == admin.listRPMs(buildID=build_id, arches=both)
    assert admin.listRPMs(buildID=nvr) == admin.listBuildRPMs(build_id)
    assert [r["id"] for r in admin.listRPMs(buildID=build_id, queryOpts={"order": "-id"})] == rpm_ids[::-1]
    assert admin.listRPMs(buildID=build_id, queryOpts={"countOnly": True}) == 2
    assert admin.listRPMs(buildID=empty) == admin.listRPMs(buildID=empty, arches=both) == []
    for build in (UNKNOWN, f"{nvr}9"):
        faults = []
        for arches in (None, both):
            try:
                admin.listRPMs(buildID=build, arches=arches)
            except koji.GenericError as exc:
                faults.append((exc.faultCode, str(exc)))
        assert len(faults) == 2 and faults[0] == faults[1]
