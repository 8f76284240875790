"""XML-RPC with Koji's dialect: nil, 64-bit integers, keyword arguments.

Every parse goes through defusedxml's expat parser with DTDs and entities
forbidden: XML-RPC needs neither, and both are the doors of entity bombs and
external-entity reads.  Datetimes leave as strings (Koji's clients expect
``2025-07-01 12:00:00+00:00``, never ``dateTime.iso8601``).
"""

from __future__ import annotations

import datetime
import xmlrpc.client
from typing import Any

from defusedxml.xmlrpc import DefusedExpatParser

from kiln.protocol import constants

Fault = xmlrpc.client.Fault

_MAXINT = 2**31 - 1
_MININT = -(2**31)
_MAXI8 = 2**63 - 1
_MINI8 = -(2**63)

STARSTAR = "__starstar"


class Marshaller(xmlrpc.client.Marshaller):
    """Writes ints beyond 32 bits as ``<i8>`` and datetimes as strings."""

    dispatch = dict(xmlrpc.client.Marshaller.dispatch)

    def dump_int(self, value: int, write: Any) -> None:
        if _MININT <= value <= _MAXINT:
            write("<value><int>%d</int></value>\n" % value)
        elif _MINI8 <= value <= _MAXI8:
            write("<value><i8>%d</i8></value>\n" % value)
        else:
            raise OverflowError("int exceeds XML-RPC limits")

    dispatch[int] = dump_int

    def dump_datetime(self, value: datetime.datetime, write: Any) -> None:
        self.dump_unicode(value.isoformat(" "), write)

    dispatch[datetime.datetime] = dump_datetime
    dispatch[datetime.date] = dump_datetime

    def dump_tuple(self, value: tuple, write: Any) -> None:
        self.dump_array(list(value), write)

    dispatch[tuple] = dump_tuple


# Koji's enumerations travel as their integers.
for _enum in (
    constants.TaskState,
    constants.BuildState,
    constants.RepoState,
    constants.UserType,
    constants.UserStatus,
    constants.AuthType,
):
    Marshaller.dispatch[_enum] = Marshaller.dump_int


def dumps(
    params: Any,
    methodname: str | None = None,
    methodresponse: bool = False,
    encoding: str = "utf-8",
) -> str:
    """Serialise a call (``methodname``), a response or a fault document."""
    if isinstance(params, Fault):
        methodresponse = True
    elif methodresponse and not isinstance(params, tuple):
        params = (params,)
    body = Marshaller(encoding, allow_none=True).dumps(params)
    header = "<?xml version='1.0'?>\n"
    if methodname is not None:
        return "%s<methodCall>\n<methodName>%s</methodName>\n%s</methodCall>\n" % (
            header,
            xmlrpc.client.escape(methodname),
            body,
        )
    if methodresponse:
        return "%s<methodResponse>\n%s</methodResponse>\n" % (header, body)
    return body


def loads(data: bytes | str) -> tuple[tuple, str | None]:
    """Parse a call or response: ``(params, methodname)``; faults raise.

    Raises ``Fault`` for fault documents, ``ValueError`` for anything that is
    not well-formed XML-RPC (including DTDs and entities).
    """
    target = xmlrpc.client.Unmarshaller(use_builtin_types=True)
    parser = DefusedExpatParser(target, forbid_dtd=True)
    try:
        parser.feed(data)
        parser.close()
        params = target.close()
    except Fault:
        raise
    except Exception as exc:  # expat, defusedxml and Unmarshaller errors alike
        raise ValueError(f"malformed XML-RPC: {exc}") from exc
    return params, target.getmethodname()


def encode_args(*args: Any, **kwargs: Any) -> tuple:
    """Positional args plus kwargs the way the koji client carries them."""
    if kwargs:
        kwargs[STARSTAR] = True
        return args + (kwargs,)
    return args


def decode_args(params: tuple | list) -> tuple[list, dict]:
    """Split wire params into ``(args, kwargs)``, honouring ``__starstar``."""
    args = list(params)
    if args and isinstance(args[-1], dict) and args[-1].get(STARSTAR):
        kwargs = dict(args.pop())
        del kwargs[STARSTAR]
        return args, kwargs
    return args, {}
