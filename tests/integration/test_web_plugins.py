"""The web UI's plugin hooks, shown by tests/plugins' example plugin (its ``kiln.web`` entry point).

Its task method's label is the same on the task page and in ``kiln
list-tasks`` (one hook, kiln.client.task_methods); its boxes appear on task
and build pages, escaped; its own page is served with its own template.
"""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.support.hub import HubProcess
from tests.support.kiln_cli import kiln
from tests.support.koji_cli import write_koji_conf
from tests.support.web import no_traceback


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


def test_a_plugin_labels_its_tasks_adds_boxes_and_a_page(hub, admin, web, tmp_path):
    channel = unique("plugchan")
    admin.addChannel(channel)
    task_id = admin.makeTask("example.echo", ["<hello>", 2], channel=channel)
    page = web.get(f"taskinfo?taskID={task_id}")
    assert page.status_code == 200, page.text[-500:]
    assert f"Task {task_id}: example.echo (echoes &lt;hello&gt;)" in page.text
    assert "Example plugin" in page.text and "the example plugin" in page.text
    assert "example.echo" in web.get("tasks").text  # in the method choices

    listed = kiln(write_koji_conf(hub, tmp_path / "koji.conf"), "list-tasks", "--method", "example.echo")
    assert listed.returncode == 0, listed.stderr
    assert any(str(task_id) in line and "example.echo (echoes <hello>)" in line for line in listed.stdout.splitlines())

    build_id = admin.createEmptyBuild(unique("plugbuild"), "1", "1", None)
    build_page = web.get(f"buildinfo?buildID={build_id}")
    assert build_page.status_code == 200 and "Example plugin" in build_page.text

    report = web.get("examplereport?who=<b>me</b>")
    assert report.status_code == 200 and "<h1>Example report</h1>" in report.text
    assert "asked by &lt;b&gt;me&lt;/b&gt;" in report.text
    no_traceback(report)
    admin.cancelTask(task_id)
