"""Comps groups through the koji CLI: add, block and list groups and their packages, with inheritance and history."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import make_user, unique


def test_groups_and_their_packages_inherit_and_block(admin, koji_cli):
    parent, child = unique("gbase"), unique("gbuild")
    admin.createTag(parent)
    admin.createTag(child, parent=parent)
    koji_cli("add-group", parent, "build")
    koji_cli("add-group-pkg", parent, "build", "bash", "coreutils", "rpm-build")
    koji_cli("add-group", parent, "srpm-build")
    koji_cli("add-group-pkg", parent, "srpm-build", "rpm-build")
    koji_cli("add-group-req", parent, "build", "srpm-build")
    koji_cli("block-group-pkg", child, "build", "coreutils")

    shown = koji_cli("list-groups", child, "build").stdout.splitlines()
    assert shown == [
        f"build  [{parent}]",
        f"  @srpm-build  [{parent}]",
        f"  bash: None, mandatory  [{parent}]",
        f"  rpm-build: None, mandatory  [{parent}]",
    ]
    with_blocked = koji_cli("list-groups", "--show-blocked", child, "build").stdout
    assert f"  coreutils: None, mandatory  [{child}] [BLOCKED]" in with_blocked
    assert koji_cli("list-groups", parent, "build").stdout.count("coreutils") == 1  # the parent keeps it

    [group] = [g for g in admin.getTagGroups(child) if g["name"] == "build"]
    assert sorted(p["package"] for p in group["packagelist"]) == ["bash", "rpm-build"]
    assert [r["name"] for r in group["grouplist"]] == ["srpm-build"]
    assert admin.getTagGroups(child, inherit=False) == []

    koji_cli("unblock-group-pkg", child, "build", "coreutils")
    [group] = [g for g in admin.getTagGroups(child) if g["name"] == "build"]
    assert "coreutils" in [p["package"] for p in group["packagelist"]]

    koji_cli("block-group", child, "srpm-build")
    assert [g["name"] for g in admin.getTagGroups(child)] == ["build"]
    assert admin.getTagGroups(child)[0]["grouplist"] == []  # a blocked group is no requirement either
    history = admin.queryHistory(tables=["group_package_listing"], tag=child)["group_package_listing"]
    assert {(row["package"], row["blocked"], row["creator_name"]) for row in history} >= {("coreutils", True, "admin")}


def test_group_changes_are_refused_clearly(hub, admin, koji_cli):
    tag = unique("gtag")
    admin.createTag(tag)
    with pytest.raises(koji.GenericError, match="No such group: 'nope'"):
        admin.groupPackageListAdd(tag, "nope", "bash")
    elsewhere = unique("gother")
    admin.createTag(elsewhere)
    admin.groupListAdd(elsewhere, "appliance-build")
    with pytest.raises(koji.GenericError, match=f"group appliance-build not present in tag {tag}"):
        admin.groupPackageListAdd(tag, "appliance-build", "bash")
    admin.groupListAdd(tag, "build")
    with pytest.raises(koji.ParameterError, match="unknown group option"):
        admin.groupListAdd(tag, "build", colour="blue")
    with pytest.raises(koji.ParameterError, match="Invalid type"):
        admin.groupPackageListAdd(tag, "build", "bash", type="sometimes")
    with pytest.raises(koji.GenericError, match="NOT blocked"):
        admin.groupListUnblock(tag, "build")
    name, password = make_user(hub, admin)
    plain = koji.ClientSession(hub.url, opts={"user": name, "password": password})
    plain.login()
    with pytest.raises(koji.GenericError, match="tag permission required"):
        plain.groupListAdd(tag, "other")
    assert [g["name"] for g in admin.getTagGroups(tag)] == ["build"]
