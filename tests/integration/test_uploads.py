"""Uploads (fast and legacy) and task output through the official koji client and raw HTTP."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import xmlrpc.client
import zlib
from pathlib import Path

import koji
import pytest
import requests

from tests.conftest import host_session, koji_session, make_user, unique

MiB = 1024 * 1024


@pytest.fixture
def user(hub, admin):
    name, password = make_user(hub, admin)
    session = koji_session(hub, name, password)
    yield session
    session.logout()


def work(hub) -> Path:
    return Path(hub.topdir) / "work"


def adler32(data: bytes) -> str:
    return f"{zlib.adler32(data):08x}"


def raw_upload(hub, session, path, name, body, offset=0, verify="adler32", overwrite=False, volume=None, query=None):
    """One fast-upload chunk as the koji client sends it; a fault comes back as koji's exception."""
    args = {"filename": name, "filepath": path, "fileverify": verify, "offset": str(offset)}
    if overwrite:
        args["overwrite"] = "1"
    if volume is not None:
        args["volume"] = volume
    args.update(query or {})
    headers = {"Content-Type": "application/octet-stream"}
    if session is not None:
        headers.update(
            {
                "Koji-Session-Id": str(session.sinfo["session-id"]),
                "Koji-Session-Key": session.sinfo["session-key"],
                "Koji-Session-Callnum": str(session.callnum),
            }
        )
        session.callnum += 1
    reply = requests.post(hub.url, params=args, data=body, headers=headers, timeout=30)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "text/xml"
    try:
        return xmlrpc.client.loads(reply.content)[0][0]
    except xmlrpc.client.Fault as fault:
        raise koji.convertFault(fault) from None


def outside_dir(tmp_path: Path) -> Path:
    """A directory outside the work area with a file that must stay as it is."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"keep me")
    return outside


def assert_untouched(outside: Path) -> None:
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]
    assert (outside / "victim").read_bytes() == b"keep me"


# -- the fast path --------------------------------------------------------------------


def test_upload_wrapper_sends_chunks_and_check_upload_verifies(hub, user, tmp_path):
    data = os.urandom(2 * MiB + 12345)
    local = tmp_path / "big.bin"
    local.write_bytes(data)
    path = f"cli-build/{unique('up')}"
    progress = []
    user.uploadWrapper(str(local), path, callback=lambda *a: progress.append(a), blocksize=MiB)
    stored = work(hub) / path / "big.bin"
    assert stored.read_bytes() == data
    assert (work(hub) / path / ".user").read_text() == str(user.getLoggedInUser()["id"])
    assert progress[0] == (0, len(data), 0, 0, 0) and progress[-1][0] == len(data) and len(progress) == 4
    info = user.checkUpload(path, "big.bin")
    assert info["size"] == len(data) and info["mtime"] == pytest.approx(stored.stat().st_mtime)
    assert "hexdigest" not in info
    for verify, expected in (
        ("adler32", adler32(data)),
        ("md5", hashlib.md5(data).hexdigest()),
        ("sha256", hashlib.sha256(data).hexdigest()),
    ):
        info = user.checkUpload(path, "big.bin", verify=verify)
        assert (info["sumlength"], info["hexdigest"]) == (len(data), expected)
    tail = user.checkUpload(path, "big.bin", verify="sha256", tail=1000)
    assert tail["sumlength"] == 1000 and tail["hexdigest"] == hashlib.sha256(data[-1000:]).hexdigest()
    with pytest.raises(koji.GenericError, match="Unsupported verify type: crc"):
        user.checkUpload(path, "big.bin", verify="crc")
    with pytest.raises(koji.GenericError, match="Invalid tail value"):
        user.checkUpload(path, "big.bin", verify="md5", tail=-1)


def test_chunk_reply_is_koji_shaped(hub, user):
    path = f"cli-build/{unique('up')}"
    first = raw_upload(hub, user, path, "f.txt", b"hello ")
    assert first == {"size": 6, "fileverify": "adler32", "offset": 0, "hexdigest": adler32(b"hello ")}
    second = raw_upload(hub, user, path, "f.txt", b"world", offset=6, verify="md5")
    assert second["hexdigest"] == hashlib.md5(b"world").hexdigest() and second["offset"] == 6
    third = raw_upload(hub, user, path, "f.txt", b"!", offset=-1, verify="sha256")
    assert third["offset"] == 11 and third["hexdigest"] == hashlib.sha256(b"!").hexdigest()
    assert (work(hub) / path / "f.txt").read_bytes() == b"hello world!"
    # a retried chunk (same offset, same bytes) is accepted
    assert raw_upload(hub, user, path, "f.txt", b"world!", offset=6)["size"] == 6
    empty = raw_upload(hub, user, path, "empty", b"")
    assert empty == {"size": 0, "fileverify": "adler32", "offset": 0, "hexdigest": "00000001"}
    with pytest.raises(koji.GenericError, match="Unsupported verify type: crc32"):
        raw_upload(hub, user, path, "g.txt", b"x", verify="crc32")
    assert not (work(hub) / path / "g.txt").exists()


def test_empty_file_and_overwrite(hub, user, tmp_path):
    path = f"cli-build/{unique('up')}"
    local = tmp_path / "empty.log"
    local.write_bytes(b"")
    user.uploadWrapper(str(local), path)
    assert (work(hub) / path / "empty.log").read_bytes() == b""
    assert user.checkUpload(path, "empty.log")["size"] == 0
    local.write_bytes(b"second version")
    user.uploadWrapper(str(local), path)  # overwrite=True by default, as the CLI sends
    assert (work(hub) / path / "empty.log").read_bytes() == b"second version"
    local.write_bytes(b"short")
    user.fastUpload(str(local), path, overwrite=True)
    assert (work(hub) / path / "empty.log").read_bytes() == b"short"
    with pytest.raises(koji.GenericError, match=f"upload path exists: {path}/empty.log"):
        user.fastUpload(str(local), path, overwrite=False)


def test_volumes_other_than_default_do_not_exist(hub, user, tmp_path):
    local = tmp_path / "v.txt"
    local.write_bytes(b"v")
    path = f"cli-build/{unique('up')}"
    user.uploadWrapper(str(local), path, volume="DEFAULT")
    assert (work(hub) / path / "v.txt").read_bytes() == b"v"
    with pytest.raises(koji.GenericError, match="No such volume: archive"):
        user.uploadWrapper(str(local), f"cli-build/{unique('up')}", volume="archive")
    with pytest.raises(koji.GenericError, match="No such volume: archive"):
        user.checkUpload(path, "v.txt", volume="archive")
    with pytest.raises(koji.GenericError, match="No such volume: archive"):
        user.uploadFile(path, "w.txt", 1, hashlib.md5(b"w").hexdigest(), 0, "dw==", volume="archive")
    assert user.checkUpload(path, "v.txt", volume="DEFAULT")["size"] == 1


def test_check_upload_of_nothing_is_none(hub, user, anon):
    assert user.checkUpload(f"cli-build/{unique('none')}", "x.rpm") is None
    path = f"cli-build/{unique('up')}"
    raw_upload(hub, user, path, "a", b"a")
    assert user.checkUpload(path, "b") is None
    assert anon.checkUpload(path, "a")["size"] == 1  # as in Koji, anyone may look


# -- the legacy call --------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_legacy_upload_file_with_md5_and_sha256(hub, user):
    path = f"cli-build/{unique('legacy')}"
    one, two = b"first chunk|", b"second chunk"
    assert user.uploadFile(path, "a.src.rpm", len(one), hashlib.md5(one).hexdigest(), 0, b64(one)) is True
    sha = ("sha256", hashlib.sha256(two).hexdigest())
    assert user.uploadFile(path, "a.src.rpm", str(len(two)), None, str(len(one)), b64(two), checksum=sha) is True
    whole = ["sha256", hashlib.sha256(one + two).hexdigest()]
    assert user.uploadFile(path, "a.src.rpm", len(one + two), None, -1, "", checksum=whole) is True
    assert (work(hub) / path / "a.src.rpm").read_bytes() == one + two
    assert user.checkUpload(path, "a.src.rpm", verify="md5")["hexdigest"] == hashlib.md5(one + two).hexdigest()


def test_legacy_upload_file_mismatches_return_false_and_write_nothing(hub, user):
    path = f"cli-build/{unique('legacy')}"
    data = b"some bytes"
    assert user.uploadFile(path, "x.bin", len(data), hashlib.md5(b"other").hexdigest(), 0, b64(data)) is False
    assert user.uploadFile(path, "x.bin", len(data) + 1, hashlib.md5(data).hexdigest(), 0, b64(data)) is False
    assert not (work(hub) / path).exists()
    assert user.uploadFile(path, "x.bin", len(data), hashlib.md5(data).hexdigest(), 0, b64(data)) is True
    bad_whole = ["sha256", hashlib.sha256(b"not it").hexdigest()]
    assert user.uploadFile(path, "x.bin", len(data), None, -1, "", checksum=bad_whole) is False
    # a final size beyond what arrived is not padded with zeros
    assert user.uploadFile(path, "x.bin", len(data) + 5, None, -1, "", checksum=None) is False
    assert (work(hub) / path / "x.bin").read_bytes() == data
    with pytest.raises(koji.GenericError, match=f"file already exists: {path}/x.bin"):
        user.uploadFile(path, "x.bin", len(data), hashlib.md5(data).hexdigest(), 0, b64(data))
    with pytest.raises(koji.GenericError, match="Incorrect upload offset"):
        user.uploadFile(path, "x.bin", 1, hashlib.md5(b"z").hexdigest(), 100, b64(b"z"))
    with pytest.raises(koji.GenericError, match="Unsupported verify type: sha1"):
        user.uploadFile(path, "y.bin", 1, None, 0, b64(b"z"), checksum=["sha1", "00"])
    with pytest.raises(koji.GenericError, match="not base64"):
        user.uploadFile(path, "y.bin", 1, None, 0, "***")
    assert sorted(p.name for p in (work(hub) / path).iterdir()) == [".user", "x.bin"]


def test_legacy_logs_may_start_again(hub, user):
    path = f"cli-build/{unique('legacy')}"
    for text in (b"attempt one, longer", b"attempt two"):
        assert user.uploadFile(path, "build.log", len(text), hashlib.md5(text).hexdigest(), 0, b64(text))
    assert (work(hub) / path / "build.log").read_bytes() == b"attempt two"


def test_uploads_need_a_login(hub, anon):
    with pytest.raises(koji.ActionNotAllowed, match="logged-in to upload"):
        raw_upload(hub, None, f"cli-build/{unique('anon')}", "a", b"a")
    with pytest.raises(koji.ActionNotAllowed, match="you must be logged in"):
        anon.uploadFile(f"cli-build/{unique('anon')}", "a", 1, None, 0, "YQ==")
    assert not any(work(hub).glob("cli-build/anon*"))


def test_uploads_check_the_session_like_a_call(hub, user):
    key = user.sinfo["session-key"]
    user.sinfo["session-key"] = "wrong"
    try:
        with pytest.raises(koji.AuthError, match="Invalid session or bad credentials"):
            raw_upload(hub, user, f"cli-build/{unique('bad')}", "a", b"a")
    finally:
        user.sinfo["session-key"] = key
    # the legacy query-string credentials (old clients) work as well
    sinfo = user.sinfo
    path = f"cli-build/{unique('legacy')}"
    query = {"session-id": str(sinfo["session-id"]), "session-key": sinfo["session-key"], "callnum": "9999"}
    args = {"filename": "q.txt", "filepath": path, "fileverify": "adler32", "offset": "0", **query}
    reply = requests.post(
        hub.url, params=args, data=b"q", headers={"Content-Type": "application/octet-stream"}, timeout=30
    )
    assert xmlrpc.client.loads(reply.content)[0][0]["size"] == 1
    assert (work(hub) / path / "q.txt").read_bytes() == b"q"


# -- refusals ---------------------------------------------------------------------------


def test_chunks_at_wrong_offsets_are_refused_before_writing(hub, user):
    path = f"cli-build/{unique('off')}"
    raw_upload(hub, user, path, "f", b"0123456789")
    target = work(hub) / path / "f"
    with pytest.raises(koji.GenericError, match=f"Incorrect upload offset for {path}/f: the file has 10 bytes"):
        raw_upload(hub, user, path, "f", b"gap", offset=20)
    with pytest.raises(koji.GenericError, match=f"Incorrect upload offset for {path}/f"):
        raw_upload(hub, user, path, "f", b"gap", offset=20, overwrite=True)
    with pytest.raises(koji.GenericError, match=f"Incorrect upload length for {path}/f - Expected 5, actual 10"):
        raw_upload(hub, user, path, "f", b"ab", offset=3)
    with pytest.raises(koji.GenericError, match="Invalid upload offset: -2"):
        raw_upload(hub, user, path, "f", b"ab", offset=-2)
    with pytest.raises(koji.ParameterError, match="Invalid upload offset"):
        raw_upload(hub, user, path, "f", b"ab", offset="ten")
    assert target.read_bytes() == b"0123456789"
    with pytest.raises(koji.GenericError, match=f"Incorrect upload offset for {path}/new: the file has 0 bytes"):
        raw_upload(hub, user, path, "new", b"late", offset=4)
    assert not (work(hub) / path / "new").exists()


@pytest.mark.parametrize(
    ("path", "name", "message"),
    [
        ("cli-build/../../escape", "f", "Invalid upload directory: cli-build/../../escape"),
        ("../escape", "f", "Invalid upload directory: ../escape"),
        ("a/../b", "f", "Invalid upload directory: a/../b"),
        ("/tmp/escape", "f", "Invalid upload directory: /tmp/escape"),
        ("", "f", "Invalid upload directory: "),
        ("cli-build/x", "../f", "Invalid upload filename: ../f"),
        ("cli-build/x", "a/b", "Invalid upload filename: a/b"),
        ("cli-build/x", ".hidden", "Invalid upload filename: .hidden"),
        ("cli-build/x", ".user", "Invalid upload filename: .user"),
        ("cli-build/x", "", "Invalid upload filename: "),
    ],
)
def test_bad_paths_are_refused(hub, user, path, name, message):
    with pytest.raises(koji.GenericError, match=f"^{message}$"):
        raw_upload(hub, user, path, name, b"x")
    with pytest.raises(koji.GenericError, match=f"^{message}$"):
        user.uploadFile(path, name, 1, None, 0, "eA==")
    with pytest.raises(koji.GenericError, match=f"^{message}$"):
        user.checkUpload(path, name)
    assert not (Path(hub.topdir).parent / "escape").exists() and not Path("/tmp/escape").exists()


def test_symlinked_directory_is_refused(hub, user, tmp_path):
    outside = outside_dir(tmp_path)
    base = unique("plant")
    (work(hub) / "cli-build").mkdir(parents=True, exist_ok=True)
    (work(hub) / "cli-build" / base).symlink_to(outside)
    for path in (f"cli-build/{base}", f"cli-build/{base}/deeper"):
        with pytest.raises(koji.GenericError, match=f"symlinks are not allowed in upload paths: cli-build/{base}$"):
            raw_upload(hub, user, path, "victim", b"evil", overwrite=True)
        with pytest.raises(koji.GenericError, match=f"symlinks are not allowed in upload paths: cli-build/{base}$"):
            user.uploadFile(path, "new", 4, None, 0, b64(b"evil"))
        with pytest.raises(koji.GenericError, match="symlinks are not allowed"):
            user.checkUpload(path, "victim")
    assert_untouched(outside)


def test_symlink_planted_inside_own_upload_dir_is_refused(hub, user, tmp_path):
    outside = outside_dir(tmp_path)
    path = f"cli-build/{unique('plant')}"
    raw_upload(hub, user, path, "first", b"1")
    (work(hub) / path / "victim").symlink_to(outside / "victim")
    (work(hub) / path / "dangling").symlink_to(outside / "created")
    (work(hub) / path / "sub").symlink_to(outside)
    for name in ("victim", "dangling"):
        for offset, overwrite in ((0, True), (0, False), (-1, False)):
            with pytest.raises(koji.GenericError, match=f"destination is a symlink: {path}/{name}"):
                raw_upload(hub, user, path, name, b"evil", offset=offset, overwrite=overwrite)
        with pytest.raises(koji.GenericError, match=f"destination is a symlink: {path}/{name}"):
            user.uploadFile(path, name, 4, None, 0, b64(b"evil"))
        with pytest.raises(koji.GenericError, match=f"destination is a symlink: {path}/{name}"):
            user.checkUpload(path, name, verify="md5")
    with pytest.raises(koji.GenericError, match=f"symlinks are not allowed in upload paths: {path}/sub"):
        raw_upload(hub, user, f"{path}/sub", "victim", b"evil", overwrite=True)
    assert_untouched(outside)


def test_hard_link_and_owner_file_tricks_are_refused(hub, user, tmp_path):
    outside = outside_dir(tmp_path)
    path = f"cli-build/{unique('plant')}"
    raw_upload(hub, user, path, "first", b"1")
    os.link(outside / "victim", work(hub) / path / "linked")
    with pytest.raises(koji.GenericError, match=f"destination has other links: {path}/linked"):
        raw_upload(hub, user, path, "linked", b"evil", overwrite=True)
    # a .user planted as a symlink (to a file naming the uploader) does not make an owner
    owner = tmp_path / "owner"
    owner.write_text(str(user.getLoggedInUser()["id"]))
    planted = work(hub) / "cli-build" / unique("plant")
    planted.mkdir()
    (planted / ".user").symlink_to(owner)
    with pytest.raises(koji.GenericError, match="bad owner file"):
        raw_upload(hub, user, f"cli-build/{planted.name}", "f", b"x")
    assert_untouched(outside)
    assert sorted(p.name for p in planted.iterdir()) == [".user"]


def test_directory_belongs_to_its_first_uploader(hub, admin, user):
    other_name, other_pw = make_user(hub, admin)
    other = koji_session(hub, other_name, other_pw)
    path = f"cli-build/{unique('mine')}"
    raw_upload(hub, user, path, "a", b"mine")
    with pytest.raises(koji.ActionNotAllowed, match=f"Invalid upload directory, not owner: {path}$"):
        raw_upload(hub, other, path, "a", b"theirs", overwrite=True)
    with pytest.raises(koji.ActionNotAllowed, match="not owner"):
        raw_upload(hub, other, path, "b", b"theirs")
    with pytest.raises(koji.ActionNotAllowed, match="not owner"):
        other.uploadFile(path, "c", 6, None, 0, b64(b"theirs"))
    assert sorted(p.name for p in (work(hub) / path).iterdir()) == [".user", "a"]
    assert (work(hub) / path / "a").read_bytes() == b"mine"
    # the admin is no exception: ownership is the directory's, not a permission
    with pytest.raises(koji.ActionNotAllowed, match="not owner"):
        raw_upload(hub, admin, path, "d", b"admin")
    other.logout()


def test_task_directories_are_for_hosts_only(hub, user):
    for path, message in (
        ("tasks/1234/1234", "only the host running task 1234 may upload"),
        ("tasks/1234", "Invalid task upload directory: tasks/1234"),
        ("tasks/5/1234", "Invalid task upload directory: tasks/5/1234"),
        ("tasks/1234/01234", "Invalid task upload directory"),
        ("tasks/x/y", "Invalid task upload directory"),
    ):
        with pytest.raises(koji.GenericError, match=message):
            raw_upload(hub, user, path, "f", b"x")
        with pytest.raises(koji.GenericError, match=message):
            user.uploadFile(path, "f", 1, None, 0, "eA==")
        assert not (work(hub) / path / "f").exists()  # other tests' task uploads may be there: not this file


def test_a_locked_file_gives_lock_error(hub, user):
    path = f"cli-build/{unique('lock')}"
    raw_upload(hub, user, path, "f", b"start")
    with open(work(hub) / path / "f", "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(koji.LockError, match=f"{path}/f is locked by another upload"):
            raw_upload(hub, user, path, "f", b" more", offset=5)
        with pytest.raises(koji.LockError):
            user.checkUpload(path, "f")
    raw_upload(hub, user, path, "f", b" more", offset=5)
    assert (work(hub) / path / "f").read_bytes() == b"start more"


# -- task output ------------------------------------------------------------------------


def task_dir(hub, task_id: int) -> Path:
    return work(hub) / "tasks" / str(task_id % 10000) / str(task_id)


def fake_task_id() -> int:
    """An id no task of the test hub has: its output is written by the test itself."""
    return 10**8 + int.from_bytes(os.urandom(3), "big")


def plant_output(hub, task_id: int) -> Path:
    top = task_dir(hub, task_id)
    (top / "logs").mkdir(parents=True)
    (top / "build.log").write_bytes(b"line one\nline two\n")
    (top / "logs" / "root.log").write_bytes(b"root")
    (top / "foo-1.0-1.noarch.rpm").write_bytes(os.urandom(5000))
    return top


def test_list_task_output_shapes(hub, anon, tmp_path):
    task_id = fake_task_id()
    top = plant_output(hub, task_id)
    names = ["build.log", "foo-1.0-1.noarch.rpm", "logs/root.log"]
    assert sorted(anon.listTaskOutput(task_id)) == names
    assert anon.listTaskOutput(task_id, all_volumes=True) == {n: ["DEFAULT"] for n in names}
    stats = anon.listTaskOutput(task_id, stat=True)
    assert sorted(stats) == names
    entry = stats["build.log"]
    assert set(entry) == {"st_size", "st_atime", "st_mtime", "st_ctime"}
    assert entry["st_size"] == "18" and entry["st_mtime"] == pytest.approx((top / "build.log").stat().st_mtime)
    both = anon.listTaskOutput(task_id, stat=True, all_volumes=True)
    assert both["logs/root.log"] == {"DEFAULT": stats["logs/root.log"]}
    assert anon.listTaskOutput(fake_task_id()) == []
    assert anon.listTaskOutput(fake_task_id(), stat=True) == {}


def test_list_task_output_strict_knows_missing_tasks(hub, anon):
    with pytest.raises(koji.GenericError, match="Task doesn't exist"):
        anon.listTaskOutput(fake_task_id(), strict=True)


def test_task_output_skips_and_refuses_symlinks(hub, anon, tmp_path):
    outside = outside_dir(tmp_path)
    task_id = fake_task_id()
    top = plant_output(hub, task_id)
    (top / "victim").symlink_to(outside / "victim")
    (top / "linkdir").symlink_to(outside)
    assert sorted(anon.listTaskOutput(task_id)) == ["build.log", "foo-1.0-1.noarch.rpm", "logs/root.log"]
    for name in ("victim", "linkdir/victim"):
        with pytest.raises(koji.GenericError, match=f'no file "{name}" output by task {task_id}'):
            anon.downloadTaskOutput(task_id, name)
    # a task directory that is itself a link shows nothing
    linked_id = fake_task_id()
    task_dir(hub, linked_id).parent.mkdir(parents=True, exist_ok=True)
    task_dir(hub, linked_id).symlink_to(outside)
    assert anon.listTaskOutput(linked_id) == []
    with pytest.raises(koji.GenericError, match="no file"):
        anon.downloadTaskOutput(linked_id, "victim")


def test_download_task_output_ranges(hub, anon):
    task_id = fake_task_id()
    top = plant_output(hub, task_id)
    rpm = (top / "foo-1.0-1.noarch.rpm").read_bytes()
    assert anon.downloadTaskOutput(task_id, "build.log") == b"line one\nline two\n"
    assert anon.downloadTaskOutput(task_id, "logs/root.log") == b"root"
    assert anon.downloadTaskOutput(task_id, "foo-1.0-1.noarch.rpm") == rpm
    assert anon.downloadTaskOutput(task_id, "foo-1.0-1.noarch.rpm", offset=100, size=50) == rpm[100:150]
    assert anon.downloadTaskOutput(task_id, "foo-1.0-1.noarch.rpm", offset=-10) == rpm[-10:]
    assert anon.downloadTaskOutput(task_id, "foo-1.0-1.noarch.rpm", offset=-10, size=4) == rpm[-10:-6]
    assert anon.downloadTaskOutput(task_id, "build.log", offset=-1000) == b"line one\nline two\n"
    assert anon.downloadTaskOutput(task_id, "build.log", offset=18) == b""
    assert anon.downloadTaskOutput(task_id, "build.log", offset="9", size="4") == b"line"
    assert anon.downloadTaskOutput(task_id, "build.log", volume="DEFAULT") == b"line one\nline two\n"
    with pytest.raises(koji.GenericError, match="No such volume: other"):
        anon.downloadTaskOutput(task_id, "build.log", volume="other")


def test_download_task_output_refusals(hub, anon):
    task_id = fake_task_id()
    plant_output(hub, task_id)
    for name in ("../../../../../etc/passwd", "logs/../build.log", ".."):
        with pytest.raises(koji.GenericError, match="Invalid file name"):
            anon.downloadTaskOutput(task_id, name)
    for name in ("nothing.log", "logs", "logs/nothing"):
        with pytest.raises(koji.GenericError, match=f'^no file "{name}" output by task {task_id}$'):
            anon.downloadTaskOutput(task_id, name)


def test_download_task_output_is_base64_text_in_a_string(hub, anon):
    task_id = fake_task_id()
    plant_output(hub, task_id)
    body = xmlrpc.client.dumps((task_id, "build.log"), "downloadTaskOutput")
    reply = requests.post(hub.url, data=body, headers={"Content-Type": "text/xml"}, timeout=30)
    assert "<string>" in reply.text and "<base64>" not in reply.text
    assert xmlrpc.client.loads(reply.content)[0][0] == b64(b"line one\nline two\n")


# -- task directories: the host holding the task OPEN ---------------------------------------


def open_task_on_host(hub, admin):
    """A task OPEN on a fresh builder in a channel of its own: (host session, host id, task id)."""
    channel = unique("chan")
    host, host_id = host_session(hub, admin, channels=(channel,))
    task_id = admin.makeTask("sleep", [1], channel=channel, arch="noarch")
    assert task_id in [t["id"] for t in host.host.getTasks()]
    assert host.host.openTask(task_id)["state"] == koji.TASK_STATES["OPEN"]
    return host, host_id, task_id


def test_the_host_running_a_task_uploads_its_output(hub, admin, anon, tmp_path):
    host, _host_id, task_id = open_task_on_host(hub, admin)
    relpath = koji.pathinfo.taskrelpath(task_id)
    data = os.urandom(MiB + 17)
    local = tmp_path / "foo-1.0-1.noarch.rpm"
    local.write_bytes(data)
    host.uploadWrapper(str(local), relpath, blocksize=MiB // 2)
    # kojid streams logs with rawUpload and overwrite, piece by piece
    host._callMethod("rawUpload", (b"line one\n", 0, relpath, "build.log"), {"overwrite": True})
    host._callMethod("rawUpload", (b"line two\n", 9, relpath, "build.log"), {"overwrite": True})
    one = b"legacy"
    assert host.uploadFile(f"{relpath}/logs", "root.log", len(one), hashlib.md5(one).hexdigest(), 0, b64(one))
    assert host.uploadFile(f"{relpath}/logs", "root.log", len(one), None, -1, "") is True
    top = task_dir(hub, task_id)
    assert not (top / ".user").exists()  # task directories carry no owner file: the task says who writes
    names = ["build.log", "foo-1.0-1.noarch.rpm", "logs/root.log"]
    assert sorted(anon.listTaskOutput(task_id, strict=True)) == names
    assert anon.listTaskOutput(task_id, stat=True)["foo-1.0-1.noarch.rpm"]["st_size"] == str(len(data))
    assert anon.downloadTaskOutput(task_id, "foo-1.0-1.noarch.rpm") == data
    assert anon.downloadTaskOutput(task_id, "build.log") == b"line one\nline two\n"
    assert anon.downloadTaskOutput(task_id, "logs/root.log", offset=-3) == b"acy"
    assert anon.listTaskOutput(task_id, all_volumes=True)["build.log"] == ["DEFAULT"]
    host.logout()


def test_only_the_host_holding_the_task_open_writes_there(hub, admin, tmp_path):
    host, host_id, task_id = open_task_on_host(hub, admin)
    relpath = koji.pathinfo.taskrelpath(task_id)
    other, other_id = host_session(hub, admin)
    with pytest.raises(koji.ActionNotAllowed, match=f"^host {other_id} does not own task {task_id}$"):
        raw_upload(hub, other, relpath, "evil.log", b"x")
    with pytest.raises(koji.ActionNotAllowed, match=f"host {other_id} does not own task {task_id}"):
        other.uploadFile(relpath, "evil.log", 1, None, 0, "eA==")
    name, password = make_user(hub, admin, perms=("admin",))
    person = koji_session(hub, name, password)
    with pytest.raises(koji.ActionNotAllowed, match=f"only the host running task {task_id} may upload"):
        raw_upload(hub, person, relpath, "evil.log", b"x")
    # a task not yet opened, or no longer open, is nobody's to write
    waiting = admin.makeTask("sleep", [1], channel="default", arch=unique("arch"))
    with pytest.raises(koji.ActionNotAllowed, match=f"host {host_id} does not own task {waiting}"):
        raw_upload(hub, host, koji.pathinfo.taskrelpath(waiting), "f.log", b"x")
    raw_upload(hub, host, relpath, "ok.log", b"ok")
    host.host.closeTask(task_id, xmlrpc.client.dumps(("done",), methodresponse=True))
    with pytest.raises(koji.ActionNotAllowed, match=f"host {host_id} does not own task {task_id}"):
        raw_upload(hub, host, relpath, "late.log", b"late")
    assert sorted(p.name for p in task_dir(hub, task_id).iterdir()) == ["ok.log"]
    assert not task_dir(hub, waiting).exists()
    for session in (host, other, person):
        session.logout()


def test_a_task_directory_symlink_is_refused_even_for_its_host(hub, admin, tmp_path):
    outside = outside_dir(tmp_path)
    host, _host_id, task_id = open_task_on_host(hub, admin)
    top = task_dir(hub, task_id)
    top.parent.mkdir(parents=True, exist_ok=True)
    top.symlink_to(outside)
    relpath = koji.pathinfo.taskrelpath(task_id)
    with pytest.raises(koji.GenericError, match=f"symlinks are not allowed in upload paths: {relpath}$"):
        raw_upload(hub, host, relpath, "victim", b"evil", overwrite=True)
    assert_untouched(outside)
    host.logout()
