"""Running a command on a pseudo-terminal, as from a person's shell: what it drew, and its exit status.

The terminal is the child's controlling terminal and the child its
foreground process group, so a program that asks "am I in the foreground
of a terminal?" (koji's and kiln's build do, to decide whether to watch)
gets the answer a person's shell would give it.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import termios
import time


def run_in_pty(
    args: list[str], env: dict[str, str] | None = None, cwd: str | os.PathLike | None = None, timeout: float = 60
) -> tuple[int, str]:
    leader, follower = pty.openpty()

    def take_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        args, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=cwd, preexec_fn=take_terminal
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the far end closed: the child and its children are gone
                    break
                if not data:
                    break
                output += data
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise AssertionError(f"{args} ran past {timeout} s on the terminal:\n{output.decode(errors='replace')}")
    finally:
        os.close(leader)
    return proc.wait(timeout=10), output.decode(errors="replace")
