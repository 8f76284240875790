"""How times leave the hub (strings for ``*_time``, float seconds for ``*_ts``) and come in."""

from __future__ import annotations

import datetime
import functools
from typing import Any

from kiln.protocol import errors


def timestamp_text(ts: float | None) -> str | None:
    """Koji's text form, ``2025-07-01 12:00:00.123456+00:00``."""
    if ts is None:
        return None
    return _text(ts)


@functools.lru_cache(maxsize=1 << 16)
def _text(ts: float) -> str:
    # Listings repeat the same times all day (watchers poll the same tasks,
    # the web the same pages): a page of 50 builds has 150 of them, and
    # making the text costs ten times remembering it.
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).isoformat(" ")


def epoch_seconds(key: str, value: Any) -> float:
    """A filter's time, as Koji takes them: seconds since the epoch or an ISO date (UTC if unzoned)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            raise errors.ParameterError(f"{key}: not a date: {value!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.timestamp()
    raise errors.ParameterError(f"{key}: give seconds since the epoch or an ISO date, not {value!r}")
