"""The misc area: hello, moshimoshi, version, call, list-api."""

from __future__ import annotations

import pprint
import random
from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.context import Context, UsageError, add_json_option, print_json
from kiln.cli.values import split_call_args
from kiln.protocol.constants import AuthType

_AUTH_NAMES = {
    AuthType.NORMAL: "password",
    AuthType.KERBEROS: "Kerberos",
    AuthType.SSL: "client certificate",
    AuthType.GSSAPI: "GSSAPI",
}

# moshimoshi's greeting is picked at random, as koji's is; scripts read the lines after it.
GREETINGS = ("hello", "hi", "good day", "bonjour", "hallo", "hola", "ciao", "moshi moshi", "hej", "ahoj")


def handle_hello(ctx: Context) -> int:
    """Greet the caller and say which hub answered (the quickest "does it work?").

    kiln's own greeting: it names the kiln version of the hub too, where
    ``moshimoshi`` prints exactly what koji prints.
    """
    session = ctx.login_session()
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


def handle_moshimoshi(ctx: Context) -> int:
    """Koji's greeting, line for line (the greeting word aside)."""
    session = ctx.login_session()
    user = session.getLoggedInUser()
    if not user:
        print("Not authenticated")
        user = {"name": "anonymous user"}
    print(f"{random.choice(GREETINGS)}, {user['name']}!")
    print()
    print(f"You are using the hub at {session.baseurl} (Koji {session.hub_version_str})")
    authtype = user.get("authtype")
    if authtype == AuthType.NORMAL:
        print("Authenticated via password")
    elif authtype == AuthType.GSSAPI:
        print("Authenticated via GSSAPI")
    elif authtype == AuthType.SSL:
        print(f"Authenticated via client certificate {ctx.profile.cert}")
    return 0


def handle_version(ctx: Context) -> int:
    """Client and hub versions; the client line names kiln's version, not Koji's."""
    import kiln

    print(f"Client: {kiln.__version__}")
    print(f"Hub:    {ctx.session().getKojiVersion()}")
    return 0


def handle_call(ctx: Context) -> int:
    """Call any hub method and print its answer (logged in when credentials are given)."""
    args, kwargs = split_call_args(ctx.options.args)
    result = ctx.login_session().callMethod(ctx.options.method, *args, **kwargs)
    if ctx.json:
        import json

        print(json.dumps(result, indent=2, default=str))
    else:
        pprint.pprint(result)
    return 0


def _signature(method: dict[str, Any]) -> str:
    if "argdesc" in method:
        return method["argdesc"]
    words = [arg if isinstance(arg, str) else f"{arg[0]}={arg[1]}" for arg in method.get("args") or ()]
    return f"({', '.join(words)})"


def handle_list_api(ctx: Context) -> int:
    """Every exported method with its signature and doc, or the help of the methods named."""
    session = ctx.session()
    if ctx.options.methods:
        helps = [session.callMethod("system.methodHelp", name) for name in ctx.options.methods]
        if ctx.json:
            print_json(dict(zip(ctx.options.methods, helps, strict=True)))
            return 0
        for name, text in zip(ctx.options.methods, helps, strict=True):
            if not text:
                raise UsageError(f"Unknown method: {name}")
            print(text)
        return 0
    methods = sorted(session.callMethod("_listapi"), key=lambda method: method["name"])
    if ctx.json:
        print_json(methods)
        return 0
    for method in methods:
        print(f"{method['name']}{_signature(method)}")
        if method.get("doc"):
            print(f"  description: {method['doc']}")
    return 0


def register(subparsers: Any) -> None:
    """Add the misc commands."""
    add_command(subparsers, "hello", handle_hello)
    add_command(subparsers, "moshimoshi", handle_moshimoshi)
    add_command(subparsers, "version", handle_version)

    call = add_command(
        subparsers,
        "call",
        handle_call,
        description="Values are read as int, float, None, True or False where they can be, else as strings; "
        "key=value passes a keyword argument.",
    )
    call.add_argument("--json-output", "--json", dest="json", action="store_true", help="print the result as JSON")
    call.add_argument("method", help="the hub method, e.g. getUser")
    call.add_argument("args", nargs="*", metavar="arg", help="positional value or key=value")

    list_api = add_command(subparsers, "list-api", handle_list_api)
    list_api.add_argument("methods", nargs="*", metavar="method_name")
    add_json_option(list_api)
