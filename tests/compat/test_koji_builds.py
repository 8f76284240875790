"""Builds and tagged builds through the official koji CLI: what it prints."""

from __future__ import annotations

import re

from tests.compat.test_koji_cli import out_lines
from tests.conftest import unique

TAGGED_HEADER = [f"{'Build':<40}  {'Tag':<20}  Built by", f"{'-' * 40}  {'-' * 20}  {'-' * 16}"]


def tagged_row(nvr: str, tag: str, owner: str = "admin") -> str:
    return f"{nvr:<40}  {tag:<20}  {owner}"


def tagged(*rows: str) -> list[str]:
    return [*TAGGED_HEADER, *rows]


def test_buildinfo_tagged_latest_and_history_as_koji_prints_them(koji_cli, admin):
    base, child, pkg = unique("cbase"), unique("cchild"), unique("cpkg")
    admin.createTag(base)
    admin.createTag(child, parent=base)
    admin.packageListAdd(base, pkg, owner="admin")
    old = admin.createEmptyBuild(pkg, "1.0", "1", None)
    new = admin.createEmptyBuild(pkg, "1.1", "1", None)
    koji_cli("call", "tagBuildBypass", base, f"{pkg}-1.0-1")
    koji_cli("call", "tagBuildBypass", child, f"{pkg}-1.1-1")

    info = out_lines(koji_cli("buildinfo", f"{pkg}-1.1-1", user=None))
    finished = admin.getBuild(new)["completion_ts"]
    assert info[:5] == [
        f"BUILD: {pkg}-1.1-1 [{new}]",
        "State: COMPLETE",
        "Built by: admin",
        "Volume: DEFAULT",
        "Task: none",
    ]
    assert re.fullmatch(r"Finished: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d UTC", info[5]) and finished
    assert info[6:] == [f"Tags: {child}"]

    assert out_lines(koji_cli("list-tagged", child, user=None)) == [*TAGGED_HEADER, tagged_row(f"{pkg}-1.1-1", child)]
    assert out_lines(koji_cli("list-tagged", "--inherit", child, user=None)) == [
        *TAGGED_HEADER,
        tagged_row(f"{pkg}-1.1-1", child),
        tagged_row(f"{pkg}-1.0-1", base),
    ][:2] + sorted([tagged_row(f"{pkg}-1.1-1", child), tagged_row(f"{pkg}-1.0-1", base)])
    assert out_lines(koji_cli("latest-build", child, pkg, user=None)) == [
        *TAGGED_HEADER,
        tagged_row(f"{pkg}-1.1-1", child),
    ]

    builds_header = [f"{'Build':<55}  {'Built by':<16}  State", f"{'-' * 55}  {'-' * 16}  {'-' * 16}"]
    assert out_lines(koji_cli("list-builds", "--package", pkg, user=None)) == [
        *builds_header,
        f"{pkg + '-1.0-1':<55}  {'admin':<16}  COMPLETE",
        f"{pkg + '-1.1-1':<55}  {'admin':<16}  COMPLETE",
    ]

    koji_cli("untag-build", child, f"{pkg}-1.1-1")
    assert out_lines(koji_cli("latest-build", child, pkg, user=None)) == [
        *TAGGED_HEADER,
        tagged_row(f"{pkg}-1.0-1", base),
    ]
    history = out_lines(koji_cli("list-history", "--build", f"{pkg}-1.1-1", user=None))
    stamp = r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} "
    assert [re.sub(f"^{stamp}", "", line) for line in history] == [
        f"{pkg}-1.1-1 tagged into {child} by admin",
        f"{pkg}-1.1-1 untagged from {child} by admin",
    ]
    assert out_lines(koji_cli("list-tags", "--build", f"{pkg}-1.0-1", user=None)) == [base]
    assert old
