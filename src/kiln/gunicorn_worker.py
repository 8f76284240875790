"""gunicorn's threaded worker, except that a request reaches a thread only once it has arrived whole.

gunicorn's ``gthread`` worker hands a connection to a thread as soon as it
has a first byte, and the thread then blocks reading the rest.  A client
that sends headers and part of a body and then stalls holds that thread for
as long as it likes: three hundred such connections took every thread of a
hub and every normal call timed out.  Here the worker's event loop reads
each request itself, without blocking, until its headers and its whole
body (by ``Content-Length``, or a chunked body's last chunk) are in memory;
only then does a thread parse and answer it, from memory.  A stalled
connection costs a file descriptor and its bytes, never a thread, and is
closed with ``408 Request Timeout`` when its headers have not arrived within
``header_timeout`` seconds of its first byte, or its body within
``body_timeout`` of its headers.

This leans on gunicorn's ``ThreadWorker`` internals (``enqueue_req``, the
connection's parser and unreader, ``murder_pending``), hence the pinned
major version in pyproject.toml; ``tests/integration/test_stalled_clients``
shows a change there at once.
"""

from __future__ import annotations

import contextlib
import errno
import re
import selectors
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.workers.gthread import ThreadWorker

_HEAD_END = b"\r\n\r\n"
# Past this many bytes without the end of the headers, gunicorn's parser
# refuses the request (its own limits are smaller): stop waiting and let it.
_MAX_HEAD = 128 * 1024
_TIMEOUT_REPLY = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_EXPECT = re.compile(rb"\r\nexpect:[ \t]*100-continue[ \t]*(?=\r\n)", re.IGNORECASE)
_TOO_LARGE = b"Invalid request: Request too long\n"
_TOO_LARGE_REPLY = (
    b"HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Type: text/plain\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_TOO_LARGE), _TOO_LARGE)
)


class _Arrival:
    """What has come of one request so far, and by when the rest must come."""

    __slots__ = ("chunked", "continued", "data", "deadline", "expect_continue", "head_end", "length", "upload")

    def __init__(self, data: bytes, deadline: float) -> None:
        self.data = bytearray(data)
        self.deadline = deadline
        self.head_end = -1  # index just past the blank line ending the headers
        self.length = 0  # the body's Content-Length
        self.chunked = False
        self.expect_continue = False
        self.continued = False  # 100 Continue sent
        self.upload = False  # raw bytes (a file chunk), not a document


class WholeRequestWorker(ThreadWorker):
    """``gthread`` with whole requests; configure through :func:`worker_class`."""

    header_timeout = 10.0
    body_timeout = 60.0
    # A larger body is refused with 413 before it is read: a document over
    # the hub's max_request_length, a raw upload chunk (koji's and kiln's
    # clients send 1 MiB) over max_upload.
    max_gathered = 4 * 1024 * 1024
    max_upload = 64 * 1024 * 1024

    def _limit(self, arrival: _Arrival) -> int:
        return max(self.max_upload, self.max_gathered) if arrival.upload else self.max_gathered

    def init_process(self) -> None:
        self._arriving: deque[Any] = deque()  # connections, oldest deadline first
        super().init_process()

    def enqueue_req(self, conn: Any) -> None:
        if getattr(conn, "kiln_whole", False):
            conn.kiln_whole = False
            super().enqueue_req(conn)
            return
        held = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.kiln_arrival = _Arrival(held, time.monotonic() + self.header_timeout)
        conn.sock.setblocking(False)
        self._gather(conn, registered=False)

    def _on_readable(self, conn: Any, _sock: Any) -> None:
        self._gather(conn, registered=True)

    def _gather(self, conn: Any, registered: bool) -> None:
        """Read what the socket holds; hand the request on once whole, or wait for more."""
        arrival: _Arrival = conn.kiln_arrival
        while True:
            try:
                data = conn.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                data = b""
            if not data:  # the client went away
                self._drop(conn, registered)
                return
            arrival.data += data
            if self._whole(conn, arrival):
                if arrival.length > self._limit(arrival):
                    self._drop(conn, registered, reply=_TOO_LARGE_REPLY)
                    return
                if registered:
                    self._forget(conn)
                self._hand_on(conn, arrival)
                return
        if not registered:
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
            self._arriving.append(conn)

    def _whole(self, conn: Any, arrival: _Arrival) -> bool:
        data = arrival.data
        if arrival.head_end < 0:
            end = data.find(_HEAD_END)
            if end < 0:
                return len(data) > _MAX_HEAD
            arrival.head_end = end + len(_HEAD_END)
            if not self._read_head(bytes(data[:end]), arrival):
                return True  # malformed: the parser answers it
            arrival.deadline = time.monotonic() + self.body_timeout
        body = len(data) - arrival.head_end
        if arrival.chunked:
            # The last chunk and no trailers (the headers' own CRLF precedes an empty body's).
            whole = data.endswith(b"\r\n0\r\n\r\n")
        else:
            whole = body >= arrival.length or arrival.length > self._limit(arrival)
        if not whole and not arrival.continued and arrival.expect_continue:
            arrival.continued = True
            _send_quietly(conn.sock, _CONTINUE)
        return whole

    @staticmethod
    def _read_head(head: bytes, arrival: _Arrival) -> bool:
        """The body's framing from the headers; False if they do not make sense (the parser says why)."""
        for line in head.split(b"\r\n")[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                return False
            name = name.strip().lower()
            value = value.strip().lower()
            if name == b"content-length":
                if not value.isdigit():
                    return False
                arrival.length = int(value)
            elif name == b"transfer-encoding":
                arrival.chunked = value.endswith(b"chunked")
            elif name == b"expect":
                arrival.expect_continue = value == b"100-continue"
            elif name == b"content-type":
                arrival.upload = value.startswith(b"application/octet-stream")
        return True

    def _hand_on(self, conn: Any, arrival: _Arrival) -> None:
        data = bytes(arrival.data)
        if arrival.continued:  # answered here already: gunicorn must not send a second 100 Continue
            head = _EXPECT.sub(b"", data[: arrival.head_end], count=1)
            data = head + data[arrival.head_end :]
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(data)
        conn.kiln_arrival = None
        conn.kiln_whole = True
        conn.data_ready = True  # gthread must not wait for the socket: the bytes are read
        conn.sock.setblocking(True)
        self.enqueue_req(conn)

    def _forget(self, conn: Any) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        with contextlib.suppress(ValueError):
            self._arriving.remove(conn)

    def _drop(self, conn: Any, registered: bool, reply: bytes = b"") -> None:
        if registered:
            self._forget(conn)
        if reply:
            _send_quietly(conn.sock, reply)
        conn.kiln_arrival = None
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """gthread's own, then the requests that did not arrive in time (the loop calls this every second)."""
        super().murder_pending()
        now = time.monotonic()
        late = [conn for conn in self._arriving if conn.kiln_arrival.deadline <= now]
        for conn in late:
            self._drop(conn, registered=True, reply=_TIMEOUT_REPLY)


def _send_quietly(sock: Any, data: bytes) -> None:
    try:
        sock.send(data)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
            raise


def worker_class(
    header_timeout: float = 10.0, body_timeout: float = 60.0, max_body: int = 4 * 1024 * 1024
) -> type[WholeRequestWorker]:
    """The worker class for gunicorn's ``worker_class`` setting, with these limits."""
    limits = {"header_timeout": header_timeout, "body_timeout": body_timeout, "max_gathered": max_body}
    return type("WholeRequestWorker", (WholeRequestWorker,), limits)
