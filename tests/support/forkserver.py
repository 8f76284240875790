"""Running the koji and kiln command-line clients without paying Python's start-up on every run.

The tests run ``koji`` and ``kiln`` hundreds of times, and most of each run
was the interpreter starting and importing koji's CLI (about 0.5 s of CPU)
or kiln's client.  A fork server imports both once; each run is a fork of
it that executes the real script (``bin/koji``, ``bin/kiln``) as
``__main__`` with the run's own argv, environment, working directory and
standard streams.  A run is still its own process: a real exit status,
nothing shared with the next run, and a timeout that kills it.

One server per test process (each xdist worker), started on first use and
stopped at exit.  Runs that need a terminal or signals from the test keep
using plain subprocesses.

The test hubs (``kiln-hub serve``) start the same way (``spawn``): in a
session of their own, signalled and waited for like a ``Popen``, without
paying SQLAlchemy's, Alembic's and gunicorn's imports (half a second of CPU)
for each of the seventy-odd hubs of a run.

    python -m tests.support.forkserver SOCKET   # the server; prints "ready"
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

BIN = Path(sys.executable).parent
# What the server imports before it forks: the weight of a koji or kiln run.
PRELOAD = (
    "koji",
    "koji.plugin",
    "koji.util",
    "koji_cli.commands",
    "koji_cli.lib",
    "requests",
    "kiln.cli.main",
    "kiln.client",
    "kiln.hub.cli",
    "kiln.hub.server",
    "kiln.web.cli",
    "kiln.web.app",
    "kiln.hub.db.migrate",
    "alembic.command",
    "alembic.runtime.migration",
    "gunicorn.arbiter",
    "gunicorn.workers.gthread",
    "gunicorn.workers.sync",
    "psycopg",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.sqlite",
)
_HEADER = struct.Struct("!I")


def _send(sock: socket.socket, data: object, fds: list[int] | None = None) -> None:
    body = json.dumps(data).encode()
    message = _HEADER.pack(len(body)) + body
    if fds:
        socket.send_fds(sock, [message], fds)
    else:
        sock.sendall(message)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise EOFError("fork server closed the connection")
        chunks += chunk
    return chunks


def _recv(sock: socket.socket) -> object:
    return json.loads(_recv_exact(sock, _HEADER.unpack(_recv_exact(sock, _HEADER.size))[0]))


# --- the server ---------------------------------------------------------------------------------


def _exit_code(code: object) -> int:
    """What the interpreter makes of ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


_STDIO = (sys.stdin, sys.stdout, sys.stderr)


def _reopen(fd: int, like: io.TextIOWrapper) -> io.TextIOWrapper:
    """A text stream on ``fd`` made as the interpreter made ``like`` (the server's own, also not a terminal).

    The details matter: koji writes log text through ``sys.stdout.buffer``
    between lines written to ``sys.stdout``, which keeps its order only
    because the interpreter's stdout writes through.
    """
    reading = fd == 0
    unbuffered = isinstance(like.buffer, io.FileIO)
    raw = open(fd, "rb" if reading else "wb", buffering=0 if unbuffered and not reading else -1, closefd=False)  # noqa: SIM115
    return io.TextIOWrapper(
        raw,
        encoding=like.encoding,
        errors=like.errors,
        line_buffering=like.line_buffering,
        write_through=like.write_through,
    )


def _run_child(request: dict, fds: list[int]) -> None:
    """In the forked child: become the requested run of the script, then exit."""
    code = 1
    try:
        if _listener is not None:
            _listener.close()
        if request.get("new_session"):
            os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import time

        time.tzset()
        sys.stdin, sys.stdout, sys.stderr = (_reopen(fd, stream) for fd, stream in enumerate(_STDIO))
        sys.argv = list(request["argv"])
        import runpy

        try:
            runpy.run_path(request["argv"][0], run_name="__main__")
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except KeyboardInterrupt:
            code = 130
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        with contextlib.suppress(Exception):
            atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


_listener: socket.socket | None = None


def serve(path: str) -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    # Ctrl-C on a developer's pytest is for pytest: the server goes with the
    # test process (SIGKILL to its group at exit), not on SIGINT; each run
    # gets the default Ctrl-C back in _run_child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _listener
    _listener = listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        _serve_one(conn)


def _serve_one(conn: socket.socket) -> None:
    """Fork the run one client asks for; report its pid, then its status.

    The fork happens on the main thread; the waiting on a thread of its own,
    so that runs may overlap (a test may run two clients at once).
    """
    try:
        # The descriptors ride on the first bytes: the first read must be recv_fds.
        data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
        if len(data) < _HEADER.size:
            data += _recv_exact(conn, _HEADER.size - len(data))
        size = _HEADER.unpack(data[: _HEADER.size])[0]
        body = data[_HEADER.size :]
        if len(body) < size:
            body += _recv_exact(conn, size - len(body))
        request = json.loads(body)
    except (EOFError, OSError, ValueError):
        conn.close()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        conn.close()
        _run_child(request, list(fds))
    for fd in fds:
        os.close(fd)

    def wait() -> None:
        with conn:
            with contextlib.suppress(OSError):
                _send(conn, {"pid": pid})
            _pid, status = os.waitpid(pid, 0)
            with contextlib.suppress(OSError):
                _send(conn, {"returncode": os.waitstatus_to_exitcode(status)})

    threading.Thread(target=wait, daemon=True).start()


# --- the client ---------------------------------------------------------------------------------


class ForkServer:
    """The server process and how to ask it for a run."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kiln-forkserver-"))
        self.path = str(self.dir / "socket")
        self.proc: subprocess.Popen | None = None

    def start(self) -> ForkServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.forkserver", self.path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "TZ": "UTC"},
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"fork server did not start: {line!r}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        with contextlib.suppress(OSError):
            os.unlink(self.path)
            self.dir.rmdir()

    def run(
        self,
        argv: list[str],
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike | None = None,
        input: str | None = None,  # noqa: A002 - subprocess.run's name
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess:
        """As ``subprocess.run(argv, capture_output=True, text=True, ...)``: the run's status and output."""
        request = _request(argv, env, cwd)
        with (
            tempfile.TemporaryFile() as stdin,
            tempfile.TemporaryFile() as stdout,
            tempfile.TemporaryFile() as stderr,
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock,
        ):
            if input is not None:
                stdin.write(input.encode())
                stdin.seek(0)
            sock.connect(self.path)
            _send(sock, request, [stdin.fileno(), stdout.fileno(), stderr.fileno()])
            pid = _recv(sock)["pid"]
            sock.settimeout(timeout)
            try:
                returncode = _recv(sock)["returncode"]
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(argv, timeout) from None
            out, err = (_read(f) for f in (stdout, stderr))
        return subprocess.CompletedProcess(argv, returncode, out, err)

    def spawn(self, argv: list[str], stderr: int, env: dict[str, str] | None = None) -> Spawned:
        """Start ``argv`` in a session of its own, stdin and stdout on /dev/null, stderr to the descriptor given."""
        request = {**_request(argv, env, None), "new_session": True}
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as stdout:
            sock.connect(self.path)
            _send(sock, request, [stdin.fileno(), stdout.fileno(), stderr])
        return Spawned(request["argv"], sock)


def _request(argv: list[str], env: dict[str, str] | None, cwd: str | os.PathLike | None) -> dict:
    """What the server needs of a run: its argv, environment (this process's by default) and directory."""
    environment = dict(os.environ if env is None else env)
    return {"argv": [str(a) for a in argv], "env": environment, "cwd": str(cwd or os.getcwd())}


class Spawned:
    """A long-running process forked by the server, used as a ``subprocess.Popen`` is: pid, poll, wait, signals.

    The server reports its exit status on the connection; a thread waits for it.
    """

    def __init__(self, args: list[str], sock: socket.socket) -> None:
        self.args = args
        self._sock = sock
        self.pid: int = _recv(sock)["pid"]
        self.returncode: int | None = None
        self._ended = threading.Event()
        threading.Thread(target=self._wait_for_status, daemon=True).start()

    def _wait_for_status(self) -> None:
        try:
            self.returncode = _recv(self._sock)["returncode"]
        except (EOFError, OSError, ValueError):
            self.returncode = -signal.SIGKILL  # the server went first: its children went with it
        finally:
            self._sock.close()
            self._ended.set()

    def poll(self) -> int | None:
        return self.returncode if self._ended.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout)  # type: ignore[arg-type]
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _read(f: object) -> str:
    f.seek(0)  # type: ignore[attr-defined]
    return f.read().decode(errors="replace")  # type: ignore[attr-defined]


_server: ForkServer | None = None
_lock = threading.Lock()


def server() -> ForkServer:
    """This process's fork server, started on first use."""
    global _server
    with _lock:
        if _server is None or _server.proc is None or _server.proc.poll() is not None:
            _server = ForkServer().start()
            atexit.register(_server.stop)
        return _server


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    return server().run(argv, **kwargs)  # type: ignore[arg-type]


def spawn(argv: list[str], stderr: int, env: dict[str, str] | None = None) -> Spawned:
    """This process's server's ``spawn``: a ``Popen``-like handle on a script of this venv."""
    return server().spawn(argv, stderr, env)


if __name__ == "__main__":
    serve(sys.argv[1])
