"""kiln packages itself: `make tarball`, `make srpm` and `make rpm`, and the installed tree works.

Each run writes into a temporary DIST directory of its own, so parallel runs
never share an output tree; rpmbuild never touches ~/rpmbuild.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
UNITS = sorted(p.name for p in (ROOT / "contrib").glob("*.service"))

if not shutil.which("rpmbuild"):
    pytest.skip("rpmbuild is not installed (make deps installs Debian's rpm)", allow_module_level=True)


def make(target: str, dist: Path) -> None:
    """Run a make target of the repository with its output in ``dist``; on failure show make's output.

    Under `make test` the outer make's flags and jobserver would leak into this one; it runs clean.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target, f"DIST={dist}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"


def rpm_query(path: Path, *args: str) -> str:
    return subprocess.run(["rpm", "-qp", *args, str(path)], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `make rpm` (which makes the tarball first) for the module's tests."""
    out = tmp_path_factory.mktemp("dist")
    make("rpm", out)
    return out


@pytest.fixture(scope="module")
def noarch_rpm(dist: Path) -> Path:
    (path,) = dist.glob(f"kiln-{VERSION}-*.noarch.rpm")
    return path


def test_sdist_holds_what_building_and_installing_need(dist: Path) -> None:
    top = f"kiln-{VERSION}"
    with tarfile.open(dist / f"{top}.tar.gz") as tar:
        names = set(tar.getnames())
    for wanted in [
        "pyproject.toml",
        "README.md",
        "kiln.spec",
        "src/kiln/__init__.py",
        "src/kiln/hub/db/tables.py",
        "src/kiln/hub/db/migrations/env.py",
        "src/kiln/hub/db/migrations/script.py.mako",
        "src/kiln/web/templates/base.html",
        "src/kiln/web/static/kiln.css",
        *(f"contrib/{unit}" for unit in UNITS),
    ]:
        assert f"{top}/{wanted}" in names, wanted
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "src/kiln/hub/db/migrations/versions").glob("*.py")}
    assert sources, "no migrations found in the work tree"
    assert {f"{top}/{s}" for s in sources} <= names
    assert not [n for n in names if "__pycache__" in n]


def test_rpm_is_noarch_at_pyproject_version(noarch_rpm: Path) -> None:
    assert rpm_query(noarch_rpm, "--qf", "%{NAME} %{VERSION} %{ARCH}") == f"kiln {VERSION} noarch"


def test_rpm_lists_scripts_package_migrations_and_units(noarch_rpm: Path) -> None:
    files = rpm_query(noarch_rpm, "-l").splitlines()
    sitelib = f"/usr/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
    for script in SCRIPTS:
        assert f"/usr/bin/{script}" in files
    assert f"{sitelib}/kiln/__init__.py" in files
    assert f"{sitelib}/kiln/hub/db/migrations/env.py" in files
    assert f"{sitelib}/kiln/hub/db/migrations/versions/0001_initial.py" in files
    for unit in UNITS:
        assert f"/usr/lib/systemd/system/{unit}" in files
    assert not [f for f in files if "direct_url.json" in f]


def test_rpm_requires_the_runtime_dependencies(noarch_rpm: Path) -> None:
    requires = {line.split()[0] for line in rpm_query(noarch_rpm, "-R").splitlines()}
    assert {"python3", "python3-sqlalchemy", "python3-alembic", "createrepo_c"} <= requires


def test_srpm_is_built_beside_the_rpm(dist: Path) -> None:
    (srpm,) = dist.glob(f"kiln-{VERSION}-*.src.rpm")
    assert rpm_query(srpm, "--qf", "%{NAME} %{VERSION}") == f"kiln {VERSION}"


def test_make_srpm_builds_only_the_source_package(tmp_path: Path) -> None:
    make("srpm", tmp_path)
    (srpm,) = tmp_path.glob(f"kiln-{VERSION}-*.src.rpm")
    assert rpm_query(srpm, "--qf", "%{NAME}") == "kiln"
    assert "kiln.spec" in rpm_query(srpm, "-l").split()
    assert not list(tmp_path.glob("*.noarch.rpm"))


def test_installed_tree_works_without_the_work_tree(noarch_rpm: Path, tmp_path: Path) -> None:
    """The RPM's own files, not the editable install, serve imports, the script and the migrations."""
    root = tmp_path / "root"
    root.mkdir()
    payload = subprocess.run(["rpm2archive", "-"], stdin=noarch_rpm.open("rb"), capture_output=True, check=True)
    subprocess.run(["tar", "-xz", "-C", str(root)], input=payload.stdout, check=True)
    sitelib = root / f"usr/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
    env = {**os.environ, "PYTHONPATH": str(sitelib)}

    # The dependencies come from the venv's python; kiln itself must come from the unpacked tree.
    probe = "import kiln, kiln.hub.db, kiln.builder.daemon, kiln.cli.main; print(kiln.__file__)"
    where = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()) == sitelib / "kiln/__init__.py"

    # The packaged script and migrations build a schema.
    script = root / "usr/bin/kiln-hub"
    assert script.read_text().startswith("#!/usr/bin/python3\n")
    db = tmp_path / "kiln.db"
    migrate = subprocess.run(
        [sys.executable, str(script), "migrate", "--db", f"sqlite:///{db}", "--state-dir", str(tmp_path / "state")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert db.stat().st_size > 0

    # The web UI's templates and static files are in the package: a page and the style sheet are served.
    serve = (
        "from kiln.web.app import WebApp\n"
        "from kiln.web.config import WebSettings\n"
        "app = WebApp(WebSettings())\n"
        "for path in ('/koji/nosuchpage', '/koji/static/kiln.css'):\n"
        "    seen = []\n"
        "    body = b''.join(app({'PATH_INFO': path}, lambda status, headers: seen.append(status)))\n"
        "    print(seen[0], len(body), b'There is no page' in body)\n"
    )
    web = subprocess.run([sys.executable, "-c", serve], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert web.returncode == 0, web.stderr
    page, css = web.stdout.splitlines()
    assert page.startswith("404 Not Found ") and page.endswith(" True")
    assert css.startswith("200 OK ") and int(css.split()[2]) > 100
