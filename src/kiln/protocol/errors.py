"""The exception tree, each class carrying the Koji fault code it travels as.

The official koji client turns a fault code back into the class of the same
name (``koji.convertFault``), so the codes are the contract, not the names::

    GenericError (1000)
    ├── LockError (1001)
    ├── AuthError (1002)
    │   ├── AuthLockError (1006)
    │   ├── AuthExpired (1007)
    │   ├── SequenceError (1008)
    │   ├── RetryError (1009)
    │   └── GSSAPIAuthError (1023)
    ├── TagError (1003)
    ├── ActionNotAllowed (1004)
    ├── BuildError (1005)
    │   ├── PreBuildError (1010)
    │   ├── PostBuildError (1011)
    │   └── BuildrootError (1012)
    ├── FunctionDeprecated (1013)
    ├── ServerOffline (1014)
    ├── LiveCDError (1015)
    ├── PluginError (1016)
    │   └── CallbackError (1017)
    ├── ApplianceError (1018)
    ├── ParameterError (1019)
    ├── ImportError (1020)  -- named KojiImportError here to spare the builtin
    ├── ConfigurationError (1021)
    ├── LiveMediaError (1022)
    └── NameValidationError (1024)
"""

from __future__ import annotations


class GenericError(Exception):
    """Base of every error that crosses the wire as a Koji fault."""

    faultCode = 1000

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class LockError(GenericError):
    faultCode = 1001


class AuthError(GenericError):
    faultCode = 1002


class TagError(GenericError):
    faultCode = 1003


class ActionNotAllowed(GenericError):
    faultCode = 1004


class BuildError(GenericError):
    faultCode = 1005


class AuthLockError(AuthError):
    faultCode = 1006


class AuthExpired(AuthError):
    faultCode = 1007


class SequenceError(AuthError):
    faultCode = 1008


class RetryError(AuthError):
    faultCode = 1009


class PreBuildError(BuildError):
    faultCode = 1010


class PostBuildError(BuildError):
    faultCode = 1011


class BuildrootError(BuildError):
    faultCode = 1012


class FunctionDeprecated(GenericError):
    faultCode = 1013


class ServerOffline(GenericError):
    faultCode = 1014


class LiveCDError(GenericError):
    faultCode = 1015


class PluginError(GenericError):
    faultCode = 1016


class CallbackError(PluginError):
    faultCode = 1017


class ApplianceError(GenericError):
    faultCode = 1018


class ParameterError(GenericError):
    faultCode = 1019


class KojiImportError(GenericError):
    faultCode = 1020


class ConfigurationError(GenericError):
    faultCode = 1021


class LiveMediaError(GenericError):
    faultCode = 1022


class GSSAPIAuthError(AuthError):
    faultCode = 1023


class NameValidationError(GenericError):
    faultCode = 1024


def _all_classes() -> list[type[GenericError]]:
    found: list[type[GenericError]] = []
    stack: list[type[GenericError]] = [GenericError]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


FAULT_CLASSES: dict[int, type[GenericError]] = {c.faultCode: c for c in _all_classes()}


def from_fault(code: int, message: str) -> Exception:
    """The exception a fault stands for; unknown codes stay plain faults."""
    import xmlrpc.client

    cls = FAULT_CLASSES.get(code)
    if cls is None:
        return xmlrpc.client.Fault(code, message)
    return cls(message)
