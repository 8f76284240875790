"""Issue 18 for builds, RPMs and build roots: odd arguments get a Koji fault that says what is wrong, never an
internal error, and never SQL or a path of the hub's own."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import unique
from tests.integration.test_fuzz_api import Caller
from tests.support.faults import fault_of


@pytest.mark.parametrize(
    ("method", "args", "kind", "names"),
    [
        ("getRPM", ({"x": 1},), koji.ParameterError, "name, version, release, arch"),
        ("getRPM", ({"id": "x"},), koji.ParameterError, "rpm id"),
        ("queryRPMSigs", ({"x": 1},), koji.ParameterError, "name, version, release, arch"),
        ("untaggedBuilds", ("kiln-hello", 1), koji.ParameterError, "queryOpts"),
        ("listBuildroots", ("a/b",), koji.ParameterError, "hostID"),
        ("listBuildroots", ([1],), koji.ParameterError, "hostID"),
        ("listBuildroots", (None, None, [{}]), koji.ParameterError, "buildroot state"),
        ("getBuildroot", ({},), koji.ParameterError, "buildrootID"),
        ("getBuildroot", ("x",), koji.ParameterError, "buildroot id"),
        ("getBuildrootListing", ("x",), koji.ParameterError, "buildroot id"),
        ("getRPMHeaders", ("x",), koji.GenericError, "invalid format: x"),
        ("getRPMHeaders", ([1],), koji.ParameterError, "rpmID"),
        ("getRPMDeps", ({"name": "x"},), koji.ParameterError, "name, version, release, arch"),
        ("listRPMFiles", ({},), koji.ParameterError, "name, version, release, arch"),
        ("getBuild", ({"id": "x"},), koji.ParameterError, "build id"),
        ("getWinBuild", ({"name": "x"},), koji.ParameterError, "name, version, release"),
        ("getBuildLogs", ({"id": [1]},), koji.ParameterError, "build id"),
        ("listRPMs", (None, None, None, None, None, [[]]), koji.GenericError, "arches"),
        ("listBuilds", (), koji.ParameterError, "build state"),
    ],
)
def test_a_malformed_argument_is_named(hub, anon, method, args, kind, names):
    kwargs = {"state": [{}]} if method == "listBuilds" else {}
    fault = fault_of(lambda: getattr(anon, method)(*args, **kwargs), hub=hub)
    assert isinstance(fault, kind), fault
    assert names in str(fault)


def test_an_rpm_id_as_text_is_an_id_as_in_koji(anon):
    """koji's own CLI (``koji rpminfo 12``) sends the id as text."""
    assert anon.getRPM(str(2**31 - 1)) is None
    assert anon.getRPMHeaders(str(2**31 - 1)) == {}


@pytest.mark.parametrize("number", [2**31, 2**63 - 1])
@pytest.mark.parametrize("method", ["getBuild", "getRPM", "getBuildroot"])
def test_an_id_beyond_32_bits_is_a_parameter_error_on_both_databases(anon, method, number):
    with pytest.raises(koji.ParameterError):
        getattr(anon, method)(number)
    with pytest.raises(koji.ParameterError):  # inside a struct too, where the declared types do not reach
        getattr(anon, method)({"id": number} if method != "getBuildroot" else str(number))


def test_an_id_of_2_to_the_63_is_a_parameter_error(hub):
    """Past 64 bits the number is written as ``<i8>`` all the same, as a hostile client may."""
    caller = Caller(hub.url)
    for method in ("getBuild", "getRPM"):
        answer = caller.post(method, (2**63,))
        assert answer["faultCode"] == koji.ParameterError.faultCode, answer


@pytest.mark.parametrize("method", ["getRPMHeaders", "getChangelogEntries"])
def test_a_filepath_too_long_for_the_file_system_is_refused(hub, anon, method):
    for filepath in ("a" * 300, f"{'b' * 200}/{'é' * 128}"):
        fault = fault_of(lambda: getattr(anon, method)(taskID=1, filepath=filepath), hub=hub)  # noqa: B023
        assert isinstance(fault, koji.ParameterError) and "filepath" in str(fault) and "too long" in str(fault)


def test_a_task_file_that_is_not_an_rpm_is_named_without_the_hubs_path(hub, anon):
    task_id = 2_000_000_000 + int(unique("")[:6], 16) % 100_000_000
    where = hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id)
    where.mkdir(parents=True)
    (where / "junk.rpm").write_bytes(b"not an rpm at all")
    for method in ("getRPMHeaders", "getChangelogEntries"):
        fault = fault_of(lambda: getattr(anon, method)(taskID=task_id, filepath="junk.rpm"), hub=hub)  # noqa: B023
        assert "junk.rpm" in str(fault)


def test_a_task_file_needs_its_path(hub, anon):
    fault = fault_of(lambda: anon.getRPMHeaders(taskID=1), hub=hub)
    assert "filepath must be specified with taskID" in str(fault)
    fault = fault_of(lambda: anon.getChangelogEntries(), hub=hub)
    assert "either buildID or taskID and filepath" in str(fault)
