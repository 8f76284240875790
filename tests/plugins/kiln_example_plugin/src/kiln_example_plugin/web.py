"""Web side: every hook of kiln/web/hookspecs.py (the ``kiln.web`` entry point).

A label for ``example.echo`` tasks (the web and ``kiln list-tasks`` both
show it), a box on every task's and build's page, and a page of its own at
/koji/examplereport with its own template.
"""

from __future__ import annotations

from pathlib import Path

from kiln.web.hookspecs import Section, TaskMethod, hookimpl


@hookimpl
def kiln_task_methods() -> list[TaskMethod]:
    return [
        TaskMethod(
            "example.echo",
            ("words", "times"),
            defaults=1,
            label=lambda params: f"echoes {params['words']}",
            toplevel=True,
        )
    ]


@hookimpl
def kiln_web_task_sections(task: dict) -> list[Section]:
    return [Section("Example plugin", [("Seen by", "the example plugin"), ("Method", task["method"])])]


@hookimpl
def kiln_web_build_sections(build: dict) -> list[Section]:
    return [Section("Example plugin", [("Package", build["package_name"])])]


def examplereport(session, query: dict) -> tuple[str, dict]:
    """How many example.echo tasks the hub holds."""
    count = session.listTasks({"method": "example.echo"}, {"countOnly": True})
    return "examplereport.html", {"count": count, "who": query.get("who", "nobody")}


@hookimpl
def kiln_web_pages() -> dict:
    return {"examplereport": examplereport}


@hookimpl
def kiln_web_template_dirs() -> list[str]:
    return [str(Path(__file__).parent / "templates")]
