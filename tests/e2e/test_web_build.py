"""Every web page after a real build: the hub, a builder and kiln-web as processes, `kiln build` of a git package.

The package's free text (summary, description, changelog) and the host's
description carry HTML; a crawler follows every /koji/ link from the
build's pages (a few addresses of each page, so sorting links do not
multiply the walk) and every page must answer 200, without a traceback and
without any of that HTML unescaped.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections import deque
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlsplit

import pytest

from kiln.web.pages import PAGES
from tests.conftest import start_hub, unique
from tests.e2e.conftest import topdir_builder
from tests.e2e.test_build_pipeline import git_package
from tests.support.builder import BuilderProcess
from tests.support.hub import HubProcess
from tests.support.kiln_cli import kiln
from tests.support.web import WebProcess, no_traceback

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the namespace build root needs root"),
]

MARKUP = "<script>alert(1)</script>"
PER_PAGE = 4  # addresses of one page the crawler visits


@pytest.fixture(scope="module")
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HubProcess:
    """One engine: the web reads through the hub's calls, which the API tests cover on both."""
    return start_hub(request, "sqlite", tmp_path_factory.mktemp("web-e2e"))


@pytest.fixture(scope="module")
def builder(hub: HubProcess) -> Iterator[BuilderProcess]:
    process = topdir_builder(hub)
    yield process
    process.cleanup()


def spec(name: str) -> str:
    return textwrap.dedent(f"""
        Name: {name}
        Version: 1.0
        Release: 1
        Summary: a summary with {MARKUP}
        License: MIT
        BuildArch: noarch

        %description
        A description with {MARKUP} in it.

        %install
        mkdir -p %{{buildroot}}/usr/share/{name}
        echo '{MARKUP}' > %{{buildroot}}/usr/share/{name}/page.html

        %files
        /usr/share/{name}/page.html

        %changelog
        * Mon Dec 07 2026 Tester <t@example.com> - 1.0-1
        - a changelog line with {MARKUP}
        """)


def crawl(web: WebProcess, starts: list[str]) -> dict[str, list[str]]:
    """Visit /koji/ pages breadth first from ``starts``: at most PER_PAGE addresses of each page."""
    seen: dict[str, list[str]] = {}
    queue = deque(starts)
    visited: set[str] = set()
    while queue:
        address = queue.popleft()
        name = urlsplit(address).path.removeprefix("/koji/") or "index"
        if address in visited or name.startswith("static/") or len(seen.get(name, [])) >= PER_PAGE:
            continue
        visited.add(address)
        answer = web.get(address.removeprefix("/koji/"))
        assert answer.status_code == 200, (address, answer.text[-600:])
        no_traceback(answer)
        assert MARKUP not in answer.text, address  # every value from the hub escaped
        seen.setdefault(name, []).append(address)
        if answer.headers["Content-Type"].startswith("text/html"):
            queue.extend(unescape(link) for link in re.findall(r'href="(/koji/[^"#]*)"', answer.text))
    return seen


def test_every_page_after_a_real_kiln_build(hub, admin, builder, tmp_path):
    dest, build_tag, target = unique("wdest"), unique("wbuild"), unique("wtarget")
    admin.createTag(dest)
    admin.createTag(build_tag, parent=dest, arches="x86_64", extra={"note": MARKUP})
    admin.createBuildTarget(target, build_tag, dest)
    name = unique("webbuilt")
    admin.packageListAdd(dest, name, owner="admin")
    admin.editHost(admin.getHost(builder.settings["host"])["id"], description=f"a builder {MARKUP}")
    source = git_package(tmp_path, name, spec(name))
    config = tmp_path / "koji.conf"
    base = f"http://127.0.0.1:{hub.port}"
    config.write_text(f"[koji]\nserver = {hub.url}\nweburl = {base}/koji\ntopurl = {base}/kojifiles\nmax_retries = 0\n")
    done = kiln(config, "build", "--wait", target, source, user=("admin", "admin-secret"), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr + builder.log_text()[-3000:]
    task_id = int(re.search(r"Created task: (\d+)", done.stdout).group(1))
    build = admin.getBuild(f"{name}-1.0-1", strict=True)

    web = WebProcess(hub.url, tmp_path)
    try:
        seen = crawl(web, [f"/koji/taskinfo?taskID={task_id}", f"/koji/buildinfo?buildID={build['id']}"])
        # pages no link leads to on this hub: an external repo (kiln has none), a search with terms
        unlinked = {"externalrepoinfo", "search"}
        assert set(PAGES) - unlinked <= set(seen), sorted(set(PAGES) - set(seen))
        assert web.get("externalrepoinfo?extrepoID=1").status_code == 404
        found = web.get(f"search?terms={name}-*&type=build&match=glob")
        assert found.status_code == 200 and f"buildinfo?buildID={build['id']}" in found.text

        # the build and its task are on the summary page
        summary = web.get("index").text
        assert f'buildinfo?buildID={build["id"]}">{name}-1.0-1</a>' in summary
        assert f'taskinfo?taskID={task_id}"' in summary
        # each page is about its object
        task_page = web.get(f"taskinfo?taskID={task_id}").text
        assert f"Task {task_id}: build" in task_page and "closed" in task_page
        build_page = web.get(f"buildinfo?buildID={build['id']}").text
        assert f"<h1>{name}-1.0-1</h1>" in build_page and "complete" in build_page
        assert "a changelog line with &lt;script&gt;" in build_page and ">noarch<" in build_page
        assert "build.log" in build_page and "root.log" in build_page
        rpm = next(r for r in admin.listRPMs(buildID=build["id"]) if r["arch"] == "noarch")
        rpm_page = web.get(f"rpminfo?rpmID={rpm['id']}").text
        assert "a summary with &lt;script&gt;" in rpm_page and f"/usr/share/{name}/page.html" in rpm_page
        tag_page = web.get(f"taginfo?tagID={dest}").text
        assert f"{name}-1.0-1" in tag_page and f"new tag: {dest}" in tag_page
        assert "&lt;script&gt;" in web.get(f"taginfo?tagID={build_tag}").text  # the tag's extra, escaped
        host_page = web.get(f"hostinfo?hostID={builder.settings['host']}").text
        assert "a builder &lt;script&gt;" in host_page and "Last check-in" in host_page
    finally:
        web.stop()


def test_a_failed_build_shows_its_spec_error_at_the_top_and_kiln_why_says_the_same(hub, admin, builder, tmp_path):
    dest, build_tag, target = unique("fdest"), unique("fbuild"), unique("ftarget")
    admin.createTag(dest)
    admin.createTag(build_tag, parent=dest, arches="x86_64")
    admin.createBuildTarget(target, build_tag, dest)
    name = unique("webfails")
    admin.packageListAdd(dest, name, owner="admin")
    broken = spec(name).replace("%install", "%build\necho compiling the widget\nexit 3\n%install", 1)
    source = git_package(tmp_path, name, broken)
    config = tmp_path / "koji.conf"
    base = f"http://127.0.0.1:{hub.port}"
    config.write_text(f"[koji]\nserver = {hub.url}\nweburl = {base}/koji\ntopurl = {base}/kojifiles\nmax_retries = 0\n")
    failed = kiln(config, "build", "--wait", target, source, user=("admin", "admin-secret"), timeout=300)
    assert failed.returncode != 0
    nvr = f"{name}-1.0-1"
    build = admin.getBuild(nvr, strict=True)

    web = WebProcess(hub.url, tmp_path)
    try:
        page = web.get(f"buildinfo?buildID={build['id']}").text
        top = page.split("<table>")[0]  # before the build's own table: at the top
        assert "Why it failed" in top and "error: Bad exit status" in top and "compiling the widget" in top
        link = re.search(r'href="/koji/(getfile\?taskID=(\d+)&amp;name=build.log&amp;offset=(\d+))"', top)
        assert link, top
        shown = web.get(unescape(link[1])).text
        assert "compiling the widget" in shown and "Executing(%prep)" not in shown  # the log from that line
        task_page = web.get(f"taskinfo?taskID={build['task_id']}").text
        assert "Why it failed" in task_page and "error: Bad exit status" in task_page
    finally:
        web.stop()
    why = kiln(config, "why", nvr)
    assert why.returncode == 0, why.stderr
    assert f"Task {link[2]} (buildArch) failed: error: Bad exit status" in why.stdout
    assert "  + echo compiling the widget" in why.stdout or "  compiling the widget" in why.stdout
    assert f"{base}/koji/getfile?taskID={link[2]}&name=build.log&offset={link[3]}" in why.stdout
