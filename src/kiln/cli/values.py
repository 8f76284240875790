"""Reading values from the command line the way koji's commands do."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

_WORDS = {"None": None, "True": True, "False": False}


def parse_value(text: str) -> Any:
    """A command-line word as Koji's ``call`` reads it: int, float, None/True/False, else str.

    Only finite floats count, so "nan" and "inf" stay strings.
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(number):
            return number
    return _WORDS.get(text, text)


def split_call_args(words: Sequence[str]) -> tuple[list[Any], dict[str, Any]]:
    """``a 1 key=value`` -> positional and keyword arguments (keys must be identifiers)."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key.isidentifier():
            kwargs[key] = parse_value(value)
        else:
            args.append(parse_value(word))
    return args, kwargs


_ARCH = re.compile(r"^[a-zA-Z0-9_-]*$")


def parse_arches(text: str) -> str:
    """``"x86_64,ppc64le"`` or ``"x86_64 ppc64le"`` -> ``"x86_64 ppc64le"`` (what the hub stores).

    Raises ValueError for a name with other characters than koji allows.
    """
    arches = text.replace(",", " ").split()
    for arch in arches:
        if not _ARCH.match(arch):
            raise ValueError("Architecture can be only [a-zA-Z0-9_-]")
    return " ".join(arches)
