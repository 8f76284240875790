"""The command index (what ``kiln --help`` lists without importing) matches what the areas register."""

from __future__ import annotations

import argparse
from importlib import import_module

import pytest

from kiln.cli import commands


@pytest.mark.parametrize("area", sorted(commands.AREAS))
def test_each_area_registers_exactly_its_indexed_commands(area):
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    import_module(f"kiln.cli.commands.{area}").register(subparsers)
    assert list(subparsers.choices) == [name for name, _ in commands.AREAS[area]]
    helps = {action.dest: action.help for action in subparsers._choices_actions}
    assert helps == dict(commands.AREAS[area])
    for name, sub in subparsers.choices.items():
        assert callable(sub.get_default("handler")), name


def test_aliases_point_at_indexed_commands():
    for alias, command in commands.ALIASES.items():
        assert commands.area_of(alias) == commands.COMMANDS[command]
