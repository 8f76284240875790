"""kiln-builder's settings: the file, kojid.conf, the command line, and the help that documents them."""

from __future__ import annotations

import pytest

from kiln.builder import cli, config
from kiln.protocol import errors


def test_file_then_command_line(tmp_path):
    path = tmp_path / "builder.conf"
    path.write_text(
        "[kiln-builder]\nserver = http://hub.example/kojihub\nhost = b1\npoll_seconds = 12\n"
        "force_lock = no\nplugins = example, other\n"
    )
    settings = config.load(path, {"poll_seconds": 3.0, "user": None})
    assert settings.server == "http://hub.example/kojihub"
    assert settings.poll_seconds == 3.0  # the command line wins
    assert settings.force_lock is False
    assert settings.plugins == ["example", "other"]
    assert settings.login == "b1"  # the user defaults to the host name


def test_a_kojid_conf_is_read_for_the_keys_kiln_knows(tmp_path):
    path = tmp_path / "kojid.conf"
    path.write_text("[kojid]\nserver = http://koji.example/kojihub\nuser = builder7\nmaxjobs = 10\nsleeptime = 15\n")
    settings = config.load(path)
    assert (settings.server, settings.login) == ("http://koji.example/kojihub", "builder7")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[kiln-builder]\npoll_seconds = soon\n", "poll_seconds: 'soon' is not a number"),
        ("[kiln-builder]\nforce_lock = perhaps\n", "force_lock: 'perhaps' is not a yes/no value"),
        ("[kiln-builder]\nsleeptime = 15\n", "unknown setting 'sleeptime'"),
        ("[hub]\ndb = x\n", "no [kiln-builder] section"),
    ],
)
def test_bad_settings_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "builder.conf"
    path.write_text(text)
    with pytest.raises(errors.ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config.load(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(errors.ConfigurationError, match="cannot read"):
        config.load(tmp_path / "nope.conf")


def test_help_documents_every_setting(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for name, spec in config.FIELDS.items():
        assert "--" + name.replace("_", "-") in text
        assert spec.metadata.get("help"), f"{name} has no help text"


def test_a_bad_config_ends_the_daemon_with_a_message(tmp_path, capsys):
    path = tmp_path / "builder.conf"
    path.write_text("[kiln-builder]\nplugins = not-installed\n")
    assert cli.main(["--config", str(path)]) == 2
    assert "builder plugin 'not-installed' is not installed" in capsys.readouterr().err


def test_docs_describe_every_setting_and_hook():
    from pathlib import Path

    from kiln.builder import hookspecs

    text = (Path(__file__).resolve().parents[2] / "docs" / "builder.md").read_text()
    for name in config.FIELDS:
        assert f"`{name}`" in text or f"`{name}`," in text, f"docs/builder.md does not describe {name}"
    for name in dir(hookspecs):
        if name.startswith("kiln_builder_"):
            assert f"`{name}(" in text, f"docs/builder.md does not describe the hook {name}"


def test_repos_are_read_from_the_topdir_mount_or_the_topurl():
    from kiln.builder.handler import BaseTaskHandler

    def handler(**settings):
        return BaseTaskHandler(1, "x", [], None, "/tmp", config.BuilderSettings(**settings))

    assert handler(topurl="http://hub/kojifiles/").repo_location("f1-build", 7, "x86_64") == (
        "http://hub/kojifiles/repos/f1-build/7/x86_64"
    )
    mounted = handler(topurl="http://hub/kojifiles", topdir="/mnt/koji")
    assert mounted.repo_location("f1-build", 7, "x86_64") == "/mnt/koji/repos/f1-build/7/x86_64"
    with pytest.raises(errors.ConfigurationError, match="set topurl"):
        handler().repo_location("f1-build", 7, "x86_64")
