"""``kiln``: global options, the command's dispatch, and error handling.

As with koji, global options come before the command and the command's own
options after it: ``kiln -u admin tag-build TAG NVR``.  Parsing is in two
steps.  The global parser reads up to the first word that is not an option
(the command) and keeps the rest untouched; then only the command's area
module (``kiln.cli.commands.<area>``) is imported, registers its commands on
a fresh parser, and that parser reads the rest.  ``kiln --help`` therefore
imports no command module and no client library: it lists the commands from
the index in :mod:`kiln.cli.commands`.

Errors are one line on stderr: usage errors (``kiln taginfo: error: ...``,
exit 2, as koji's option parser), faults from the hub and failures to reach
it (``kiln: error: <Class>: <message>``, exit 1).  ``--debug`` adds the
traceback, because a user needs the message and a developer needs the stack.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kiln.cli import commands
from kiln.cli.profiles import AUTHTYPES, ConfigError, Profile, load_profile

PROG = "kiln"

# Global option -> the Profile field it overrides.
_OVERRIDES = (
    "server",
    "weburl",
    "topurl",
    "topdir",
    "user",
    "password",
    "authtype",
    "cert",
    "serverca",
    "max_retries",
)


def _version() -> str:
    import kiln

    return f"{PROG} {kiln.__version__}"


class _VersionAction(argparse.Action):
    """``--version`` without importing kiln's package metadata unless asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print kiln's version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(_version())
        parser.exit()


def plugin_commands() -> dict:
    """The installed plugins' commands (loaded on first use, see :mod:`kiln.cli.plugins`)."""
    from kiln.cli import plugins

    return plugins.commands(frozenset(commands.COMMANDS) | frozenset(commands.ALIASES))


def commands_epilog() -> str:
    lines = ["commands:"]
    width = max(len(name) for name in commands.COMMANDS)
    for area, entries in commands.AREAS.items():
        lines.append(f"  [{area}]")
        lines += [f"    {name:<{width}}  {summary}" for name, summary in entries]
    by_plugin: dict[str, list] = {}
    for found in plugin_commands().values():
        by_plugin.setdefault(found.plugin, []).append(found.command)
    for plugin, offered in by_plugin.items():
        lines.append(f"  [plugin {plugin}]")
        lines += [f"    {command.name:<{width}}  {command.summary}" for command in offered]
    lines.append("")
    lines.append(f"Run '{PROG} COMMAND --help' for a command's own options.")
    return "\n".join(lines)


class _GlobalParser(argparse.ArgumentParser):
    """The global parser; its list of commands is made only when help is shown (plugins are loaded then)."""

    def format_help(self) -> str:
        self.epilog = commands_epilog()
        return super().format_help()


def build_global_parser() -> argparse.ArgumentParser:
    parser = _GlobalParser(
        prog=PROG,
        usage=f"{PROG} [global options] COMMAND [command options] [arguments]",
        description="The kiln client: talk to a kiln (or Koji) hub.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--version", action=_VersionAction)
    add("-c", "--config", metavar="FILE", help="read this one config file instead of the usual ones")
    add("-p", "--profile", help="the config section (hub) to use (default: kiln, else koji)")
    add("-s", "--server", help="URL of the hub's XML-RPC endpoint (default: $KILN_SERVER or the profile's)")
    add("--weburl", help="URL of the web interface")
    add("--topurl", help="URL of the hub's file access")
    add("--topdir", help="the hub's top directory, where it is mounted")
    add("-u", "--user", help="log in as this user")
    add("--password", help="the user's password (asked for when missing)")
    add("--noauth", action="store_true", default=None, help="do not log in, even when a user is given")
    add("--authtype", choices=AUTHTYPES, help="how to log in")
    add("--cert", metavar="FILE", help="client certificate and key (one PEM file) for ssl login")
    add("--serverca", metavar="FILE", help="CA certificate the hub's https certificate must verify against")
    add("-d", "--debug", action="store_true", default=None, help="log the client's work and show tracebacks")
    add("-q", "--quiet", action="store_true", default=False, help="leave out headers (each command's --quiet)")
    add("--max-retries", type=int, help="retries of a call that got no answer (profile key max_retries)")
    add("--retry-interval", type=float, help="seconds between retries, after an immediate first one")
    add("command", nargs="?", metavar="COMMAND", help=argparse.SUPPRESS)
    add("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def global_flags(parser: argparse.ArgumentParser) -> set[str]:
    """Every global option string, to tell a misplaced one from an unknown one."""
    return {flag for action in parser._actions for flag in action.option_strings} - {"-h", "--help"}


def build_command_parser(command: str) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The parser of ``command``'s area (or plugin), and the subparser of ``command`` itself."""
    parser = argparse.ArgumentParser(prog=PROG, add_help=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    area_name = commands.area_of(command)
    if area_name is not None:
        from importlib import import_module

        import_module(f"kiln.cli.commands.{area_name}").register(subparsers)
        return parser, subparsers.choices[commands.ALIASES.get(command, command)]
    offered = plugin_commands()[command].command
    subparser = subparsers.add_parser(command, help=offered.summary, description=offered.summary)
    if offered.arguments is not None:
        offered.arguments(subparser)
    subparser.set_defaults(handler=offered.handler)
    return parser, subparser


def is_command(command: str) -> bool:
    """A built-in command (or alias), else one a plugin adds (plugins are loaded only then)."""
    return commands.area_of(command) is not None or command in plugin_commands()


def parse_command(global_parser: argparse.ArgumentParser, command: str, args: list[str]) -> argparse.Namespace:
    """The command's options; a global option after the command is an error that says so."""
    parser, subparser = build_command_parser(command)
    options, extra = parser.parse_known_args([commands.ALIASES.get(command, command), *args])
    extra = _take_trailing_words(subparser, options, extra)
    if extra:
        misplaced = [word for word in extra if word.split("=", 1)[0] in global_flags(global_parser)]
        if misplaced:
            flag = misplaced[0].split("=", 1)[0]
            subparser.error(f"{flag} is a global option: put it before the command ({PROG} {flag} ... {command} ...)")
        subparser.error(f"unrecognized arguments: {' '.join(extra)}")
    return options


def _take_trailing_words(
    subparser: argparse.ArgumentParser, options: argparse.Namespace, extra: list[str]
) -> list[str]:
    """Words after an option go to the command's last, many-valued positional, as koji's optparse allows.

    argparse fills a ``*`` positional from the first run of words only, so
    ``untag-build TAG -v NVR`` would leave NVR over; koji takes it.  Returns
    what is still left (options no parser knows).
    """
    positionals = [action for action in subparser._actions if not action.option_strings]
    if not positionals or positionals[-1].nargs not in ("*", "+"):
        return extra
    words = [word for word in extra if not word.startswith("-")]
    if words:
        dest = positionals[-1].dest
        setattr(options, dest, [*(getattr(options, dest) or []), *words])
    return [word for word in extra if word.startswith("-")]


def make_profile(options: argparse.Namespace) -> Profile:
    """The chosen profile from the config files, with the global options laid over it."""
    profile = load_profile(options.profile, options.config)
    for key in _OVERRIDES:
        value = getattr(options, key)
        if value is not None:
            setattr(profile, key, value)
    if options.retry_interval is not None:
        profile.retry_interval = options.retry_interval
    if options.noauth:
        profile.noauth = True
    if options.debug:
        profile.debug = True
    return profile


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["__complete"]:  # the completion scripts asking for candidates (kiln.cli.completion)
        from kiln.cli.completion import complete_main

        return complete_main(argv[1:])
    global_parser = build_global_parser()
    options = global_parser.parse_args(argv)
    if options.command is None:
        global_parser.print_usage(sys.stderr)
        print(f"{PROG}: error: no command given (see {PROG} --help)", file=sys.stderr)
        return 2
    if not is_command(options.command):
        import difflib

        near = difflib.get_close_matches(options.command, [*commands.COMMANDS, *commands.ALIASES], n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        print(f"{PROG}: error: unknown command: {options.command} ({hint}see {PROG} --help)", file=sys.stderr)
        return 1
    try:
        profile = make_profile(options)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    command_options = parse_command(global_parser, options.command, options.args)
    if getattr(command_options, "quiet", False) is None:
        command_options.quiet = options.quiet
    return run(command_options, profile)


def run(options: argparse.Namespace, profile: Profile) -> int:
    """Run the handler; errors become one line on stderr (with the traceback under --debug)."""
    from kiln.cli.context import CommandError, Context, UsageError

    if profile.debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    ctx = Context(options, profile)
    try:
        return options.handler(ctx) or 0
    except KeyboardInterrupt:
        return 130
    except UsageError as exc:
        print(f"{PROG} {options.command}: error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if profile.debug:
            import traceback

            traceback.print_exc()
        print(f"{PROG}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        try:
            ctx.close()
        except Exception as exc:  # a failed logout must not hide the command's outcome
            if profile.debug:
                print(f"{PROG}: logout failed: {exc}", file=sys.stderr)
