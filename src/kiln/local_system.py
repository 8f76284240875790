"""``make run``: a whole kiln on one machine, on SQLite: the hub, one builder and the repo daemon.

    python -m kiln.local_system --state-dir .kiln --listen 127.0.0.1:8080 --admin-password PW

Everything lives under the state directory: the database and topdir (the
hub's defaults), the builder's work directory, the daemons' configs and
logs.  On first start it sets up what a first build needs, through the
hub's own calls as the admin: a host ``local-builder`` in the default and
createrepo channels, an account ``kiln-repod`` with the repo permission,
the tags ``base``, ``build`` (inheriting from base, for this machine's
arch) and ``dest``, the target ``sample`` (build -> dest) with the sample
package ``kiln-hello`` listed in dest, and a git repository of the sample
package (contrib/sample/kiln-hello) to build from.  Ctrl-C (or SIGTERM)
stops all three processes.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiln.client import ClientSession
from kiln.protocol import errors

BIN = Path(sys.executable).parent
SAMPLE = Path(__file__).resolve().parents[2] / "contrib" / "sample" / "kiln-hello"
HOST, REPOD = "local-builder", "kiln-repod"
TAGS = {"base": {}, "build": {"parent": "base"}, "dest": {}}
TARGET, SAMPLE_PACKAGE = "sample", "kiln-hello"


def _die_with_parent() -> None:
    """In a child, before exec: end with SIGTERM when this process ends, however it ends (Linux's prctl)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _secret(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_hex(9) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def _hub_command(state: Path, *args: str) -> None:
    subprocess.run([str(BIN / "kiln-hub"), *args, "--state-dir", str(state)], check=True, capture_output=True)


def _wait_for_hub(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the hub exited with status {proc.returncode}; see its log")
        try:
            ClientSession(url, opts={"max_retries": 0}).getAPIVersion()
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"the hub did not answer at {url} within {timeout:.0f} s")


def sample_repository(state: Path) -> Path:
    """A git repository of the sample package under the state directory (made once)."""
    repo = state / "sample" / "kiln-hello.git"
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        for item in SAMPLE.iterdir():
            shutil.copy2(item, repo / item.name)
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "kiln",
            "GIT_AUTHOR_EMAIL": "kiln@localhost",
            "GIT_COMMITTER_NAME": "kiln",
            "GIT_COMMITTER_EMAIL": "kiln@localhost",
        }
        for argv in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "kiln-hello 1.0-1"]):
            subprocess.run(["git", "-C", str(repo), *argv], check=True, env=env, capture_output=True)
    return repo


def first_setup(url: str, state: Path, admin_password: str, host_password: str, repod_password: str) -> None:
    """What a first build needs, made once (a marker file says it was)."""
    marker = state / "setup-done"
    if marker.exists():
        return
    admin = ClientSession(url)
    admin.login("admin", admin_password)
    arch = platform.machine()
    host = admin.getHost(HOST) or admin.getHost(admin.addHost(HOST, [arch, "noarch"]))
    if "createrepo" not in [c["name"] for c in admin.listChannels(hostID=host["id"])]:
        admin.addHostToChannel(HOST, "createrepo")
    _hub_command(state, "passwd", HOST, "--password", host_password)
    if admin.getUser(REPOD) is None:
        admin.createUser(REPOD)
    if "repo" not in admin.getUserPerms(REPOD):
        admin.grantPermission(REPOD, "repo")
    _hub_command(state, "passwd", REPOD, "--password", repod_password)
    for name, opts in TAGS.items():
        if admin.getTag(name) is None:
            admin.createTag(name, arches=arch if name == "build" else None, **opts)
    if admin.getBuildTarget(TARGET) is None:
        admin.createBuildTarget(TARGET, "build", "dest")
    admin.packageListAdd("dest", SAMPLE_PACKAGE, owner="admin")
    admin.logout()
    marker.write_text("set up\n")


def _write_config(path: Path, section: str, values: dict[str, object]) -> Path:
    path.write_text("\n".join([f"[{section}]"] + [f"{k} = {v}" for k, v in values.items()]) + "\n")
    path.chmod(0o600)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiln-local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", default=".kiln")
    parser.add_argument("--listen", default="127.0.0.1:8080")
    parser.add_argument("--admin-password", required=True)
    args = parser.parse_args(argv)
    state = Path(args.state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    url = f"http://{args.listen}/kojihub"
    host_password, repod_password = _secret(state / "host-password"), _secret(state / "repod-password")
    logs = state / "logs"
    logs.mkdir(exist_ok=True)
    procs: list[tuple[str, subprocess.Popen]] = []

    def start(name: str, argv: list[str]) -> subprocess.Popen:
        err = open(logs / f"{name}.err", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stderr=err, start_new_session=True, preexec_fn=_die_with_parent
        )
        procs.append((name, proc))
        return proc

    stopping = False

    def stop(signum: int = 0, frame: object = None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        hub = start(
            "hub",
            [str(BIN / "kiln-hub"), "serve", "--state-dir", str(state), "--listen", args.listen]
            + ["--log-file", str(logs / "hub.log"), "--web-ui"],
        )
        _wait_for_hub(url, hub)
        first_setup(url, state, args.admin_password, host_password, repod_password)
        repo = sample_repository(state)
        builder_conf = _write_config(
            state / "builder.conf",
            "kiln-builder",
            {
                "server": url,
                "host": HOST,
                "password": host_password,
                "topdir": state / "topdir",
                "topurl": f"http://{args.listen}/kojifiles",
                "workdir": state / "builder",
                "allowed_scms": f":{state}/sample/*",
                "log_file": logs / "builder.log",
            },
        )
        repod_conf = _write_config(
            state / "repod.conf",
            "kiln-repod",
            {"server": url, "user": REPOD, "password": repod_password, "log_file": logs / "repod.log"},
        )
        start("builder", [str(BIN / "kiln-builder"), "--config", str(builder_conf)])
        start("repod", [str(BIN / "kiln-repod"), "--config", str(repod_conf)])
        print(f"kiln is running: hub {url}, builder {HOST}, repo daemon {REPOD} (logs: {logs})", flush=True)
        print(f"sample package: git+file://{repo}#main (target {TARGET})", flush=True)
        print("Ctrl-C stops all three.", flush=True)
        while not stopping:
            for name, proc in procs:
                if proc.poll() is not None:
                    print(f"kiln-{name} exited with status {proc.returncode}; see {logs}", file=sys.stderr)
                    stopping = True
            time.sleep(0.2)
    except (errors.GenericError, subprocess.CalledProcessError) as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1
    finally:
        # The daemons first, the hub last: a daemon says goodbye to the hub
        # (the builder marks its host not ready), which a stopped hub would
        # leave it retrying until it is killed.
        daemons = [proc for name, proc in procs if name != "hub"]
        _stop_all(daemons)
        _stop_all([proc for name, proc in procs if name == "hub"])
        print("kiln stopped.", flush=True)
    return 0


def _stop_all(procs: list[subprocess.Popen], grace: float = 20.0) -> None:
    """SIGTERM to each, then SIGKILL to the groups of those still running after ``grace`` seconds."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
