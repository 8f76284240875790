"""Bad usage across the kiln command: one helpful line, no traceback, and koji's exit code.

Each case runs the same words through ``kiln`` and ``koji`` against one hub.
Exit codes must agree (2 where koji's option parser refuses, 1 where koji
reports an error, 0 where koji only warns).  kiln's last line on stderr says
what was wrong and names the thing (the command, the option, the tag, the
build, the user); before it kiln prints nothing but, for what its argument
parser refuses, the command's usage line(s), as koji and argparse do.
"""

from __future__ import annotations

import pytest

from kiln.cli.commands import COMMANDS
from tests.conftest import ADMIN
from tests.support.hub import HubProcess
from tests.support.kiln_cli import kiln
from tests.support.koji_cli import KojiCLI, write_koji_conf

GHOST = "ghost-no-such-thing"


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


@pytest.fixture(scope="module")
def koji_cli(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> KojiCLI:
    return KojiCLI(hub, write_koji_conf(hub, tmp_path_factory.mktemp("conf") / "koji.conf"))


@pytest.fixture(scope="module")
def a_tag(hub: HubProcess) -> str:
    from tests.conftest import koji_session

    admin = koji_session(hub, *ADMIN)
    admin.createTag("usage-build", arches="x86_64")
    return "usage-build"


# (words, the exit code koji gives, kiln's last line on stderr)
CASES = [
    # an unknown command: kiln names the nearest one
    (["lsit-tags"], 1, "kiln: error: unknown command: lsit-tags (did you mean list-tags? see kiln --help)"),
    ([GHOST], 1, f"kiln: error: unknown command: {GHOST} (see kiln --help)"),
    # a missing argument
    (["userinfo"], 2, "kiln userinfo: error: the following arguments are required: username"),
    (["list-tagged"], 2, "kiln list-tagged: error: the following arguments are required: tag"),
    (["add-user"], 2, "kiln add-user: error: You must specify the username of the user to add"),
    (["add-host", "builder1"], 2, "kiln add-host: error: Please specify a hostname and at least one arch"),
    (["grant-permission", "tag"], 2, "kiln grant-permission: error: Please specify a permission and at least one user"),
    (
        ["add-host-to-channel", "builder1"],
        2,
        "kiln add-host-to-channel: error: Please specify a hostname and a channel",
    ),
    # an unknown option, and a global option after the command
    (["list-tags", "--bogus"], 2, "kiln list-tags: error: unrecognized arguments: --bogus"),
    (
        ["list-tags", "-u", "admin"],
        2,
        "kiln list-tags: error: -u is a global option: put it before the command (kiln -u ... list-tags ...)",
    ),
    (
        ["list-hosts", "--server=http://elsewhere/kojihub"],
        2,
        "kiln list-hosts: error: --server is a global option: put it before the command"
        " (kiln --server ... list-hosts ...)",
    ),
    (
        ["list-permissions", "--user", "admin", "--debug"],
        2,
        "kiln list-permissions: error: --debug is a global option: put it before the command"
        " (kiln --debug ... list-permissions ...)",
    ),
    # an unknown tag
    (["list-tagged", GHOST], 2, f"kiln list-tagged: error: No such tag: {GHOST}"),
    (["list-pkgs", "--tag", GHOST], 2, f"kiln list-pkgs: error: No such tag: {GHOST}"),
    (["taginfo", GHOST], 1, f"kiln: error: No such tag: {GHOST}"),
    (["add-target", "usage-target", GHOST], 1, f"kiln: error: No such tag: {GHOST}"),
    # an unknown build
    (["list-builds", "--buildid", f"{GHOST}-1-1"], 2, f"kiln list-builds: error: No such build: '{GHOST}-1-1'"),
    (["list-builds", "--buildid", "999999"], 2, "kiln list-builds: error: No such build: '999999'"),
    # an unknown user
    (["list-permissions", "--user", GHOST], 1, f"kiln: error: No such user: {GHOST}"),
    (["grant-permission", "tag", GHOST], 2, f"kiln grant-permission: error: No such user: {GHOST}"),
    (["list-pkgs", "--owner", GHOST], 2, f"kiln list-pkgs: error: No such user: {GHOST}"),
    (["list-builds", "--owner", GHOST], 2, f"kiln list-builds: error: No such user: {GHOST}"),
    (["enable-user", GHOST], 1, f"kiln: error: GenericError: No such user: '{GHOST}'"),
    (["userinfo", GHOST], 0, f"No such user: {GHOST}"),
    # an unknown host or channel
    (["edit-host", GHOST, "--capacity", "2"], 1, "kiln: error: No changes made, please correct the command line"),
    (["add-host-to-channel", GHOST, "default"], 1, f"kiln: error: No such host: {GHOST}"),
    (["list-hosts", "--channel", GHOST], 2, f"kiln list-hosts: error: No such channel: {GHOST}"),
]


@pytest.mark.parametrize(("words", "code", "line"), CASES, ids=[" ".join(case[0]) for case in CASES])
def test_bad_usage_is_one_line_with_kojis_exit_code(koji_cli, a_tag, words, code, line):
    ours = kiln(koji_cli.config, *words, user=ADMIN)
    theirs = koji_cli(*words, user=ADMIN, check=False)
    assert theirs.returncode == code, theirs.stderr
    assert ours.returncode == code, ours.stderr
    assert "Traceback" not in ours.stderr and ours.stdout == ""
    if code != 1 or words[0] in COMMANDS:  # koji lists all its commands for an unknown one
        assert theirs.stdout == ""
    lines = [text for text in ours.stderr.splitlines() if text]
    assert lines[-1] == line
    if not ours.stderr.startswith("usage: "):
        assert len(lines) == 1 + ("edit-host" in words), ours.stderr  # edit-host names each unknown host first
    else:
        # argparse's usage first: the command's own synopsis, then the line
        assert all(text.startswith(("usage: ", " ")) for text in lines[:-1])


def test_debug_shows_the_traceback_where_koji_would(koji_cli):
    """The one line is for users; --debug is for developers and keeps the stack."""
    done = kiln(koji_cli.config, "--debug", "enable-user", GHOST, user=ADMIN)
    assert done.returncode == 1 and "Traceback" in done.stderr
    assert f"kiln: error: GenericError: No such user: '{GHOST}'" in done.stderr.splitlines()
