"""Certificates made with the ``openssl`` command, and nginx as a hub's TLS-terminating front proxy.

This is how a site runs certificate login: nginx holds the hub's https
certificate, asks each client for its own and checks it against the site's
CA, then passes the request to the hub with the verdict and the subject in
headers (``X-SSL-Client-Verify``, ``X-SSL-Client-S-DN``), which the hub
believes only from its configured proxy addresses (``proxy_auth``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.hub import stop_group
from tests.support.pgserver import free_port

_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@dataclass
class CertificateAuthority:
    """A CA (key and certificate in ``dir``) that signs server and client certificates."""

    dir: Path
    name: str

    @classmethod
    def create(cls, directory: Path, name: str) -> CertificateAuthority:
        directory.mkdir(parents=True, exist_ok=True)
        ca = cls(directory, name)
        _openssl(
            "req", "-x509", *_KEY, "-keyout", str(ca.key), "-out", str(ca.cert), "-days", "2",
            "-subj", f"/O=kiln tests/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip
        return ca

    @property
    def key(self) -> Path:
        return self.dir / f"{self.name}.key"

    @property
    def cert(self) -> Path:
        return self.dir / f"{self.name}.crt"

    def issue(self, common_name: str, usage: str, san: str | None = None) -> tuple[Path, Path]:
        """A certificate for ``common_name`` (``usage``: serverAuth or clientAuth): (cert, key)."""
        base = self.dir / f"{common_name}-{usage}"
        csr, cert, key, ext = (base.with_suffix(suffix) for suffix in (".csr", ".crt", ".key", ".ext"))
        extensions = ["basicConstraints=CA:FALSE", "keyUsage=digitalSignature", f"extendedKeyUsage={usage}"]
        extensions += ["subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid"]
        if san:
            extensions.append(f"subjectAltName={san}")
        ext.write_text("\n".join(extensions) + "\n")
        _openssl(
            "req", "-new", *_KEY, "-keyout", str(key), "-out", str(csr), "-subj", f"/O=kiln tests/CN={common_name}"
        )
        _openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
            "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
            "-extfile", str(ext), "-out", str(cert),
        )  # fmt: skip
        return cert, key

    def client_pem(self, user: str) -> Path:
        """A client certificate for ``user`` with its key, in one PEM file (what koji's ``cert`` names)."""
        cert, key = self.issue(user, "clientAuth")
        pem = self.dir / f"{user}.pem"
        pem.write_text(cert.read_text() + key.read_text())
        return pem


def nginx_binary() -> str | None:
    """nginx from Debian's package (in /usr/sbin, which a user's PATH may lack), or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


_MAIN = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
{user}
events {{ worker_connections {connections}; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{http}
}}
"""

_TLS_SITE = """\
    client_max_body_size 0;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {server_cert};
        ssl_certificate_key {server_key};
        # Ask every client for a certificate, refuse one the CA did not sign,
        # and let clients without one through (anonymous calls; the hub
        # refuses their sslLogin).
        ssl_client_certificate {client_ca};
        ssl_verify_client optional;
        location / {{
            proxy_pass http://127.0.0.1:{hub_port};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
            proxy_set_header X-SSL-Client-S-DN $ssl_client_s_dn;
            # what a client sends in the identity headers never reaches the hub
            proxy_set_header X-Remote-User "";
        }}
    }}
"""

CONTRIB_SITE = Path(__file__).resolve().parents[2] / "contrib" / "nginx" / "kiln-hub.conf"


class NginxProxy:
    """nginx in the foreground with its own prefix, config, pid and logs in a temporary directory."""

    def __init__(self, hub_port: int, server_cert: Path, server_key: Path, client_ca: Path) -> None:
        """TLS in front of the hub at ``hub_port``, asking clients for certificates ``client_ca`` signed."""
        self._setup(
            lambda port: _TLS_SITE.format(
                port=port, hub_port=hub_port, server_cert=server_cert, server_key=server_key, client_ca=client_ca
            ),
            connections=64,
        )

    @classmethod
    def contrib_site(
        cls, hub_port: int | Sequence[int], connections: int = 2048, listen: Sequence[str] = ("127.0.0.1",)
    ) -> NginxProxy:
        """contrib/nginx/kiln-hub.conf as shipped, its upstream and listen address pointed at this test's.

        ``hub_port``: one hub's port, or several (one ``server`` line each, as docs/deploy.md's several
        hubs); ``listen``: the addresses nginx listens on (on one port), the first is ``url``'s.
        """
        site = CONTRIB_SITE.read_text()
        ports = [hub_port] if isinstance(hub_port, int) else list(hub_port)
        for line in ("    server 127.0.0.1:8080;\n", "    listen 80;\n"):
            assert line in site, f"{CONTRIB_SITE} has no line {line.strip()!r} to point at the test's"

        def render(port: int) -> str:
            # the directives' own lines only (the comments name `listen 80;` too)
            servers = "".join(f"    server 127.0.0.1:{hub};\n" for hub in ports)
            text = site.replace("    server 127.0.0.1:8080;\n", servers)
            listens = "".join(f"    listen {address}:{port};\n" for address in listen)
            return text.replace("    listen 80;\n", listens)

        proxy = cls.__new__(cls)
        proxy._setup(render, connections)
        proxy.scheme = "http"
        proxy.host = listen[0]
        return proxy

    def _setup(self, http: Any, connections: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kiln-nginx-"))
        self.port = free_port()
        self.scheme = "https"
        self.host = "127.0.0.1"
        # Run as root (CI is), nginx hands its workers to nobody: they must reach the temp paths.
        root = os.geteuid() == 0
        if root:
            self.dir.chmod(0o755)
        self.config = self.dir / "nginx.conf"
        self.config.write_text(
            _MAIN.format(
                dir=self.dir,
                user="user nobody nogroup;" if root else "",
                connections=connections,
                http=http(self.port),
            )
        )
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}/kojihub"

    def start(self, binary: str, timeout: float = 15.0) -> NginxProxy:
        command = [binary, "-p", str(self.dir), "-c", str(self.config), "-e", str(self.dir / "error.log")]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited {self.proc.returncode}: {self.proc.stderr.read().decode()}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on port {self.port} within {timeout}s")

    def log_text(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM (nginx's fast shutdown) to its process group, then SIGKILL if it lingers."""
        if self.proc is not None:
            stop_group(self.proc)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
