"""Daemon settings: a dataclass of defaults, an INI file, then the command line.

The builder and the repo daemon read their settings the same way: each
setting is a dataclass field (its ``help`` in the field's metadata), the
file's own section may hold only known keys, and a Koji daemon's section
(``[kojid]``, ``[kojira]``) is read too, for the keys kiln shares with it,
so a site can point kiln at the file it has.
"""

from __future__ import annotations

import argparse
import configparser
import dataclasses
import logging
from pathlib import Path
from typing import Any, TypeVar

from kiln.protocol import errors

T = TypeVar("T")


def fields_of(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


def _convert(spec: dataclasses.Field, raw: str) -> Any:
    kind = spec.type
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise errors.ConfigurationError(f"{spec.name}: {raw!r} is not a yes/no value")
        return lowered in ("1", "true", "yes", "on")
    if kind == "float":
        try:
            return float(raw)
        except ValueError:
            raise errors.ConfigurationError(f"{spec.name}: {raw!r} is not a number") from None
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise errors.ConfigurationError(f"{spec.name}: {raw!r} is not a whole number") from None
    if kind == "list[str]":
        return raw.replace(",", " ").split()
    return raw


def load(cls: type[T], sections: tuple[str, ...], path: str | Path | None, overrides: dict | None = None) -> T:
    """Settings from ``path`` (if given; ``sections[0]`` wins over the others) with ``overrides`` on top."""
    fields = fields_of(cls)
    values: dict[str, Any] = {}
    if path is not None:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path) as handle:
                parser.read_file(handle)
        except OSError as exc:
            raise errors.ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
        present = [s for s in sections if parser.has_section(s)]
        if not present:
            raise errors.ConfigurationError(f"{path}: no [{sections[0]}] section")
        for section in reversed(present):
            for key, raw in parser.items(section):
                if key in fields:
                    values[key] = _convert(fields[key], raw)
                elif section == sections[0]:
                    raise errors.ConfigurationError(f"{path}: unknown setting {key!r} in [{section}]")
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return cls(**values)


def add_options(parser: argparse.ArgumentParser, cls: type) -> None:
    """One option per setting (``--poll-seconds`` for ``poll_seconds``); unset options stay None."""
    for name, spec in fields_of(cls).items():
        flag = "--" + name.replace("_", "-")
        helptext = spec.metadata.get("help", "")
        if spec.type == "bool":
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=helptext)
        elif spec.type == "list[str]":
            parser.add_argument(flag, dest=name, nargs="*", default=None, help=helptext)
        else:
            kind = {"float": float, "int": int}.get(spec.type, str)
            parser.add_argument(flag, dest=name, type=kind, default=None, help=helptext)


def from_command_line(args: argparse.Namespace, cls: type[T], sections: tuple[str, ...], default_path: str) -> T:
    """A daemon's settings: ``--config`` (else ``default_path`` when it exists), the options on top."""
    path = args.config
    if path is None and Path(default_path).exists():
        path = default_path
    return load(cls, sections, path, {name: getattr(args, name) for name in fields_of(cls)})


def setup_logging(log_file: str, log_level: str) -> None:
    handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(log_level.upper())
    logging.getLogger("urllib3").setLevel(logging.WARNING)  # a line per request drowns the daemon's own
