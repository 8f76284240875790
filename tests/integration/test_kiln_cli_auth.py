"""Certificate login, for real: kiln and koji through nginx, which checks client certificates for the hub.

The module makes a CA with ``openssl``, a server certificate for nginx and
client certificates for users (plus one from a CA nobody trusts), runs
nginx in front of a real hub started with ``proxy_auth`` on, and logs in
through it with ``kiln --authtype ssl`` (options and a profile) and with the
official koji client from the same koji.conf.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiln.client import ClientSession
from kiln.protocol import errors
from tests.conftest import koji_session, start_hub, unique
from tests.support.hub import ADMIN, HubProcess
from tests.support.kiln_cli import KILN
from tests.support.koji_cli import KOJI
from tests.support.tls import CertificateAuthority, NginxProxy, nginx_binary


@dataclass
class Site:
    """The hub, nginx in front of it, and the certificates the tests log in with."""

    hub: HubProcess
    proxy: NginxProxy
    ca: CertificateAuthority
    other_ca: CertificateAuthority
    dir: Path

    def conf(self, **keys: object) -> Path:
        """A koji.conf for the proxy's https URL with these extra keys (kiln and koji read it alike)."""
        lines = ["[koji]", f"server = {self.proxy.url}", "anon_retry = false", "max_retries = 0"]
        lines += [f"{key} = {value}" for key, value in keys.items()]
        path = self.dir / f"{unique('conf')}.conf"
        path.write_text("\n".join(lines) + "\n")
        return path


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (Debian package nginx; `make test-deps` installs it)")
    pki = tmp_path_factory.mktemp("pki")
    ca = CertificateAuthority.create(pki / "ca", "kiln-test-ca")
    other_ca = CertificateAuthority.create(pki / "other", "untrusted-ca")
    server_cert, server_key = ca.issue("localhost", "serverAuth", san="IP:127.0.0.1,DNS:localhost")
    hub = start_hub(request, "sqlite", tmp_path_factory.mktemp("hub"), proxy_auth="yes")
    proxy = NginxProxy(hub.port, server_cert, server_key, ca.cert)
    request.addfinalizer(proxy.stop)
    proxy.start(binary)
    return Site(hub, proxy, ca, other_ca, tmp_path_factory.mktemp("confs"))


def run(program: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "KILN_SERVER"}
    return subprocess.run(
        [str(program), "-c", str(config), *args], capture_output=True, text=True, env=environ, timeout=60, check=False
    )


def without_greeting(text: str) -> list[str]:
    """moshimoshi's lines with the (random) greeting word cut off the first one."""
    lines = text.splitlines()
    return [lines[0].split(", ", 1)[1], *lines[1:]]


def test_ssl_login_from_options_and_from_a_profile_as_koji_does(site):
    user = unique("ssl")
    pem = site.ca.client_pem(user)
    bare = site.conf()
    by_options = run(KILN, bare, "--authtype", "ssl", "--cert", str(pem), "--serverca", str(site.ca.cert), "moshimoshi")
    assert by_options.returncode == 0, by_options.stderr
    expected = [
        f"{user}!",
        "",
        f"You are using the hub at {site.proxy.url} (Koji {koji_session(site.hub).getKojiVersion()})",
        f"Authenticated via client certificate {pem}",
    ]
    assert without_greeting(by_options.stdout) == expected

    profile = site.conf(authtype="ssl", cert=pem, serverca=site.ca.cert)
    ours = run(KILN, profile, "moshimoshi")
    theirs = run(KOJI, profile, "moshimoshi")
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert without_greeting(ours.stdout) == without_greeting(theirs.stdout) == expected

    # the hub made the user on the first certificate login
    found = koji_session(site.hub, *ADMIN).getUser(user)
    assert found and found["name"] == user


def test_a_cert_without_authtype_means_ssl_as_in_koji(site):
    user = unique("ssl")
    pem = site.ca.client_pem(user)
    done = run(KILN, site.conf(cert=pem, serverca=site.ca.cert), "moshimoshi")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"Authenticated via client certificate {pem}"
    # kiln logged out when done: the user has no session left open
    admin = koji_session(site.hub, *ADMIN)
    assert admin.getSessionInfo(user_id=admin.getUser(user)["id"]) == []


def test_a_cert_from_another_ca_is_refused_with_one_line(site):
    stranger = site.other_ca.client_pem(unique("stranger"))
    config = site.conf(authtype="ssl", cert=stranger, serverca=site.ca.cert)
    ours = run(KILN, config, "moshimoshi")
    assert ours.returncode == 1 and ours.stdout == ""
    assert (
        ours.stderr
        == f"kiln: error: AuthError: ssl login refused by {site.proxy.url}: HTTP 400 The SSL certificate error\n"
    )
    theirs = run(KOJI, config, "moshimoshi")
    assert theirs.returncode != 0 and "400" in theirs.stderr


def test_no_cert_is_refused_by_kiln_and_by_the_hub(site):
    ours = run(KILN, site.conf(authtype="ssl", serverca=site.ca.cert), "moshimoshi")
    assert (ours.returncode, ours.stderr) == (1, "kiln: error: AuthError: No client cert provided\n")
    # a client that sends sslLogin with no certificate gets through nginx; the hub says no
    anon = ClientSession(site.proxy.url, opts={"serverca": str(site.ca.cert), "max_retries": 0})
    with pytest.raises(errors.AuthError, match="could not verify client: no client certificate was presented"):
        anon.sslLogin()


def test_the_hubs_certificate_must_verify_against_serverca(site):
    pem = site.ca.client_pem(unique("ssl"))
    done = run(KILN, site.conf(authtype="ssl", cert=pem, serverca=site.other_ca.cert), "moshimoshi")
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(
        f"kiln: error: AuthError: ssl login to {site.proxy.url} failed: [SSL: CERTIFICATE_VERIFY_FAILED]"
    )


def test_identity_headers_from_the_client_are_not_believed(site):
    """A client naming itself in X-Remote-User through the proxy is still anonymous to sslLogin."""
    anon = ClientSession(site.proxy.url, opts={"serverca": str(site.ca.cert), "max_retries": 0})
    anon.http.headers.update(
        {"X-Remote-User": "admin", "X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-S-DN": "CN=admin"}
    )
    with pytest.raises(errors.AuthError, match="no client certificate was presented"):
        anon.sslLogin()


def test_an_expired_certificate_session_is_renewed_with_the_certificate(site):
    """The client logs in again through sslLogin(renew=True): same session id, and the call goes through."""
    import sqlite3

    user = unique("ssl")
    session = ClientSession(site.proxy.url, opts={"max_retries": 0})
    session.ssl_login(str(site.ca.client_pem(user)), str(site.ca.cert))
    first, key = session.sinfo["session-id"], session.sinfo["session-key"]
    assert session.getLoggedInUser()["name"] == user
    with sqlite3.connect(site.hub.db_url.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE sessions SET expired = 1 WHERE id = ?", (first,))
    assert session.getLoggedInUser()["name"] == user
    assert session.sinfo["session-id"] == first and session.sinfo["session-key"] != key
    session.logout()
