"""``kiln``: the command-line client (a stub: ``hello`` and ``call`` for now).

The layout is the one the full CLI grows into: global options come before
the command; each area of commands (misc, tasks, builds, tags, ...) is one
module offering ``register(subparsers)``, which adds its commands and sets
``handler`` on each.  A handler receives a ready :class:`Context` and returns
the exit status.  Until the areas get modules of their own, the two stub
commands live here as the ``misc`` area.

Errors become one line, ``kiln: error: <Class>: <message>``, on stderr and
exit status 1; ``--debug`` adds the traceback, because a user needs the
message and a developer needs the stack.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import math
import os
import pprint
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import kiln
from kiln.client import DEFAULT_OPTS, ClientSession
from kiln.protocol.constants import AuthType

DEFAULT_SERVER = "http://127.0.0.1:8080/kojihub"
PROG = "kiln"

Handler = Callable[["Context"], int]


@dataclass
class Context:
    """What a command needs: its parsed options and a session, logged in on demand."""

    options: argparse.Namespace
    session: ClientSession = field(init=False)

    def __post_init__(self) -> None:
        opts = {"max_retries": self.options.max_retries, "retry_interval": self.options.retry_interval}
        self.session = ClientSession(self.options.server, opts=opts)

    def activate(self) -> None:
        """Log in when a user was given (and --noauth was not); otherwise stay anonymous."""
        options = self.options
        if options.noauth or not options.user:
            return
        password = options.password
        if password is None:
            password = getpass.getpass(f"Password for {options.user}: ")
        self.session.login(options.user, password)

    def close(self) -> None:
        if self.session.logged_in:
            self.session.logout()


# --- misc area: hello, call --------------------------------------------------

_AUTH_NAMES = {
    AuthType.NORMAL: "password",
    AuthType.KERBEROS: "Kerberos",
    AuthType.SSL: "client certificate",
    AuthType.GSSAPI: "GSSAPI",
}


def handle_hello(ctx: Context) -> int:
    """Greet the caller and say which hub answered (the quickest "does it work?")."""
    ctx.activate()
    session = ctx.session
    user = session.getLoggedInUser()
    print(f"Hello, {user['name']}!" if user else "Hello, anonymous user!")
    print()
    versions = f"Koji {session.hub_version_str}"
    if session.kiln_version:
        versions += f", kiln {session.kiln_version}"
    print(f"You are using the hub at {session.baseurl} ({versions})")
    if user:
        authtype = user.get("authtype")
        print(f"Authenticated via {_AUTH_NAMES.get(authtype, f'authtype {authtype}')}")
    return 0


_WORDS = {"None": None, "True": True, "False": False}


def parse_value(text: str) -> Any:
    """A command-line word as Koji's ``call`` reads it: int, float, None/True/False, else str.

    Only finite floats count, so "nan" and "inf" stay strings.
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(number):
            return number
    return _WORDS.get(text, text)


def split_call_args(words: Sequence[str]) -> tuple[list[Any], dict[str, Any]]:
    """``a 1 key=value`` -> positional and keyword arguments (keys must be identifiers)."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key.isidentifier():
            kwargs[key] = parse_value(value)
        else:
            args.append(parse_value(word))
    return args, kwargs


def handle_call(ctx: Context) -> int:
    """Call any hub method and print its answer."""
    ctx.activate()
    args, kwargs = split_call_args(ctx.options.args)
    result = ctx.session.callMethod(ctx.options.method, *args, **kwargs)
    if ctx.options.json_output:
        print(json.dumps(result, indent=2, default=str))
    else:
        pprint.pprint(result)
    return 0


def register_misc(subparsers: Any) -> None:
    hello = subparsers.add_parser("hello", help="say hello to the hub")
    hello.set_defaults(handler=handle_hello)

    call = subparsers.add_parser(
        "call",
        help="call any hub method",
        description="Values are read as int, float, None, True or False where they can be, else as strings; "
        "key=value passes a keyword argument.",
    )
    call.add_argument("--json-output", action="store_true", help="print the result as JSON")
    call.add_argument("method", help="the hub method, e.g. getUser")
    call.add_argument("args", nargs="*", metavar="arg", help="positional value or key=value")
    call.set_defaults(handler=handle_call)


# Each area of commands registers itself; new areas get modules of their own.
AREAS: tuple[Callable[[Any], None], ...] = (register_misc,)


# --- the command itself ---------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="The kiln client: talk to a kiln (or Koji) hub.")
    parser.add_argument("--version", action="version", version=f"{PROG} {kiln.__version__}")
    parser.add_argument(
        "--server",
        default=os.environ.get("KILN_SERVER") or DEFAULT_SERVER,
        help=f"hub URL (default: $KILN_SERVER or {DEFAULT_SERVER})",
    )
    parser.add_argument("--user", help="log in as this user (password login)")
    parser.add_argument("--password", help="the user's password (asked for when missing)")
    parser.add_argument("--noauth", action="store_true", help="do not log in, even when a user is given")
    parser.add_argument("--debug", action="store_true", help="log the client's work and show tracebacks")
    parser.add_argument(
        "--max-retries",
        type=int,
        default=DEFAULT_OPTS["max_retries"],
        help="retries of a call that got no answer (default %(default)s)",
    )
    parser.add_argument(
        "--retry-interval",
        type=float,
        default=DEFAULT_OPTS["retry_interval"],
        help="seconds between retries, after an immediate first one (default %(default)s)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in AREAS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    if options.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    ctx = Context(options)
    try:
        return options.handler(ctx)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if options.debug:
            traceback.print_exc()
        print(f"{PROG}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        try:
            ctx.close()
        except Exception as exc:  # a failed logout must not hide the command's outcome
            if options.debug:
                print(f"{PROG}: logout failed: {exc}", file=sys.stderr)
