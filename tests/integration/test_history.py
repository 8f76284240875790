"""Events and queryHistory over the versioned tables."""

from __future__ import annotations

import time

import koji
import pytest

from tests.conftest import unique

COMMON = {"active", "create_event", "revoke_event", "creator_id", "revoker_id", "create_ts", "revoke_ts",
          "creator_name", "revoker_name"}  # fmt: skip


def test_events(admin, anon):
    before = anon.getLastEvent()
    admin.grantPermission(admin.getUser()["name"], unique("perm"), create=True)
    after = anon.getLastEvent()
    assert set(after) == {"id", "ts"} and after["id"] > before["id"] and after["ts"] >= before["ts"]
    assert anon.getEvent(after["id"]) == after
    assert anon.getEvent(10**9, strict=False) is None
    with pytest.raises(koji.GenericError):
        anon.getEvent(10**9)
    assert anon.getLastEvent(before=after["ts"])["id"] < after["id"]


def test_user_perms_history(admin, anon):
    name = unique("hist")
    admin.createUser(name)
    admin.grantPermission(name, "tag")
    admin.revokePermission(name, "tag")
    admin.grantPermission(name, "tag")
    rows = anon.queryHistory(tables=["user_perms"], user=name)["user_perms"]
    assert len(rows) == 2
    assert set(rows[0]) == COMMON | {"user_id", "perm_id", "user.name", "permission.name"}
    old, new = rows
    assert old["active"] is None and old["revoker_name"] == "admin" and old["revoke_event"] > old["create_event"]
    assert new["active"] is True and new["revoke_event"] is None and new["creator_name"] == "admin"
    assert old["user.name"] == name and old["permission.name"] == "tag"
    assert list(new) == sorted(new)  # Koji returns keys in alphabetical order
    assert anon.queryHistory(tables=["user_perms"], user=name, active=True)["user_perms"] == [new]
    assert anon.queryHistory(tables=["user_perms"], user=name, active=False)["user_perms"] == [old]


def test_host_history_and_filters_that_drop_tables(admin, anon):
    host = unique("h")
    start = time.time() - 1
    admin.addHost(host, ["x86_64"])
    admin.editHost(host, capacity=3)
    history = anon.queryHistory(host=host)
    assert set(history) == {"host_config", "host_channels"}  # user filter tables dropped
    configs = history["host_config"]
    assert [c["capacity"] for c in configs] == [2.0, 3.0]
    assert set(configs[0]) == COMMON | {"host_id", "host.name", "arches", "capacity", "description", "comment",
                                        "enabled"}  # fmt: skip
    assert history["host_channels"][0]["channels.name"] == "default"
    later = anon.queryHistory(tables=["host_config"], host=host, after=start, utc=True, pkg="ignored")
    assert all(r["_created_after"] for r in later["host_config"])
    event = configs[1]["create_event"]
    assert len(anon.queryHistory(tables=["host_config"], host=host, afterEvent=event - 1)["host_config"]) == 2
    assert anon.queryHistory(tables=["host_config"], host=host, editor="admin")["host_config"][0]["_created_by"]
    with pytest.raises(koji.GenericError, match="No such history table: bogus"):
        anon.queryHistory(tables=["bogus"])
