"""Small formatting helpers shared by the command areas: koji's time and text formats."""

from __future__ import annotations

import time


def format_time_long(ts: float | None) -> str:
    """A timestamp as koji prints it, in local time: ``Sat, 07 Sep 2002 00:00:01 UTC``."""
    if ts is None:
        return ""
    return time.strftime("%a, %d %b %Y %H:%M:%S %Z", time.localtime(ts))


def truncate(text: str | None, length: int = 47) -> str:
    """One line of at most ``length`` characters, ``...`` marking a cut (koji's table cells)."""
    if not text:
        return ""
    text = text.replace("\n", " ")
    return text[:length] + "..." if len(text) > length else text


def yes_no(value: object) -> str:
    return "Y" if value else "N"
