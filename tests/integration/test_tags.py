"""Tags, inheritance, package lists and targets through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import unique


def link(parent_id: int, priority: int, **kw: object) -> dict:
    return {
        "parent_id": parent_id,
        "priority": priority,
        "maxdepth": None,
        "intransitive": False,
        "noconfig": False,
        "pkg_filter": "",
        **kw,
    }


def tags(admin, *prefixes: str) -> list[int]:
    return [admin.createTag(unique(p)) for p in prefixes]


def names_of(entries: list[dict]) -> list[str]:
    return [e["name"] for e in entries]


def test_full_inheritance_follows_priority_depth_and_intransitive_links(admin):
    top, a, b, c, d = tags(admin, "top", "a", "b", "c", "d")
    admin.setInheritanceData(top, [link(a, 10), link(b, 20, intransitive=True)])
    admin.setInheritanceData(a, [link(c, 0, maxdepth=0)])
    admin.setInheritanceData(c, [link(d, 0)])
    admin.setInheritanceData(d, [link(top, 0)])  # a loop back to the top: pruned
    full = admin.getFullInheritance(top)
    assert [(e["parent_id"], e["currdepth"], e["nextdepth"]) for e in full] == [(a, 1, None), (c, 2, 0), (b, 1, None)]
    # b's link is intransitive: a tag inheriting top does not get b through it
    child = admin.createTag(unique("child"), parent=top)
    assert [e["parent_id"] for e in admin.getFullInheritance(child)] == [top, a, c]
    # reverse: every tag that gets c (d too: d inherits top, whose walk reaches c; the loop stops at c)
    assert [e["tag_id"] for e in admin.getFullInheritance(c, reverse=True)] == [a, top, d, child]
    # Koji's removed stops/jumps: accepted empty (old clients send them), refused set, as Koji's hub does
    assert admin.getFullInheritance(top, stops={}, jumps={}) == full
    with pytest.raises(koji.ParameterError, match="stops option has been removed since 1.26"):
        admin.getFullInheritance(top, stops={str(a): 1})
    with pytest.raises(koji.ParameterError, match="unexpected keyword argument 'depth'"):
        admin.getFullInheritance(top, depth=1)


def test_inheritance_changes_are_checked_and_atomic(admin):
    tag, p1, p2 = tags(admin, "tag", "p1", "p2")
    admin.setInheritanceData(tag, [link(p1, 10)])
    with pytest.raises(koji.GenericError, match="priorities must be unique"):
        admin.setInheritanceData(tag, [link(p2, 10)])
    with pytest.raises(koji.GenericError, match="cannot inherit from itself"):
        admin.setInheritanceData(tag, [link(tag, 5)])
    with pytest.raises(koji.GenericError, match="No value for maxdepth"):
        admin.setInheritanceData(tag, [{"parent_id": p2, "priority": 5}])
    with pytest.raises(koji.GenericError, match="Invalid pkg_filter"):
        admin.setInheritanceData(tag, [link(p2, 5, pkg_filter="(")])
    assert [e["parent_id"] for e in admin.getInheritanceData(tag)] == [p1]
    admin.setInheritanceData(tag, [link(p2, 5)])
    assert [(e["parent_id"], e["priority"]) for e in admin.getInheritanceData(tag)] == [(p2, 5), (p1, 10)]
    admin.setInheritanceData(tag, [{"parent_id": p1, "delete link": True}])
    assert [e["parent_id"] for e in admin.getInheritanceData(tag)] == [p2]
    admin.setInheritanceData(tag, [link(p1, 1)], clear=True)
    assert [e["parent_id"] for e in admin.getInheritanceData(tag)] == [p1]


def test_a_tag_as_it_was_at_an_event(admin):
    name = unique("evt")
    admin.createTag(name, arches="x86_64")
    before = admin.getLastEvent()["id"]
    admin.editTag2(name, arches="aarch64 x86_64", extra={"k": [1, 2]})
    then = admin.getTag(name, event=before)
    now = admin.getTag(name)
    assert (then["arches"], then["extra"], then["query_event"]) == ("x86_64", {}, before)
    assert (now["arches"], now["extra"]) == ("aarch64 x86_64", {"k": [1, 2]})


def test_package_lists_inherit_and_blocks_hide(admin):
    parent, child = tags(admin, "parent", "child")
    admin.setInheritanceData(child, [link(parent, 0)])
    pkg = unique("pkg")
    with pytest.raises(koji.GenericError, match="owner not specified"):
        admin.packageListAdd(parent, pkg)
    admin.packageListAdd(parent, pkg, owner="admin", extra_arches="x86_64")
    listed = admin.listPackages(tagID=child, inherited=True)
    assert [(e["package_name"], e["tag_id"], e["blocked"], e["extra_arches"]) for e in listed] == [
        (pkg, parent, False, "x86_64")
    ]
    assert admin.listPackages(tagID=child) == []  # not inherited: the child's own list is empty
    admin.packageListBlock(child, pkg)
    entry = admin.getPackageConfig(child, pkg)
    assert (entry["tag_id"], entry["blocked"], entry["owner_name"]) == (child, True, "admin")
    assert admin.listPackages(tagID=child, inherited=True, with_blocked=False) == []
    assert [t["id"] for t in admin.listTags(package=pkg)] == sorted(
        [parent, child], key=lambda i: admin.getTag(i)["name"]
    )
    admin.packageListUnblock(child, pkg)
    assert admin.getPackageConfig(child, pkg)["tag_id"] == parent  # the parent's entry shows again
    with pytest.raises(koji.GenericError, match="not blocked"):
        admin.packageListUnblock(child, pkg)
    admin.packageListSetOwner(parent, pkg, admin.getLoggedInUser()["name"])
    admin.packageListRemove(parent, pkg)
    assert admin.listPackages(tagID=child, inherited=True) == []
    assert admin.getPackageID(pkg) == admin.getPackage(pkg)["id"]


def test_a_pkg_filter_lets_through_only_matching_names(admin):
    parent, child = tags(admin, "fparent", "fchild")
    admin.setInheritanceData(child, [link(parent, 0, pkg_filter="^lib")])
    for name in ("libfoo", "bar"):
        admin.packageListAdd(parent, name + unique(""), owner="admin")
    names = [e["package_name"] for e in admin.listPackages(tagID=child, inherited=True)]
    assert len(names) == 1 and names[0].startswith("libfoo")


def test_build_config_inherits_arches_and_extra_but_not_through_noconfig(admin):
    base, mid, leaf = tags(admin, "cbase", "cmid", "cleaf")
    admin.editTag2(base, arches="x86_64", extra={"a": 1, "b": 2})
    admin.editTag2(mid, extra={"c": 3}, block_extra=["b"])
    admin.setInheritanceData(mid, [link(base, 0)])
    admin.setInheritanceData(leaf, [link(mid, 0)])
    config = admin.getBuildConfig(leaf)
    assert (config["arches"], config["extra"]) == ("x86_64", {"a": 1, "c": 3})
    assert config["config_inheritance"]["arches"]["id"] == base
    # noconfig skips that parent's own configuration only (Koji's rule): base's shows again, unblocked
    admin.setInheritanceData(leaf, [link(mid, 0, noconfig=True)])
    config = admin.getBuildConfig(leaf)
    assert (config["arches"], config["extra"]) == ("x86_64", {"a": 1, "b": 2})
    with pytest.raises(koji.GenericError):
        admin.getBuildConfig(unique("missing"))


def test_targets_name_existing_tags_and_are_refused_cleanly(admin):
    build, dest = tags(admin, "tbuild", "tdest")
    name = unique("target")
    with pytest.raises(koji.GenericError, match="No such dest tag"):
        admin.createBuildTarget(name, build, unique("missing"))
    assert admin.getBuildTarget(name) is None
    admin.createBuildTarget(name, build, dest)
    with pytest.raises(koji.GenericError, match="already exists"):
        admin.createBuildTarget(name, build, dest)
    assert [t["name"] for t in admin.getBuildTargets(buildTagID=build)] == [name]
    assert [t["name"] for t in admin.getBuildTargets(destTagID=dest)] == [name]
    admin.deleteBuildTarget(name)
    assert admin.getBuildTargets(buildTagID=build) == []
    admin.createBuildTarget(name, dest, build)  # the name is free again
    assert admin.getBuildTarget(name, strict=True)["build_tag"] == dest


def test_deleting_a_tag_drops_its_links_lists_and_targets_and_keeps_history(admin):
    parent, child, other = tags(admin, "dparent", "dchild", "dother")
    admin.setInheritanceData(child, [link(parent, 0)])
    admin.packageListAdd(parent, unique("dpkg"), owner="admin")
    target = unique("dtarget")
    admin.createBuildTarget(target, parent, other)
    name = admin.getTag(parent)["name"]
    admin.deleteTag(parent)
    assert admin.getTag(parent) is None
    assert admin.getInheritanceData(child) == []
    assert admin.getBuildTarget(target) is None
    history = admin.queryHistory(tables=["tag_config"], tag=parent)["tag_config"]
    assert [(h["active"], h["tag.name"]) for h in history] == [(None, name)]
    assert admin.createTag(name) == parent  # a tag of the same name takes the old row back


def test_tag_names_and_arches_are_validated(admin):
    with pytest.raises(koji.GenericError):
        admin.createTag("bad name with spaces")
    with pytest.raises(koji.GenericError):
        admin.createTag(unique("t"), arches="x86_64 $(reboot)")
    with pytest.raises(koji.GenericError, match="No such entry in table permissions"):
        admin.createTag(unique("t"), perm="no-such-permission")
