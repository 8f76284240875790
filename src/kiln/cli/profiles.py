"""Profiles: which hub the ``kiln`` command talks to, and as whom.

A profile is one section of an INI file, named after the hub it describes::

    [kiln]
    server = https://kiln.example.com/kojihub
    weburl = https://kiln.example.com/koji
    topurl = https://kiln.example.com/kojifiles
    authtype = password
    user = alice

The files are read in this order, later ones overriding earlier ones key by
key: ``/etc/kiln.conf``, ``/etc/kiln.conf.d/*.conf`` (sorted), then
``~/.config/kiln/config``.  ``--config FILE`` reads that one file instead.

Koji's own config format is accepted as it is, so a user can point kiln at a
``koji.conf``: keys kiln does not know (``anon_retry``, ``use_fast_upload``,
...) are ignored, and when the default profile ``kiln`` is missing but a
``koji`` section is there, that one is used.  Koji reads ``user`` and
``password`` only from the command line; kiln reads them from the profile
too, because a profile with its credentials is what lets a script say
``kiln -p prod tag-build ...``.

This module imports nothing heavy: it runs before every command, ``--help``
included.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

DEFAULT_PROFILE = "kiln"
# A koji.conf names its one section after koji's own default profile.
FALLBACK_PROFILE = "koji"
DEFAULT_SERVER = "http://127.0.0.1:8080/kojihub"
AUTHTYPES = ("password", "ssl", "kerberos", "noauth")

SYSTEM_CONFIG = Path("/etc/kiln.conf")
SYSTEM_CONFIG_DIR = Path("/etc/kiln.conf.d")


class ConfigError(Exception):
    """A config file or profile that cannot be used; the message says which and why."""


@dataclass
class Profile:
    """One hub's settings, merged from the config files and then the command line."""

    name: str = DEFAULT_PROFILE
    server: str = DEFAULT_SERVER
    weburl: str | None = None
    topurl: str | None = None
    topdir: str | None = None
    authtype: str | None = None
    user: str | None = None
    password: str | None = None
    cert: str | None = None
    serverca: str | None = None
    noauth: bool = False
    debug: bool = False
    max_retries: int = 30
    retry_interval: float = 20.0
    offline_retry: bool = False  # retry, without limit, while the hub says it is offline (ServerOffline)
    offline_retry_interval: float | None = None  # seconds between those retries; retry_interval when unset
    poll_interval: float | None = None  # seconds between a watcher's polls (koji's key; kiln's default 0.5)


_BOOLEAN_KEYS = {"noauth", "debug", "offline_retry"}
_NUMBER_KEYS = {
    "max_retries": int,
    "retry_interval": float,
    "offline_retry_interval": float,
    "poll_interval": float,
}
_KEYS = {f.name for f in fields(Profile)} - {"name"}


def user_config() -> Path:
    """``$XDG_CONFIG_HOME/kiln/config`` (``~/.config/kiln/config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "kiln" / "config"


def default_config_files() -> list[Path]:
    """The files a profile is read from when no ``--config`` is given, in reading order."""
    files = [SYSTEM_CONFIG]
    if SYSTEM_CONFIG_DIR.is_dir():
        files += sorted(SYSTEM_CONFIG_DIR.glob("*.conf"))
    files.append(user_config())
    return files


def read_config(files: Sequence[Path], *, required: bool = False) -> configparser.ConfigParser:
    """Parse ``files`` in order (missing ones skipped unless ``required``); no interpolation.

    Koji reads its files raw as well: a password may well contain ``%``.
    """
    parser = configparser.ConfigParser(interpolation=None)
    for path in files:
        path = Path(path).expanduser()
        if not path.is_file():
            if required:
                raise ConfigError(f"config file not found: {path}")
            continue
        try:
            with path.open(encoding="utf-8") as handle:
                parser.read_file(handle, source=str(path))
        except configparser.MissingSectionHeaderError as exc:
            raise ConfigError(f"cannot read config file {path}: line {exc.lineno} comes before any [section]") from None
        except configparser.ParsingError as exc:
            lines = ", ".join(str(lineno) for lineno, _ in exc.errors)
            raise ConfigError(f"cannot read config file {path}: cannot parse line {lines}") from None
        except (configparser.Error, OSError, UnicodeDecodeError) as exc:
            # configparser's messages span lines; the CLI's errors are one line
            raise ConfigError(f"cannot read config file {path}: {' '.join(str(exc).split())}") from None
    return parser


def _convert(key: str, value: str, section: str) -> object:
    if key in _BOOLEAN_KEYS:
        lowered = value.strip().lower()
        if lowered in configparser.ConfigParser.BOOLEAN_STATES:
            return configparser.ConfigParser.BOOLEAN_STATES[lowered]
        raise ConfigError(f"profile {section}: {key} must be yes or no, not {value!r}")
    if key in _NUMBER_KEYS:
        try:
            return _NUMBER_KEYS[key](value)
        except ValueError:
            raise ConfigError(f"profile {section}: {key} must be a number, not {value!r}") from None
    if key == "authtype" and value not in AUTHTYPES:
        raise ConfigError(f"profile {section}: authtype must be one of {', '.join(AUTHTYPES)}, not {value!r}")
    return os.path.expanduser(value) if key in {"cert", "serverca", "topdir"} else value


def load_profile(name: str | None = None, config_file: str | None = None) -> Profile:
    """The profile ``name`` (default ``kiln``, else a koji.conf's ``koji``) from the config files.

    A profile asked for by name must exist; the default one may be missing,
    in which case the built-in defaults (and ``$KILN_SERVER``) apply.
    """
    files = [Path(config_file)] if config_file else default_config_files()
    parser = read_config(files, required=bool(config_file))
    section = name or DEFAULT_PROFILE
    if not parser.has_section(section):
        if name is not None:
            where = ", ".join(str(p) for p in files)
            raise ConfigError(f"no such profile: {name} (looked in {where})")
        section = FALLBACK_PROFILE if parser.has_section(FALLBACK_PROFILE) else ""
    profile = Profile(name=name or DEFAULT_PROFILE)
    if os.environ.get("KILN_SERVER"):
        profile.server = os.environ["KILN_SERVER"]
    if section:
        for key, value in parser.items(section):
            if key in _KEYS:
                setattr(profile, key, _convert(key, value, section))
    return profile
