"""The web UI's whole plugin contract (pluggy; entry-point group ``kiln.web``).

A web plugin is a module with functions named like these specs, marked with
``hookimpl``, registered under ``kiln.web``; installing it is enough::

    # pyproject.toml
    [project.entry-points."kiln.web"]
    mysite = "mysite_kiln.web"

Hooks:
- ``kiln_task_methods()`` (kiln.client.task_methods): task methods with
  their label and their place in the method lists; the ``kiln`` command
  labels them from the same hook.
- ``kiln_web_task_sections(task)`` and ``kiln_web_build_sections(build)``:
  boxes added to a task's or a build's page, each a ``Section`` (a title
  and rows of text; the web escapes every value).
- ``kiln_web_pages()``: pages of the plugin's own, name -> function
  ``(hub session, query) -> (template, values)``, served at /koji/NAME;
  ``kiln_web_template_dirs()``: where their templates are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiln.client.task_methods import TaskMethod, hookimpl, hookspec

__all__ = ["Section", "TaskMethod", "hookimpl"]


@dataclass(frozen=True)
class Section:
    """A box on a task's or a build's page: a title and (label, text) rows, shown escaped."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)


@hookspec
def kiln_web_task_sections(task: dict) -> list[Section]:
    """Boxes for this task's page (``task`` as getTaskInfo gives it, with its request)."""
    return []


@hookspec
def kiln_web_build_sections(build: dict) -> list[Section]:
    """Boxes for this build's page (``build`` as getBuild gives it)."""
    return []


@hookspec
def kiln_web_pages() -> dict[str, Callable[[Any, dict[str, str]], tuple[str, dict]]]:
    """Pages of the plugin's own: name -> page function, as kiln.web.pages' functions."""
    return {}


@hookspec
def kiln_web_template_dirs() -> list[str]:
    """Directories holding the templates of the plugin's pages."""
    return []
