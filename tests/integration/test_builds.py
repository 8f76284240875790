"""Builds and tagged builds through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import koji_session, make_user, unique


@pytest.fixture
def setup(admin) -> dict:
    base, child = unique("bbase"), unique("bchild")
    admin.createTag(base)
    admin.createTag(child, parent=base)
    pkg = unique("bpkg")
    admin.packageListAdd(base, pkg, owner="admin")
    return {"base": base, "child": child, "pkg": pkg}


def test_a_build_has_kojis_keys_and_one_nvr_is_built_once(admin, setup):
    pkg = setup["pkg"]
    build_id = admin.createEmptyBuild(pkg, "1.0", "1", 2)
    build = admin.getBuild(build_id)
    assert admin.getBuild(f"{pkg}-1.0-1") == build == admin.getBuild({"name": pkg, "version": "1.0", "release": "1"})
    assert (build["nvr"], build["epoch"], build["state"], build["owner_name"], build["volume_name"]) == (
        f"{pkg}-1.0-1",
        2,
        koji.BUILD_STATES["COMPLETE"],
        "admin",
        "DEFAULT",
    )
    assert {
        "build_id",
        "package_id",
        "package_name",
        "creation_event_id",
        "creation_ts",
        "completion_ts",
        "task_id",
        "source",
        "extra",
        "draft",
        "cg_id",
        "promoter_id",
    } <= set(build)
    with pytest.raises(koji.GenericError, match=f"Build already exists .*: {pkg}-1.0-1"):
        admin.createEmptyBuild(pkg, "1.0", "1", None)
    for version, release in (("1-0", "1"), ("1.0", "1 2"), ("1.0", "$(x)"), ("", "1")):
        with pytest.raises(koji.GenericError, match="Invalid"):
            admin.createEmptyBuild(pkg, version, release, None)
    assert [b["nvr"] for b in admin.listBuilds(packageID=pkg)] == [f"{pkg}-1.0-1"]
    listed = admin.listBuilds(packageID=pkg)[0]
    assert "id" not in listed and listed["build_id"] == build_id
    assert admin.getBuild(f"{pkg}-9-9") is None
    with pytest.raises(koji.GenericError, match="No such build"):
        admin.getBuild(f"{pkg}-9-9", strict=True)


def test_only_admins_make_empty_builds(hub, admin, setup):
    user = koji_session(hub, *make_user(hub, admin))
    with pytest.raises(koji.ActionNotAllowed):
        user.createEmptyBuild(setup["pkg"], "1", "1", None)


def test_tagging_follows_the_package_list_and_is_history(admin, setup):
    base, child, pkg = setup["base"], setup["child"], setup["pkg"]
    old = admin.createEmptyBuild(pkg, "1.0", "1", None)
    new = admin.createEmptyBuild(pkg, "1.1", "1", None)
    other = admin.createEmptyBuild(unique("unlisted"), "1", "1", None)
    admin.tagBuildBypass(base, old)
    before_child = admin.getLastEvent()["id"]
    admin.tagBuildBypass(child, new)
    with pytest.raises(koji.TagError, match="already tagged"):
        admin.tagBuildBypass(child, new)
    with pytest.raises(koji.TagError, match="not in list for tag"):
        admin.tagBuildBypass(base, other)
    admin.tagBuildBypass(base, other, force=True)  # force passes the package list

    assert [b["nvr"] for b in admin.listTagged(child)] == [f"{pkg}-1.1-1"]
    assert [(b["nvr"], b["tag_name"]) for b in admin.listTagged(child, inherit=True, package=pkg)] == [
        (f"{pkg}-1.1-1", child),
        (f"{pkg}-1.0-1", base),
    ]
    assert [b["nvr"] for b in admin.getLatestBuilds(child, package=pkg)] == [f"{pkg}-1.1-1"]
    assert [b["nvr"] for b in admin.listTagged(child, inherit=True, event=before_child, package=pkg)] == [
        f"{pkg}-1.0-1"
    ]
    assert sorted(t["name"] for t in admin.listTags(build=old)) == [base]

    admin.packageListBlock(child, pkg)  # blocked in the child: none of its builds show there
    assert admin.listTagged(child, inherit=True, package=pkg) == []
    admin.packageListUnblock(child, pkg)

    admin.untagBuild(child, new)
    with pytest.raises(koji.TagError, match="not in tag"):
        admin.untagBuild(child, new)
    admin.untagBuild(child, new, strict=False)
    assert [b["nvr"] for b in admin.getLatestBuilds(child, package=pkg)] == [f"{pkg}-1.0-1"]
    history = admin.queryHistory(tables=["tag_listing"], build=new)["tag_listing"]
    assert [(h["tag.name"], h["name"], h["version"], h["active"]) for h in history] == [(child, pkg, "1.1", None)]


def test_a_locked_tag_refuses_tagging_unless_forced(admin, setup):
    base, pkg = setup["base"], setup["pkg"]
    build = admin.createEmptyBuild(pkg, "2", "1", None)
    admin.editTag2(base, locked=True)
    with pytest.raises(koji.TagError, match="is locked"):
        admin.tagBuildBypass(base, build)
    admin.tagBuildBypass(base, build, force=True)
    assert [b["build_id"] for b in admin.listTagged(base)] == [build]


def test_cancel_build_is_for_the_owner_or_an_admin(hub, admin, setup):
    build = admin.createEmptyBuild(setup["pkg"], "3", "1", None)
    user = koji_session(hub, *make_user(hub, admin))
    with pytest.raises(koji.ActionNotAllowed, match="only its owner or an admin"):
        user.cancelBuild(build)
    assert admin.cancelBuild(build) is False  # complete: nothing to cancel
    assert admin.getBuild(build)["state"] == koji.BUILD_STATES["COMPLETE"]
