"""Issue 18 for tags, targets, repos, packages, groups and users: odd arguments get a Koji fault that says
what is wrong, never an internal error, and never SQL."""

from __future__ import annotations

import xmlrpc.client

import koji
import pytest

from tests.conftest import unique
from tests.integration.test_fuzz_api import Caller
from tests.support.faults import fault_of


@pytest.mark.parametrize(
    ("method", "args", "kind", "names"),
    [
        ("getTag", ("build", False, ["x"]), koji.ParameterError, "event"),
        ("getTag", ({"id": "x"},), koji.ParameterError, "tag info id"),
        ("getTag", ({"x": 1},), koji.ParameterError, "tag info"),
        ("getBuildTarget", ("x", ["y"]), koji.ParameterError, "event"),
        ("getBuildTarget", ({"id": [1]},), koji.ParameterError, "build target info id"),
        ("getBuildTargets", (None, None, {"id": "x"}), koji.ParameterError, "tag info id"),
        ("getTagGroups", ("build", [1]), koji.ParameterError, "event"),
        ("getInheritanceData", ("build", "x"), koji.ParameterError, "event"),
        ("listTags", ({"id": "x"},), koji.ParameterError, "build id"),
        ("listPackages", (None, None, {"id": "x"}), koji.ParameterError, "package info id"),
        ("repo.references", ("abc",), koji.ParameterError, "repo id"),
        ("repo.references", ({"id": "x"},), koji.ParameterError, "repo_id"),
        ("repo.references", ([1],), koji.ParameterError, "repo_id"),
        ("repoInfo", ("abc",), koji.ParameterError, "repo id"),
        ("repo.checkRequest", ("abc",), koji.ParameterError, "request id"),
        ("repo.query", ([["id", "=", "x"]],), koji.ParameterError, "id"),
        ("repo.query", ([["id", "IN", [[1]]]],), koji.ParameterError, "id"),
        ("repo.query", ([[["id"], "=", 1]],), koji.ParameterError, "Invalid field"),
        ("repo.query", ([], [["id"]]), koji.ParameterError, "Invalid field"),
        ("listUsers", (None, None, 5), koji.ParameterError, "queryOpts"),
        ("listUsers", (None, 5), koji.ParameterError, "prefix"),
        ("listUsers", (["x"],), koji.ParameterError, "userType"),
        ("getUser", ({"id": "x"},), koji.GenericError, "userid"),
        ("getUser", ({"name": ["x"]},), koji.GenericError, "username"),
        ("getBuildNotifications", ({"id": "x"},), koji.GenericError, "userid"),
    ],
)
def test_a_malformed_argument_is_named(anon, method, args, kind, names):
    target = anon
    for part in method.split("."):
        target = getattr(target, part)
    fault = fault_of(lambda: target(*args))
    assert isinstance(fault, kind), fault
    assert names in str(fault)


def test_an_event_of_true_or_false_is_event_1_or_0_as_in_koji(admin, anon):
    """Koji reads an event as a number, and a boolean is one: nothing existed at event 0."""
    tag = unique("asof")
    admin.createTag(tag)
    assert anon.getTag(tag, False, False) is None
    assert anon.getTag(tag, event=True) is None
    assert "No such tagInfo" in str(fault_of(lambda: anon.getBuildConfig(tag, False)))
    assert "No such tagInfo" in str(fault_of(lambda: anon.getBuildConfig("*", False)))
    assert anon.getTagGroups(tag, False) == []
    assert anon.getFullInheritance(tag, False) == []
    assert anon.getBuildTargets(None, True) == []


def test_writes_refuse_what_they_cannot_store(admin):
    tag, parent = unique("hardwrite"), unique("hardparent")
    admin.createTag(tag)
    admin.createTag(parent)
    assert "event" in str(fault_of(lambda: admin.newRepo(tag, [1])))
    assert "event" in str(fault_of(lambda: admin.newRepo({"id": 1}, {"x": 1}, "noarch")))
    assert "tagInfo" in str(fault_of(lambda: admin.editTag2(2**63 - 1, locked=True)))
    assert "tag info id" in str(fault_of(lambda: admin.editTag2({"id": 2**40}, locked=True)))
    assert "remove_extra" in str(fault_of(lambda: admin.editTag2(tag, remove_extra=[[1]])))
    assert "extra" in str(fault_of(lambda: admin.editTag2(tag, extra={"k": xmlrpc.client.Binary(b"x")})))  # not JSON
    fault = fault_of(lambda: admin.setInheritanceData(tag, [{**_link(parent), "priority": 2**40}]))
    assert "32 bits" in str(fault)
    assert "No such package" in str(fault_of(lambda: admin.packageListAdd(tag, {"id": 2**31 - 1}, owner="admin")))
    group = unique("grp")
    admin.groupListAdd(tag, group)
    assert "description" in str(fault_of(lambda: admin.groupListAdd(tag, group, description=[1])))
    assert "Invalid type" in str(fault_of(lambda: admin.groupPackageListAdd(tag, group, "pkg", type=[1])))
    assert "priority" in str(fault_of(lambda: admin.repo.setRequestPriority(1, 2**40)))


def _link(tag: str) -> dict:
    return {
        "parent_id": tag,
        "priority": 0,
        "maxdepth": None,
        "intransitive": False,
        "noconfig": False,
        "pkg_filter": "",
    }


@pytest.mark.parametrize("number", [2**31, 2**63 - 1, -(2**31) - 1])
@pytest.mark.parametrize("method", ["getTag", "getUser", "listTagged", "getBuildTarget", "repoInfo"])
def test_an_id_beyond_32_bits_is_a_parameter_error_on_both_databases(anon, method, number):
    with pytest.raises(koji.ParameterError):
        getattr(anon, method)(number)
    if method != "repoInfo":  # inside a struct too, where the declared types do not reach
        with pytest.raises(koji.ParameterError):
            getattr(anon, method)({"id": number})


@pytest.mark.parametrize("method", ["getTag", "getUser", "listTagged", "editTag2"])
def test_an_id_of_2_to_the_63_is_a_parameter_error(hub, admin, method):
    """Past 64 bits the number is written as ``<i8>`` all the same, as a hostile client may."""
    answer = Caller(hub.url, admin).post(method, (2**63,))
    assert answer["faultCode"] == koji.ParameterError.faultCode, answer
    assert "SELECT" not in answer["faultString"]


def test_ids_as_text_still_work_as_in_koji(admin, anon):
    """koji's CLI sends what its user typed: ``koji repoinfo 12``, ``koji check-repo-request 3``."""
    assert anon.repoInfo(str(2**31 - 1)) is None
    assert anon.repo.references(str(2**31 - 1)) == []
    assert "No such request" in str(fault_of(lambda: anon.repo.checkRequest(str(2**31 - 1))))
    tag = unique("textid")
    admin.createTag(tag)
    assert anon.getRepo(tag, state="1") is None
    assert anon.tagLastChangeEvent(tag, before=str(2**31 - 1)) is not None
