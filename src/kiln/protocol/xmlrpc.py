"""XML-RPC with Koji's dialect: nil, 64-bit integers, keyword arguments.

Every parse goes through defusedxml's expat parser with DTDs and entities
forbidden: XML-RPC needs neither, and both are the doors of entity bombs and
external-entity reads.  Datetimes leave as strings (Koji's clients expect
``2025-07-01 12:00:00+00:00``, never ``dateTime.iso8601``).
"""

from __future__ import annotations

import base64
import datetime
import re
import xmlrpc.client
from typing import Any
from xml.etree import ElementTree

Fault = xmlrpc.client.Fault

_MAXINT = 2**31 - 1
_MININT = -(2**31)
_MAXI8 = 2**63 - 1
_MINI8 = -(2**63)

STARSTAR = "__starstar"


def _escape(text: str) -> str:
    # What XML needs, plus CR: a parser turns a raw CR into LF.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


# Characters XML 1.0 cannot hold, not even as references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with what XML cannot hold shown as escapes (``\\x01``): for fault texts that quote a caller's input.

    Values in XML-RPC strings cannot carry such characters (the parser
    refuses them), but a raw upload's file name comes in a query string.
    """
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), text)


class _Writer:
    """Serialises values into a list of strings; one method per wire type.

    Written for speed, since the hub spends a good part of a listing's time
    here: exact-type dispatch with no per-value bookkeeping, and compact
    output (no whitespace between elements), which every XML-RPC reader
    takes and which gives the reader fewer pieces of text to handle.
    """

    __slots__ = ("out",)

    def __init__(self) -> None:
        self.out: list[str] = []

    def value(self, value: Any) -> None:
        writer = _BY_TYPE.get(type(value))
        if writer is None:
            writer = _by_ancestry(value)
        writer(self, value)

    def nil(self, _value: None) -> None:
        self.out.append("<value><nil/></value>")

    def boolean(self, value: bool) -> None:
        self.out.append("<value><boolean>1</boolean></value>" if value else "<value><boolean>0</boolean></value>")

    def integer(self, value: int) -> None:
        if _MININT <= value <= _MAXINT:
            self.out.append("<value><int>%d</int></value>" % value)
        elif _MINI8 <= value <= _MAXI8:
            self.out.append("<value><i8>%d</i8></value>" % value)
        else:
            raise OverflowError("int exceeds XML-RPC limits")

    def double(self, value: float) -> None:
        self.out.append("<value><double>%r</double></value>" % value)

    def string(self, value: str) -> None:
        self.out.append("<value><string>%s</string></value>" % _escape(value))

    def binary(self, value: bytes | bytearray) -> None:
        self.out.append("<value><base64>%s</base64></value>" % base64.b64encode(value).decode("ascii"))

    def when(self, value: datetime.date) -> None:
        # Koji's clients expect text, never dateTime.iso8601.
        self.string(value.isoformat(" ") if isinstance(value, datetime.datetime) else value.isoformat())

    def array(self, value: list | tuple) -> None:
        out = self.out
        out.append("<value><array><data>")
        for item in value:
            writer = _BY_TYPE.get(type(item))
            if writer is None:
                writer = _by_ancestry(item)
            writer(self, item)
        out.append("</data></array></value>")

    def struct(self, value: dict) -> None:
        # The hot path of a listing: member heads come from a cache, and
        # strings, ints and None are written here without a call.
        out = self.out
        append = out.append
        append("<value><struct>")
        for key, item in value.items():
            head = _MEMBER_HEADS.get(key)
            if head is None:
                head = _member_head(key)
            kind = type(item)
            if kind is str:
                append("%s<value><string>%s</string></value></member>" % (head, _escape(item)))
            elif item is None:
                append(head + "<value><nil/></value></member>")
            elif kind is int and _MININT <= item <= _MAXINT:
                append("%s<value><int>%d</int></value></member>" % (head, item))
            else:
                append(head)
                writer = _BY_TYPE.get(kind)
                if writer is None:
                    writer = _by_ancestry(item)
                writer(self, item)
                append("</member>")
        append("</struct></value>")

    def wrapped(self, value: xmlrpc.client.Binary | xmlrpc.client.DateTime) -> None:
        if isinstance(value, xmlrpc.client.Binary):
            self.binary(value.data)
        else:
            self.string(value.value)


_MEMBER_HEADS: dict[str, str] = {}


def _member_head(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"dictionary key must be a string, not {type(key).__name__}: {key!r}")
    head = "<member><name>%s</name>" % _escape(key)
    if len(_MEMBER_HEADS) < 4096:  # the hub's own keys; a caller's own stay uncached
        _MEMBER_HEADS[key] = head
    return head


_BY_TYPE: dict[type, Any] = {
    type(None): _Writer.nil,
    bool: _Writer.boolean,
    int: _Writer.integer,
    float: _Writer.double,
    str: _Writer.string,
    bytes: _Writer.binary,
    bytearray: _Writer.binary,
    list: _Writer.array,
    tuple: _Writer.array,
    dict: _Writer.struct,
    datetime.datetime: _Writer.when,
    datetime.date: _Writer.when,
    xmlrpc.client.Binary: _Writer.wrapped,
    xmlrpc.client.DateTime: _Writer.wrapped,
}
# Subclasses (Koji's enumerations are ints, rows may be dicts) go by their
# base; the order matters, bool before int.
_ANCESTRY = (bool, int, float, str, bytes, bytearray, list, tuple, dict, datetime.datetime, datetime.date)


def _by_ancestry(value: Any) -> Any:
    for base in _ANCESTRY:
        if isinstance(value, base):
            writer = _BY_TYPE[base]
            _BY_TYPE[type(value)] = writer
            return writer
    raise TypeError(f"cannot marshal {type(value).__name__} objects")


def dumps(
    params: Any,
    methodname: str | None = None,
    methodresponse: bool = False,
    encoding: str = "utf-8",
) -> str:
    """Serialise a call (``methodname``), a response or a fault document."""
    writer = _Writer()
    out = writer.out
    if isinstance(params, Fault):
        out.append("<fault>")
        writer.struct({"faultCode": params.faultCode, "faultString": xml_safe(str(params.faultString))})
        out.append("</fault>")
        methodresponse = True
    else:
        if methodresponse and not isinstance(params, tuple):
            params = (params,)
        out.append("<params>")
        for param in params:
            out.append("<param>")
            writer.value(param)
            out.append("</param>")
        out.append("</params>")
    body = "".join(out)
    header = "<?xml version='1.0'?>\n"
    if methodname is not None:
        return "%s<methodCall><methodName>%s</methodName>%s</methodCall>\n" % (header, _escape(methodname), body)
    if methodresponse:
        return "%s<methodResponse>%s</methodResponse>\n" % (header, body)
    return body


class _NoDoctype(ElementTree.TreeBuilder):
    """The C tree builder, refusing any document with a DOCTYPE.

    defusedxml's ``forbid_dtd`` rule on the standard library's C parser:
    without a DTD a document can declare no entities (no entity bombs) and
    name no external ones (no file or network reads); expat calls this before
    it reads a byte of the internal subset.  defusedxml's own ElementTree
    wrapper would do the same on the pure-Python parser, three times slower
    on a page of tasks; its expat wrapper is how XML-RPC was read before.
    """

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise ValueError("DTDs are forbidden in XML-RPC documents")


def loads(data: bytes | str) -> tuple[tuple, str | None]:
    """Parse a call or response: ``(params, methodname)``; faults raise.

    Raises ``Fault`` for fault documents, ``ValueError`` for anything that is
    not well-formed XML-RPC (including DTDs and entities).  The document is
    built as a tree in C and then read in one pass: far fewer calls into
    Python than an event-driven reader makes (one per tag and text).
    """
    parser = ElementTree.XMLParser(target=_NoDoctype())
    try:
        parser.feed(data)
        root = parser.close()
        if root.tag == "methodResponse":
            if len(root) == 1 and root[0].tag == "fault":
                fault = _fault(root[0])
                raise Fault(fault.get("faultCode"), fault.get("faultString"))
            return _params(root), None
        if root.tag == "methodCall":
            name = root.find("methodName")
            if name is None:
                raise ValueError("a methodCall without a methodName")
            return _params(root), (name.text or "").strip()
        raise ValueError(f"not an XML-RPC document: <{root.tag}>")
    except (Fault, ValueError):
        raise
    except RecursionError:
        raise ValueError("malformed XML-RPC: nested too deeply") from None
    except Exception as exc:  # expat's ParseError, bad numbers, bad base64 alike
        raise ValueError(f"malformed XML-RPC: {exc}") from exc


def _params(root: ElementTree.Element) -> tuple:
    params = root.find("params")
    if params is None:
        return ()
    found = []
    for param in params:
        if param.tag != "param" or len(param) != 1:
            raise ValueError("each <param> holds one <value>")
        found.append(_value(param[0]))
    return tuple(found)


def _fault(element: ElementTree.Element) -> dict:
    if len(element) != 1:
        raise ValueError("a <fault> holds one <value>")
    fault = _value(element[0])
    if not isinstance(fault, dict):
        raise ValueError("a fault's value must be a struct")
    return fault


def _value(element: ElementTree.Element) -> Any:
    if element.tag != "value":
        raise ValueError(f"expected <value>, found <{element.tag}>")
    if not len(element):
        return element.text or ""  # no type: a string
    typed = element[0]
    tag = typed.tag
    if tag[0] == "{":  # namespaced extension types (<ex:nil/>, <ex:i8>)
        tag = tag.rpartition("}")[2]
    reader = _READERS.get(tag)
    if reader is None:
        raise ValueError(f"unknown XML-RPC type <{tag}>")
    return reader(typed)


def _struct(element: ElementTree.Element) -> dict:
    found = {}
    for member in element:
        try:
            name, value = member  # the usual shape, read without searching
        except ValueError:
            name = value = None
        if member.tag != "member" or name is None or name.tag != "name" or value.tag != "value":
            raise ValueError("a struct member holds a <name> and then a <value>")
        found[name.text or ""] = _value(value)
    return found


def _array(element: ElementTree.Element) -> list:
    data = element.find("data")
    if data is None:
        raise ValueError("an <array> holds a <data>")
    return [_value(item) for item in data]


def _boolean(element: ElementTree.Element) -> bool:
    text = (element.text or "").strip()
    if text not in ("0", "1"):
        raise ValueError(f"bad boolean value: {text!r}")
    return text == "1"


def _datetime(element: ElementTree.Element) -> datetime.datetime:
    return datetime.datetime.strptime((element.text or "").strip(), "%Y%m%dT%H:%M:%S")


_READERS: dict[str, Any] = {
    "string": lambda e: e.text or "",
    "int": lambda e: int(e.text),
    "i4": lambda e: int(e.text),
    "i8": lambda e: int(e.text),
    "double": lambda e: float(e.text),
    "boolean": _boolean,
    "nil": lambda e: None,
    "struct": _struct,
    "array": _array,
    "base64": lambda e: base64.b64decode((e.text or "").encode("ascii")),
    "dateTime.iso8601": _datetime,
}


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
