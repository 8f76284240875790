"""The web's plugins, loaded once per process: their sections, pages and templates (hookspecs.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

from kiln.client.task_methods import manager, plugin_methods
from kiln.web import hookspecs


@cache
def plugins() -> Any:
    return manager(hookspecs)


def sections(kind: str, item: dict) -> list[hookspecs.Section]:
    """Every plugin's boxes for a task's (``kind`` task) or a build's page, in the order they came."""
    hook = plugins().hook.kiln_web_task_sections if kind == "task" else plugins().hook.kiln_web_build_sections
    found = []
    for answer in hook(**{kind: item}):
        found += [s for s in answer or [] if isinstance(s, hookspecs.Section)]
    return found


def pages() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for answer in plugins().hook.kiln_web_pages():
        for name, page in (answer or {}).items():
            found.setdefault(name, page)
    return found


def template_dirs() -> list[str]:
    return [d for answer in plugins().hook.kiln_web_template_dirs() for d in answer or []]


def method_names() -> list[str]:
    """The plugins' task methods, for the task list's method choices."""
    return sorted(plugin_methods())
