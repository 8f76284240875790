"""CLI plugins: the example plugin's command runs and is listed; a broken plugin is one warning line.

The example plugin (tests/plugins/kiln_example_plugin) is installed in the
venv.  Broken plugins are installed for one run only: a directory on
PYTHONPATH holding their modules and a ``*.dist-info`` with their entry
points, which is all an installed distribution is to the scan.
"""

from __future__ import annotations

import os
import re
import subprocess
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from kiln.cli import plugins
from tests.support.hub import ADMIN, HubProcess
from tests.support.kiln_cli import KILN, kiln
from tests.support.koji_cli import write_koji_conf


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


@pytest.fixture(scope="module")
def config(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_koji_conf(hub, tmp_path_factory.mktemp("conf") / "koji.conf")


BROKEN = {
    # name: module source
    "kiln_broken_import": "raise ImportError('no module named kiln_missing_dependency')\n",
    "kiln_broken_hook": (
        "from kiln.cli.hookspecs import hookimpl\n\n@hookimpl\ndef kiln_cli_commands(verbose):\n    return []\n"
    ),
    "kiln_broken_answer": (
        "from kiln.cli.hookspecs import hookimpl\n\n@hookimpl\ndef kiln_cli_commands():\n"
        "    raise RuntimeError('the plugin has a bug')\n"
    ),
    "kiln_takes_builtin": (
        "from kiln.cli.hookspecs import Command, hookimpl\n\n@hookimpl\ndef kiln_cli_commands():\n"
        "    return [Command('list-tags', 'Not the real list-tags', lambda ctx: print('hijacked'))]\n"
    ),
}


@pytest.fixture(scope="module")
def broken_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sys.path directory where four broken plugins are installed."""
    root = tmp_path_factory.mktemp("broken-plugins")
    info = root / "kiln_broken_plugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kiln-broken-plugins\nVersion: 1.0\n")
    lines = ["[kiln.cli_plugins]"] + [f"{name.removeprefix('kiln_')} = {name}" for name in BROKEN]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for name, source in BROKEN.items():
        (root / f"{name}.py").write_text(source)
    return root


def with_path(path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "KILN_SERVER"}
    return {**environ, "PYTHONPATH": str(path)}


def test_the_plugin_command_is_listed_in_help():
    done = subprocess.run([str(KILN), "--help"], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert "  [plugin example]" in lines
    assert ["example-hello", "Greet the caller from the example plugin"] in [line.split(None, 1) for line in lines]
    assert done.stderr == ""


def test_the_plugin_command_runs_with_its_options_and_the_login(config):
    done = kiln(config, "example-hello", "--greeting", "Hi", user=ADMIN)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Hi, admin, from the example plugin (hub API version 1)\n"
    anonymous = kiln(config, "example-hello")
    assert anonymous.stdout == "Hello, anonymous user, from the example plugin (hub API version 1)\n"
    helped = kiln(config, "example-hello", "--help")
    assert helped.returncode == 0 and "--greeting GREETING" in helped.stdout


def test_the_plugin_command_reports_errors_as_built_ins_do(config):
    done = kiln(config, "example-hello", "--greeting", " ")
    assert (done.returncode, done.stderr) == (2, "kiln example-hello: error: the greeting cannot be empty\n")
    misplaced = kiln(config, "example-hello", "--noauth")
    assert misplaced.returncode == 2 and "--noauth is a global option" in misplaced.stderr


def test_each_broken_plugin_is_one_warning_line_and_the_rest_works(broken_path):
    done = subprocess.run([str(KILN), "--help"], capture_output=True, text=True, env=with_path(broken_path))
    assert done.returncode == 0
    assert re.search(r"^    example-hello +Greet the caller from the example plugin$", done.stdout, re.M)
    assert "Not the real list-tags" not in done.stdout
    warnings = sorted(done.stderr.splitlines())
    assert len(warnings) == 4, done.stderr
    assert all(line.startswith("kiln: warning: CLI plugin ") for line in warnings)
    assert warnings[0].startswith("kiln: warning: CLI plugin broken_answer failed to list its commands: RuntimeError")
    assert warnings[1].startswith("kiln: warning: CLI plugin broken_hook failed to load: PluginValidationError")
    assert warnings[2] == (
        "kiln: warning: CLI plugin broken_import failed to load: ImportError: no module named kiln_missing_dependency"
    )
    assert (
        warnings[3] == "kiln: warning: CLI plugin takes_builtin cannot replace the built-in command list-tags: ignored"
    )


def test_a_built_in_command_does_not_look_for_plugins(broken_path, config):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(KILN), "-c", str(config), *args], capture_output=True, text=True, env=env)

    env = with_path(broken_path)
    done = run("list-tags")
    assert (done.returncode, done.stderr) == (0, "")
    assert "hijacked" not in done.stdout
    unknown = run("no-such-command")
    assert unknown.returncode == 1
    assert unknown.stderr.splitlines()[-1] == "kiln: error: unknown command: no-such-command (see kiln --help)"


def test_the_scan_finds_what_importlib_metadata_finds():
    ours = plugins.entry_points()
    theirs = [(ep.name, ep.value) for ep in entry_points(group=plugins.ENTRY_POINT_GROUP)]
    assert ours == theirs and ("example", "kiln_example_plugin.cli") in ours
