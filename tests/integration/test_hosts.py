"""Hosts and channels through the API, with Koji's shapes and messages."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import unique

HOST_KEYS = {
    "id", "user_id", "name", "update_ts", "ready", "task_load", "arches",
    "capacity", "description", "comment", "enabled",
}  # fmt: skip
CHANNEL_KEYS = {"id", "name", "description", "enabled", "comment"}


def test_add_host_makes_a_host_account_in_channel_default(admin, anon):
    name = unique("h")
    host_id = admin.addHost(name, ["x86_64", "i686"])
    host = anon.getHost(name)
    assert set(host) == HOST_KEYS
    assert host["id"] == host_id and host["arches"] == "x86_64 i686"
    assert host["capacity"] == 2.0 and host["enabled"] is True and host["ready"] is False
    assert host["task_load"] == 0.0 and host["update_ts"] is None
    assert anon.getHost(host_id) == host == anon.getHost({"name": name})
    assert anon.getUser(name)["usertype"] == 1
    assert [c["name"] for c in anon.listChannels(hostID=host_id)] == ["default"]
    assert [c["name"] for c in anon.listChannels(hostID=name)] == ["default"]


def test_add_host_refusals(admin, anon):
    name = unique("h")
    admin.addHost(name, ["x86_64"])
    with pytest.raises(koji.GenericError, match=f"host already exists: {name}"):
        admin.addHost(name, ["x86_64"])
    user = unique("u")
    admin.createUser(user)
    with pytest.raises(koji.GenericError, match=f"user {user} already exists and it is not a host"):
        admin.addHost(user, ["x86_64"])
    assert admin.addHost(user, ["x86_64"], force=True) > 0  # force converts a normal user
    with pytest.raises(koji.GenericError, match=r"Architecture can be only \[a-zA-Z0-9_-\]"):
        admin.addHost(unique("h"), ["x86 64!"])
    with pytest.raises(koji.GenericError, match="does not match RegexNameInternal"):
        admin.addHost("bad@host", ["x86_64"])
    with pytest.raises(koji.GenericError, match="Invalid hostInfo"):
        anon.getHost(unique("nohost"), strict=True)


def test_edit_enable_disable_host(admin, anon):
    name = unique("h")
    admin.addHost(name, ["x86_64"])
    assert admin.editHost(name, capacity=4, description="fast", comment="rack 3", arches="x86_64 aarch64") is True
    assert admin.editHost(name, capacity=4.0, description="fast") is False
    host = anon.getHost(name)
    assert (host["capacity"], host["description"], host["comment"], host["arches"]) == (
        4.0, "fast", "rack 3", "x86_64 aarch64",
    )  # fmt: skip
    admin.disableHost(name)
    assert anon.getHost(name)["enabled"] is False
    admin.enableHost(name)
    assert anon.getHost(name)["enabled"] is True
    with pytest.raises(koji.GenericError, match="host does not exist"):
        admin.enableHost(unique("nohost"))


def test_host_config_at_an_event(admin, anon):
    name = unique("h")
    admin.addHost(name, ["x86_64"])
    before = anon.getLastEvent()["id"]
    admin.editHost(name, capacity=8)
    assert anon.getHost(name, event=before)["capacity"] == 2.0
    assert anon.getHost(name)["capacity"] == 8.0


def test_list_hosts_filters(admin, anon):
    arch = unique("arch")
    a, b = unique("h"), unique("h")
    admin.addHost(a, [arch])
    admin.addHost(b, [arch, "noarch"])
    admin.disableHost(b)
    channel = unique("chan")
    admin.addChannel(channel)
    admin.addHostToChannel(a, channel)
    assert [h["name"] for h in anon.listHosts(arches=[arch])] == [a, b]
    assert [h["name"] for h in anon.listHosts(arches=arch, enabled=True)] == [a]
    assert [h["name"] for h in anon.listHosts(channelID=channel)] == [a]
    assert anon.listHosts(arches=[arch], ready=True) == []
    assert anon.listHosts(arches=[arch], queryOpts={"countOnly": True}) == 2
    assert [h["name"] for h in anon.listHosts(userID=a)] == [a]
    with pytest.raises(koji.GenericError, match="arches option cannot be empty"):
        anon.listHosts(arches=[])
    assert anon.getLastHostUpdate(a) is None


def test_channels(admin, anon):
    name = unique("chan")
    channel_id = admin.addChannel(name, description="for tests")
    channel = anon.getChannel(name)
    assert set(channel) == CHANNEL_KEYS
    assert channel == {"id": channel_id, "name": name, "description": "for tests", "enabled": True, "comment": None}
    assert anon.getChannel(channel_id) == channel
    with pytest.raises(koji.GenericError, match=rf"channel {name} already exists \(id={channel_id}\)"):
        admin.addChannel(name)
    assert admin.editChannel(name, description="changed", comment="c") is True
    assert admin.editChannel(name, description="changed") is False
    admin.disableChannel(name, comment="maintenance")
    assert anon.getChannel(name)["enabled"] is False
    assert name in [c["name"] for c in anon.listChannels(enabled=False)]
    admin.enableChannel(name)
    assert anon.getChannel(name)["comment"] == "maintenance"
    renamed = unique("chan")
    admin.editChannel(name, name=renamed)
    assert anon.getChannel(renamed)["id"] == channel_id
    with pytest.raises(koji.GenericError, match="list_channels with event and not host is not allowed."):
        anon.listChannels(event=1)


def test_host_channel_membership(admin, anon):
    host = unique("h")
    admin.addHost(host, ["x86_64"])
    channel = unique("chan")
    admin.addChannel(channel)
    admin.addHostToChannel(host, channel)
    with pytest.raises(koji.GenericError, match=f"host {host} is already subscribed to the {channel} channel"):
        admin.addHostToChannel(host, channel)
    with pytest.raises(koji.GenericError, match="channel does not exist"):
        admin.addHostToChannel(host, unique("nochan"))
    created = unique("chan")
    admin.addHostToChannel(host, created, create=True)
    admin.disableChannel(channel)
    other = unique("h")
    admin.addHost(other, ["x86_64"])
    with pytest.raises(koji.GenericError, match=f"channel {channel} is disabled"):
        admin.addHostToChannel(other, channel)
    admin.addHostToChannel(other, channel, force=True)
    assert sorted(c["name"] for c in anon.listChannels(hostID=host)) == sorted(["default", channel, created])
    admin.removeHostFromChannel(host, channel)
    with pytest.raises(koji.GenericError, match=f"host {host} is not subscribed to the {channel} channel"):
        admin.removeHostFromChannel(host, channel)
    assert channel not in [c["name"] for c in anon.listChannels(hostID=host)]


def test_remove_channel(admin, anon):
    channel = unique("chan")
    admin.addChannel(channel)
    host = unique("h")
    admin.addHost(host, ["x86_64"])
    admin.addHostToChannel(host, channel)
    with pytest.raises(koji.GenericError, match=f"channel {channel} has host references"):
        admin.removeChannel(channel)
    admin.removeChannel(channel, force=True)
    assert anon.getChannel(channel) is None
    assert [c["name"] for c in anon.listChannels(hostID=host)] == ["default"]


def test_listing_order_and_its_refusals(admin, anon):
    arch = unique("arch")
    names = sorted(unique("h") for _ in range(3))
    for name in names:
        admin.addHost(name, [arch])
    assert [h["name"] for h in anon.listHosts(arches=[arch], queryOpts={"order": "-name"})] == names[::-1]
    assert [h["name"] for h in anon.listHosts(arches=[arch], queryOpts={"order": "name", "offset": 1})] == names[1:]
    with pytest.raises(koji.ParameterError, match="Invalid order field: active"):
        anon.listHosts(queryOpts={"order": "active"})
    with pytest.raises(koji.ParameterError, match="Invalid order field: password"):
        anon.listUsers(queryOpts={"order": "password"})
