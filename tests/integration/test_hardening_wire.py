"""Numbers beyond what the databases hold, in arguments and in session headers: Koji's faults, alike on both."""

from __future__ import annotations

import koji
import pytest
import requests

from tests.conftest import koji_session, make_user, unique

CALL = b"<?xml version='1.0'?><methodCall><methodName>%s</methodName><params>%s</params></methodCall>"


def _post(hub, method: bytes, params: bytes = b"", headers: dict | None = None) -> requests.Response:
    return requests.post(
        hub.url, data=CALL % (method, params), headers={"Content-Type": "text/xml", **(headers or {})}, timeout=30
    )


@pytest.mark.parametrize("number", [2**63, 2**64, -(2**63) - 1])
def test_a_number_beyond_64_bits_is_a_parameter_error(hub, number):
    """The XML may carry any number; ``echo`` used to fail writing it back."""
    reply = _post(hub, b"echo", b"<param><value><i8>%d</i8></value></param>" % number)
    assert reply.status_code == 200
    assert b"<name>faultCode</name><value><int>1019</int>" in reply.content  # ParameterError
    assert b"within 64 bits" in reply.content


@pytest.mark.parametrize("number", [2**31, 2**63 - 1])
def test_ids_beyond_32_bits_are_refused_alike_on_both_databases(anon, number):
    for call in (anon.getTag, anon.getUser, anon.getBuild, anon.getTaskInfo):
        with pytest.raises(koji.ParameterError):
            call(number)


def test_wrongly_typed_arguments_never_reach_sql(anon):
    with pytest.raises(koji.ParameterError) as info:
        anon.getTag("build", False, ["x"])
    assert "event" in str(info.value) and "SELECT" not in str(info.value)


@pytest.mark.parametrize(
    "headers",
    [
        {"Koji-Session-Id": str(2**63), "Koji-Session-Key": "x"},
        {"Koji-Session-Id": str(2**31), "Koji-Session-Key": "x"},
        {"Koji-Session-Id": "-1", "Koji-Session-Key": "x"},
        {"Koji-Session-Id": "x", "Koji-Session-Key": "x"},
    ],
)
def test_a_session_id_out_of_range_is_an_authentication_error(hub, headers):
    reply = _post(hub, b"getLoggedInUser", headers=headers)
    assert b"<int>1002</int>" in reply.content  # AuthError, not an internal error


def test_a_call_number_out_of_range_is_refused_before_anything_is_written(hub, admin):
    name, password = make_user(hub, admin, perms=("admin",))
    session = koji_session(hub, name, password)
    sinfo = session.sinfo
    created = unique("never")
    params = b"<param><value><string>%s</string></value></param>" % created.encode()
    headers = {
        "Koji-Session-Id": str(sinfo["session-id"]),
        "Koji-Session-Key": sinfo["session-key"],
        "Koji-Session-Callnum": str(2**40),
    }
    reply = _post(hub, b"createUser", params, headers)
    assert b"<int>1002</int>" in reply.content
    assert admin.getUser(created) is None
    assert session.getLoggedInUser()["name"] == name  # the session itself is fine


@pytest.mark.postgres
def test_a_database_failure_shows_neither_host_nor_port(request, postgres, tmp_path):
    """PostgreSQL's own error texts name the server (host, port, database): they go to the log only.

    A database the hub cannot reach (here: dropped) answers ServerOffline (issue 19), never its address.
    """
    from tests.conftest import hub_db_url
    from tests.support.hub import HubProcess

    db_url = hub_db_url("postgres", request, tmp_path)
    hub = HubProcess(db_url, prepared=True)
    request.addfinalizer(hub.kill)
    hub.start()
    anon = koji_session(hub)
    assert anon.getTag("no-such-tag") is None  # the workers hold connections now
    postgres.drop_database(db_url.rsplit("/", 1)[1])
    for _ in range(3):  # whichever worker answers
        with pytest.raises(koji.ServerOffline) as info:
            anon.getTag("no-such-tag")
        text = str(info.value)
        assert "127.0.0.1" not in text and str(postgres.port) not in text and "psycopg" not in text, text
    assert "the database is not available" in hub.log_text()
