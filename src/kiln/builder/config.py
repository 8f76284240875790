"""The builder's settings: defaults, an INI file like kojid.conf, then the command line.

The file's section is ``[kiln-builder]``; a kojid.conf's ``[kojid]`` section
is read too, for the keys both know (``server``, ``user``, ``password``,
``topurl``, ``topdir``, ``workdir``, ``allowed_scms``, ``plugins``,
``log_level``, ``retry_interval``, ``max_retries``), so that a site can point
kiln-builder at the file it has; kojid keys kiln does not know are ignored
there, and are an error in ``[kiln-builder]``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiln import settings_file

SECTIONS = ("kiln-builder", "kojid")


@dataclass
class BuilderSettings:
    server: str = field(default="http://127.0.0.1:8080/kojihub", metadata={"help": "the hub's XML-RPC URL"})
    host: str = field(default_factory=socket.getfqdn, metadata={"help": "this build host's name on the hub"})
    user: str = field(default="", metadata={"help": "login name (default: the host name)"})
    password: str = field(default="", metadata={"help": "the host account's password"})
    topurl: str = field(
        default="", metadata={"help": "URL of the hub's files (its /kojifiles), where repos are read over HTTP"}
    )
    topdir: str = field(
        default="", metadata={"help": "a read-only mount of the hub's topdir; repos are read there when set"}
    )
    workdir: str = field(
        default="/var/tmp/kiln-builder", metadata={"help": "where tasks work; each task gets tasks/<id>/ here"}
    )
    capacity: float = field(
        default=0.0,
        metadata={"help": "the most load (summed task weights) this daemon runs at once; 0: the hub's capacity alone"},
    )
    poll_seconds: float = field(
        default=30.0, metadata={"help": "longest wait for work in one host.getTasks call while idle"}
    )
    check_seconds: float = field(default=1.0, metadata={"help": "how often running tasks are checked for cancellation"})
    checkin_seconds: float = field(default=10.0, metadata={"help": "how often the host reports its load"})
    kill_grace_seconds: float = field(
        default=2.0, metadata={"help": "between SIGTERM and SIGKILL for a cancelled task's processes"}
    )
    retry_interval: float = field(
        default=60.0,
        metadata={
            "help": "seconds between tries of a call while the hub is unreachable (kojid's retry_interval);"
            " the first retry is at once"
        },
    )
    max_retries: int = field(
        default=120,
        metadata={
            "help": "retries of a call before the daemon or a task gives up on an unreachable hub (kojid's"
            " max_retries): max_retries x retry_interval is the hub outage a build rides out"
        },
    )
    force_lock: bool = field(
        default=True,
        metadata={"help": "take the host's exclusive session from a daemon that died (kojid's --force-lock)"},
    )
    allowed_scms: str = field(
        default="",
        metadata={
            "help": "SCM URLs tasks may check out, as kojid's: host:repository patterns, '!' refuses, first match"
            " decides (empty: none)"
        },
    )
    scm_policy: bool = field(
        default=False,
        metadata={
            "help": "also ask the hub's build_from_scm policy before a checkout (kojid's allowed_scms_use_policy)"
        },
    )
    buildroot: str = field(default="namespace", metadata={"help": "the build root backend: namespace or mock"})
    build_user: str = field(
        default="",
        metadata={"help": "a root daemon runs namespace builds as this account, in a user namespace (empty: as root)"},
    )
    plugins: list[str] = field(
        default_factory=list, metadata={"help": "builder plugins to enable, by entry-point name (space separated)"}
    )
    log_file: str = field(default="", metadata={"help": "the daemon's log file (empty: stderr)"})
    log_level: str = field(default="INFO", metadata={"help": "DEBUG, INFO, WARNING or ERROR"})

    @property
    def login(self) -> str:
        return self.user or self.host


FIELDS = settings_file.fields_of(BuilderSettings)


def load(path: str | Path | None, overrides: dict[str, Any] | None = None) -> BuilderSettings:
    """Settings from ``path`` (if given) with ``overrides`` (command-line values) on top."""
    return settings_file.load(BuilderSettings, SECTIONS, path, overrides)
