"""Users and permissions through the API, with Koji's shapes and messages."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import unique

USER_KEYS = {"id", "name", "status", "usertype", "krb_principals"}


def test_create_and_get_user(admin, anon):
    name = unique("u")
    principal = f"{name}@EXAMPLE.COM"
    user_id = admin.createUser(name, status=None, krb_principal=principal)
    user = anon.getUser(name)
    assert set(user) == USER_KEYS
    assert user == {"id": user_id, "name": name, "status": 0, "usertype": 0, "krb_principals": [principal]}
    assert anon.getUser(user_id) == user
    assert anon.getUser(principal) == user
    assert anon.getUser({"id": user_id}) == user
    assert anon.getUser({"name": name}) == user
    assert set(anon.getUser(name, krb_princs=False)) == USER_KEYS - {"krb_principals"}
    assert anon.getUser(name, groups=True)["groups"] == []


def test_create_user_refusals_change_nothing(admin, anon):
    name = unique("u")
    admin.createUser(name)
    with pytest.raises(koji.GenericError, match=f"user already exists: {name}"):
        admin.createUser(name)
    with pytest.raises(koji.GenericError, match="does not match RegexUserName"):
        admin.createUser("bad name!")
    with pytest.raises(koji.GenericError, match="is too long"):
        admin.createUser("x" * 300)
    with pytest.raises(koji.GenericError, match="invalid status: 7"):
        admin.createUser(unique(), status=7)
    assert anon.getUser("bad name!") is None


def test_get_user_misses(anon):
    ghost = unique("ghost")
    assert anon.getUser(ghost) is None
    with pytest.raises(koji.GenericError, match=f"No such user: '{ghost}'"):
        anon.getUser(ghost, strict=True)
    with pytest.raises(koji.GenericError, match="No user provided"):
        anon.getUser(strict=True)
    assert anon.getUser() is None


def test_get_user_without_info_is_the_caller(admin):
    assert admin.getUser()["name"] == "admin"


def test_list_users_filters(admin, anon):
    prefix = unique("lst")
    names = [f"{prefix}-a", f"{prefix}-b"]
    for n in names:
        admin.createUser(n)
    admin.grantPermission(names[0], "repo")
    listed = anon.listUsers(prefix=prefix.upper())  # prefix matches case-insensitively
    assert [u["name"] for u in listed] == names
    assert set(listed[0]) == USER_KEYS
    assert [u["name"] for u in anon.listUsers(prefix=prefix, perm="repo")] == names[:1]
    assert anon.listUsers(prefix=prefix, queryOpts={"countOnly": True}) == 2
    assert [u["name"] for u in anon.listUsers(prefix=prefix, queryOpts={"order": "-name", "limit": 1})] == names[1:]
    assert all(u["usertype"] == 0 for u in anon.listUsers())
    assert {u["usertype"] for u in anon.listUsers(userType=None)} >= {0}
    assert all(u["usertype"] == 1 for u in anon.listUsers(userType=[1]))
    with pytest.raises(koji.GenericError, match="inherited_perm option must be used with perm option"):
        anon.listUsers(inherited_perm=True)
    with pytest.raises(koji.ParameterError, match="userType must be"):
        anon.listUsers(userType="x")


def test_enable_disable_and_edit_user(admin, anon):
    name = unique("u")
    admin.createUser(name)
    admin.disableUser(name)
    assert anon.getUser(name)["status"] == 1
    admin.enableUser(name)
    assert anon.getUser(name)["status"] == 0
    new = unique("renamed")
    admin.editUser(name, new, [{"old": None, "new": f"{new}@X"}])
    user = anon.getUser(new)
    assert user["krb_principals"] == [f"{new}@X"]
    admin.editUser(new, krb_principal_mappings=[{"old": f"{new}@X", "new": None}])
    assert anon.getUser(new)["krb_principals"] == []


def test_permissions_grant_revoke_and_listing(admin, anon):
    name = unique("p")
    admin.createUser(name)
    perms = anon.getAllPerms()
    assert perms[0] == {"id": 1, "name": "admin", "description": perms[0]["description"]}
    assert [p["id"] for p in perms] == sorted(p["id"] for p in perms)
    admin.grantPermission(name, "tag")
    with pytest.raises(koji.GenericError, match=f"user {name} already has permission: tag"):
        admin.grantPermission(name, "tag")
    with pytest.raises(koji.GenericError, match="No such entry in table permissions: nope"):
        admin.grantPermission(name, "nope")
    with pytest.raises(koji.GenericError, match="Description should be specified only with create."):
        admin.grantPermission(name, "repo", description="x")
    new_perm = unique("perm")
    admin.grantPermission(name, new_perm, create=True, description="made here")
    assert {"name": new_perm, "description": "made here"}.items() <= anon.getAllPerms()[-1].items()
    assert anon.getUserPerms(name) == sorted(["tag", new_perm])
    assert anon.getUserPermsInheritance(name) == {"tag": [None], new_perm: [None]}
    admin.revokePermission(name, "tag")
    with pytest.raises(koji.GenericError, match=f"user {name} does not have permission: tag"):
        admin.revokePermission(name, "tag")
    assert anon.getUserPerms(name) == [new_perm]
    admin.editPermission(new_perm, "changed")
    assert anon.getAllPerms()[-1]["description"] == "changed"


def test_get_perms_and_has_perm_for_the_caller(admin, anon):
    assert admin.getPerms() == ["admin"]
    assert anon.getPerms() == []
    assert anon.hasPerm("admin") is False
    with pytest.raises(koji.GenericError, match="No such permission nope defined"):
        admin.hasPerm("nope", strict=True)
