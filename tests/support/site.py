"""A whole site as docs/deploy.md lays it out, brought up for real on this machine.

Two hubs (``kiln-hub serve``) on one PostgreSQL database and one topdir,
nginx in front of them with contrib/nginx/kiln-hub.conf (both hubs as
upstream servers), two builders and kiln-repod.  The builders stand for
other machines: each runs in a network namespace of its own (``ip netns``),
joined to this one by a veth pair (10.213.N.1/24 here, .2 there, a default
route through .1), and reaches nginx's address only, as the repo daemon and
the clients do.  The topdir is one directory, as the site's shared mount.

Namespaces need root and iproute2's ``ip`` (``make test-deps``):
``site_needs`` says what is missing.  ``Site.close`` undoes everything it
made (processes, links, namespaces), whatever failed on the way up.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import koji

from tests.support.builder import BuilderProcess
from tests.support.hub import ADMIN, HubProcess
from tests.support.repod import RepodProcess
from tests.support.tls import NginxProxy, nginx_binary

HOST_PASSWORD, REPOD_USER, REPOD_PASSWORD = "hostpw", "kiln-repod", "repodpw"
# The site's subnets: 10.213.N.0/24, one a namespace.
PREFIX = "10.213"
# Held while a subnet is picked and taken, so that parallel test processes never pick the same one.
_LOCK = Path(tempfile.gettempdir()) / "kiln-test-netns.lock"


def ip_binary() -> str | None:
    """iproute2's ip (in /sbin or /usr/sbin, which a user's PATH may lack), or None."""
    return shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin")


def site_needs() -> str | None:
    """What this machine lacks to bring a site up, as a sentence; None when nothing."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces for the builders, namespace build roots)")
    if ip_binary() is None:
        missing.append("iproute2's ip")
    if nginx_binary() is None:
        missing.append("nginx")
    if not missing:
        return None
    return f"a site of several hubs needs {' and '.join(missing)}: run as root after `make test-deps`"


def _ip(*args: str) -> str:
    done = subprocess.run([ip_binary() or "ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


@dataclass
class Netns:
    """A network namespace joined to this one by a veth pair: ``host_if`` here, ``inner_if`` there."""

    name: str
    host_if: str
    inner_if: str
    subnet: int = 0  # N of 10.213.N.0/24; 0 until taken

    @property
    def host_address(self) -> str:
        """This side's address, which the namespace reaches (its default route goes through it)."""
        return f"{PREFIX}.{self.subnet}.1"

    @property
    def address(self) -> str:
        return f"{PREFIX}.{self.subnet}.2"

    def argv(self, argv: list[str]) -> list[str]:
        """``argv`` run in the namespace."""
        return [ip_binary() or "ip", "netns", "exec", self.name, *argv]

    def add(self) -> Netns:
        """Make the namespace and the link, and take a free /24 for it (chosen from a hash of its name)."""
        with open(_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            taken = _ip("-o", "addr", "show") + _ip("route", "show")
            start = int.from_bytes(hashlib.sha256(self.name.encode()).digest()[:2], "big")
            for step in range(254):
                subnet = (start + step) % 254 + 1
                if f"{PREFIX}.{subnet}." not in taken:
                    break
            else:
                raise RuntimeError(f"no free /24 under {PREFIX}.0.0/16")
            _ip("netns", "add", self.name)
            _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.inner_if)
            self.subnet = subnet
            _ip("addr", "add", f"{self.host_address}/24", "dev", self.host_if)
        _ip("link", "set", self.inner_if, "netns", self.name)
        _ip("link", "set", self.host_if, "up")
        for args in (
            ("addr", "add", f"{self.address}/24", "dev", self.inner_if),
            ("link", "set", self.inner_if, "up"),
            ("link", "set", "lo", "up"),
            ("route", "add", "default", "via", self.host_address),
        ):
            _ip("-n", self.name, *args)  # in the namespace
        return self

    def remove(self) -> None:
        """Delete the link (both ends go) and the namespace; what is already gone is no matter."""
        with contextlib.suppress(RuntimeError):
            _ip("link", "del", self.host_if)
        with contextlib.suppress(RuntimeError):
            _ip("netns", "del", self.name)


class NamespacedBuilder(BuilderProcess):
    """kiln-builder run in a network namespace (``ip netns exec`` execs it: its pid is the builder's)."""

    def __init__(self, netns: Netns, *args: object, **settings: object) -> None:
        super().__init__(*args, **settings)
        self.netns = netns

    def _argv(self, *args: str) -> list[str]:
        return self.netns.argv(super()._argv(*args))


class Site:
    """Hubs on one database and topdir, nginx in front, builders in namespaces of their own, kiln-repod."""

    def __init__(
        self,
        db_url: str,
        directory: Path,
        hubs: int = 2,
        builders: int = 2,
        hub_settings: dict[str, object] | None = None,
        builder_settings: dict[str, object] | None = None,
    ) -> None:
        self.db_url = db_url
        self.builder_settings = dict(builder_settings or {})
        self.dir = directory
        self.topdir = directory / "topdir"
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        suffix = uuid.uuid4().hex[:6]
        self.netns = [
            Netns(f"kiln-{worker}-{suffix}-{i}", f"kv{suffix}{i}h", f"kv{suffix}{i}n") for i in range(builders)
        ]
        self.hubs = [
            HubProcess(
                db_url, settings={"log_level": "DEBUG", **(hub_settings or {})}, prepared=True, topdir=self.topdir
            )
            for _ in range(hubs)
        ]
        self.nginx: NginxProxy | None = None
        self.builders: list[NamespacedBuilder] = []
        self.repod: RepodProcess | None = None
        self._undo: list[Callable[[], object]] = []

    @property
    def url(self) -> str:
        """The balancer's XML-RPC URL: the one address builders, kiln-repod and clients know."""
        assert self.nginx is not None, "site not started"
        return self.nginx.url

    @property
    def base(self) -> str:
        return self.url.removesuffix("/kojihub")

    def start(self) -> Site:
        """Bring every part up, in the order a site's operator would; ``close`` undoes what was done."""
        self.topdir.mkdir(parents=True, exist_ok=True)
        for netns in self.netns:
            self._undo.append(netns.remove)
            netns.add()
        for hub in self.hubs:
            self._undo.append(hub.kill)
            hub.start()
        ports = [hub.port for hub in self.hubs]
        nginx = NginxProxy.contrib_site(ports, connections=256, listen=[n.host_address for n in self.netns])
        self._undo.append(nginx.stop)
        self.nginx = nginx.start(nginx_binary() or "nginx")
        admin = self.admin()
        try:
            hosts = [self._add_host(admin, f"builder-{i}") for i in range(len(self.netns))]
            admin.createUser(REPOD_USER)
            admin.grantPermission(REPOD_USER, "repo")
            self.hubs[-1].admin_command("passwd", REPOD_USER, "--password", REPOD_PASSWORD)
        finally:
            admin.logout()
        for netns, host in zip(self.netns, hosts, strict=True):
            builder = NamespacedBuilder(
                netns, self.url, host, HOST_PASSWORD,
                check_seconds=0.5, topdir=str(self.topdir), topurl=f"{self.base}/kojifiles",
                allowed_scms=":/tmp/*", **self.builder_settings,
            )  # fmt: skip
            self._undo.append(builder.cleanup)
            self.builders.append(builder)
            builder.start()
        self.repod = RepodProcess(self.url, REPOD_USER, REPOD_PASSWORD, check_seconds=0.2)
        self._undo.append(self.repod.cleanup)
        self.repod.start()
        return self

    def _add_host(self, admin: koji.ClientSession, name: str) -> str:
        """A build host in the default and createrepo channels, for x86_64 and noarch (as make run's)."""
        admin.addHost(name, ["x86_64", "noarch"])
        admin.addHostToChannel(name, "createrepo", create=True)
        self.hubs[0].admin_command("passwd", name, "--password", HOST_PASSWORD)
        return name

    def link_down(self, index: int) -> None:
        """Cut builder ``index``'s network: this side of its veth pair goes down (the namespace's peer with it)."""
        _ip("link", "set", "dev", self.netns[index].host_if, "down")

    def link_up(self, index: int) -> None:
        """Restore builder ``index``'s network (its addresses and routes are as they were)."""
        _ip("link", "set", "dev", self.netns[index].host_if, "up")

    def admin(self) -> koji.ClientSession:
        """The admin's koji session, through the balancer."""
        session = koji.ClientSession(self.url, opts={"max_retries": 0, "anon_retry": False})
        session.opts.update(user=ADMIN[0], password=ADMIN[1])
        session.login()
        return session

    def koji_conf(self, path: Path) -> Path:
        """A koji.conf (which kiln reads too) pointed at the balancer."""
        path.write_text(
            f"[koji]\nserver = {self.url}\nweburl = {self.base}/koji\ntopurl = {self.base}/kojifiles\n"
            "anon_retry = false\nmax_retries = 0\n"
        )
        return path

    def log_text(self) -> str:
        """Every part's log, for a failure's message."""
        parts = [f"== hub {hub.port}\n{hub.log_text()[-3000:]}" for hub in self.hubs]
        parts += [f"== {b.settings['host']} ({b.netns.name})\n{b.log_text()[-5000:]}" for b in self.builders]
        if self.repod is not None:
            parts.append(f"== kiln-repod\n{self.repod.log_text()[-3000:]}")
        if self.nginx is not None:
            parts.append(f"== nginx\n{self.nginx.log_text()[-2000:]}")
        return "\n".join(parts)

    def close(self) -> None:
        """Undo everything, last made first: daemons (they say goodbye through nginx), nginx, hubs, links."""
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except Exception as exc:  # one part's failure must not leave the others behind
                print(f"site cleanup: {undo}: {exc!r}")
