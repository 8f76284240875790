"""The wire codec, faults and names, as pure functions."""

from __future__ import annotations

import datetime
import xmlrpc.client

import koji
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiln.protocol import errors
from kiln.protocol.constants import TaskState
from kiln.protocol.xmlrpc import Fault, decode_args, dumps, encode_args, loads

# XML 1.0 cannot carry control characters; neither can Koji.
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.slow
@given(st.lists(values, max_size=4))
def test_round_trip_through_our_codec_and_kojis(params):
    text = dumps(tuple(params), methodname="m")
    assert loads(text) == (tuple(params), "m")
    assert koji.xmlrpcplus.loads(text.encode()) == (tuple(params), "m")
    # and what Koji's own marshaller writes, we read the same
    assert loads(koji.xmlrpcplus.dumps(tuple(params), methodname="m")) == (tuple(params), "m")


@pytest.mark.parametrize(
    "value",
    [
        "a < b && c > d",
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>sleep</methodName>\n</methodCall>\n",
        "line\r\nbreaks\rkept",
        "   ",
        "",
        "\u00e9t\u00e9 \u2603 \U0001f600",
        "]]> &amp; &lt;",
    ],
)
def test_text_arrives_exactly_as_sent_to_us_and_to_koji(value):
    document = dumps(({"k<&>": value, "list": [value]},), methodresponse=True)
    expected = ({"k<&>": value, "list": [value]},)
    assert loads(document)[0] == expected
    assert xmlrpc.client.loads(document.encode(), use_builtin_types=True)[0] == expected


def test_kinds_beyond_the_plain_ones():
    class Row(dict):
        pass

    when = datetime.date(2025, 7, 1)
    document = dumps(
        (TaskState.CLOSED, Row(a=1), b"\x00\xff", when, (1, 2), 2**40, -(2**40), 1.5, True),
        methodresponse=True,
    )
    params = loads(document)[0]
    assert params == (2, {"a": 1}, b"\x00\xff", "2025-07-01", [1, 2], 2**40, -(2**40), 1.5, True)
    assert type(params[0]) is int and type(params[-1]) is bool
    with pytest.raises(TypeError, match="cannot marshal"):
        dumps((object(),), methodresponse=True)
    with pytest.raises(TypeError, match="key must be a string"):
        dumps(({1: "a"},), methodresponse=True)


def test_kwargs_travel_as_starstar_struct():
    params = encode_args(1, a=None)
    assert params == (1, {"a": None, "__starstar": True})
    assert decode_args(list(params)) == ([1], {"a": None})
    assert decode_args([{"x": 1}]) == ([{"x": 1}], {})  # a plain struct stays positional
    assert koji.encode_args(1, a=None) == params


def test_datetimes_leave_as_strings():
    when = datetime.datetime(2025, 7, 1, 12, 0, tzinfo=datetime.UTC)
    text = dumps((when,), methodresponse=True)
    assert "dateTime.iso8601" not in text
    assert loads(text)[0] == ("2025-07-01 12:00:00+00:00",)


def test_integers_beyond_64_bits_are_refused():
    with pytest.raises(OverflowError):
        dumps((2**64,), methodresponse=True)


@pytest.mark.parametrize(
    "body",
    [
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><methodCall>"
        b"<methodName>&e;</methodName></methodCall>",
        b"<methodCall><methodName>x</methodName><params>",
        b"not xml at all",
        # billion laughs
        b"<?xml version='1.0'?><!DOCTYPE l [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>"
        b"<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;'>]><methodResponse><params><param><value>&c;</value></param>"
        b"</params></methodResponse>",
        # an external DTD, and a parameter entity
        b"<!DOCTYPE methodCall SYSTEM 'http://127.0.0.1:9/x.dtd'><methodCall><methodName>x</methodName></methodCall>",
        b"<!DOCTYPE x [<!ENTITY % p SYSTEM 'file:///etc/passwd'> %p;]>"
        b"<methodCall><methodName>x</methodName></methodCall>",
        # the same in UTF-16, where a search for bytes would not see it
        "<?xml version='1.0' encoding='utf-16'?><!DOCTYPE x [<!ENTITY e 'e'>]><methodCall><methodName>&e;"
        "</methodName></methodCall>".encode("utf-16"),
        b"<methodCall><methodName>x</methodName><params><param><value>&undefined;</value></param></params></methodCall>",
        b"<methodCall><methodName>x</methodName><params><param><value><int>one</int></value></param></params>"
        b"</methodCall>",
        b"<methodCall><methodName>x</methodName><params><param><value><boolean>2</boolean></value></param>"
        b"</params></methodCall>",
        b"<methodCall><methodName>x</methodName><params><param><value><object/></value></param></params></methodCall>",
        b"<methodCall><methodName>x</methodName><params><param>"
        + b"<value><array><data>" * 5000
        + b"</data></array></value>" * 5000
        + b"</param></params></methodCall>",
        b"<html><body>a proxy's error page</body></html>",
    ],
)
def test_hostile_and_broken_documents_are_value_errors(body):
    with pytest.raises(ValueError):
        loads(body)


def test_what_other_xml_rpc_writers_send_is_read():
    document = (
        b"<?xml version='1.0'?>\n<methodCall xmlns:ex='http://ws.apache.org/xmlrpc/namespaces/extensions'>\n"
        b"<methodName>m</methodName>\n<params>\n"
        b"<param><value>untyped text</value></param>\n"
        b"<param><value><ex:nil/></value></param>\n"
        b"<param><value><ex:i8>9007199254740993</ex:i8></value></param>\n"
        b"<param><value><i4> 7 </i4></value></param>\n"
        b"<param><value><base64>AP8=\n</base64></value></param>\n"
        b"<param><value><dateTime.iso8601>20250701T12:00:00</dateTime.iso8601></value></param>\n"
        b"<param><value><struct>\n<member>\n<name>a</name>\n<value><boolean>1</boolean></value>\n</member>\n"
        b"</struct></value></param>\n"
        b"<param><value><array><data/></array></value></param>\n"
        b"</params>\n</methodCall>\n"
    )
    params, method = loads(document)
    assert method == "m"
    assert params == (
        "untyped text",
        None,
        9007199254740993,
        7,
        b"\x00\xff",
        datetime.datetime(2025, 7, 1, 12, 0),
        {"a": True},
        [],
    )
    assert loads(b"<methodCall><methodName>noargs</methodName></methodCall>") == ((), "noargs")


def test_fault_documents_raise_faults():
    with pytest.raises(Fault) as info:
        loads(dumps(Fault(1009, "again")))
    assert info.value.faultCode == 1009


def test_fault_codes_match_kojis_classes():
    for code, cls in errors.FAULT_CLASSES.items():
        koji_cls = koji.convertFault(Fault(code, "m"))
        assert type(koji_cls).__name__ == cls.__name__.replace("KojiImportError", "ImportError"), code
        assert isinstance(errors.from_fault(code, "m"), cls)
    assert isinstance(errors.from_fault(1, "x"), Fault)
    assert issubclass(errors.RetryError, errors.AuthError)
