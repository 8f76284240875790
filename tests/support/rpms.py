"""Real RPMs and a real repo for build root tests, made with rpmbuild and createrepo_c."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

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


def make_package(root: Path, name: str, version: str = "1.0", release: str = "1") -> tuple[Path, Path]:
    """A source RPM and its noarch binary RPM, built by rpmbuild: (srpm, rpm)."""
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
        ).lstrip()
    )
    top = root / "rpmbuild"
    subprocess.run(
        ["rpmbuild", "-ba", "--nodeps", "--define", f"_topdir {top}", str(spec)], check=True, capture_output=True
    )
    nvr = f"{name}-{version}-{release}"
    return top / "SRPMS" / f"{nvr}.src.rpm", top / "RPMS" / "noarch" / f"{nvr}.noarch.rpm"
