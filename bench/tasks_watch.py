"""Instruments for bench_tasks: the hub's memory and what its PostgreSQL backends wait on, sampled in threads."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.tasks_scenarios import Hub


class MemoryWatch:
    """The hub's RSS sampled every ``interval`` seconds in a thread; the peak and the last."""

    def __init__(self, hub: Hub, interval: float = 0.25) -> None:
        self.hub, self.interval = hub, interval
        self.peak = self.last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> int:
        self.last = self.hub.rss()
        self.peak = max(self.peak, self.last)
        return self.last

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


class PgWaits:
    """What the hub's PostgreSQL backends wait on, sampled every ``interval`` s (pg_stat_activity).

    Counts per (wait event, statement start): lock waits name the contended
    statement.  Does nothing on SQLite.
    """

    def __init__(self, hub: Hub, interval: float = 0.1) -> None:
        self.hub, self.interval = hub, interval
        self.samples = 0
        self.counts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        url = self.hub.db_url.replace("postgresql+psycopg://", "postgresql://", 1)
        query = (
            "SELECT wait_event_type, wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 70)"
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND state = 'active'"
        )
        with psycopg.connect(url, autocommit=True) as conn:
            while not self._stop.is_set():
                self.samples += 1
                for kind, event, text in conn.execute(query):
                    key = f"{kind or 'CPU'}:{event or '-'} | {text}"
                    self.counts[key] = self.counts.get(key, 0) + 1
                self._stop.wait(self.interval)

    def top(self, n: int = 8) -> list[tuple[str, float]]:
        """The ``n`` commonest (wait, statement) pairs, as backends busy with them on average."""
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1])[:n]
        return [(key, count / max(1, self.samples)) for key, count in ranked]

    def __enter__(self) -> PgWaits:
        if self.hub.backend == "postgres":
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
