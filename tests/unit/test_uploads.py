"""Upload confinement, chunk writing and task output, on a real directory without a hub."""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from kiln.hub.domain import task_output, uploads
from kiln.protocol import errors


def make_ctx(tmp_path: Path, user_id: int = 7) -> SimpleNamespace:
    """What the upload domain reads of a context: the topdir and the caller (no task dirs, so no database)."""
    session = SimpleNamespace(id=1, user_id=user_id, host_id=None, lock_held=False)
    return SimpleNamespace(settings=SimpleNamespace(topdir=str(tmp_path / "topdir")), session=session)


def write(ctx, path, name, data, offset=0, verify="adler32", overwrite=False, length="auto"):
    with uploads.destination(ctx, path, name, create=True) as target:
        size = len(data) if length == "auto" else length
        return uploads.write_chunk(target, io.BytesIO(data), size, offset, verify, overwrite)


def test_adler32_matches_koji_formatting():
    assert uploads.Adler32().hexdigest() == "00000001"
    digest = uploads.Adler32(b"abc")
    digest.update(b"def")
    assert digest.hexdigest() == f"{zlib.adler32(b'abcdef'):08x}" and len(digest.hexdigest()) == 8
    assert uploads.verify_class("md5")(b"").hexdigest() == "d41d8cd98f00b204e9800998ecf8427e"
    assert uploads.verify_class("") is None and uploads.verify_class(None) is None
    with pytest.raises(errors.GenericError, match="Unsupported verify type: sha1"):
        uploads.verify_class("sha1")


@pytest.mark.parametrize(
    ("reldir", "parts"),
    [("cli-build/x", ["cli-build", "x"]), ("a//b/./c/", ["a", "b", "c"]), ("tasks/5/5", ["tasks", "5", "5"])],
)
def test_split_dir(reldir, parts):
    assert uploads.split_dir(reldir) == parts


@pytest.mark.parametrize("reldir", ["", ".", "/abs", "..", "a/../b", "a/..", "a\0b", None, 5])
def test_split_dir_refusals(reldir):
    with pytest.raises(errors.GenericError, match="Invalid upload directory"):
        uploads.split_dir(reldir)


@pytest.mark.parametrize("name", ["", ".", "..", ".user", ".hidden", "a/b", "/a", "a\0", None])
def test_name_refusals(name):
    with pytest.raises(errors.GenericError, match="Invalid upload filename"):
        uploads.check_name(name)


def test_task_dir_ids():
    assert uploads.task_dir_id(["cli-build", "x"], "") is None
    assert uploads.task_dir_id(["tasks", "1234", "1234", "sub"], "") == 1234
    assert uploads.task_dir_id(["tasks", "2345", "12345"], "") == 12345
    for parts in (["tasks"], ["tasks", "1"], ["tasks", "1", "2"], ["tasks", "1", "01"], ["tasks", "٣", "٣"]):
        with pytest.raises(errors.GenericError, match="Invalid task upload directory"):
            uploads.task_dir_id(parts, "/".join(parts))


def test_volumes():
    uploads.check_volume(None)
    uploads.check_volume("DEFAULT")
    with pytest.raises(errors.GenericError, match="^No such volume: vol2$"):
        uploads.check_volume("vol2")


def test_chunks_build_a_file_and_claim_its_directory(tmp_path):
    ctx = make_ctx(tmp_path)
    assert write(ctx, "up/a", "f", b"abc") == {
        "size": 3,
        "fileverify": "adler32",
        "offset": 0,
        "hexdigest": f"{zlib.adler32(b'abc'):08x}",
    }
    assert write(ctx, "up/a", "f", b"def", offset=-1)["offset"] == 3
    assert write(ctx, "up/a", "f", b"g", offset=6, verify="")["offset"] == 6
    root = tmp_path / "topdir" / "work" / "up" / "a"
    assert (root / "f").read_bytes() == b"abcdefg"
    assert (root / ".user").read_text() == "7"
    assert not (tmp_path / "topdir" / "work" / "up" / ".user").exists()
    assert sorted(os.listdir(root)) == [".user", "f"]  # no temporary owner files left
    with pytest.raises(errors.ActionNotAllowed, match="not owner: up/a"):
        write(make_ctx(tmp_path, user_id=8), "up/a", "g", b"x")
    write(make_ctx(tmp_path, user_id=8), "up/b", "g", b"x")  # a sibling is free to claim


def test_chunk_offsets_and_lengths(tmp_path):
    ctx = make_ctx(tmp_path)
    write(ctx, "up", "f", b"0123456789")
    path = tmp_path / "topdir" / "work" / "up" / "f"
    with pytest.raises(errors.GenericError, match="upload path exists: up/f"):
        write(ctx, "up", "f", b"x")
    with pytest.raises(errors.GenericError, match="the file has 10 bytes, the chunk starts at 11"):
        write(ctx, "up", "f", b"x", offset=11)
    with pytest.raises(errors.GenericError, match="Expected 6, actual 10"):
        write(ctx, "up", "f", b"x", offset=5)
    assert path.read_bytes() == b"0123456789"
    write(ctx, "up", "f", b"AB", offset=8)  # ends where the file ends: a retried last chunk
    assert path.read_bytes() == b"01234567AB"
    write(ctx, "up", "f", b"x", offset=5, overwrite=True)
    assert path.read_bytes() == b"01234x"
    # an unknown length (chunked request) is checked after the write, as Koji does
    write(ctx, "up", "g", b"12345", length=None)
    with pytest.raises(errors.GenericError, match="upload body ended early: 2 of 5 bytes"):
        write(ctx, "up", "h", b"12", length=5)


def test_walk_never_follows_symlinks(tmp_path):
    ctx = make_ctx(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "topdir" / "work"
    work.mkdir(parents=True)
    (work / "link").symlink_to(outside)
    (work / "file").write_text("x")
    with pytest.raises(errors.GenericError, match="symlinks are not allowed in upload paths: link$"):
        write(ctx, "link/deeper", "f", b"x")
    with pytest.raises(errors.GenericError, match="not a directory: file$"):
        write(ctx, "file/deeper", "f", b"x")
    assert os.listdir(outside) == []
    assert uploads.open_dir(str(work), ["missing", "deeper"]) is None
    assert not (work / "missing").exists()


def test_check_upload(tmp_path):
    ctx = make_ctx(tmp_path)
    assert uploads.check_upload(ctx, "up", "f") is None
    write(ctx, "up", "f", b"0123456789")
    assert uploads.check_upload(ctx, "up", "g") is None
    info = uploads.check_upload(ctx, "up", "f", verify="adler32", tail=4)
    assert info["size"] == 10 and info["sumlength"] == 4
    assert info["hexdigest"] == f"{zlib.adler32(b'6789'):08x}"
    assert uploads.check_upload(ctx, "up", "f", verify="adler32", tail=100)["sumlength"] == 10


def test_legacy_upload_file(tmp_path):
    ctx = make_ctx(tmp_path)
    import hashlib

    assert uploads.upload_file(ctx, "up", "f", 3, hashlib.md5(b"abc").hexdigest(), 0, b"abc") is True
    assert uploads.upload_file(ctx, "up", "f", 3, ["sha256", "00"], 3, b"def") is False
    assert uploads.upload_file(ctx, "up", "f", 3, None, 3, b"def") is True
    whole = ["sha256", hashlib.sha256(b"abcdef").hexdigest()]
    assert uploads.upload_file(ctx, "up", "f", 6, whole, -1, b"") is True
    assert uploads.upload_file(ctx, "up", "f", 4, None, -1, b"") is True  # the final size cuts
    assert (tmp_path / "topdir" / "work" / "up" / "f").read_bytes() == b"abcd"
    with pytest.raises(errors.GenericError, match="Invalid checksum"):
        uploads.upload_file(ctx, "up", "g", 3, 5, 0, b"abc")


def test_task_dirs_need_a_host(tmp_path):
    ctx = make_ctx(tmp_path)
    with pytest.raises(errors.ActionNotAllowed, match="only the host running task 42 may upload"):
        write(ctx, "tasks/42/42", "f", b"x")
    ctx.session.host_id = 3
    with pytest.raises(errors.AuthError, match="exclusive session"):
        write(ctx, "tasks/42/42", "f", b"x")
    assert not (tmp_path / "topdir" / "work" / "tasks").exists()


def test_task_output_listing_and_reading(tmp_path):
    ctx = make_ctx(tmp_path)
    top = tmp_path / "topdir" / "work" / "tasks" / "2345" / "12345"
    (top / "sub").mkdir(parents=True)
    (top / "a.log").write_bytes(b"0123456789")
    (top / "sub" / "b.rpm").write_bytes(b"rpm")
    (top / "link").symlink_to(top / "a.log")
    assert task_output.list_output(ctx, 12345) == ["a.log", "sub/b.rpm"]
    assert task_output.list_output(ctx, 12345, all_volumes=True) == {"a.log": ["DEFAULT"], "sub/b.rpm": ["DEFAULT"]}
    assert task_output.list_output(ctx, 12345, with_stat=True)["a.log"]["st_size"] == "10"
    assert task_output.list_output(ctx, 99) == []
    assert task_output.read_output(ctx, 12345, "a.log", 2, 3) == b"234"
    assert task_output.read_output(ctx, 12345, "a.log", -3) == b"789"
    assert task_output.read_output(ctx, 12345, "/sub/b.rpm") == b"rpm"
    assert task_output.download(ctx, 12345, "sub/b.rpm") == "cnBt"
    for name in ("link", "sub", "nothing", "sub/nothing", ""):
        with pytest.raises(errors.GenericError, match=f'no file "{name}" output by task 12345'):
            task_output.read_output(ctx, 12345, name)
    with pytest.raises(errors.GenericError, match="Invalid file name"):
        task_output.read_output(ctx, 12345, "sub/../a.log")
    with pytest.raises(errors.ParameterError, match="Invalid task id"):
        task_output.task_id_value("12345")
