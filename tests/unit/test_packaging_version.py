"""kiln.spec and pyproject.toml name one version: the RPM is built from the sdist of that version."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_spec_version_is_pyproject_version() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    spec = re.search(r"^Version:\s*(\S+)\s*$", (ROOT / "kiln.spec").read_text(), re.MULTILINE)
    assert spec, "kiln.spec has no Version: line"
    assert spec.group(1) == pyproject
