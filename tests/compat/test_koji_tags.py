"""Tags, inheritance, package lists and targets through the official koji CLI: what it prints."""

from __future__ import annotations

import re

import koji
import pytest

from tests.compat.test_koji_cli import out_lines
from tests.conftest import koji_session, make_user, unique


@pytest.mark.slow
def test_tags_inheritance_packages_and_targets_as_koji_prints_them(koji_cli, admin):
    base, build, dest, extra = (unique(p) for p in ("base", "build", "dest", "over"))
    target = unique("target")
    koji_cli("add-tag", base, "--arches", "x86_64 noarch")
    koji_cli("add-tag", build, "--parent", base, "--arches", "x86_64")
    koji_cli("add-tag", dest)
    koji_cli("add-tag", extra)
    koji_cli("add-tag-inheritance", build, extra, "--priority", "5", "--maxdepth", "0")
    koji_cli("edit-tag", build, "-x", "mock.new_chroot=0", "--lock")
    koji_cli("add-target", target, build, dest)
    added = koji_cli("add-pkg", "--owner", "admin", base, "hello", "world")
    assert added.stdout == f"Adding 2 packages to tag {base}\n"
    koji_cli("block-pkg", build, "world")
    ids = {name: admin.getTag(name)["id"] for name in (base, build, dest, extra)}

    assert [t for t in out_lines(koji_cli("list-tags", user=None)) if t in ids] == sorted(ids)
    assert out_lines(koji_cli("list-tags", f"{build[:5]}*", user=None)) == sorted(
        t["name"] for t in admin.listTags() if t["name"].startswith(build[:5])
    )

    assert out_lines(koji_cli("list-tag-inheritance", build, user=None)) == [
        f"     {build} ({ids[build]})",
        f"....  ├─{base} ({ids[base]})",
        f"M...  └─{extra} ({ids[extra]})",
    ]
    assert out_lines(koji_cli("list-tag-inheritance", "--reverse", base, user=None)) == [
        f"     {base} ({ids[base]})",
        f"....  └─{build} ({ids[build]})",
    ]

    info = out_lines(koji_cli("taginfo", build, user=None))
    assert info == [
        f"Tag: {build} [{ids[build]}]",
        "Arches: x86_64",
        "Groups: ",
        "LOCKED",
        "Tag options:",
        f"  mock.new_chroot : 0          [{build}]",
        "This tag is a buildroot for one or more targets",
        "Current repo: no active repo",
        "Targets that build from this tag:",
        f"  {target}",
        "Inheritance:",
        f"  0    .... {base} [{ids[base]}]",
        f"  5    M... {extra} [{ids[extra]}]",
        "    maxdepth: 0",
    ]

    header = [
        "Package                 Tag                     Extra Arches     Owner          ",
        "-" * 23 + " " + "-" * 23 + " " + "-" * 16 + " " + "-" * 15,
    ]
    packages = out_lines(koji_cli("list-pkgs", "--tag", build, user=None))
    assert packages == [*header, f"{'hello':<23} {base:<23} {'':<16} {'admin':<15}"]
    blocked = out_lines(koji_cli("list-pkgs", "--tag", build, "--show-blocked", user=None))
    assert blocked[2:] == [
        f"{'world':<23} {build:<23} {'':<16} {'admin':<15} [BLOCKED]",
        f"{'hello':<23} {base:<23} {'':<16} {'admin':<15}",
    ]

    targets = out_lines(koji_cli("list-targets", "--name", target, user=None))
    assert targets == [
        f"{'Name':<30} {'Buildroot':<30} {'Destination':<30}",
        "-" * 93,
        f"{target:<30} {build:<30} {dest:<30}",
    ]
    koji_cli("edit-target", target, "--dest-tag", extra)
    assert admin.getBuildTarget(target)["dest_tag_name"] == extra

    again = koji_cli("add-tag", base, check=False)
    assert (again.returncode, again.stderr.strip().splitlines()[-1].split("koji: ")[-1]) == (
        1,
        f"GenericError: A tag with the name '{base}' already exists",
    )

    koji_cli("remove-target", target)
    assert admin.getBuildTarget(target) is None
    history = out_lines(koji_cli("list-history", "--tag", build, user=None))
    stamp = r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}"
    expected = [
        f"new tag: {build} by admin",
        f"inheritance line {build}->{base} added by admin [still active]",
        f"inheritance line {build}->{extra} added by admin [still active]",
        f"tag configuration for {build} altered by admin [still active]",
        "    locked: False -> True",
        f"added tag option mock.new_chroot for tag {build} by admin [still active]",
        f"package owner admin set for world in {build} by admin [still active]",
        f"package list entry created: world in {build} by admin [still active]",
    ]
    assert [re.sub(f"^{stamp} ", "", line) for line in history] == expected
    # As Koji's hub does, --tag selects a target's rows by its destination tag only.
    dest_history = out_lines(koji_cli("list-history", "--tag", dest, user=None))
    assert any(f"new build target: {target} by admin" in line for line in dest_history), dest_history


def test_what_a_user_without_the_tag_and_target_permissions_may_not_do(koji_cli, hub, admin):
    user = make_user(hub, admin)
    said = koji_cli("add-tag", unique("nope"), user=user, check=False)  # the CLI asks first
    assert (said.returncode, said.stderr.splitlines()[-1]) == (
        2,
        "koji: error: This action requires tag or admin privileges",
    )
    session = koji_session(hub, *user)  # and the hub refuses whoever does not ask
    name = unique("nope")
    with pytest.raises(koji.ActionNotAllowed, match="tag permission required"):
        session.createTag(name)
    with pytest.raises(koji.ActionNotAllowed, match="target permission required"):
        session.createBuildTarget(name, "x", "y")
    assert admin.getTag(name) is None
