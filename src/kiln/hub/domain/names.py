"""Name rules, as Koji's hub applies them to what users create.

Koji raises GenericError (not NameValidationError) with these messages, and
so do we: clients may match on them.
"""

from __future__ import annotations

import re

from kiln.protocol import errors

MAX_NAME_LENGTH = 256
_INTERNAL = re.compile(r"^[A-Za-z0-9/_.+-]+$")
_USER = re.compile(r"^[A-Za-z0-9/_.@-]+$")
_ARCH = re.compile(r"^[a-zA-Z0-9_-]+$")


def _check(name: object, pattern: re.Pattern, option: str, what: str = "Name") -> str:
    if not isinstance(name, str):
        raise errors.GenericError(f"{what} should be string")
    if len(name) > MAX_NAME_LENGTH:
        raise errors.GenericError(f"{what} {name} is too long. Max length is {MAX_NAME_LENGTH} characters")
    if not pattern.match(name):
        raise errors.GenericError(f"{what} {name} does not match {option} value")
    return name


def internal_name(name: object) -> str:
    """Tags, targets, packages, channels, permissions."""
    return _check(name, _INTERNAL, "RegexNameInternal")


def user_name(name: object) -> str:
    """Users (which may carry '@' from Kerberos principals)."""
    return _check(name, _USER, "RegexUserName")


def krb_principal(principal: object) -> str:
    return _check(principal, _USER, "RegexUserName", "Kerberos principal")


def host_name(name: object) -> str:
    """Hosts are users and internal names at once: both rules apply."""
    return user_name(internal_name(name))


def arches(value: object) -> str:
    """A space-separated arch list from a list or a comma/space separated string."""
    if isinstance(value, str):
        parts = value.replace(",", " ").split()
    elif isinstance(value, (list, tuple)):
        parts = " ".join(str(a) for a in value).replace(",", " ").split()
    else:
        raise errors.ParameterError(f"Invalid type for arches: {type(value)}")
    for arch in parts:
        if not _ARCH.match(arch):
            raise errors.GenericError("Architecture can be only [a-zA-Z0-9_-]")
    return " ".join(parts)


def directory_name(name: str, what: str) -> str:
    """Names that become directories under topdir (packages/<name>, repos/<tag>) may not climb out of it."""
    if "/" in name or name in (".", ".."):
        raise errors.GenericError(f"Invalid {what}: {name!r} (it names a directory: no '/', not . or ..)")
    return name
