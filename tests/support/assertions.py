"""Count the suite's assertions: ``python -m tests.support.assertions [PATH ...]``.

Issue 13 asks that making the suite faster loses no assertion; this is the
count the closing notes compare before and after: every ``assert`` statement
and every ``pytest.raises`` (as a context manager or a call) in the test tree.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def count(path: Path) -> tuple[int, int]:
    """(assert statements, pytest.raises uses) in one file."""
    tree = ast.parse(path.read_text(), str(path))
    asserts = raises = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            asserts += 1
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "raises"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "pytest"
        ):
            raises += 1
    return asserts, raises


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path(__file__).resolve().parent.parent]
    files = sorted(p for root in roots for p in (root.rglob("*.py") if root.is_dir() else [root]))
    totals = [0, 0]
    for path in files:
        a, r = count(path)
        totals[0] += a
        totals[1] += r
    print(f"files {len(files)}  assert {totals[0]}  pytest.raises {totals[1]}  total {sum(totals)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
