"""Issue 19, the import half: packages/ (or scratch/) fills while a build's files are filed.

The import is all or nothing: the caller is told the file store is full
(without the hub's paths), nothing of the build stays in packages/, the build
stays BUILDING with its files still in the task's output, and the same call
succeeds once space is freed.  The small file store is a tmpfs mounted where
the build's files go, so filing copies (no hard link across file systems)
and fills it for real; mounting needs root, elsewhere the tests are skipped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import koji
import pytest
import requests

from tests.conftest import unique
from tests.integration.test_build_imports import BUILDING, COMPLETE, Run
from tests.integration.test_hardening_files import assert_full_fault
from tests.support.rpms import make_package

pytestmark = pytest.mark.slow  # tmpfs mounts and full imports, retried

PAGE = 4096
PIECE = 65536


@pytest.fixture
def run(hub, admin, channel, tmp_path) -> Run:
    return Run(hub, admin, channel, tmp_path)


@pytest.fixture
def small_store() -> Iterator[Callable[[Path], Path]]:
    """Mounts a 1 MiB tmpfs at a directory (made if missing); each is unmounted at the end."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    mounted: list[Path] = []

    def mount(where: Path) -> Path:
        where.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(where)], capture_output=True, text=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], check=True)


def fill(store: Path, leave: int = 0) -> Path:
    """A filler file that takes all of ``store`` but room for ``leave`` bytes (whole pages)."""
    filler = store / ".filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        with pytest.raises(OSError, match="No space left"):
            while True:  # to the last block
                os.write(fd, bytes(PIECE))
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - -(-leave // PAGE) * PAGE))
    finally:
        os.close(fd)
    return filler


def left_behind(store: Path) -> list[str]:
    """Every file and directory under ``store`` but the filler."""
    return sorted(str(p.relative_to(store)) for p in store.rglob("*") if p.name != ".filler")


def test_a_full_packages_store_leaves_no_half_build_and_a_retry_imports_it(hub, admin, run, small_store):
    build_id = run.host.host.initBuild(run.data())
    srpm, rpm, log = run.upload(run.srpm, run.rpm, run.log)
    store = small_store(run.packages())
    filler = fill(store, leave=run.srpm.stat().st_size)  # the source RPM fits, its binary does not
    call = (run.task_id, build_id, srpm, [rpm], None, {"noarch": [log]})
    with pytest.raises(koji.GenericError) as caught:
        run.host.host.completeBuild(*call)
    assert_full_fault(hub, caught.value)
    assert "could not be written" in str(caught.value)
    assert left_behind(store) == []  # the source RPM filed before the failure is gone, its directories too
    assert admin.getBuild(build_id)["state"] == BUILDING and admin.listRPMs(buildID=build_id) == []
    assert {"build.log", run.rpm.name, run.srpm.name} <= set(admin.listTaskOutput(run.task_id))
    # space is freed: the same call imports the build
    filler.unlink()
    done = run.host.host.completeBuild(*call)
    assert done["state"] == COMPLETE and admin.getBuild(build_id)["state"] == COMPLETE
    assert sorted(r["arch"] for r in admin.listRPMs(buildID=build_id)) == ["noarch", "src"]
    base = f"http://127.0.0.1:{hub.port}/kojifiles/packages/{run.name}/1.0/1"
    for path, source in ((f"noarch/{run.rpm.name}", run.rpm), (f"src/{run.srpm.name}", run.srpm)):
        served = requests.get(f"{base}/{path}", timeout=10)
        assert served.status_code == 200 and served.content == source.read_bytes()
    assert requests.get(f"{base}/data/logs/noarch/build.log", timeout=10).text == "rpmbuild said things\n"


def test_a_full_store_when_only_the_logs_do_not_fit(hub, admin, run, small_store, tmp_path):
    build_id = run.host.host.initBuild(run.data())
    big_log = tmp_path / "root.log"
    big_log.write_bytes(os.urandom(256 * 1024))
    srpm, rpm, log = run.upload(run.srpm, run.rpm, big_log)
    store = small_store(run.packages())
    filler = fill(store, leave=run.srpm.stat().st_size + run.rpm.stat().st_size + PAGE)
    call = (run.task_id, build_id, srpm, [rpm], None, {"noarch": [log]})
    with pytest.raises(koji.GenericError) as caught:
        run.host.host.completeBuild(*call)
    assert_full_fault(hub, caught.value)
    assert left_behind(store) == []
    assert admin.getBuild(build_id)["state"] == BUILDING and admin.listRPMs(buildID=build_id) == []
    filler.unlink()
    assert run.host.host.completeBuild(*call)["state"] == COMPLETE
    assert (store / "1.0" / "1" / "data" / "logs" / "noarch" / "root.log").read_bytes() == big_log.read_bytes()


def test_a_full_store_in_a_multicall_leaves_nothing_either(hub, admin, run, small_store):
    build_id = run.host.host.initBuild(run.data())
    srpm, rpm = run.upload(run.srpm, run.rpm)
    store = small_store(run.packages())
    filler = fill(store, leave=run.srpm.stat().st_size)
    run.host.multicall = True
    run.host.host.completeBuild(run.task_id, build_id, srpm, [rpm])
    run.host.getBuild(build_id)
    [failed, [build]] = run.host.multiCall()
    assert failed["faultString"].startswith("the hub's file store is full"), failed
    assert build["state"] == BUILDING and left_behind(store) == []
    filler.unlink()
    assert run.host.host.completeBuild(run.task_id, build_id, srpm, [rpm])["state"] == COMPLETE


def test_a_full_scratch_store_moves_nothing_and_a_retry_moves_all(hub, admin, run, small_store):
    srpm, rpm, log = run.upload(run.srpm, run.rpm, run.log)
    store = small_store(hub.topdir / "scratch" / run.user_name)
    filler = fill(store, leave=run.srpm.stat().st_size)
    with pytest.raises(koji.GenericError) as caught:
        run.host.host.moveBuildToScratch(run.task_id, srpm, [rpm], {"noarch": [log]})
    assert_full_fault(hub, caught.value)
    assert left_behind(store) == []
    filler.unlink()
    run.host.host.moveBuildToScratch(run.task_id, srpm, [rpm], {"noarch": [log]})
    where = store / f"task_{run.task_id}"
    assert sorted(p.name for p in where.iterdir()) == ["logs", run.rpm.name, run.srpm.name]
    assert admin.getBuild(run.nvr) is None


def test_an_rpm_import_into_a_full_store_records_nothing(hub, admin, small_store, tmp_path):
    name = unique("rpm")
    srpm, _rpm = make_package(tmp_path, name)
    area = f"imports/{unique()}"
    admin.uploadWrapper(str(srpm), area)
    store = small_store(hub.topdir / "packages" / name)
    filler = fill(store)
    with pytest.raises(koji.GenericError) as caught:
        admin.importRPM(area, srpm.name)
    assert_full_fault(hub, caught.value)
    assert left_behind(store) == [] and admin.getBuild(f"{name}-1.0-1") is None
    assert (hub.topdir / "work" / area / srpm.name).is_file()  # the upload is still there to import
    filler.unlink()
    assert admin.importRPM(area, srpm.name)["nvr"] == f"{name}-1.0-1"
    assert (store / "1.0" / "1" / "src" / srpm.name).read_bytes() == srpm.read_bytes()
