"""/kojifiles: the topdir over HTTP, read-only, ranges, and nothing outside it."""

from __future__ import annotations

import http.client
import os
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import unique


@pytest.fixture
def area(hub) -> tuple[str, bytes]:
    """A file of the test's own under topdir/packages/."""
    relative = f"packages/{unique('pkg')}/1.0/1/noarch"
    folder = hub.topdir / relative
    folder.mkdir(parents=True)
    data = os.urandom(5000)
    (folder / "hello-1.0-1.noarch.rpm").write_bytes(data)
    return relative, data


def base(hub) -> str:
    return f"http://127.0.0.1:{hub.port}/kojifiles"


def raw_get(hub, path: str, method: str = "GET") -> http.client.HTTPResponse:
    """A request with the path exactly as given (no client-side '..' clean-up)."""
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(hub.url).port, timeout=10)
    conn.request(method, path)
    return conn.getresponse()


def test_a_file_whole_and_by_head(hub, area):
    relative, data = area
    url = f"{base(hub)}/{relative}/hello-1.0-1.noarch.rpm"
    got = requests.get(url, timeout=10)
    assert (got.status_code, got.content, got.headers["Accept-Ranges"]) == (200, data, "bytes")
    assert got.headers["Content-Type"] in (
        "application/x-rpm",
        "application/octet-stream",
        "application/x-redhat-package-manager",
    )
    head = requests.head(url, timeout=10)
    assert (head.status_code, head.headers["Content-Length"], head.content) == (200, "5000", b"")


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=4900-", 4900, 4999), ("bytes=-10", 4990, 4999), ("bytes=4990-99999", 4990, 4999)],
)
def test_byte_ranges_resume_downloads(hub, area, header, start, end):
    relative, data = area
    got = requests.get(f"{base(hub)}/{relative}/hello-1.0-1.noarch.rpm", headers={"Range": header}, timeout=10)
    assert got.status_code == 206
    assert got.headers["Content-Range"] == f"bytes {start}-{end}/5000"
    assert got.content == data[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=5000-", "bytes=10-5", "bytes=-0", "pages=1-2", "bytes=1-2,5-6"])
def test_ranges_that_cannot_be_served_are_416(hub, area, header):
    relative, _ = area
    got = requests.get(f"{base(hub)}/{relative}/hello-1.0-1.noarch.rpm", headers={"Range": header}, timeout=10)
    assert (got.status_code, got.headers["Content-Range"]) == (416, "bytes */5000")


def test_directories_list_their_entries(hub, area):
    relative, _ = area
    redirect = requests.get(f"{base(hub)}/{relative}", allow_redirects=False, timeout=10)
    assert (redirect.status_code, redirect.headers["Location"]) == (301, f"/kojifiles/{relative}/")
    index = requests.get(f"{base(hub)}/{relative}/", timeout=10)
    assert index.status_code == 200 and 'href="hello-1.0-1.noarch.rpm"' in index.text


def test_nothing_outside_topdir_is_served(hub, area, tmp_path):
    relative, _ = area
    secret = tmp_path / "secret.txt"
    secret.write_text("not for you")
    (hub.topdir / relative / "link").symlink_to(secret)
    for path in ("/kojifiles/../hub.conf", "/kojifiles/%2e%2e/hub.conf", f"/kojifiles/{relative}/../../../../hub.conf"):
        reply = raw_get(hub, path)
        assert reply.status in (400, 404), path
        assert b"db =" not in reply.read()
    assert requests.get(f"{base(hub)}/{relative}/link", timeout=10).status_code == 404
    assert requests.get(f"{base(hub)}/nope/missing.rpm", timeout=10).status_code == 404


def test_it_is_read_only(hub, area):
    relative, data = area
    url = f"{base(hub)}/{relative}/hello-1.0-1.noarch.rpm"
    for method in ("PUT", "POST", "DELETE"):
        reply = requests.request(method, url, data=b"x", timeout=10)
        assert (reply.status_code, reply.headers["Allow"]) == (405, "GET, HEAD")
    assert (hub.topdir / relative / "hello-1.0-1.noarch.rpm").read_bytes() == data
