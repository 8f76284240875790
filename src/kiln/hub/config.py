"""Hub settings: defaults, an INI file, then command-line overrides.

The file has one ``[hub]`` section whose keys are the field names below
(``db = postgresql://...``, ``listen = 127.0.0.1:8080``).  Defaults follow
Koji's hub.conf where the two share a meaning.
"""

from __future__ import annotations

import configparser
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiln.hub.db.engine import default_state_dir, sqlite_url

DEFAULT_CONFIG_PATHS = ("/etc/kiln/hub.conf",)


@dataclass
class Settings:
    state_dir: str = ""
    db: str = ""
    topdir: str = ""
    listen: str = "127.0.0.1:8080"
    workers: int = 2
    # Threads per worker (gunicorn's gthread).  Builders waiting in
    # host.getTasks each hold one; ``poll_reserve_threads`` stay free for calls.
    threads: int = 128
    poll_reserve_threads: int = 16
    log_file: str = ""  # empty: stderr
    log_level: str = "WARNING"
    debug: bool = False
    # Koji's MaxRequestLength: bodies over this are refused before reading.
    max_request_length: int = 4 * 1024 * 1024
    # Seconds a request's headers may take to arrive after its first byte, and
    # its body after its headers; a slower one is closed with 408 and never
    # holds a thread meanwhile (kiln/gunicorn_worker.py).
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    # Koji's SessionRenewalTimeout, in minutes (fractions allowed).
    session_renewal_timeout: float = 1440
    check_client_ip: bool = False
    login_creates_user: bool = True
    # Who owns the newRepo tasks of repo requests (Koji's RepoQueueUser); the requester if no such user.
    repo_queue_user: str = "kojira"
    # log2 of scrypt's N for passwords set from now on (auth.DEFAULT_PASSWORD_COST; a test suite may lower it).
    password_cost: int = 14
    # Identity from a trusted front proxy (Kerberos or TLS terminated there).
    proxy_auth: bool = False
    proxy_addresses: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    proxy_user_header: str = "X-Remote-User"
    proxy_verify_header: str = "X-SSL-Client-Verify"
    proxy_dn_header: str = "X-SSL-Client-S-DN"
    dn_username_component: str = "CN"
    # DNs allowed to act for others; '|'-separated in the file, as Koji's ProxyDNs (DNs hold commas).
    proxy_dns: list[str] = field(default_factory=list, metadata={"separator": "|"})
    plugins: list[str] = field(default_factory=list)
    # Scheduling (seconds).  A host silent for host_timeout is not ready and its
    # tasks go back to the queue; an ASSIGNED task not opened within
    # assign_timeout is freed; the checks run at most every check_interval.
    host_timeout: float = 300.0
    assign_timeout: float = 300.0
    check_interval: float = 5.0
    # Longest wait host.getTasks grants; run time at which a task weighs double.
    max_poll_seconds: float = 60.0
    weight_full_seconds: float = 3600.0
    # The database the wakeup listener (hub/wakeups.py) LISTENs on, when not ``db``: LISTEN needs a
    # session of its own, so behind a transaction-pooling PgBouncer this names PostgreSQL itself
    # (or a session-pooled PgBouncer database).  Empty: ``db``.
    listen_db: str = ""
    offline: bool = False
    # Serve the web UI (kiln.web) at /koji/ too, calling this hub over HTTP as
    # kiln-web would: make run's one address for everything.
    web_ui: bool = False
    offline_message: str = ""
    # Koji's policies, from the config file's [policy] section: name -> rules (see domain/policy.py).
    policies: dict[str, str] = field(default_factory=dict)

    def resolved(self) -> Settings:
        """Fill the state-dir defaults: SQLite and a topdir under it."""
        if not 4 <= self.password_cost <= 20:
            raise ValueError(f"password_cost must be from 4 to 20 (log2 of scrypt's N), not {self.password_cost}")
        state = Path(self.state_dir) if self.state_dir else default_state_dir()
        db = self.db or sqlite_url(state / "kiln.db")
        topdir = self.topdir or str(state / "topdir")
        return dataclasses.replace(self, state_dir=str(state), db=db, topdir=topdir)


def _convert(name: str, raw: str) -> Any:
    spec = {f.name: f for f in dataclasses.fields(Settings)}[name]
    kind = spec.type
    if kind == "bool":
        return raw.strip().lower() in ("1", "yes", "true", "on")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind.startswith("list"):
        separator = spec.metadata.get("separator")
        if separator:
            return [p.strip() for p in raw.split(separator) if p.strip()]
        return raw.replace(",", " ").split()
    return raw.strip()


def load(path: str | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Settings from ``path`` (or $KILN_HUB_CONFIG, or /etc/kiln/hub.conf) plus overrides."""
    values: dict[str, Any] = {}
    candidates = [path] if path else [os.environ.get("KILN_HUB_CONFIG", ""), *DEFAULT_CONFIG_PATHS]
    known = {f.name for f in dataclasses.fields(Settings)}
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            parser = configparser.ConfigParser(interpolation=None)
            parser.read(candidate)
            if parser.has_section("policy"):
                values["policies"] = dict(parser.items("policy"))
            if parser.has_section("hub"):
                for key, raw in parser.items("hub"):
                    if key not in known:
                        raise ValueError(f"{candidate}: unknown setting {key!r} in [hub]")
                    values[key] = _convert(key, raw)
            break
        if path:
            raise FileNotFoundError(f"config file not found: {path}")
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    return Settings(**values).resolved()
