"""The admin's user, permission, host and channel commands: kiln's do to the hub what koji's do.

Each write command runs twice against the same hub, once as ``kiln`` on
names of its own and once as ``koji`` on others; the two must print the same
(the names, and the ids the hub hands out, normalised), exit alike, and leave
the hub in the same state (the records compared apart from ids and names).
Refusals run as users without the permission and must change nothing.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import ADMIN, make_user, unique
from tests.support.hub import HubProcess
from tests.support.kiln_cli import kiln, kiln_json, plain, same_output
from tests.support.koji_cli import KojiCLI, write_koji_conf


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


@pytest.fixture(scope="module")
def koji_cli(hub: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> KojiCLI:
    return KojiCLI(hub, write_koji_conf(hub, tmp_path_factory.mktemp("conf") / "koji.conf"))


_KOJI_FAULT = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ \[ERROR\] koji: ")
_KILN_ERROR = re.compile(r"^kiln( [\w-]+)?: error: ")


def messages(stderr: str) -> list[str]:
    """What a client said on stderr, without its prefixes (koji's usage text and log stamp, kiln's name)."""
    if "koji: error: " in stderr:  # koji's option parser: usage, a blank line, then the message
        return [stderr.rsplit("koji: error: ", 1)[1].strip()]
    lines = [_KILN_ERROR.sub("", _KOJI_FAULT.sub("", line)) for line in stderr.splitlines()]
    return [line for line in lines if line.strip()]


def normalised(text: str, names: dict[str, str]) -> str:
    for name, label in names.items():
        text = text.replace(name, label)
    return re.sub(r"(\bid |\()\d+", r"\1N", text)


def both(
    koji_cli: KojiCLI,
    template: list[str],
    ours: list[str],
    theirs: list[str],
    user: tuple[str, str] = ADMIN,
) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """``template`` ({0}, {1}... filled in) as kiln on ``ours`` and as koji on ``theirs``: alike but for names."""
    done = kiln(koji_cli.config, *[word.format(*ours) for word in template], user=user)
    theirs_done = koji_cli(*[word.format(*theirs) for word in template], user=user, check=False)
    labels_ours = {name: f"NAME{i}" for i, name in enumerate(ours)}
    labels_theirs = {name: f"NAME{i}" for i, name in enumerate(theirs)}
    assert done.returncode == theirs_done.returncode, (done.stderr, theirs_done.stderr)
    assert normalised(done.stdout, labels_ours) == normalised(theirs_done.stdout, labels_theirs)
    assert [normalised(m, labels_ours) for m in messages(done.stderr)] == [
        normalised(m, labels_theirs) for m in messages(theirs_done.stderr)
    ], (done.stderr, theirs_done.stderr)
    assert "Traceback" not in done.stderr
    return done, theirs_done


def without_identity(info: dict, *names: str) -> dict:
    """A record without what must differ between two made alike: ids, names, and names inside values."""
    skip = {"id", "name", "user_id"}
    out = {}
    for key, value in info.items():
        if key in skip:
            continue
        for index, name in enumerate(names):
            if isinstance(value, str):
                value = value.replace(name, f"NAME{index}")
            elif isinstance(value, list):
                value = [v.replace(name, f"NAME{index}") if isinstance(v, str) else v for v in value]
        out[key] = value
    return out


def names(prefix: str, count: int = 1) -> tuple[list[str], list[str]]:
    """``count`` fresh names for kiln to work on and as many for koji."""
    return [unique(f"{prefix}n") for _ in range(count)], [unique(f"{prefix}k") for _ in range(count)]


# --- users -----------------------------------------------------------------------


@pytest.mark.parametrize("options", [[], ["--disable"], ["--principal", "{0}@EXAMPLE.COM"]], ids=str)
def test_add_user(koji_cli, admin, options):
    ours, theirs = names("user")
    done, _ = both(koji_cli, ["add-user", "{0}", *options], ours, theirs)
    assert done.returncode == 0 and done.stdout.startswith(f"Added user {ours[0]} (")
    made = admin.getUser(ours[0])
    assert f"({made['id']})" in done.stdout
    assert without_identity(made, ours[0]) == without_identity(admin.getUser(theirs[0]), theirs[0])
    assert made["status"] == (1 if options == ["--disable"] else 0)
    # a second time: the hub's refusal, one line, exit 1
    done, _ = both(koji_cli, ["add-user", "{0}"], ours, theirs)
    assert done.returncode == 1 and done.stderr == f"kiln: error: GenericError: user already exists: {ours[0]}\n"


@pytest.mark.parametrize(
    "args", [["add-user"], ["add-user", "a", "b"], ["enable-user"], ["disable-user", "a", "b"]], ids=str
)
def test_user_commands_usage(koji_cli, args):
    done, _ = both(koji_cli, args, [], [])
    assert done.returncode == 2


@pytest.mark.slow
def test_disable_and_enable_user(koji_cli, hub, admin):
    ours, theirs = names("user")
    for name in ours + theirs:
        make_user(hub, admin, name=name)
    both(koji_cli, ["disable-user", "{0}"], ours, theirs)
    assert admin.getUser(ours[0])["status"] == admin.getUser(theirs[0])["status"] == 1
    blocked = kiln(koji_cli.config, "list-permissions", "--mine", user=(ours[0], "pw"))
    assert blocked.returncode == 1 and "AuthError" in blocked.stderr
    both(koji_cli, ["enable-user", "{0}"], ours, theirs)
    assert admin.getUser(ours[0])["status"] == admin.getUser(theirs[0])["status"] == 0
    assert kiln(koji_cli.config, "list-permissions", "--mine", user=(ours[0], "pw")).returncode == 0
    done, _ = both(koji_cli, ["enable-user", "{0}"], [unique("ghost")], [unique("ghost")])
    assert done.returncode == 1


@pytest.mark.slow
def test_grant_and_revoke_permission(koji_cli, hub, admin):
    ours, theirs = names("user", 2)
    for name in ours + theirs:
        make_user(hub, admin, name=name)
    perm_ours, perm_theirs = unique("permn"), unique("permk")
    template = ["grant-permission", "--new", "--description", "for {0}", "{2}", "{0}", "{1}"]
    both(koji_cli, template, [*ours, perm_ours], [*theirs, perm_theirs])
    all_perms = {perm["name"]: perm for perm in admin.getAllPerms()}
    assert all_perms[perm_ours]["description"] == f"for {ours[0]}"
    assert all_perms[perm_theirs]["description"] == f"for {theirs[0]}"
    both(koji_cli, ["grant-permission", "tag", "{0}", "{1}"], ours, theirs)
    for mine, koji_made in zip(ours, theirs, strict=True):
        assert sorted(admin.getUserPerms(mine)) == sorted([perm_ours, "tag"])
        assert sorted(admin.getUserPerms(koji_made)) == sorted([perm_theirs, "tag"])
    both(koji_cli, ["revoke-permission", "tag", "{0}", "{1}"], ours, theirs)
    assert admin.getUserPerms(ours[1]) == [perm_ours] and admin.getUserPerms(theirs[1]) == [perm_theirs]
    # revoking what is not held, granting what is: the hub's refusal, as koji reports it
    for verb in ("revoke-permission", "grant-permission"):
        perm = "tag" if verb == "revoke-permission" else "{2}"
        done, _ = both(koji_cli, [verb, perm, "{0}"], [*ours, perm_ours], [*theirs, perm_theirs])
        assert done.returncode == 1 and done.stderr.startswith("kiln: error: GenericError: user ")


@pytest.mark.slow
def test_grant_permission_usage_and_unknown_users(koji_cli, hub, admin):
    user, _ = make_user(hub, admin)
    ghost = unique("ghost")
    for args in (
        ["grant-permission", "tag"],
        ["grant-permission", "tag", user, ghost],
        ["grant-permission", "--description", "d", "tag", user],
        ["revoke-permission", "tag", ghost],
    ):
        done, _ = both(koji_cli, args, [], [])
        assert done.returncode == 2, args
    assert kiln(koji_cli.config, "grant-permission", "tag", user, ghost, user=ADMIN).stderr == (
        f"kiln grant-permission: error: No such user: {ghost}\n"
    )
    assert admin.getUserPerms(user) == []  # the unknown user stopped the whole command
    done, _ = both(koji_cli, ["grant-permission", "{0}", user], [ghost], [ghost])
    assert done.returncode == 1 and "No such entry in table permissions" in done.stderr


@pytest.fixture(scope="module")
def perm_user(hub: HubProcess) -> str:
    from tests.conftest import koji_session

    admin = koji_session(hub, *ADMIN)
    name, _ = make_user(hub, admin, perms=("tag", "repo"))
    admin.grantPermission(name, unique("nodesc"), create=True)  # a permission with no description
    return name


@pytest.mark.parametrize(
    "args",
    [
        ["list-permissions"],
        ["list-permissions", "--quiet"],
        ["list-permissions", "--user", "{user}"],
        ["-q", "list-permissions", "--user", "{user}"],
        ["list-permissions", "--mine"],
        ["list-permissions", "--user", ADMIN[0]],
    ],
    ids=str,
)
def test_list_permissions(koji_cli, perm_user, args):
    text = same_output(koji_cli, *[word.format(user=perm_user) for word in args], user=ADMIN)
    if args == ["list-permissions"]:
        assert "admin                Full administrator access. Perform all actions.\n" in text
    if "{user}" in args:
        assert "repo" in text and "admin" not in text


def test_list_permissions_json_and_errors(koji_cli, admin, perm_user):
    assert kiln_json(koji_cli, "list-permissions", user=ADMIN) == plain(admin.getAllPerms())
    user_id = admin.getUser(perm_user)["id"]
    assert kiln_json(koji_cli, "list-permissions", "--user", perm_user, user=ADMIN) == plain(
        admin.getUserPermsInheritance(user_id)
    )
    ghost = unique("ghost")
    for args, code in ((["list-permissions", "--user", "{0}"], 1), (["list-permissions", "{0}"], 2)):
        done, _ = both(koji_cli, args, [ghost], [ghost])
        assert done.returncode == code


# --- hosts and channels --------------------------------------------------------------


def host_state(admin, name: str, names: list[str] = ()) -> dict:
    """What the hub holds of a host: its record, channels and user, without ids and with names normalised.

    ``names`` are the other names of the run (hosts, channels) that may appear in its values.
    """
    info = dict(admin.getHost(name))
    info["channels"] = sorted(c["name"] for c in admin.listChannels(hostID=info["id"]))
    info["user"] = without_identity(admin.getUser(info["user_id"]), name)
    return without_identity(info, name, *names)


@pytest.mark.parametrize("options", [[], ["--krb-principal", "compile/{0}@EXAMPLE.COM"]], ids=str)
def test_add_host(koji_cli, admin, options):
    ours, theirs = names("host")
    done, _ = both(koji_cli, ["add-host", *options, "{0}", "x86_64", "aarch64"], ours, theirs)
    assert done.stdout == f"{ours[0]} added: id {admin.getHost(ours[0])['id']}\n"
    assert host_state(admin, ours[0]) == host_state(admin, theirs[0])
    assert admin.getHost(ours[0])["arches"] == "x86_64 aarch64"
    done, _ = both(koji_cli, ["add-host", "{0}", "x86_64"], ours, theirs)
    assert done.returncode == 1 and done.stderr == f"kiln: error: {ours[0]} is already in the database\n"


def test_add_host_over_a_user_needs_force(koji_cli, hub, admin):
    ours, theirs = names("host")
    for name in ours + theirs:
        make_user(hub, admin, name=name)
    done, _ = both(koji_cli, ["add-host", "{0}", "noarch"], ours, theirs)
    assert done.returncode == 1 and admin.getHost(ours[0]) is None
    done, _ = both(koji_cli, ["add-host", "--force", "{0}", "noarch"], ours, theirs)
    assert done.returncode == 0
    assert host_state(admin, ours[0]) == host_state(admin, theirs[0])
    assert admin.getUser(ours[0])["usertype"] == 1


@pytest.fixture
def two_hosts(admin) -> tuple[list[str], list[str]]:
    """Two hosts for kiln and two for koji, made alike."""
    ours, theirs = names("host", 2)
    for name in ours + theirs:
        admin.addHost(name, ["x86_64"])
    return ours, theirs


def test_edit_host(koji_cli, admin, two_hosts):
    ours, theirs = two_hosts
    template = ["edit-host", "{0}", "{1}", "--arches", "x86_64, ppc64le", "--capacity", "3.5"]
    template += ["--description", "in rack {0}\nrow 2", "--comment", "new disks"]
    done, _ = both(koji_cli, template, ours, theirs)
    assert done.stdout == f"Edited {ours[0]}\nEdited {ours[1]}\n"
    for mine, koji_made in zip(ours, theirs, strict=True):
        assert host_state(admin, mine, ours) == host_state(admin, koji_made, theirs)
    assert admin.getHost(ours[1])["arches"] == "x86_64 ppc64le" and admin.getHost(ours[1])["capacity"] == 3.5
    done, _ = both(koji_cli, ["edit-host", "{0}", "--capacity", "3.5"], ours, theirs)
    assert done.stdout == f"No changes made to {ours[0]}\n"
    # an unknown host among them: each is named and nothing changes
    ghost = unique("ghost")
    done, _ = both(koji_cli, ["edit-host", "{0}", ghost, "--capacity", "9"], ours, theirs)
    assert done.returncode == 1
    assert done.stderr == f"No such host: {ghost}\nkiln: error: No changes made, please correct the command line\n"
    assert admin.getHost(ours[0])["capacity"] == 3.5
    for args in (["edit-host"], ["edit-host", "{0}", "--arches", "x86_64;rm"]):
        assert both(koji_cli, args, ours, theirs)[0].returncode in (1, 2)


def test_disable_and_enable_host(koji_cli, admin, two_hosts):
    ours, theirs = two_hosts
    both(koji_cli, ["disable-host", "--comment", "broken fan", "{0}", "{1}"], ours, theirs)
    for mine, koji_made in zip(ours, theirs, strict=True):
        assert host_state(admin, mine) == host_state(admin, koji_made)
    assert not admin.getHost(ours[0])["enabled"] and admin.getHost(ours[1])["comment"] == "broken fan"
    both(koji_cli, ["enable-host", "{0}"], ours, theirs)
    assert host_state(admin, ours[0]) == host_state(admin, theirs[0])
    assert admin.getHost(ours[0])["enabled"] and admin.getHost(ours[0])["comment"] == "broken fan"
    ghost = unique("ghost")
    done, _ = both(koji_cli, ["enable-host", "{1}", ghost], ours, theirs)
    assert done.returncode == 1 and done.stdout == f"No such host: {ghost}\n"
    assert done.stderr == "kiln: error: No changes made. Please correct the command line.\n"
    assert not admin.getHost(ours[1])["enabled"]
    assert both(koji_cli, ["disable-host"], ours, theirs)[0].returncode == 2


def channel_state(admin, name: str) -> dict:
    return without_identity(admin.getChannel(name), name)


@pytest.mark.slow
def test_add_and_edit_channel(koji_cli, admin):
    ours, theirs = names("chan")
    done, _ = both(koji_cli, ["add-channel", "{0}", "--description", "for {0}"], ours, theirs)
    assert done.stdout == f"{ours[0]} added: id {admin.getChannel(ours[0])['id']}\n"
    assert channel_state(admin, ours[0]) == channel_state(admin, theirs[0])
    done, _ = both(koji_cli, ["add-channel", "{0}"], ours, theirs)
    assert done.returncode == 1 and done.stderr == f"kiln: error: channel {ours[0]} already exists\n"

    renamed = [f"{ours[0]}-new"], [f"{theirs[0]}-new"]
    template = ["edit-channel", "{0}", "--name", "{0}-new", "--description", "d", "--comment", "c"]
    both(koji_cli, template, ours, theirs)
    assert admin.getChannel(ours[0]) is None
    assert channel_state(admin, renamed[0][0]) == channel_state(admin, renamed[1][0])
    assert admin.getChannel(renamed[0][0])["comment"] == "c"
    for args in (["edit-channel", "{0}"], ["edit-channel", "{0}", "--name", "default"], ["edit-channel", "{0}x"]):
        done, _ = both(koji_cli, args, *renamed)
        assert done.returncode == 1 and done.stderr.endswith(
            "kiln: error: No changes made, please correct the command line\n"
            if "x" not in args[1]
            else f"kiln: error: No such channel: {renamed[0][0]}x\n"
        )

    both(koji_cli, ["disable-channel", "--comment", "paused", "{0}"], *renamed)
    assert channel_state(admin, renamed[0][0]) == channel_state(admin, renamed[1][0])
    assert admin.getChannel(renamed[0][0])["enabled"] is False
    done, _ = both(koji_cli, ["enable-channel", "{0}", "ghost-{0}"], *renamed)
    assert done.returncode == 1 and admin.getChannel(renamed[0][0])["enabled"] is False
    both(koji_cli, ["enable-channel", "{0}"], *renamed)
    assert channel_state(admin, renamed[0][0]) == channel_state(admin, renamed[1][0])
    assert admin.getChannel(renamed[0][0])["enabled"] is True
    for args in (["add-channel"], ["add-channel", "a", "b"], ["edit-channel"], ["disable-channel"]):
        assert both(koji_cli, args, [], [])[0].returncode == 2


@pytest.mark.slow
def test_host_channel_membership(koji_cli, admin, two_hosts):
    ours, theirs = two_hosts
    chan_ours, chan_theirs = unique("chann"), unique("chank")
    admin.addChannel(chan_ours)
    admin.addChannel(chan_theirs)
    ours, theirs = [*ours, chan_ours], [*theirs, chan_theirs]
    both(koji_cli, ["add-host-to-channel", "{0}", "{2}"], ours, theirs)
    both(koji_cli, ["add-host-to-channel", "--new", "{1}", "{2}-new"], ours, theirs)
    for index in (0, 1):
        assert host_state(admin, ours[index], ours) == host_state(admin, theirs[index], theirs)
    assert sorted(c["name"] for c in admin.listChannels(hostID=ours[1])) == sorted(["default", f"{chan_ours}-new"])
    # refusals: an unknown channel (without --new), an unknown host, a second subscription
    for args, message in (
        (["add-host-to-channel", "{0}", "{2}-none"], f"No such channel: {chan_ours}-none"),
        (["add-host-to-channel", "ghost-{0}", "{2}"], f"No such host: ghost-{ours[0]}"),
        (["add-host-to-channel", "{0}", "{2}"], f"GenericError: host {ours[0]} is already subscribed to the "),
        (["remove-host-from-channel", "{1}", "{2}"], f"Host {ours[1]} is not a member of channel {chan_ours}"),
        (["remove-host-from-channel", "ghost-{0}", "{2}"], f"No such host: ghost-{ours[0]}"),
    ):
        done, _ = both(koji_cli, args, ours, theirs)
        assert done.returncode == 1 and done.stderr.startswith(f"kiln: error: {message}"), args
    both(koji_cli, ["remove-host-from-channel", "{0}", "{2}"], ours, theirs)
    both(koji_cli, ["remove-host-from-channel", "{0}", "default"], ours, theirs)
    assert host_state(admin, ours[0], ours) == host_state(admin, theirs[0], theirs)
    assert admin.listChannels(hostID=ours[0]) == []
    assert chan_ours in same_output(koji_cli, "add-host-to-channel", "--list", user=ADMIN)
    for args in (["add-host-to-channel", "{0}"], ["remove-host-from-channel", "{0}", "{2}", "x"]):
        assert both(koji_cli, args, ours, theirs)[0].returncode == 2


# --- refusals: users without the permission change nothing --------------------------


@pytest.fixture(scope="module")
def nobody(hub: HubProcess) -> dict[str, object]:
    """A user with no permissions, one with 'host' (koji's host and channel manager), and things to try on."""
    from tests.conftest import koji_session

    admin = koji_session(hub, *ADMIN)
    plain_user = make_user(hub, admin)
    host_admin = make_user(hub, admin, perms=("host",))
    victim, _ = make_user(hub, admin)
    host = unique("host")
    admin.addHost(host, ["x86_64"])
    channel = unique("chan")
    admin.addChannel(channel)
    return {"plain": plain_user, "host_admin": host_admin, "victim": victim, "host": host, "channel": channel}


def state_of_everything(admin, nobody) -> object:
    return (
        admin.getUser(nobody["victim"]),
        admin.getUserPerms(nobody["victim"]),
        admin.getHost(nobody["host"]),
        admin.listChannels(hostID=nobody["host"]),
        admin.getChannel(nobody["channel"]),
        len(admin.listUsers(userType=None)),
        len(admin.listChannels()),
        len(admin.getAllPerms()),
    )


@pytest.mark.parametrize(
    ("args", "who"),
    [
        (["add-user", "{new}"], "plain"),
        (["add-user", "{new}"], "host_admin"),
        (["disable-user", "{victim}"], "plain"),
        (["enable-user", "{victim}"], "plain"),
        (["grant-permission", "tag", "{victim}"], "host_admin"),
        (["grant-permission", "--new", "{new}", "{victim}"], "plain"),
        (["revoke-permission", "tag", "{victim}"], "plain"),
        (["add-host", "{new}", "x86_64"], "plain"),
        (["edit-host", "{host}", "--capacity", "9"], "plain"),
        (["disable-host", "{host}"], "plain"),
        (["enable-host", "{host}"], "plain"),
        (["add-channel", "{new}"], "plain"),
        (["add-channel", "{new}"], "host_admin"),
        (["edit-channel", "{channel}", "--comment", "x"], "host_admin"),
        (["add-host-to-channel", "{host}", "{channel}"], "plain"),
        (["add-host-to-channel", "--new", "{host}", "{new}"], "host_admin"),
        (["remove-host-from-channel", "{host}", "default"], "plain"),
    ],
    ids=lambda v: v if isinstance(v, str) else " ".join(v),
)
def test_refused_without_the_permission(koji_cli, admin, nobody, args, who):
    words = [word.format(new=unique("new"), **nobody) for word in args]
    before = state_of_everything(admin, nobody)
    done = kiln(koji_cli.config, *words, user=nobody[who])
    theirs = koji_cli(*words, user=nobody[who], check=False)
    assert done.returncode == theirs.returncode == 1, (done.stderr, theirs.stderr)
    assert messages(done.stderr) == messages(theirs.stderr)
    refusal = done.stderr.splitlines()[-1]
    # add-channel and edit-channel print the hub's message without its class, as koji's do
    assert re.match(r"kiln: error: (ActionNotAllowed: |No changes made)|.* permission required", refusal)
    assert "permission required" in done.stderr
    assert state_of_everything(admin, nobody) == before


@pytest.mark.parametrize("command", ["disable-channel", "enable-channel"])
def test_channel_switch_refused_is_reported(koji_cli, admin, nobody, command):
    """koji's enable/disable-channel discard the hub's refusal and exit 0; kiln says so and exits 1."""
    before = state_of_everything(admin, nobody)
    done = kiln(koji_cli.config, command, nobody["channel"], user=nobody["plain"])
    theirs = koji_cli(command, nobody["channel"], user=nobody["plain"], check=False)
    assert (theirs.returncode, theirs.stderr) == (0, "")
    assert done.returncode == 1
    assert done.stderr.startswith("kiln: error: ActionNotAllowed: host permission required")
    assert state_of_everything(admin, nobody) == before


def test_host_permission_is_enough_for_hosts(koji_cli, admin, nobody):
    """'host' lets a user add and edit hosts and move them between channels, as in koji."""
    ours, theirs = names("host")
    both(koji_cli, ["add-host", "{0}", "x86_64"], ours, theirs, user=nobody["host_admin"])
    both(koji_cli, ["add-host-to-channel", "{0}", nobody["channel"]], ours, theirs, user=nobody["host_admin"])
    both(koji_cli, ["disable-host", "--comment", "c", "{0}"], ours, theirs, user=nobody["host_admin"])
    assert host_state(admin, ours[0], [nobody["channel"]]) == host_state(admin, theirs[0], [nobody["channel"]])
    assert nobody["channel"] in host_state(admin, ours[0])["channels"]


def test_admin_commands_listed_in_help(koji_cli: KojiCLI):
    text = kiln(koji_cli.config, "--help").stdout
    for command in ("add-user", "grant-permission", "list-permissions", "add-host", "remove-host-from-channel"):
        assert f"    {command} " in text


def test_list_permissions_mine_needs_a_user(koji_cli):
    """koji fails here with a TypeError from inside the command; kiln says what is missing."""
    done = kiln(koji_cli.config, "--noauth", "list-permissions", "--mine")
    assert done.returncode == koji_cli("list-permissions", "--mine", user=None, check=False).returncode == 1
    assert done.stderr == ("kiln: error: --mine needs a logged-in user (give one with --user before the command)\n")
