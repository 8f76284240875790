"""Real RPMs and a real repo for build root tests, made with rpmbuild and createrepo_c."""

from __future__ import annotations

import subprocess
import textwrap
import uuid
from pathlib import Path
from typing import Any

from kiln.client.uploads import upload_file

SPECS = {
    "kiln-base": """
        Name: kiln-base
        Version: 2.0
        Release: 1
        Summary: a package other test packages need
        License: MIT
        BuildArch: noarch
        Provides: kiln-base-capability
        %description
        kiln test package
        %install
        mkdir -p %{buildroot}/usr/share/kiln-base
        echo base > %{buildroot}/usr/share/kiln-base/base.txt
        %files
        /usr/share/kiln-base/base.txt
    """,
    "kiln-greeting": """
        Name: kiln-greeting
        Version: 1.0
        Release: 1
        Summary: installs a file only the repo has
        License: MIT
        BuildArch: noarch
        Requires: kiln-base >= 1
        %description
        kiln test package
        %install
        mkdir -p %{buildroot}/usr/share/kiln-test
        echo hello from the repo > %{buildroot}/usr/share/kiln-test/greeting.txt
        %files
        /usr/share/kiln-test/greeting.txt
    """,
}
GREETING = "/usr/share/kiln-test/greeting.txt"


def make_repo(root: Path) -> Path:
    """A repo (a directory with repodata/) holding kiln-base and kiln-greeting."""
    repo = root / "repo"
    for name, spec in SPECS.items():
        spec_path = root / f"{name}.spec"
        spec_path.write_text(textwrap.dedent(spec).lstrip())
        subprocess.run(
            ["rpmbuild", "-bb", "--nodeps", "--define", f"_topdir {root / 'rpmbuild'}", "--define", f"_rpmdir {repo}"]
            + [str(spec_path)],
            check=True,
            capture_output=True,
        )
    subprocess.run(["createrepo_c", "-q", str(repo)], check=True)
    return repo


def make_package(
    root: Path, name: str, version: str = "1.0", release: str = "1", preamble: str = ""
) -> tuple[Path, Path]:
    """A source RPM and its noarch binary RPM, built by rpmbuild: (srpm, rpm); ``preamble``: more spec header lines."""
    spec = root / f"{name}.spec"
    spec.write_text(
        textwrap.dedent(
            f"""
            Name: {name}
            Version: {version}
            Release: {release}
            Summary: a kiln test package
            License: MIT
            BuildArch: noarch
            %description
            kiln test package
            %install
            mkdir -p %{{buildroot}}/usr/share/{name}
            echo {name} > %{{buildroot}}/usr/share/{name}/file.txt
            %files
            /usr/share/{name}/file.txt
            """
        )
        .lstrip()
        .replace("%description", f"{preamble.strip()}\n%description" if preamble else "%description", 1)
    )
    top = root / "rpmbuild"
    subprocess.run(
        ["rpmbuild", "-ba", "--nodeps", "--define", f"_topdir {top}", str(spec)], check=True, capture_output=True
    )
    nvr = f"{name}-{version}-{release}"
    return top / "SRPMS" / f"{nvr}.src.rpm", top / "RPMS" / "noarch" / f"{nvr}.noarch.rpm"


# Stands in for the Fedora packages kiln.spec builds with (python3-devel, pip,
# setuptools >= 77): installs nothing, provides the names.
KILN_BUILDREQ_STUBS = """
    Name: kiln-buildreq-stubs
    Version: 1
    Release: 1
    Summary: stands in for the Fedora packages kiln.spec builds with
    License: MIT
    BuildArch: noarch
    Provides: python3-devel = 3.11
    Provides: python3-pip = 23
    Provides: python3-setuptools = 80
    %description
    stubs
    %files
"""


def build_spec(root: Path, name: str, spec_text: str) -> list[Path]:
    """rpmbuild -ba of a spec (given as indented text): the source RPM, then the binary ones."""
    root.mkdir(parents=True, exist_ok=True)
    spec = root / f"{name}.spec"
    spec.write_text(textwrap.dedent(spec_text).lstrip())
    top = root / f"rpmbuild-{name}"
    subprocess.run(
        ["rpmbuild", "-ba", "--nodeps", "--define", f"_topdir {top}", str(spec)], check=True, capture_output=True
    )
    return [*sorted((top / "SRPMS").glob("*.rpm")), *sorted((top / "RPMS").rglob("*.rpm"))]


def import_files(admin: Any, uploader: Any, files: list[Path]) -> None:
    """Upload each RPM (source first) into a fresh area of the work directory and importRPM it."""
    for path in files:
        area = f"imports/{uuid.uuid4().hex[:12]}"
        upload_file(uploader, path, area)
        admin.importRPM(area, path.name)
