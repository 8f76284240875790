"""kiln.client's uploads against a real hub: whole files in verified chunks, and a growing log."""

from __future__ import annotations

import hashlib
import os

import pytest

from kiln.client import ClientSession
from kiln.client.uploads import LogFollower, upload_file
from kiln.protocol import errors
from tests.conftest import make_user, unique


@pytest.fixture
def user_session(hub, admin) -> ClientSession:
    name, password = make_user(hub, admin)
    session = ClientSession(hub.url, opts={"max_retries": 0})
    session.login(name, password)
    return session


def test_a_file_goes_up_in_verified_chunks(hub, user_session, tmp_path):
    data = os.urandom(2500)
    local = tmp_path / "blob.bin"
    local.write_bytes(data)
    area = f"cli-uploads/{unique()}"
    assert upload_file(user_session, local, area, chunk_size=1000) == 2500
    found = user_session.checkUpload(area, "blob.bin", verify="md5")
    assert found["size"] == 2500 and found["hexdigest"] == hashlib.md5(data).hexdigest()
    stored = hub.topdir / "work" / area / "blob.bin"
    assert stored.read_bytes() == data


def test_uploading_again_replaces_the_file(hub, user_session, tmp_path):
    area = f"cli-uploads/{unique()}"
    local = tmp_path / "notes.txt"
    local.write_text("a much longer first version\n")
    upload_file(user_session, local, area)
    local.write_text("short\n")
    upload_file(user_session, local, area)
    assert (hub.topdir / "work" / area / "notes.txt").read_text() == "short\n"


def test_an_empty_file_is_uploaded_too(hub, user_session, tmp_path):
    local = tmp_path / "empty"
    local.write_bytes(b"")
    area = f"cli-uploads/{unique()}"
    assert upload_file(user_session, local, area) == 0
    assert (hub.topdir / "work" / area / "empty").read_bytes() == b""


def test_a_log_follower_sends_only_what_the_file_gained(hub, user_session, tmp_path):
    area = f"cli-uploads/{unique()}"
    local = tmp_path / "task.log"
    follower = LogFollower(user_session, local, area)
    assert follower.send() == 0  # no file yet: nothing to do
    local.write_text("line 1\n")
    assert follower.send() == 7
    assert follower.send() == 0
    with local.open("a") as log:
        log.write("line 2\n")
    assert follower.send() == 7
    assert (hub.topdir / "work" / area / "task.log").read_text() == "line 1\nline 2\n"


def test_another_users_area_is_refused(hub, admin, user_session, tmp_path):
    area = f"cli-uploads/{unique()}"
    local = tmp_path / "x"
    local.write_text("x")
    upload_file(user_session, local, area)
    name, password = make_user(hub, admin)
    other = ClientSession(hub.url, opts={"max_retries": 0})
    other.login(name, password)
    with pytest.raises(errors.GenericError):
        upload_file(other, local, area)
    assert (hub.topdir / "work" / area / "x").read_text() == "x"
