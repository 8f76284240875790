"""A TCP proxy in front of a hub that can slow down or cut what the client sends, and counts it.

For the upload tests: an upload through it can be made slow enough to be
interrupted midway (``rate`` bytes a second), or cut after so many bytes
(``cut_after``: the client's connection is dropped, as a network would),
and ``sent`` tells how many bytes the client sent to the hub.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class SlowProxy:
    def __init__(self, target_port: int, rate: float | None = None) -> None:
        self.target_port = target_port
        self.rate = rate  # bytes a second from client to hub; None: as fast as it goes
        self.cut_after: int | None = None  # drop the connection once the client has sent this many bytes
        self.sent = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/kojihub"

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:  # the hub is down (a test restarting it): this connection fails, the proxy lives on
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, dest: socket.socket, upward: bool) -> None:
        try:
            while data := source.recv(16384 if upward else 65536):
                if upward:
                    with self._lock:
                        self.sent += len(data)
                        cut = self.cut_after is not None and self.sent >= self.cut_after
                        if cut:
                            self.cut_after = None
                    if cut:
                        break
                    if self.rate:
                        time.sleep(len(data) / self.rate)
                dest.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, dest):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
