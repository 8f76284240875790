"""Shell completion: real bash and zsh load ``kiln completion SHELL`` and complete commands and options.

bash: the completion function is called as bash's completion calls it, with
COMP_WORDS and COMP_CWORD set, and COMPREPLY read back.  zsh: compadd only
works inside zsh's completion widgets, so the function runs with compadd
and _files standing in for zsh's own, recording what they were given.  No
hub is needed: completion never contacts one.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from kiln.cli.commands import COMMANDS
from tests.support.kiln_cli import KILN

ENV = {**os.environ, "PATH": f"{KILN.parent}:{os.environ.get('PATH', '')}"}


# The commands starting with "list-t", in the order the index (and kiln --help) gives them.
LIST_T = [name for name in COMMANDS if name.startswith("list-t")]


def bash_completions(*words: str) -> list[str]:
    """COMPREPLY after completing the last of ``words`` (``kiln`` first) in bash."""
    quoted = " ".join(f"'{word}'" for word in words)
    script = (
        "source <(kiln completion bash) || exit 3\n"
        "complete -p kiln >/dev/null || exit 4\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
        '_kiln_complete; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True, env=ENV, check=True)
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_command_names():
    assert bash_completions("kiln", "list-t") == LIST_T
    assert {"list-tags", "list-targets", "list-tagged"} <= set(LIST_T)
    assert bash_completions("kiln", "-p", "prod", "moshi") == ["moshimoshi"]


def test_bash_completes_a_commands_options():
    assert bash_completions("kiln", "list-tagged", "--l") == ["--latest", "--latest-n"]
    assert bash_completions("kiln", "-d", "list-tagged", "f40", "--in") == ["--inherit"]


def test_bash_completes_global_options_before_the_command_only():
    assert bash_completions("kiln", "--prof") == ["--profile"]
    assert bash_completions("kiln", "list-tagged", "--prof") == []


def test_bash_completes_plugin_commands():
    assert bash_completions("kiln", "example-") == ["example-hello"]
    assert bash_completions("kiln", "example-hello", "--gr") == ["--greeting"]


def test_bash_leaves_arguments_to_file_completion():
    # no candidates: with `complete -o default`, bash offers file names
    assert bash_completions("kiln", "list-tagged", "f4") == []
    assert bash_completions("kiln", "--config", "") == []


def zsh_completions(*words: str) -> list[str]:
    """What the zsh function handed to compadd (or ``<files>`` for _files) for the last of ``words``."""
    quoted = " ".join(f"'{word}'" for word in words)
    script = (
        'compadd() { print -r -- "compadd $*"; }\n'
        "_files() { print -r -- '<files>'; }\n"
        'compdef() { print -r -- "compdef $*"; }\n'
        "source <(kiln completion zsh) || exit 3\n"
        f"words=({quoted}); CURRENT={len(words)}\n"
        "_kiln_complete\n"
    )
    done = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True, env=ENV, check=True)
    lines = done.stdout.splitlines()
    assert lines[0] == "compdef _kiln_complete kiln"
    return lines[1:]


needs_zsh = pytest.mark.skipif(
    shutil.which("zsh") is None, reason="zsh is not installed (`make test-deps` installs it)"
)


@needs_zsh
def test_zsh_completes_command_names_and_options():
    assert zsh_completions("kiln", "list-t") == ["compadd -Q -- " + " ".join(LIST_T)]
    assert zsh_completions("kiln", "list-tagged", "--l") == ["compadd -Q -- --latest --latest-n"]
    assert zsh_completions("kiln", "example-") == ["compadd -Q -- example-hello"]


@needs_zsh
def test_zsh_leaves_arguments_to_file_completion():
    assert zsh_completions("kiln", "list-tagged", "f4") == ["<files>"]


def test_the_scripts_are_printed_by_kiln_completion():
    for shell in ("bash", "zsh"):
        done = subprocess.run([str(KILN), "completion", shell], capture_output=True, text=True, check=True)
        assert "kiln __complete" not in done.stdout and "__complete" in done.stdout
    wrong = subprocess.run([str(KILN), "completion", "fish"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "invalid choice: 'fish'" in wrong.stderr


ZPTY_SESSION = r"""
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z 'PROMPT="%% "; autoload -Uz compinit; compinit -u -D; source <(kiln completion zsh); print READY'
zpty -r z out '*READY*READY*'
zpty -wn z $'kiln list-tagged --l\t'
zpty -r z out '*list-tagged --latest*' && print 'completed: option'
zpty -wn z $'\C-u'
zpty -wn z $'kiln example-h\t'
zpty -r z out '*example-hello*' && print 'completed: plugin command'
zpty -d z
"""


@needs_zsh
def test_zsh_completes_at_a_real_prompt():
    """An interactive zsh with compinit, in a pseudo-terminal: Tab inserts what the function offers."""
    done = subprocess.run(["zsh", "-f", "-c", ZPTY_SESSION], capture_output=True, text=True, env=ENV, timeout=30)
    assert done.stdout.splitlines() == ["completed: option", "completed: plugin command"], done.stderr
