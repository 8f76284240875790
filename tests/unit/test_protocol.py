"""The wire codec, faults and names, as pure functions."""

from __future__ import annotations

import datetime

import koji
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiln.protocol import errors
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


@given(st.lists(values, max_size=4))
def test_round_trip_through_our_codec_and_kojis(params):
    text = dumps(tuple(params), methodname="m")
    assert loads(text) == (tuple(params), "m")
    assert koji.xmlrpcplus.loads(text.encode()) == (tuple(params), "m")


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
    ],
)
def test_hostile_and_broken_documents_are_value_errors(body):
    with pytest.raises(ValueError):
        loads(body)


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
