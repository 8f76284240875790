"""Hub plugins: exported methods obey access declarations; callbacks run in the call's transaction."""

from __future__ import annotations

import re
from pathlib import Path

import koji
import pytest

from kiln.hub.plugins import Plugins
from kiln.protocol import errors
from tests.conftest import ADMIN, koji_session, make_host, make_user, start_hub, unique


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def plugin_hub(request, tmp_path_factory):
    return start_hub(request, request.param, tmp_path_factory.mktemp("plugins"), plugins="example")


def test_plugin_methods_are_exported_and_listed(plugin_hub):
    anon = koji_session(plugin_hub)
    names = anon.system.listMethods()
    assert {"example.whoami", "example.hostEcho", "example.crash"} <= set(names)
    help_text = anon.system.methodHelp("example.whoami")
    assert help_text.startswith("example.whoami()") and "caller's user name" in help_text


def test_plugin_methods_obey_their_access(plugin_hub):
    admin = koji_session(plugin_hub, *ADMIN)
    anon = koji_session(plugin_hub)
    with pytest.raises(koji.ActionNotAllowed, match="you must be logged in"):
        anon.callMethod("example.whoami")
    assert admin.callMethod("example.whoami") == ADMIN[0]
    name, password = make_user(plugin_hub, admin)
    user = koji_session(plugin_hub, name, password)
    with pytest.raises(koji.ActionNotAllowed, match="admin permission required"):
        user.callMethod("example.crash")
    with pytest.raises(koji.AuthError, match="is not a host"):
        user.callMethod("example.hostEcho", 1)
    host, host_password, host_id = make_host(plugin_hub, admin)
    builder = koji_session(plugin_hub, host, host_password)
    builder.exclusiveSession()
    assert builder.callMethod("example.hostEcho", "x") == [host_id, "x"]


def test_callbacks_see_domain_events_and_calls(plugin_hub):
    admin = koji_session(plugin_hub, *ADMIN)
    name = unique("cb")
    admin.createUser(name)
    admin.callMethod("example.whoami")
    log = (Path(plugin_hub.topdir) / "example-plugin.log").read_text().splitlines()
    assert f"user_created {name}" in log
    assert f"post_call example.whoami {ADMIN[0]}" in log


def test_a_failing_callback_fails_the_call_and_rolls_it_back(plugin_hub):
    admin = koji_session(plugin_hub, *ADMIN)
    name = "forbidden-" + unique()
    with pytest.raises(koji.CallbackError, match="refuses user names"):
        admin.createUser(name)
    assert admin.getUser(name) is None


def test_hubs_without_the_plugin_do_not_have_its_methods(hub):
    with pytest.raises(koji.GenericError, match="Invalid method: example.whoami"):
        koji_session(hub).callMethod("example.whoami")


def test_enabling_a_missing_plugin_is_a_clear_error():
    with pytest.raises(errors.ConfigurationError, match="hub plugin 'nope' is not installed"):
        Plugins(["nope"])


def test_a_plugin_with_a_wrong_hook_argument_fails_when_it_loads():
    from kiln.hub.hookspecs import hookimpl

    class Broken:
        @hookimpl
        def kiln_hub_user_created(self, ctx, usr):  # 'usr' is not in the spec
            pass

    with pytest.raises(Exception, match="usr"):
        Plugins(extra=[Broken()])


def test_an_unexpected_exception_is_a_short_fault_and_a_logged_traceback(plugin_hub):
    anon = koji_session(plugin_hub)
    with pytest.raises(koji.xmlrpcplus.Fault) as info:
        anon.callMethod("example.boom")
    assert info.value.faultCode == 1
    # The fault says only that it happened and where to look: an exception's text may hold SQL or paths.
    reference = re.fullmatch(
        r"Internal error in the hub \(reference ([0-9a-f]+)\): the hub's log has the details", info.value.faultString
    )
    assert reference, info.value.faultString
    log = plugin_hub.log_text()
    assert f"internal error {reference.group(1)} in example.boom" in log
    assert "Traceback (most recent call last)" in log and "ValueError: the example plugin exploded" in log
    assert anon.hello() == "Hello World"
