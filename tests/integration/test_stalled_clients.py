"""Hundreds of clients stalled in the middle of a request take nothing from the others.

A stalled client once held a hub thread each: 300 of them made every normal
call time out.  Here 500 connections stall (after part of an announced body,
in the middle of their headers, or before their first byte) while a client
makes normal calls, against the hub alone and behind nginx with the site
shipped in contrib/: the calls keep a p99 under a second, and the hub closes
the stalled connections once its header and body timeouts pass.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import koji
import pytest
import requests

from tests.conftest import koji_session, start_hub
from tests.support.hub import ADMIN, HubProcess
from tests.support.tls import NginxProxy, nginx_binary

pytestmark = pytest.mark.slow

BODY_STALLED, HEAD_STALLED, SILENT = 300, 100, 100
CALLS = 200
TIMEOUT = 2.0  # the test hub's header_timeout and body_timeout


@pytest.fixture(scope="module")
def stall_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    return start_hub(request, "sqlite", tmp_path_factory.mktemp("stall"), header_timeout=TIMEOUT, body_timeout=TIMEOUT)


@contextlib.contextmanager
def stalled(url: str) -> Iterator[list[socket.socket]]:
    """500 connections to ``url``'s server, each stopped somewhere in its request; closed at the end."""
    address = urlsplit(url)
    target = (address.hostname, address.port)
    head = f"POST /kojihub HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: text/xml\r\n".encode()
    socks: list[socket.socket] = []
    try:
        for n in range(BODY_STALLED + HEAD_STALLED + SILENT):
            sock = socket.create_connection(target, timeout=10)
            socks.append(sock)
            if n < BODY_STALLED:
                sock.sendall(head + b"Content-Length: 1000\r\n\r\n<?xml version='1.0'?><methodCall>")
            elif n < BODY_STALLED + HEAD_STALLED:
                sock.sendall(head + b"Content-Le")
        yield socks
    finally:
        for sock in socks:
            sock.close()


def call_latencies(url: str) -> list[float]:
    """Seconds each of ``CALLS`` normal calls took: half on one kept-alive session, half each on a new connection."""
    session = koji.ClientSession(url, opts={"max_retries": 0})
    latencies = []
    for n in range(CALLS):
        started = time.perf_counter()
        if n % 2:
            assert session.getAPIVersion() == koji.API_VERSION
        else:
            reply = requests.post(
                url,
                data=b"<?xml version='1.0'?><methodCall><methodName>getAPIVersion</methodName><params/></methodCall>",
                headers={"Content-Type": "text/xml", "Connection": "close"},
                timeout=10,
            )
            assert reply.status_code == 200 and b"<int>1</int>" in reply.content
        latencies.append(time.perf_counter() - started)
    return latencies


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98]


def test_a_hub_alone_keeps_answering_and_closes_stalled_clients(stall_hub: HubProcess) -> None:
    with stalled(stall_hub.url) as socks:
        latencies = call_latencies(stall_hub.url)
        print(f"alone: p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99(latencies) * 1000:.1f} ms")
        assert p99(latencies) < 1.0, f"p99 {p99(latencies):.3f} s with 500 stalled clients"
        # Past the timeouts each stalled connection is answered 408 and closed.
        deadline = time.monotonic() + TIMEOUT + 5
        for sock in socks:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert sock.recv(4096) == b""  # closed
    assert koji.ClientSession(stall_hub.url).getAPIVersion() == koji.API_VERSION


def test_behind_nginx_with_the_contrib_site(stall_hub: HubProcess, tmp_path: Path) -> None:
    binary = nginx_binary()
    if binary is None:
        pytest.fail("nginx is a test dependency (Debian's nginx package): `make test-deps` installs it")
    proxy = NginxProxy.contrib_site(stall_hub.port).start(binary)
    try:
        with stalled(proxy.url):
            latencies = call_latencies(proxy.url)
            print(f"behind nginx: p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99(latencies) * 1000:.1f} ms")
            assert p99(latencies) < 1.0, f"p99 {p99(latencies):.3f} s through nginx with 500 stalled clients"
    finally:
        proxy.stop()


def test_a_body_too_large_is_refused_at_once(stall_hub: HubProcess) -> None:
    address = urlsplit(stall_hub.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(b"POST /kojihub HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_request_sent_a_byte_at_a_time_is_answered(stall_hub: HubProcess) -> None:
    """Slow is not stalled: a whole request within the timeouts is served, also with Expect: 100-continue."""
    body = (
        b"<?xml version='1.0'?><methodCall><methodName>echo</methodName>"
        b"<params><param><value><string>hi</string></value></param></params></methodCall>"
    )
    address = urlsplit(stall_hub.url)
    head = (
        f"POST /kojihub HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        for piece in (head[:10], head[10:]):
            sock.sendall(piece)
            time.sleep(0.05)
        assert sock.recv(4096).startswith(b"HTTP/1.1 100 Continue")
        for n in range(0, len(body), 40):
            sock.sendall(body[n : n + 40])
            time.sleep(0.02)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 "), answer  # one 100 Continue only, before
    assert b"<string>hi</string>" in answer


def test_an_upload_chunk_may_be_larger_than_a_document(stall_hub: HubProcess, tmp_path: Path) -> None:
    """max_request_length bounds XML-RPC documents; a raw upload chunk of 5 MiB still goes through."""
    data = bytes(range(256)) * (5 * 4096 + 7)  # 5 MiB and a bit: one chunk
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    session = koji_session(stall_hub, *ADMIN)
    session.fastUpload(str(source), "stall-test", name="big.bin", blocksize=len(data))
    assert session.checkUpload("stall-test", "big.bin")["size"] == len(data)
    address = urlsplit(stall_hub.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(b"POST /kojihub HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 5242880\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")
