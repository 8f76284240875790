"""Faults a caller can act on: a Koji fault, not an internal error, that shows no SQL, traceback or hub path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import koji
import pytest

LEAKS = ("SELECT", "sqlalchemy", "psycopg", "sqlite3", "WHERE", "Traceback")


def check_fault(code: int, text: str, *words: str, hub: Any = None) -> None:
    """``words`` appear in the fault's text; nothing of the hub's insides does (its paths, with ``hub``)."""
    assert code != 1, text
    assert "Internal error" not in text, text
    assert not [w for w in LEAKS if w in text], text
    if hub is not None:
        assert str(hub.topdir) not in text and str(hub.dir) not in text, text
    for word in words:
        assert word in text, text


def fault_of(call: Callable[[], Any], *words: str, hub: Any = None) -> koji.GenericError:
    """The koji client's exception for a call that must fail, checked as above."""
    with pytest.raises(koji.GenericError) as caught:
        call()
    check_fault(caught.value.faultCode, str(caught.value), *words, hub=hub)
    return caught.value
