"""Which arches a build makes, from the tag's arches and the SRPM's BuildArch/ExclusiveArch/ExcludeArch."""

from __future__ import annotations

import pytest

from kiln.builder.build_tasks import choose_arches
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
