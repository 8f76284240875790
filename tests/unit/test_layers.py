"""Dependencies point down: the clients of the hub (CLI, builder, repo daemon, web UI) never import it.

A builder or a web server on another machine talks to the hub over the
wire only; importing ``kiln.hub`` would let one reach for the database.
Checked twice: every import statement in their sources, and what importing
all their modules actually loads.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "kiln"
CLIENTS = ["cli", "builder", "repod", "client", "protocol", "rpm", "web"]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", CLIENTS)
def test_no_module_of_a_hub_client_imports_the_hub(package):
    sources = sorted((SRC / package).rglob("*.py"))
    if package == "web" and not sources:
        pytest.skip("no web package yet")
    assert sources
    offenders = {
        str(path.relative_to(SRC)): sorted(name for name in _imports(path) if name.split(".")[:2] == ["kiln", "hub"])
        for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_importing_every_client_module_loads_nothing_of_the_hub():
    """What the import statements cannot show (an import made by a dependency, or inside a function that runs)."""
    program = (
        "import importlib, json, pkgutil, sys\n"
        "import kiln\n"
        f"for package in {CLIENTS!r}:\n"
        "    try:\n"
        "        module = importlib.import_module('kiln.' + package)\n"
        "    except ModuleNotFoundError:\n"
        "        continue\n"
        "    for info in pkgutil.walk_packages(module.__path__, module.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'kiln.hub' or m.startswith('kiln.hub.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == []
