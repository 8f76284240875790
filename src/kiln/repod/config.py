"""kiln-repod's settings: defaults, an INI file like kojira.conf, then the command line.

The section is ``[kiln-repod]``; a kojira.conf's ``[kojira]`` section is
read too, for the keys both know (``server``, ``user``, ``password``,
``deleted_repo_lifetime``, ``log_level``...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiln import settings_file

SECTIONS = ("kiln-repod", "kojira")


@dataclass
class RepodSettings:
    server: str = field(default="http://127.0.0.1:8080/kojihub", metadata={"help": "the hub's XML-RPC URL"})
    user: str = field(default="kiln-repod", metadata={"help": "login name of an account with the repo permission"})
    password: str = field(default="", metadata={"help": "that account's password"})
    check_seconds: float = field(
        default=0.5, metadata={"help": "how often tags are checked for changes (a new repo follows a change)"}
    )
    clean_seconds: float = field(default=10.0, metadata={"help": "how often old repos and build roots are cleaned"})
    deleted_repo_lifetime: float = field(
        default=3600.0,
        metadata={"help": "seconds an expired repo is kept before it is deleted (if no build root uses it)"},
    )
    problem_repo_lifetime: float = field(
        default=3600.0, metadata={"help": "seconds a repo whose task failed is kept, for a look, before deletion"}
    )
    buildroot_lifetime: float = field(
        default=3600.0,
        metadata={"help": "seconds after its task ended that a build root still on record is expired"},
    )
    log_file: str = field(default="", metadata={"help": "the daemon's log file (empty: stderr)"})
    log_level: str = field(default="INFO", metadata={"help": "DEBUG, INFO, WARNING or ERROR"})


def load(path: str | Path | None, overrides: dict[str, Any] | None = None) -> RepodSettings:
    return settings_file.load(RepodSettings, SECTIONS, path, overrides)
