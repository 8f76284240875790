"""Which arches a build makes, from the tag's arches and the SRPM's BuildArch/ExclusiveArch/ExcludeArch."""

from __future__ import annotations

import pytest

from kiln.builder.build_tasks import build_root_arch, choose_arches
from kiln.protocol import errors
from kiln.rpm.srpms import SourceHeader

TAG = ["x86_64", "aarch64"]


def header(**arches: list[str]) -> SourceHeader:
    return SourceHeader("p", "1", "1", None, True, **arches)


@pytest.mark.parametrize(
    ("arches", "override", "expected"),
    [
        ({}, None, ["x86_64", "aarch64"]),
        ({"buildarchs": ["noarch"]}, None, ["noarch"]),
        ({"exclusivearch": ["x86_64", "ppc64le"]}, None, ["x86_64"]),
        ({"excludearch": ["aarch64"]}, None, ["x86_64"]),
        ({"buildarchs": ["noarch"], "excludearch": ["noarch"]}, None, []),
        ({}, "aarch64", ["aarch64"]),
        ({}, "aarch64 s390x", ["aarch64"]),  # only arches the tag has
        ({"exclusivearch": ["noarch"]}, None, ["noarch"]),
    ],
)
def test_arches_as_koji_chooses_them(arches, override, expected):
    if not expected:
        with pytest.raises(errors.BuildError, match="No matching arches were found"):
            choose_arches(TAG, header(**arches), override)
        return
    assert choose_arches(TAG, header(**arches), override) == expected


@pytest.mark.parametrize("tag_arches", ["noarch x86_64", "x86_64 noarch", "src noarch x86_64"])
@pytest.mark.parametrize("host_arches", [["x86_64"], ["x86_64", "noarch"], ["noarch", "x86_64"]])
def test_a_build_root_is_never_noarch(tag_arches, host_arches):
    """``koji add-tag --arches "noarch x86_64"``: noarch work gets an x86_64 root (no noarch repo exists)."""
    config = {"name": "bld", "id": 1, "arches": tag_arches}
    assert build_root_arch("noarch", config, host_arches) == "x86_64"
    assert build_root_arch("x86_64", config, host_arches) == "x86_64"


def test_a_build_root_arch_the_host_has_comes_first():
    config = {"name": "bld", "id": 1, "arches": "noarch aarch64 x86_64"}
    assert build_root_arch("noarch", config, ["x86_64", "noarch"]) == "x86_64"
    assert build_root_arch("noarch", config, ["ppc64le"]) == "aarch64"  # none in common: the tag's first
    with pytest.raises(errors.BuildError, match="No arches for tag bld"):
        build_root_arch("noarch", {**config, "arches": "noarch src"}, ["x86_64"])
