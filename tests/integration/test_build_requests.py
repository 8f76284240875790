"""koji's ``build`` call: checked at the hub at once, then a ``build`` task for a builder."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import koji_session, make_user, unique
from tests.support.rpms import make_package


@pytest.fixture
def target(admin) -> str:
    build_tag, dest_tag, name = unique("btag"), unique("dtag"), unique("target")
    admin.createTag(build_tag, arches="x86_64")
    admin.createTag(dest_tag)
    admin.createBuildTarget(name, build_tag, dest_tag)
    return name


@pytest.fixture
def user(hub, admin) -> koji.ClientSession:
    session = koji_session(hub, *make_user(hub, admin))
    yield session
    session.logout()


SCM = "git+https://git.example.com/rpms/foo.git#abc123"


def test_a_build_is_a_task_with_koji_arguments(admin, user, target, channel):
    opts = {"scratch": True, "arch_override": "x86_64", "custom_user_metadata": {"a": 1}}
    task_id = user.build(SCM, target, opts, priority=5, channel=channel)
    info = user.getTaskInfo(task_id, request=True)
    assert info["request"] == [SCM, target, opts]
    assert (info["method"], info["priority"], info["arch"], info["state"]) == ("build", 25, "noarch", 0)
    assert info["channel_id"] == admin.getChannel(channel)["id"]
    assert info["owner"] == user.getLoggedInUser()["id"]
    plain = user.build(SCM, target)
    info = user.getTaskInfo(plain, request=True)
    assert info["request"] == [SCM, target, {}] and info["priority"] == 20
    assert info["channel_id"] == admin.getChannel("default")["id"]
    user.cancelTask(task_id)
    user.cancelTask(plain)


def test_an_uploaded_srpm_is_a_source(hub, user, target, tmp_path):
    srpm, _rpm = make_package(tmp_path, unique("up"))
    area = f"cli-build/{unique()}"
    user.uploadWrapper(str(srpm), area)
    task_id = user.build(f"{area}/{srpm.name}", target, {"skip_tag": False, "wait_builds": []})
    assert user.getTaskRequest(task_id)[0] == f"{area}/{srpm.name}"
    user.cancelTask(task_id)


@pytest.mark.parametrize(
    ("src", "opts", "error", "message"),
    [
        (SCM, {"nosuch": 1}, koji.ParameterError, "unknown build option(s): nosuch"),
        (SCM, {"scratch": "yes"}, koji.ParameterError, "build option scratch: 'yes' is not a bool"),
        (SCM, {"repo_id": "3"}, koji.ParameterError, "build option repo_id"),
        (SCM, {"wait_builds": [1]}, koji.ParameterError, "wait_builds"),
        (SCM, {"arch_override": "x86_64"}, koji.GenericError, "arch_override is only allowed for scratch builds"),
        (SCM, {"draft": True}, koji.GenericError, "draft builds are not supported"),
        ("git+https://git.example.com/rpms/foo.git", None, koji.GenericError, "Invalid SCM URL"),
        ("foo.spec", None, koji.GenericError, "not an SCM URL (no '://') nor a .src.rpm"),
        ("cli-build/nothing/foo-1-1.src.rpm", None, koji.GenericError, "No such file"),
        ("../../etc/foo-1-1.src.rpm", None, koji.GenericError, "Invalid upload path"),
        ("/etc/foo-1-1.src.rpm", None, koji.GenericError, "Invalid upload path"),
    ],
)
def test_bad_input_is_refused_at_once(user, target, src, opts, error, message):
    before = user.listTasks({"method": "build", "owner": user.getLoggedInUser()["id"]})
    with pytest.raises(error) as info:
        user.build(src, target, opts)
    assert message in str(info.value)
    assert user.listTasks({"method": "build", "owner": user.getLoggedInUser()["id"]}) == before


def test_the_target_must_exist(user, admin):
    with pytest.raises(koji.GenericError, match="No such build target: nosuchtarget"):
        user.build(SCM, "nosuchtarget")
    with pytest.raises(koji.GenericError, match="No such build target"):
        user.build(SCM, None)
    tag = unique("tag")
    admin.createTag(tag)
    # With repo_id (the repo names the build tag) a tag, or None, will do, as in Koji.
    for target in (tag, None):
        task_id = user.build(SCM, target, {"repo_id": 1, "skip_tag": True})
        user.cancelTask(task_id)


def test_only_admins_raise_priority_and_only_users_build(hub, admin, user, target):
    with pytest.raises(koji.ActionNotAllowed, match="only admins may create high-priority tasks"):
        user.build(SCM, target, None, priority=-5)
    task_id = admin.build(SCM, target, None, priority=-5)
    assert admin.getTaskInfo(task_id)["priority"] == 15
    admin.cancelTask(task_id)
    with pytest.raises(koji.ActionNotAllowed, match="logged in"):
        koji_session(hub).build(SCM, target)
