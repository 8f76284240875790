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


@pytest.mark.slow
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


@pytest.mark.parametrize("args", [[], ["call"]])
def test_usage_errors_exit_2(args):
    done = run_kiln(*args)
    assert done.returncode == 2
    assert "usage: kiln" in done.stderr


def test_an_unknown_command_exits_1_as_koji_does():
    done = run_kiln("nosuchcommand")
    assert done.returncode == 1
    assert done.stderr == "kiln: error: unknown command: nosuchcommand (see kiln --help)\n"


@pytest.mark.parametrize("option", ["-u", "--user", "--server=http://x", "--noauth", "-p"])
def test_a_global_option_after_the_command_says_where_it_belongs(option):
    done = run_kiln("hello", option, "admin")
    assert done.returncode == 2
    flag = option.split("=")[0]
    assert done.stderr.splitlines()[-1] == (
        f"kiln hello: error: {flag} is a global option: put it before the command (kiln {flag} ... hello ...)"
    )


def test_help_lists_every_command_without_importing_one():
    code = (
        "import sys\n"
        "from kiln.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('kiln.cli.commands.') or m in ('kiln.client', 'requests')]\n"
        "print('LOADED', loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.rstrip().splitlines()[-1] == "LOADED []"
    for name in ("hello", "list-tags", "list-hosts", "userinfo", "list-api"):
        assert f"    {name} " in done.stdout


def profile_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiln.conf"
    path.write_text(text)
    return path


def test_a_profile_names_the_hub_and_the_user(hub, admin, tmp_path):
    name, password = make_user(hub, admin)
    config = profile_file(
        tmp_path,
        f"[kiln]\nserver = http://127.0.0.1:1/nowhere\n\n[test]\nserver = {hub.url}\nuser = {name}\n"
        f"password = {password}\nmax_retries = 0\n",
    )
    done = run_kiln("-c", str(config), "-p", "test", "hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Hello, {name}!\n")
    done = run_kiln("-c", str(config), "-p", "test", "--noauth", "hello")
    assert done.stdout.startswith("Hello, anonymous user!\n")


def test_a_koji_conf_works_as_it_is(hub, tmp_path):
    config = profile_file(tmp_path, f"[koji]\nserver = {hub.url}\nanon_retry = false\nuse_fast_upload = yes\n")
    done = run_kiln("-c", str(config), "hello")
    assert done.returncode == 0, done.stderr
    assert f"You are using the hub at {hub.url} " in done.stdout


def test_the_user_config_file_is_read(hub, tmp_path):
    (tmp_path / "kiln").mkdir()
    (tmp_path / "kiln" / "config").write_text(f"[kiln]\nserver = {hub.url}\n")
    done = run_kiln("hello", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert f"You are using the hub at {hub.url} " in done.stdout


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("[kiln]\n", ["-p", "prod"], "kiln: error: no such profile: prod (looked in {config})"),
        ("[kiln]\nnoauth = maybe\n", [], "kiln: error: profile kiln: noauth must be yes or no, not 'maybe'"),
        (
            "[kiln]\nauthtype = magic\n",
            [],
            "kiln: error: profile kiln: authtype must be one of password, ssl, kerberos, noauth, not 'magic'",
        ),
        ("not an ini file\n", [], "kiln: error: cannot read config file {config}: line 1 comes before any [section]"),
        ("[kiln]\nserver\n", [], "kiln: error: cannot read config file {config}: cannot parse line 2"),
    ],
)
def test_config_errors_are_one_line(tmp_path, text, args, message):
    config = profile_file(tmp_path, text)
    done = run_kiln("-c", str(config), *args, "hello")
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(message.format(config=config))


def test_a_missing_config_file_is_an_error(tmp_path):
    done = run_kiln("-c", str(tmp_path / "absent.conf"), "hello")
    assert done.returncode == 1
    assert done.stderr == f"kiln: error: config file not found: {tmp_path / 'absent.conf'}\n"


def test_version():
    done = run_kiln("--version")
    assert done.returncode == 0
    assert done.stdout == f"kiln {kiln.__version__}\n"
