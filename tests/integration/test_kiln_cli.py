"""The ``kiln`` command as users run it: the installed console script against a real hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kiln
from tests.conftest import ADMIN, make_user, unique
from tests.support.pgserver import free_port

KILN = Path(sys.executable).parent / "kiln"


def run_kiln(*args: str, server: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``kiln [--server URL] --max-retries 0 ARGS``; failing fast keeps a broken test from hanging."""
    command = [str(KILN)]
    if server is not None:
        command += ["--server", server]
    command += ["--max-retries", "0", *args]
    environ = {k: v for k, v in os.environ.items() if k != "KILN_SERVER"}
    environ.update(env or {})
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=environ, check=False)


def versions() -> str:
    return f"(Koji {kiln.KOJI_VERSION}, kiln {kiln.__version__})"


def test_hello_anonymous(hub):
    done = run_kiln("hello", server=hub.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Hello, anonymous user!\n\nYou are using the hub at {hub.url} {versions()}\n"
    assert done.stderr == ""


def test_hello_logged_in(hub, admin):
    name, password = make_user(hub, admin)
    done = run_kiln("--user", name, "--password", password, "hello", server=hub.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"Hello, {name}!",
        "",
        f"You are using the hub at {hub.url} {versions()}",
        "Authenticated via password",
    ]


def test_noauth_stays_anonymous(hub):
    done = run_kiln("--user", ADMIN[0], "--password", "not-even-tried", "--noauth", "hello", server=hub.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Hello, anonymous user!\n")


def test_server_from_the_environment(hub):
    done = run_kiln("hello", env={"KILN_SERVER": hub.url})
    assert done.returncode == 0, done.stderr
    assert f"You are using the hub at {hub.url} " in done.stdout


def test_the_cli_logs_out_when_done(hub, admin):
    name, password = make_user(hub, admin)
    done = run_kiln("--user", name, "--password", password, "call", "getSessionInfo", server=hub.url)
    assert done.returncode == 0, done.stderr
    assert "'user_id': " in done.stdout
    user_id = admin.getUser(name)["id"]
    assert admin.getSessionInfo(user_id=user_id) == []  # no session left open


def test_call_prints_the_result_with_pprint(hub):
    done = run_kiln("call", "echo", "1", "2.5", "None", "True", "False", "text", "-3", "nan", server=hub.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[1, 2.5, None, True, False, 'text', -3, 'nan']\n"


def test_call_with_keyword_arguments_and_json_output(hub, admin):
    name, _ = make_user(hub, admin)
    done = run_kiln("call", "--json-output", "getUser", name, "krb_princs=False", server=hub.url)
    assert done.returncode == 0, done.stderr
    user = json.loads(done.stdout)
    assert user["name"] == name and "krb_principals" not in user
    assert done.stdout == json.dumps(user, indent=2) + "\n"
    done = run_kiln("call", "--json-output", "getUser", name, server=hub.url)
    assert "krb_principals" in json.loads(done.stdout)


def test_call_keeps_words_whose_left_side_is_no_name_as_positional(hub):
    done = run_kiln("call", "--json-output", "echo", "a b=1", "x-y=2", "=3", server=hub.url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["a b=1", "x-y=2", "=3"]


def test_call_logged_in_reaches_admin_methods(hub):
    name = unique("cli")
    done = run_kiln("--user", ADMIN[0], "--password", ADMIN[1], "call", "createUser", name, server=hub.url)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0


def test_a_fault_is_one_line_on_stderr(hub):
    ghost = unique("ghost")
    done = run_kiln("call", "getUser", ghost, "strict=True", server=hub.url)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"kiln: error: GenericError: No such user: '{ghost}'\n"


def test_permission_and_login_errors(hub):
    done = run_kiln("call", "createUser", unique("cli"), server=hub.url)
    assert done.returncode == 1
    assert done.stderr == "kiln: error: ActionNotAllowed: admin permission required (user not logged in)\n"
    done = run_kiln("--user", ADMIN[0], "--password", "wrong", "hello", server=hub.url)
    assert done.returncode == 1
    assert done.stderr == "kiln: error: AuthError: invalid username or password\n"


def test_debug_adds_the_traceback(hub):
    done = run_kiln("--debug", "call", "getUser", unique("ghost"), "strict=True", server=hub.url)
    assert done.returncode == 1
    assert "Traceback (most recent call last):" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1].startswith("kiln: error: GenericError: No such user")


def test_an_unreachable_hub_is_an_error_not_a_traceback():
    done = run_kiln("hello", server=f"http://127.0.0.1:{free_port()}/kojihub")
    assert done.returncode == 1
    assert done.stderr.startswith("kiln: error: ConnectionError: ")
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("args", [[], ["nosuchcommand"], ["call"]])
def test_usage_errors_exit_2(args):
    done = run_kiln(*args)
    assert done.returncode == 2
    assert "usage: kiln" in done.stderr


def test_version():
    done = run_kiln("--version")
    assert done.returncode == 0
    assert done.stdout == f"kiln {kiln.__version__}\n"
