"""Clients and fixtures for bench_tasks: a light XML-RPC caller, build hosts, bulk rows.

The caller is ``http.client`` on one kept-alive connection with Koji's session
headers: a simulated builder spends little CPU of its own, so that the 2-CPU
machine's time goes to the hub.  Fixtures that no RPC offers (host passwords,
a million task rows) are written straight into the database: they set the
stage, the measurements all go through the wire.
"""

from __future__ import annotations

import http.client
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiln.protocol.constants import TaskState
from kiln.protocol.xmlrpc import dumps, encode_args, loads

HOST_PASSWORD = "bench-host-pw"
# What a builder sends back for a task that did nothing.
RESULT = dumps((None,), methodresponse=True)


class Rpc:
    """One connection to the hub, optionally logged in, numbering its calls like koji's client."""

    def __init__(self, url: str, credentials: tuple[str, str] | None = None, timeout: float = 120.0) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.session: dict | None = None
        self.callnum = 0
        if credentials is not None:
            self.session = self.call("login", *credentials, opts=None)

    def _headers(self) -> dict:
        headers = {"Content-Type": "text/xml"}
        if self.session is not None:
            headers["Koji-Session-Id"] = str(self.session["session-id"])
            headers["Koji-Session-Key"] = self.session["session-key"]
            headers["Koji-Session-Callnum"] = str(self.callnum)
            self.callnum += 1
        return headers

    def _exchange(self, body: bytes) -> bytes:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", self.path, body, self._headers())
                reply = self.conn.getresponse()
                data = reply.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection between two calls: once more, anew.
                self.close()
                if attempt:
                    raise
                continue
            if reply.status != 200:
                raise RuntimeError(f"HTTP {reply.status}: {data[:200]!r}")
            return data
        raise AssertionError("unreachable")

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        body = dumps(encode_args(*args, **kwargs), methodname=method).encode()
        params, _ = loads(self._exchange(body))  # faults raise
        return params[0]

    def multicall(self, calls: list[tuple]) -> list:
        """``[(method, args...), ...]`` in one request; the results, raising the first fault."""
        body = [{"methodName": c[0], "params": list(c[1:])} for c in calls]
        results = self.call("multiCall", body)
        for entry in results:
            if isinstance(entry, dict):
                raise RuntimeError(f"multicall fault: {entry}")
        return [entry[0] for entry in results]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100), nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# -- fixtures -----------------------------------------------------------------


def engine_for(db_url: str) -> Any:
    from sqlalchemy import create_engine

    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://") :]
    return create_engine(db_url)


def make_hosts(admin: Rpc, db_url: str, count: int, prefix: str, arches: tuple = ("x86_64",)) -> list[str]:
    """``count`` build hosts in channel default, all with the password HOST_PASSWORD."""
    from sqlalchemy import update

    from kiln.hub.auth import hash_password
    from kiln.hub.db import tables

    names = [f"{prefix}-{i:04d}" for i in range(count)]
    for start in range(0, count, 100):
        admin.multicall([("addHost", name, list(arches)) for name in names[start : start + 100]])
    # No RPC sets passwords (as in Koji): one scrypt hash serves every host.
    engine = engine_for(db_url)
    with engine.begin() as conn:
        users = tables.users
        conn.execute(update(users).where(users.c.name.in_(names)).values(password=hash_password(HOST_PASSWORD)))
    engine.dispose()
    return names


def host_login(url: str, name: str, timeout: float = 120.0) -> Rpc:
    """A builder's session as kojid holds it: logged in, exclusive, checked in as ready."""
    rpc = Rpc(url, (name, HOST_PASSWORD), timeout=timeout)
    rpc.call("exclusiveSession")
    rpc.call("host.updateHost", 0.0, True)
    return rpc


def queue_tasks(admin: Rpc, count: int, batch: int = 500, **opts: Any) -> list[int]:
    """``count`` FREE ``sleep`` tasks through makeTask in multicall batches; their ids."""
    ids: list[int] = []
    for start in range(0, count, batch):
        n = min(batch, count - start)
        ids += admin.multicall([("makeTask", "sleep", [0], {**opts, "__starstar": True})] * n)
    return ids


def fill_tasks(db_url: str, count: int, owners: list[int], channel_id: int, host_id: int) -> float:
    """``count`` task rows written straight into the table; seconds it took.

    States cycle over the six, owners over ``owners``; finished tasks carry a
    result document, as real ones do.  PostgreSQL is analysed afterwards (as
    autovacuum would soon do); SQLite's WAL is checkpointed, so the hub reads
    the main file, as it would after a while.
    """
    request = dumps((0,), methodname="sleep").replace("'", "''")
    result = RESULT.replace("'", "''")
    owner_case = "CASE " + " ".join(f"WHEN (n / 6) % {len(owners)} = {i} THEN {o}" for i, o in enumerate(owners))
    owner_case += " END"
    finished = f"(n % 6) IN ({int(TaskState.CLOSED)}, {int(TaskState.CANCELED)}, {int(TaskState.FAILED)})"
    started = f"(n % 6) NOT IN ({int(TaskState.FREE)})"
    base = time.time() - count
    columns = (
        "state, create_time, start_time, completion_time, channel_id, host_id, owner, method, request, result,"
        " arch, priority, weight, base_weight"
    )
    values = (
        f"n % 6, {base} + n, CASE WHEN {started} THEN {base} + n + 1 END,"
        f" CASE WHEN {finished} THEN {base} + n + 2 END, {channel_id},"
        f" CASE WHEN {started} THEN {host_id} END, {owner_case}, 'sleep', '{request}',"
        f" CASE WHEN {finished} THEN '{result}' END, 'noarch', 20, 0.25, 0.25"
    )
    start = time.monotonic()
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.split("///", 1)[1], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            f"INSERT INTO task ({columns}) WITH RECURSIVE seq(n) AS"
            f" (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}) SELECT {values} FROM seq"
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    else:
        import psycopg

        url = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"INSERT INTO task ({columns}) SELECT {values} FROM generate_series(1, {count}) AS n")
            conn.execute("VACUUM ANALYZE task")
    return time.monotonic() - start


def rss_bytes(pids: list[int]) -> int:
    """Summed resident set size of ``pids`` (Linux /proc; 0 where unreadable)."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def connections_per_process(pids: list[int], port: int) -> list[int]:
    """How many established TCP connections to local ``port`` each of ``pids`` holds (Linux /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # ESTABLISHED
                inodes.add(fields[9])
    counts = []
    for pid in pids:
        count = 0
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            counts.append(0)
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                count += 1
        counts.append(count)
    return counts
