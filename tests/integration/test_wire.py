"""The wire: Koji's XML-RPC dialect, its faults and its HTTP refusals."""

from __future__ import annotations

import koji
import pytest
import requests

from kiln.protocol.xmlrpc import dumps, encode_args, loads
from tests.conftest import koji_session, unique


def post(hub, body, headers=None):
    return requests.post(hub.url, data=body, headers={"Content-Type": "text/xml", **(headers or {})}, timeout=30)


def test_hello_and_versions(hub, anon):
    assert anon.hello() == "Hello World"
    assert anon.getAPIVersion() == 1
    version = anon.getKojiVersion()
    assert [int(p) for p in version.split(".")] >= [1, 35, 3]
    reply = post(hub, dumps((), methodname="hello"))
    assert reply.headers["Koji-Version"] == version
    assert reply.headers["Kiln-Version"]
    assert anon.hub_version_str == version


def test_every_reply_carries_the_version_header(hub):
    for reply in (
        requests.get(hub.url, timeout=10),
        post(hub, b""),
        post(hub, dumps((), methodname="noSuchMethod")),
    ):
        assert "Koji-Version" in reply.headers


def test_non_post_is_refused_with_405(hub):
    reply = requests.get(hub.url, timeout=10)
    assert reply.status_code == 405
    assert reply.headers["Allow"] == "POST"


def test_unknown_method_is_koji_invalid_method(anon):
    with pytest.raises(koji.GenericError, match="^Invalid method: noSuchMethod$"):
        anon.callMethod("noSuchMethod")


def test_wrong_arity_and_keywords_are_parameter_errors(anon):
    with pytest.raises(koji.ParameterError, match=r"getAPIVersion\(\) takes 1 positional argument but 2 were given"):
        anon.getAPIVersion(1)
    with pytest.raises(koji.ParameterError, match="got an unexpected keyword argument 'bogus'"):
        anon.getUser("admin", bogus=True)
    with pytest.raises(koji.ParameterError, match="missing 1 required positional argument: 'hostInfo'"):
        anon.getHost()


def test_keyword_arguments_and_nil(anon):
    assert anon.getUser(userInfo="admin", strict=None)["name"] == "admin"
    assert anon.echo(None, 1, "a") == [None, 1, "a"]


def test_64_bit_integers_both_ways(anon):
    big = 2**40 + 7
    assert anon.echo(big, -big) == [big, -big]
    raw = dumps(encode_args(big), methodname="echo")
    assert "<i8>" in raw


def test_malformed_body_is_http_400_and_server_keeps_serving(hub, anon):
    reply = post(hub, b"<methodCall><methodName>hello</methodName><params>")
    assert reply.status_code == 400
    assert reply.text.startswith("Invalid request:")
    assert anon.hello() == "Hello World"


def test_empty_body_is_400(hub):
    reply = post(hub, b"")
    assert reply.status_code == 400
    assert reply.text == "Invalid request: Empty request\n"


def test_entity_bomb_is_refused_without_expanding(hub, admin, anon):
    name = unique("bomb")
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        f"<methodCall><methodName>createUser</methodName><params><param><value><string>{name}&lol3;"
        "</string></value></param></params></methodCall>"
    )
    reply = post(hub, bomb.encode())
    assert reply.status_code == 400
    assert "DTD" in reply.text or "Forbidden" in reply.text
    assert anon.getUser(name) is None
    assert anon.hello() == "Hello World"


def test_body_over_the_limit_is_refused_from_content_length(hub, anon):
    # Only the header is sent: the hub must answer before reading a body it refuses.
    import socket

    with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:
        sock.sendall(
            b"POST /kojihub HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            b"Content-Length: 104857600\r\nConnection: close\r\n\r\n"
        )
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        answer = b"".join(chunks).decode()
    assert answer.startswith("HTTP/1.1 413")
    assert "Invalid request: Request too long" in answer
    assert anon.hello() == "Hello World"


def test_fault_codes_reach_the_koji_client_as_its_classes(hub, anon):
    with pytest.raises(koji.ActionNotAllowed):
        anon.createUser(unique())
    with pytest.raises(koji.GenericError) as info:
        anon.getUser("nobody-" + unique(), strict=True)
    assert type(info.value) is koji.GenericError
    session = koji_session(hub)
    session.setSession({"session-id": 999999, "session-key": "1-x", "header-auth": True})
    with pytest.raises(koji.AuthError, match="Invalid session or bad credentials"):
        session.getLoggedInUser()


def test_unexpected_exception_is_a_short_fault_and_logged(hub, anon):
    # queryHistory with a bad before type reaches float() inside the domain: a plain Python error.
    with pytest.raises(koji.GenericError) as info:
        anon.getLastEvent(before="yesterday")
    assert "Invalid type for before" in str(info.value)


def test_dumps_and_loads_round_trip_faults():
    text = dumps(koji.xmlrpcplus.Fault(1004, "no"))
    with pytest.raises(koji.xmlrpcplus.Fault):
        loads(text)
