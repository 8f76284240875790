"""How times leave the hub: strings for ``*_time``, float seconds for ``*_ts``."""

from __future__ import annotations

import datetime


def timestamp_text(ts: float | None) -> str | None:
    """Koji's text form, ``2025-07-01 12:00:00.123456+00:00``."""
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).isoformat(" ")
