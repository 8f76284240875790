"""Sessions: login, call numbers, subsessions, exclusive sessions, expiry, proxy identity."""

from __future__ import annotations

import time

import koji
import pytest
import requests
import sqlalchemy as sa

from kiln.protocol.xmlrpc import dumps, encode_args, loads
from tests.conftest import ADMIN, koji_session, make_host, make_user, start_hub, unique


def test_login_returns_header_auth_session(hub, admin):
    name, password = make_user(hub, admin)
    session = koji_session(hub)
    info = session.callMethod("login", name, password, opts=None)
    assert info["header-auth"] is True
    assert isinstance(info["session-id"], int)
    assert info["session-key"].startswith(f"{admin.getUser(name)['id']}-")


def test_passwords_and_keys_are_not_stored_in_clear(hub, admin):
    name, password = make_user(hub, admin, password="s3cret-Pass")
    session = koji_session(hub, name, password)
    engine = sa.create_engine(hub.db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password FROM users WHERE name = :n"), {"n": name}).scalar_one()
        key = conn.execute(
            sa.text("SELECT key FROM sessions WHERE id = :i"), {"i": session.sinfo["session-id"]}
        ).scalar_one()
    engine.dispose()
    assert "s3cret-Pass" not in stored and stored.startswith("scrypt$")
    assert stored.split("$")[1] == str(2 ** hub.settings["password_cost"])  # the hub's configured cost
    assert key != session.sinfo["session-key"]


def test_wrong_password_and_unknown_user_are_auth_errors(hub, admin):
    name, _ = make_user(hub, admin)
    for user, password in ((name, "wrong"), (unique("ghost"), "pw"), (name, "")):
        session = koji_session(hub)
        with pytest.raises(koji.AuthError, match="invalid username or password"):
            session.callMethod("login", user, password, opts=None)


def test_blocked_user_cannot_log_in(hub, admin):
    name, password = make_user(hub, admin)
    admin.disableUser(name)
    with pytest.raises(koji.AuthError, match=f"logins by {name} are not allowed"):
        koji_session(hub, name, password)
    admin.enableUser(name)
    assert koji_session(hub, name, password).getLoggedInUser()["name"] == name


def test_logged_in_user_and_session_info(hub, admin):
    user = admin.getLoggedInUser()
    assert user["name"] == ADMIN[0] and user["authtype"] == 0 and user["krb_principal"] is None
    info = admin.getSessionInfo()
    assert set(info) == {
        "user_id", "expired", "master", "authtype", "callnum", "start_time", "update_time",
        "renew_time", "start_ts", "update_ts", "renew_ts", "exclusive",
    }  # fmt: skip
    assert info["user_id"] == user["id"] and info["exclusive"] is None
    detailed = admin.getSessionInfo(details=True)
    assert detailed["id"] == admin.sinfo["session-id"]
    assert koji_session(hub).getSessionInfo() is None
    assert koji_session(hub).getLoggedInUser() is None


def test_logout_closes_the_session(hub, admin):
    name, password = make_user(hub, admin)
    session = koji_session(hub, name, password)
    sinfo = dict(session.sinfo)
    session.logout()
    stale = koji_session(hub)
    stale.setSession(sinfo)
    with pytest.raises(koji.AuthError, match="Invalid session or bad credentials"):
        stale.getLoggedInUser()


def test_call_numbers_replay_and_sequence(hub, admin):
    name, password = make_user(hub, admin, perms=("admin",))
    session = koji_session(hub, name, password)
    session.createUser(unique())  # a write: the hub stores this call number
    session.callnum -= 1
    with pytest.raises(koji.RetryError):
        session.createUser(unique())
    session.callnum -= 2
    with pytest.raises(koji.SequenceError):
        session.getLoggedInUser()


def test_read_only_replay_is_harmless(hub, admin):
    name, password = make_user(hub, admin)
    session = koji_session(hub, name, password)
    session.getLoggedInUser()
    session.callnum -= 1
    assert session.getLoggedInUser()["name"] == name  # reads do not advance the stored number
    stored = session.getSessionInfo()["callnum"]
    assert stored is None  # nothing written yet in this session


def test_subsession_shares_user_and_logout_child(hub, admin):
    name, password = make_user(hub, admin)
    session = koji_session(hub, name, password)
    child = session.subsession()
    child_info = child.sinfo
    assert child.getLoggedInUser()["name"] == name
    assert child.getSessionInfo()["master"] == session.sinfo["session-id"]
    session.logoutChild(child_info["session-id"])
    with pytest.raises(koji.AuthError):
        child.getLoggedInUser()
    assert session.getLoggedInUser()["name"] == name


def test_logout_of_master_closes_subsessions(hub, admin):
    name, password = make_user(hub, admin)
    session = koji_session(hub, name, password)
    child = session.subsession()
    session.logout()
    with pytest.raises(koji.AuthError):
        child.getLoggedInUser()


def test_exclusive_session_locks_out_the_others(hub, admin):
    host, password, _ = make_host(hub, admin)
    first = koji_session(hub, host, password)
    second = koji_session(hub, host, password)
    first.exclusiveSession()
    with pytest.raises(koji.GenericError, match="session is already exclusive"):
        first.exclusiveSession()
    with pytest.raises(koji.AuthLockError, match="User locked by another session"):
        second.getLoggedInUser()
    with pytest.raises(koji.AuthLockError, match="Cannot get exclusive session"):
        second.exclusiveSession()
    # A subsession of the lock holder is not locked out.
    child = first.subsession()
    assert child.callMethod("host.getID") == first.callMethod("host.getID")
    with pytest.raises(koji.GenericError, match="subsessions cannot become exclusive"):
        child.exclusiveSession()
    # force takes the lock over and closes the old holder.
    second.exclusiveSession(force=True)
    assert second.callMethod("host.getID") > 0
    with pytest.raises(koji.AuthError):
        first.getLoggedInUser()


def test_shared_session_releases_the_lock(hub, admin):
    host, password, _ = make_host(hub, admin)
    first = koji_session(hub, host, password)
    second = koji_session(hub, host, password)
    first.exclusiveSession()
    first.sharedSession()
    assert second.getLoggedInUser()["name"] == host
    with pytest.raises(koji.AuthError, match="This method requires an exclusive session"):
        first.callMethod("host.getID")


@pytest.mark.slow
def test_expiry_and_renewal(request, tmp_path):
    hub = start_hub(request, "sqlite", tmp_path, session_renewal_timeout=0.03)  # 1.8 s
    admin = koji_session(hub, *ADMIN)
    session_id = admin.sinfo["session-id"]
    old_key = admin.sinfo["session-key"]
    assert admin.getLoggedInUser()["name"] == ADMIN[0]
    time.sleep(2.2)
    reply = requests.post(
        hub.url,
        data=dumps((), methodname="getLoggedInUser"),
        headers={
            "Content-Type": "text/xml",
            "Koji-Session-Id": str(session_id),
            "Koji-Session-Key": old_key,
            "Koji-Session-Callnum": "100",
        },
        timeout=30,
    )
    with pytest.raises(koji.xmlrpcplus.Fault) as info:
        loads(reply.content)
    assert info.value.faultCode == koji.AuthExpired.faultCode
    assert info.value.faultString == f'session "{session_id}" has expired'

    # The koji client renews on AuthExpired: same session id, new key.
    assert admin.getLoggedInUser()["name"] == ADMIN[0]
    assert admin.sinfo["session-id"] == session_id
    assert admin.sinfo["session-key"] != old_key
    # The client counts calls from 0 again after renewing; writes go on.
    name = unique("renewed")
    admin.createUser(name)
    assert admin.getUser(name)["name"] == name


def _ssl_login(hub, headers: dict) -> requests.Response:
    body = dumps(encode_args(proxyuser=None), methodname="sslLogin")
    return requests.post(hub.url + "/ssllogin", data=body, headers={"Content-Type": "text/xml", **headers}, timeout=30)


def test_ssl_login_is_off_by_default(hub):
    reply = _ssl_login(hub, {"X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-S-DN": "CN=mallory"})
    with pytest.raises(koji.xmlrpcplus.Fault) as info:
        loads(reply.content)
    assert info.value.faultCode == koji.AuthError.faultCode


@pytest.fixture(scope="module")
def proxy_hub(request, tmp_path_factory):
    return start_hub(request, "sqlite", tmp_path_factory.mktemp("proxy"), proxy_auth=True, proxy_dns="CN=proxy,O=Kiln")


def test_ssl_login_from_client_certificate_dn(proxy_hub):
    reply = _ssl_login(proxy_hub, {"X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-S-DN": "CN=alice,O=Example"})
    (info,), _ = loads(reply.content)
    session = koji_session(proxy_hub)
    session.setSession(info)
    user = session.getLoggedInUser()
    assert user["name"] == "alice" and user["authtype"] == 2  # created on first login


def test_ssl_login_refuses_unverified_certificates(proxy_hub):
    reply = _ssl_login(proxy_hub, {"X-SSL-Client-Verify": "FAILED:unknown ca", "X-SSL-Client-S-DN": "CN=eve"})
    with pytest.raises(koji.xmlrpcplus.Fault, match="could not verify client"):
        loads(reply.content)


def test_ssl_login_from_kerberos_principal(proxy_hub):
    reply = _ssl_login(proxy_hub, {"X-Remote-User": "bob@EXAMPLE.COM"})
    (info,), _ = loads(reply.content)
    session = koji_session(proxy_hub)
    session.setSession(info)
    user = session.getLoggedInUser()
    assert user["name"] == "bob" and user["authtype"] == 3
    assert user["krb_principal"] == "bob@EXAMPLE.COM"


def test_ssl_login_proxyuser_needs_a_trusted_dn(proxy_hub):
    body = dumps(encode_args(proxyuser="carol"), methodname="sslLogin")
    for dn, ok in (("CN=proxy,O=Kiln", True), ("CN=alice,O=Example", False)):
        reply = requests.post(
            proxy_hub.url + "/ssllogin",
            data=body,
            headers={"Content-Type": "text/xml", "X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-S-DN": dn},
            timeout=30,
        )
        if ok:
            (info,), _ = loads(reply.content)
            session = koji_session(proxy_hub)
            session.setSession(info)
            assert session.getLoggedInUser()["name"] == "carol"
        else:
            with pytest.raises(koji.xmlrpcplus.Fault, match="is not authorized to login other users"):
                loads(reply.content)


def test_a_host_logs_in_by_certificate_and_acts_as_host(proxy_hub):
    admin = koji_session(proxy_hub, *ADMIN)
    name = unique("builder")
    host_id = admin.addHost(name, ["x86_64"])
    reply = _ssl_login(proxy_hub, {"X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-S-DN": f"CN={name},O=Builders"})
    (info,), _ = loads(reply.content)
    session = koji_session(proxy_hub)
    session.setSession(info)
    session.exclusiveSession()
    assert session.callMethod("host.getID") == host_id
