"""Who may call what: declared access, enforced by the dispatcher for every method."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import koji_session, make_host, make_user, unique


def test_every_method_declares_its_access():
    from kiln.hub.rpc import ANYONE, HOST, LOGIN, PERM, build_registry

    registry = build_registry()
    assert registry.methods, "no methods registered"
    for name, method in registry.methods.items():
        assert method.access in (ANYONE, LOGIN, PERM, HOST), name
        if name.startswith("host."):
            assert method.access == HOST, f"{name} must be host-only"
        if method.access == PERM:
            assert method.perm


def test_anonymous_writes_are_refused(anon):
    with pytest.raises(koji.ActionNotAllowed, match=r"admin permission required \(user not logged in\)"):
        anon.createUser(unique())
    with pytest.raises(koji.ActionNotAllowed, match=r"host permission required \(user not logged in\)"):
        anon.addHost(unique(), ["x86_64"])


def test_non_admin_is_refused_admin_methods_and_nothing_changes(hub, admin):
    name, password = make_user(hub, admin)
    user = koji_session(hub, name, password)
    target = unique()
    with pytest.raises(koji.ActionNotAllowed, match=rf"admin permission required \(logged in as {name}\)"):
        user.createUser(target)
    with pytest.raises(koji.ActionNotAllowed):
        user.grantPermission(name, "admin")
    with pytest.raises(koji.ActionNotAllowed):
        user.addChannel(unique())
    assert admin.getUser(target) is None
    assert admin.getUserPerms(name) == []


def test_a_permission_opens_exactly_its_methods(hub, admin):
    name, password = make_user(hub, admin, perms=("host",))
    user = koji_session(hub, name, password)
    host_name = unique("h")
    host_id = user.addHost(host_name, ["x86_64"])
    assert user.getHost(host_id)["name"] == host_name
    with pytest.raises(koji.ActionNotAllowed):
        user.createUser(unique())
    assert user.hasPerm("host") and not user.hasPerm("admin")


def test_admin_implies_every_permission_but_hasperm_is_exact(admin):
    host_name = unique("h")
    assert admin.addHost(host_name, ["x86_64"]) > 0  # needs 'host'; admin suffices
    assert admin.hasPerm("admin") is True
    assert admin.hasPerm("host") is False  # Koji's hasPerm does not imply from admin


def test_users_may_not_call_host_methods(hub, admin):
    name, password = make_user(hub, admin, perms=("admin",))
    user = koji_session(hub, name, password)
    with pytest.raises(koji.AuthError, match=r"User \d+ is not a host"):
        user.callMethod("host.getID")
    with pytest.raises(koji.AuthError, match="Not logged-in"):
        koji_session(hub).callMethod("host.getID")


def test_hosts_need_an_exclusive_session(hub, admin):
    host, password, host_id = make_host(hub, admin)
    session = koji_session(hub, host, password)
    with pytest.raises(koji.AuthError, match="This method requires an exclusive session"):
        session.callMethod("host.getID")
    session.exclusiveSession()
    assert session.callMethod("host.getID") == host_id
    assert session.callMethod("host.getHost")["id"] == host_id


def test_logged_in_reads_and_anonymous_reads(hub, admin, anon):
    assert anon.getHost(unique()) is None
    assert anon.listChannels()
    assert anon.getAllPerms()[0]["name"] == "admin"
