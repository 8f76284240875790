"""Issue 18 for /kojifiles and uploads: odd requests get a clean, specific answer, never an internal error."""

from __future__ import annotations

import hashlib
import os
import subprocess
import xmlrpc.client
from collections.abc import Iterator

import koji
import pytest
import requests

from tests.conftest import koji_session, make_user, unique
from tests.integration.test_kojifiles import area, base, raw_get  # noqa: F401 (area is a fixture)
from tests.integration.test_uploads import b64, raw_upload, work

MiB = 1024 * 1024
PIECE = 65536


@pytest.fixture
def user(hub, admin) -> Iterator[koji.ClientSession]:
    name, password = make_user(hub, admin)
    session = koji_session(hub, name, password)
    yield session
    session.logout()


# -- /kojifiles -------------------------------------------------------------------------


def test_a_name_longer_than_the_file_system_allows_is_not_found(hub, area):  # noqa: F811
    relative, _ = area
    for path in (
        f"/kojifiles/{relative}/{'a' * 256}",
        f"/kojifiles/{'b' * 300}/hello.rpm",
        f"/kojifiles/{relative}/{'%C3%A9' * 128}",  # 256 bytes in UTF-8
    ):
        for method in ("GET", "HEAD"):
            reply = raw_get(hub, path, method)
            assert reply.status == 404, (path[:40], method)
            reply.read()


@pytest.mark.parametrize(
    ("header", "status", "start", "end"),
    [
        (f"bytes={'9' * 5000}-", 416, None, None),  # starts past any file: not satisfiable
        (f"bytes=0-{'9' * 5000}", 206, 0, 4999),  # ends past the file: up to its end (RFC 9110 14.1.2)
        (f"bytes=-{'9' * 5000}", 206, 0, 4999),  # a suffix longer than the file: all of it
        (f"bytes={'0' * 4000}1-{'0' * 4000}2", 206, 1, 2),  # leading zeros: still small numbers
    ],
)
def test_range_numbers_of_any_length(hub, area, header, status, start, end):  # noqa: F811
    """Past 4,300 digits ``int()`` gives up; the header is still valid (gunicorn's limit is 8,190 bytes)."""
    relative, data = area
    got = requests.get(f"{base(hub)}/{relative}/hello-1.0-1.noarch.rpm", headers={"Range": header}, timeout=10)
    assert got.status_code == status
    if status == 416:
        assert got.headers["Content-Range"] == "bytes */5000"
    else:
        assert got.headers["Content-Range"] == f"bytes {start}-{end}/5000"
        assert got.content == data[start : end + 1]


def test_names_that_are_not_utf8_on_disk_are_listed_and_served(hub, area):  # noqa: F811
    relative, _ = area
    folder = hub.topdir / relative
    os.mkdir(os.fsencode(folder) + b"/dir\xff")
    with open(os.fsencode(folder) + b"/bad\xfe.rpm", "wb") as out:
        out.write(b"odd name")
    (folder / "100%41.txt").write_bytes(b"percent")
    index = requests.get(f"{base(hub)}/{relative}/", timeout=10)
    assert index.status_code == 200
    assert 'href="bad%FE.rpm"' in index.text and 'href="dir%FF/"' in index.text
    assert requests.get(f"{base(hub)}/{relative}/bad%FE.rpm", timeout=10).content == b"odd name"
    assert 'href="100%2541.txt"' in index.text
    assert requests.get(f"{base(hub)}/{relative}/100%2541.txt", timeout=10).content == b"percent"
    moved = requests.get(f"{base(hub)}/{relative}/dir%FF", allow_redirects=False, timeout=10)
    assert (moved.status_code, moved.headers["Location"]) == (301, f"/kojifiles/{relative}/dir%FF/")
    inside = requests.get(f"{base(hub)}/{relative}/dir%FF/", timeout=10)
    assert inside.status_code == 200 and f"Index of /kojifiles/{relative}/dir\ufffd/" in inside.text
    missing = requests.get(f"{base(hub)}/{relative}/nothing%FD", timeout=10)
    assert missing.status_code == 404 and missing.text.startswith("Not found: /kojifiles/")


# -- uploads: numbers ---------------------------------------------------------------------


def test_legacy_upload_with_a_negative_size_is_refused_before_writing(hub, user):
    path = f"cli-build/{unique('neg')}"
    data = b"0123456789"
    assert user.uploadFile(path, "f.bin", len(data), hashlib.md5(data).hexdigest(), 0, b64(data)) is True
    for size in (-1, -5, "-100"):
        for offset in (-1, 0, 10):
            with pytest.raises(koji.ParameterError, match=r"^Invalid upload size: -\d+ \(it cannot be negative\)$"):
                user.uploadFile(path, "f.bin", size, None, offset, b64(b"more"))
    with pytest.raises(koji.ParameterError, match="Invalid upload size"):
        user.uploadFile(path, "new.bin", -1, None, -1, b64(b"more"))
    assert (work(hub) / path / "f.bin").read_bytes() == data
    assert not (work(hub) / path / "new.bin").exists()


def test_legacy_upload_offsets_and_sizes_out_of_any_range(hub, user):
    path = f"cli-build/{unique('big')}"
    data = b"0123456789"
    assert user.uploadFile(path, "f.bin", len(data), None, 0, b64(data)) is True
    huge = str(2**70)
    for offset in (-2, f"-{huge}"):
        with pytest.raises(koji.ParameterError, match="Invalid upload offset"):
            user.uploadFile(path, "f.bin", 1, None, offset, b64(b"x"))
    with pytest.raises(koji.GenericError, match=f"Incorrect upload offset for {path}/f.bin: the file has 10 bytes"):
        user.uploadFile(path, "f.bin", 1, None, huge, b64(b"x"))
    for text in ("9" * 5000, "ten", "1.5"):
        with pytest.raises(koji.ParameterError, match="Invalid upload (size|offset)"):
            user.uploadFile(path, "f.bin", text, None, 0, b64(b"x"))
        with pytest.raises(koji.ParameterError, match="Invalid upload (size|offset)"):
            user.uploadFile(path, "f.bin", 1, None, text, b64(b"x"))
    # a whole-file size past what arrived is a failed check, as any short file is
    assert user.uploadFile(path, "f.bin", huge, None, -1, "") is False
    assert (work(hub) / path / "f.bin").read_bytes() == data


def test_raw_upload_offsets_and_lengths_out_of_any_range(hub, user):
    path = f"cli-build/{unique('big')}"
    raw_upload(hub, user, path, "f", b"0123456789")
    huge = str(2**70)
    with pytest.raises(koji.GenericError, match=f"Incorrect upload offset for {path}/f: the file has 10 bytes"):
        raw_upload(hub, user, path, "f", b"x", offset=huge)
    with pytest.raises(koji.GenericError, match=f"Incorrect upload offset for {path}/f"):
        raw_upload(hub, user, path, "f", b"x", offset=huge, overwrite=True)
    with pytest.raises(koji.GenericError, match=f"Incorrect upload offset for {path}/f"):
        raw_upload(hub, user, path, "f", b"x", offset="9" * 3000)  # longer is past gunicorn's request line limit
    for offset in (f"-{huge}", "0x10", "1.5"):
        with pytest.raises(koji.ParameterError, match="Invalid upload offset"):
            raw_upload(hub, user, path, "f", b"x", offset=offset)
    assert (work(hub) / path / "f").read_bytes() == b"0123456789"


def test_download_task_output_offsets_out_of_any_range(hub, anon):
    task_id = 10**8 + int.from_bytes(os.urandom(3), "big")
    top = work(hub) / "tasks" / str(task_id % 10000) / str(task_id)
    top.mkdir(parents=True)
    (top / "build.log").write_bytes(b"line one\n")
    huge = str(2**70)
    assert anon.downloadTaskOutput(task_id, "build.log", offset=huge) == b""
    assert anon.downloadTaskOutput(task_id, "build.log", offset=f"-{huge}") == b"line one\n"
    assert anon.downloadTaskOutput(task_id, "build.log", size=huge) == b"line one\n"
    with pytest.raises(koji.GenericError, match=f'no file "{"a" * 300}" output by task {task_id}'):
        anon.downloadTaskOutput(task_id, "a" * 300)


# -- uploads: names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad\x01name", r"^Invalid upload filename: 'bad\\x01name' \(control characters are not allowed\)$"),
        ("tab\there", r"^Invalid upload filename: 'tab\\there' \(control characters are not allowed\)$"),
        ("nl\n", r"control characters are not allowed"),
        ("del\x7f", r"control characters are not allowed"),
        ("c1\x85", r"control characters are not allowed"),
        ("x" * 256, r"^Invalid upload filename: 'x{20}\.\.\.' \(a name longer than 255 bytes\)$"),
        ("é" * 128, r"longer than 255 bytes"),  # 256 bytes in UTF-8
        ("..", r"^Invalid upload filename: \.\.$"),
        ("", r"^Invalid upload filename: $"),
        ("a/b", r"^Invalid upload filename: a/b$"),
    ],
)
def test_bad_upload_names_are_parameter_errors_before_writing(hub, user, name, message):
    path = f"cli-build/{unique('name')}"
    with pytest.raises(koji.ParameterError, match=message):
        raw_upload(hub, user, path, name, b"x")
    if "\x01" not in name and "\x7f" not in name and "\x85" not in name:  # XML cannot carry these
        with pytest.raises(koji.ParameterError, match=message):
            user.uploadFile(path, name, 1, None, 0, "eA==")
        with pytest.raises(koji.ParameterError, match=message):
            user.checkUpload(path, name)
    assert not (work(hub) / path).exists()


def test_a_fine_name_of_255_bytes_is_accepted(hub, user):
    path = f"cli-build/{unique('name')}"
    name = "é" * 127 + "x"  # 255 bytes
    raw_upload(hub, user, path, name, b"x")
    assert (work(hub) / path / name).read_bytes() == b"x"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("cli-build/bad\x02dir", r"^Invalid upload directory: 'cli-build/bad\\x02dir' \(control characters"),
        (f"cli-build/{'d' * 256}", r"^Invalid upload directory: 'cli-build/d{10}\.\.\.' \(a name longer than 255"),
    ],
)
def test_bad_upload_directories_are_parameter_errors_before_writing(hub, user, path, message):
    with pytest.raises(koji.ParameterError, match=message):
        raw_upload(hub, user, path, "f", b"x")
    assert not any((work(hub) / "cli-build").glob("bad*")) and not any((work(hub) / "cli-build").glob("ddd*"))


def test_raw_upload_control_character_reply_is_well_formed_xml(hub, user):
    """The reply parses: the name is refused and shown escaped, not echoed raw."""
    path = f"cli-build/{unique('name')}"
    headers = {
        "Content-Type": "application/octet-stream",
        "Koji-Session-Id": str(user.sinfo["session-id"]),
        "Koji-Session-Key": user.sinfo["session-key"],
        "Koji-Session-Callnum": str(user.callnum),
    }
    user.callnum += 1
    reply = requests.post(
        hub.url, params={"filename": "a\x1bb", "filepath": path, "offset": "0"}, data=b"x", headers=headers, timeout=30
    )
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc.client.loads(reply.content)
    assert caught.value.faultCode == koji.ParameterError.faultCode
    assert "\x1b" not in caught.value.faultString and "control characters" in caught.value.faultString


# -- a full file store --------------------------------------------------------------------


@pytest.fixture
def full_dir(hub) -> Iterator[str]:
    """An upload directory on a 1 MiB tmpfs of its own: a file store that fills up for real.

    Mounting needs root (CI runs as root); elsewhere the test is skipped.
    """
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    rel = f"cli-build/{unique('full')}"
    mountpoint = work(hub) / rel
    mountpoint.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mountpoint)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield rel
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def assert_full_fault(hub, exc: BaseException) -> None:
    text = str(exc)
    assert text.startswith("the hub's file store is full"), text
    assert str(hub.topdir) not in text and str(hub.dir) not in text
    assert "Errno" not in text and "Internal error" not in text


def test_a_full_file_store_is_said_plainly_and_leaves_nothing_half_written(hub, user, full_dir):
    raw_upload(hub, user, full_dir, "small", b"small")  # claims the directory (its .user) while there is room
    stored = work(hub) / full_dir
    with pytest.raises(koji.GenericError) as caught:
        raw_upload(hub, user, full_dir, "big", os.urandom(2 * MiB))
    assert_full_fault(hub, caught.value)
    assert not (stored / "big").exists()
    # a chunk appended to a file that was there leaves the file as it was
    with pytest.raises(koji.GenericError) as caught:
        raw_upload(hub, user, full_dir, "small", os.urandom(2 * MiB), offset=5)
    assert_full_fault(hub, caught.value)
    assert (stored / "small").read_bytes() == b"small"
    with pytest.raises(koji.GenericError) as caught:
        raw_upload(hub, user, full_dir, "small", os.urandom(2 * MiB), offset=2, overwrite=True)
    assert_full_fault(hub, caught.value)
    assert (stored / "small").read_bytes() == b"sm"
    # the legacy call too
    data = os.urandom(2 * MiB)
    with pytest.raises(koji.GenericError) as caught:
        user.uploadFile(full_dir, "legacy.bin", len(data), hashlib.md5(data).hexdigest(), 0, b64(data))
    assert_full_fault(hub, caught.value)
    assert sorted(p.name for p in stored.iterdir()) == [".user", "small"]
    # the space is free again: uploads work as before
    raw_upload(hub, user, full_dir, "after", b"fits")
    assert (stored / "after").read_bytes() == b"fits"


def test_a_full_file_store_when_claiming_a_directory(hub, user, full_dir):
    fd = os.open(work(hub) / full_dir / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        with pytest.raises(OSError, match="No space left"):
            while True:  # to the last block
                os.write(fd, bytes(PIECE))
    finally:
        os.close(fd)
    with pytest.raises(koji.GenericError) as caught:
        raw_upload(hub, user, f"{full_dir}/sub", "f", b"x" * 8192)
    assert_full_fault(hub, caught.value)
    sub = work(hub) / full_dir / "sub"  # made (directories take no tmpfs block) but not claimed
    assert not sub.exists() or not any(p.name.startswith(".user") for p in sub.iterdir())
