"""Logging in to the web by a client certificate that a front proxy verified, as kojiweb does.

Two of Debian's nginx: one in front of the hub (TLS, certificates checked,
the hub believing its headers: ``proxy_auth``), one in front of kiln-web
asking visitors for their certificate.  kiln-web holds a certificate of its
own, one of the hub's ``proxy_dns``, and logs the visitor in with it
(``sslLogin`` with ``proxyuser``); the cookie then carries that session.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import ADMIN, koji_session, start_hub, unique
from tests.support.hub import HubProcess
from tests.support.tls import CertificateAuthority, NginxProxy, nginx_binary
from tests.support.web import WebProcess

pytestmark = pytest.mark.slow  # two nginx, certificates made with openssl: ~8 s


@dataclass
class Front:
    hub: HubProcess
    web: WebProcess
    proxy: NginxProxy
    ca: CertificateAuthority
    other_ca: CertificateAuthority

    def url(self, page: str) -> str:
        return f"https://127.0.0.1:{self.proxy.port}/koji/{page}"


def subject(cert: Path) -> str:
    """A certificate's subject as nginx passes it ($ssl_client_s_dn, RFC 2253)."""
    done = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-subject", "-nameopt", "RFC2253"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip().removeprefix("subject=")


@pytest.fixture(scope="module")
def front(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (Debian package nginx; `make test-deps` installs it)")
    pki = tmp_path_factory.mktemp("web-pki")
    ca = CertificateAuthority.create(pki / "ca", "kiln-web-ca")
    other_ca = CertificateAuthority.create(pki / "other", "stranger-ca")
    server_cert, server_key = ca.issue("localhost", "serverAuth", san="IP:127.0.0.1,DNS:localhost")
    web_pem = ca.client_pem("kiln-web")
    hub = start_hub(
        request, "sqlite", tmp_path_factory.mktemp("web-proxy-hub"), proxy_auth="yes",
        proxy_dns=subject(pki / "ca" / "kiln-web-clientAuth.crt"),
    )  # fmt: skip
    hub_proxy = NginxProxy(hub.port, server_cert, server_key, ca.cert).start(binary)
    request.addfinalizer(hub_proxy.stop)
    web = WebProcess(
        hub_proxy.url, tmp_path_factory.mktemp("web-proxy"),
        "--hub-ca", str(ca.cert), "--client-cert", str(web_pem), "--proxy-login",
    )  # fmt: skip
    web_proxy = NginxProxy(web.port, server_cert, server_key, ca.cert).start(binary)
    yield Front(hub, web, web_proxy, ca, other_ca)
    web_proxy.stop()
    web.stop()


def test_a_verified_certificate_logs_the_visitor_in_through_the_webs_own_identity(front):
    user = unique("certuser")
    pem = front.ca.client_pem(user)
    browser = requests.Session()
    tls = {"cert": str(pem), "verify": str(front.ca.cert), "timeout": 10}  # per request: $REQUESTS_CA_BUNDLE wins
    login = browser.get(front.url("login?next=/koji/tasks"), allow_redirects=False, **tls)
    assert login.status_code == 303 and login.headers["Location"] == "/koji/tasks", login.text[-400:]
    assert "HttpOnly" in login.headers["Set-Cookie"]
    page = browser.get(front.url("index"), **tls)
    assert f">{user}</a>" in page.text and "Log out" in page.text
    # the hub made the user and holds a session of theirs, opened by the web for them
    admin = koji_session(front.hub, *ADMIN)
    found = admin.getUser(user)
    assert found and admin.getSessionInfo(user_id=found["id"]), "no hub session for the visitor"

    # no certificate: the password form, as without a proxy
    bare = requests.get(front.url("login"), verify=str(front.ca.cert), timeout=10)
    assert bare.status_code == 200 and 'type="password"' in bare.text
    # a certificate of another CA: nginx refuses it before kiln-web sees the request
    stranger = front.other_ca.client_pem(unique("stranger"))
    refused = requests.get(front.url("login"), cert=str(stranger), verify=str(front.ca.cert), timeout=10)
    assert refused.status_code == 400


def test_a_web_the_hub_does_not_trust_cannot_act_for_anyone(front, tmp_path):
    """kiln-web with a certificate that is not one of the hub's proxy_dns: the hub refuses, nobody logs in."""
    binary = nginx_binary()
    impostor_pem = front.ca.client_pem(unique("impostor-web"))
    server_cert, server_key = front.ca.issue("localhost", "serverAuth", san="IP:127.0.0.1,DNS:localhost")
    hub_proxy = NginxProxy(front.hub.port, server_cert, server_key, front.ca.cert).start(binary)
    web = WebProcess(
        hub_proxy.url, tmp_path, "--hub-ca", str(front.ca.cert), "--client-cert", str(impostor_pem), "--proxy-login"
    )
    web_proxy = NginxProxy(web.port, server_cert, server_key, front.ca.cert).start(binary)
    try:
        user = unique("victim")
        page = requests.get(
            f"https://127.0.0.1:{web_proxy.port}/koji/login",
            cert=str(front.ca.client_pem(user)), verify=str(front.ca.cert), allow_redirects=False, timeout=10,
        )  # fmt: skip
        assert page.status_code == 403 and "is not authorized to login other users" in page.text
        assert "Set-Cookie" not in page.headers
    finally:
        web_proxy.stop()
        web.stop()
        hub_proxy.stop()


def test_a_kerberos_principal_from_the_proxy_logs_in_and_a_forged_one_through_nginx_does_not(front):
    """A Kerberos front (Apache's mod_auth_gssapi, nginx's spnego module) passes the principal it verified;
    nginx here clears a client's own X-Remote-User, so only what the proxy set reaches kiln-web."""
    principal = f"{unique('krb')}@EXAMPLE.COM"
    direct = requests.get(  # as the proxy would pass it, from the proxy's (loopback) address
        front.web.url("login"), headers={"X-Remote-User": principal}, allow_redirects=False, timeout=10
    )
    assert direct.status_code == 303, direct.text[-400:]
    name = principal.split("@")[0]
    assert koji_session(front.hub, *ADMIN).getUser(name)["krb_principals"] == [principal]
    forged = requests.get(
        front.url("login"), headers={"X-Remote-User": "admin@EXAMPLE.COM"}, verify=str(front.ca.cert), timeout=10
    )
    assert forged.status_code == 200 and 'type="password"' in forged.text and "Set-Cookie" not in forged.headers
