"""Shell completion: the bash and zsh scripts, and the candidates they ask ``kiln`` for.

The scripts (``kiln completion bash|zsh``) are thin: at each Tab they run
``kiln __complete INDEX WORDS...`` (the command line so far, and which word
is being completed) and offer what it prints, one candidate a line.  The
candidates come from the same places as ``kiln --help`` and
``kiln COMMAND --help``, so they cannot drift from the commands: command
names from the index and the installed plugins, global options before the
command, the command's own options after it.  Anything else (a tag, a file)
is left to the shell's file completion.

Asking kiln instead of shipping a static list keeps plugins' commands in
and costs one quick start of kiln per Tab (no hub is contacted).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kiln.cli import commands

BASH = """\
# bash completion for kiln; load it with: source <(kiln completion bash)
_kiln_complete() {
    local IFS=$'\\n'
    COMPREPLY=($("${COMP_WORDS[0]}" __complete "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null))
}
complete -o default -o nosort -F _kiln_complete kiln
"""

ZSH = """\
#compdef kiln
# zsh completion for kiln; load it with: source <(kiln completion zsh)
# (or save it as _kiln in a directory of $fpath)
_kiln_complete() {
    local -a candidates
    candidates=("${(@f)$("${words[1]}" __complete $((CURRENT - 1)) "${words[@]}" 2>/dev/null)}")
    if [[ -n "${candidates[1]}" ]]; then
        compadd -Q -- "${candidates[@]}"
    else
        _files
    fi
}
if (( $+functions[compdef] )); then
    compdef _kiln_complete kiln
fi
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH}


def _value_flags(parser: argparse.ArgumentParser) -> set[str]:
    """The option strings of ``parser`` that take a value (their next word is not a command)."""
    return {flag for action in parser._actions if action.nargs != 0 for flag in action.option_strings}


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string, long ones first as a user reaches for them."""
    found = [flag for action in parser._actions for flag in action.option_strings if action.help != argparse.SUPPRESS]
    return sorted(found, key=lambda flag: (not flag.startswith("--"), flag))


def command_names() -> list[str]:
    """Built-in commands in the index's order, then the plugins' commands."""
    from kiln.cli.main import plugin_commands

    return [*commands.COMMANDS, *plugin_commands()]


def candidates(words: Sequence[str], index: int) -> list[str]:
    """What may stand at ``words[index]`` (``words[0]`` is ``kiln``), among those starting as it does."""
    from kiln.cli.main import build_command_parser, build_global_parser, is_command

    words = list(words) + [""] * (index + 1 - len(words))
    prefix = words[index]
    global_parser = build_global_parser()
    takes_value = _value_flags(global_parser)
    position, command = 1, None
    while position < index:
        word = words[position]
        if not word.startswith("-"):
            command = word
            break
        position += 2 if word in takes_value else 1
    if command is None:
        if position > index:  # the value of a global option (a file, a profile): the shell's business
            return []
        pool = _flags(global_parser) if prefix.startswith("-") else command_names()
    else:
        if not prefix.startswith("-") or not is_command(command):
            return []
        pool = _flags(build_command_parser(command)[1])
    return [word for word in pool if word.startswith(prefix)]


def complete_main(argv: Sequence[str]) -> int:
    """``kiln __complete INDEX WORDS...``: print the candidates, one a line."""
    try:
        index = int(argv[0])
    except (IndexError, ValueError):
        print("usage: kiln __complete INDEX WORDS...", file=sys.stderr)
        return 2
    for word in candidates(argv[1:], index):
        print(word)
    return 0
