"""The web UI's first pages (index, taskinfo) from a real kiln-web process over a real hub.

What a Koji user clicks first: the ``Task info:`` link every ``koji build``
prints.  Bad input gets a page that says what is wrong, never a traceback;
every value from the hub is escaped.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import koji
import pytest
import requests

from kiln.client import ClientSession
from kiln.client.uploads import upload_file
from tests.conftest import ADMIN, channel_builder, open_task, task_result, unique
from tests.support.hub import HubProcess
from tests.support.pgserver import free_port
from tests.support.rpms import make_package
from tests.support.web import WebProcess, chromium, no_traceback, pages_show

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


def all_pages(web: WebProcess, page: str) -> str:
    """A paged list's pages, one after the other (the shared hub holds other modules' rows too)."""
    import html
    import re

    text, address = "", page
    for _ in range(50):
        answer = web.get(address).text
        text += answer
        following = re.search(r'<a href="/koji/([^"]+)" rel="next">', answer)
        if following is None:
            return text
        address = html.unescape(following[1])
    return text


def test_taskinfo_shows_a_task_its_children_result_and_output(hub, admin, web):
    host, host_id, channel, parent = open_task(hub, admin, "webchan", ["<b>bold</b>"])
    child = host.host.subtask("sleep", [2], parent, label="kid")
    host.uploadWrapper(__file__, f"tasks/{parent % 10000}/{parent}", name="build.log")
    host.host.closeTask(parent, task_result("all <done>"))

    page = web.get(f"taskinfo?taskID={parent}")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    no_traceback(page)
    text = page.text
    assert f"Task {parent}: sleep" in text and "closed" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text and "<b>bold</b>" not in text  # the hub's values are escaped
    assert "all &lt;done&gt;" in text
    assert f'href="/koji/taskinfo?taskID={child}"' in text  # the descendants, linked
    assert admin.getHost(host_id)["name"] in text and channel in text
    assert f"/kojifiles/work/tasks/{parent % 10000}/{parent}/build.log" in text
    assert requests.get(f"http://127.0.0.1:{hub.port}/kojifiles/work/tasks/{parent % 10000}/{parent}/build.log",
                        timeout=10).status_code == 200  # fmt: skip

    kid = web.get(f"taskinfo?taskID={child}")
    assert kid.status_code == 200 and f'href="/koji/taskinfo?taskID={parent}"' in kid.text  # its parent

    # the task list's views: Koji's tree (top-level tasks, each followed by its descendants), top level, flat
    tree = web.get(f"tasks?channelID={channel}")
    assert tree.text.index(f'taskID={parent}"') < tree.text.index(f'taskID={child}"')
    assert 'class="child"' in tree.text and "sleep (kid)" in tree.text
    top = web.get(f"tasks?channelID={channel}&view=toplevel")
    assert f'taskID={parent}"' in top.text and f'taskID={child}"' not in top.text
    flat = web.get(f"tasks?channelID={channel}&view=flat&method=sleep&order=id")
    assert "Tasks 1 to 2 of 2" in flat.text and 'class="child"' not in flat.text
    assert "Tasks 1 to 1 of 1" in web.get(f"tasks?channelID={channel}&view=toplevel&method=sleep").text
    assert "No tasks." in web.get(f"tasks?channelID={channel}&method=build").text
    assert web.get(f"tasks?channelID={channel}&view=forest").status_code == 400

    failed = admin.makeTask("sleep", [1], channel=channel)
    admin.assignTask(failed, host_id)
    host.host.openTask(failed)
    host.host.failTask(failed, koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(1000, "it <broke>"), methodresponse=1))
    shown = web.get(f"taskinfo?taskID={failed}")
    assert shown.status_code == 200 and "it &lt;broke&gt;" in shown.text and "failed" in shown.text


def test_bad_input_and_unknown_things_get_pages_that_say_so(web):
    for page, status, words in (
        ("taskinfo?taskID=99999999", 404, "There is no task 99999999."),
        ("taskinfo?taskID=abc", 400, "taskID must be a number, not &#39;abc&#39;."),
        ("taskinfo", 400, "This page needs taskID="),
        ("nosuchpage", 404, "There is no page called"),
        ("static/..%2Fapp.py", 404, "No such file."),  # no way out of the static files
    ):
        answer = web.get(page)
        assert answer.status_code == status, page
        assert words in answer.text, (page, answer.text)
        no_traceback(answer)


def test_the_summary_lists_recent_tasks_and_hosts(admin, web):
    task_id = admin.makeTask("sleep", [1])
    page = web.get("index")
    assert page.status_code == 200 and f'href="/koji/taskinfo?taskID={task_id}"' in page.text
    assert f'href="/koji/taskinfo?taskID={task_id}"' in web.get("").text  # /koji/ is the summary too
    no_traceback(page)
    admin.cancelTask(task_id)


def test_a_hub_that_does_not_answer_gets_a_503_page(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/kojihub"
    process = WebProcess(dead, tmp_path)
    try:
        page = process.get("taskinfo?taskID=1")
        assert page.status_code == 503 and f"The hub at {dead} does not answer." in page.text
        no_traceback(page)
    finally:
        process.proc.send_signal(signal.SIGTERM)
        process.proc.wait(timeout=30)


def test_the_task_list_filters_orders_and_pages(hub, admin, web):
    channel = unique("listchan")
    admin.addChannel(channel)
    host, host_id = channel_builder(hub, admin, channel)
    made = [admin.makeTask("sleep", [i], channel=channel, arch="noarch") for i in range(55)]
    admin.assignTask(made[0], host_id)
    host.host.openTask(made[0])
    base = f"tasks?channelID={channel}&state=active"
    first = web.get(base)
    assert first.status_code == 200 and "Tasks 1 to 50 of 55" in first.text
    newest = made[::-1]
    assert f'taskID={newest[0]}"' in first.text and f'taskID={newest[50]}"' not in first.text
    second = web.get(base + "&start=50")
    assert "Tasks 51 to 55 of 55" in second.text and f'taskID={made[0]}"' in second.text
    oldest = web.get(base + "&order=id")
    assert oldest.text.index(f'taskID={made[0]}"') < oldest.text.index(f'taskID={made[1]}"')
    opened = web.get(f"tasks?channelID={channel}&state=open")
    assert "Tasks 1 to 1 of 1" in opened.text and f'taskID={made[0]}"' in opened.text
    assert "No tasks." in web.get(f"tasks?channelID={channel}&state=failed").text
    by_host = web.get(f"tasks?hostID={admin.getHost(host_id)['name']}&state=all")
    assert f'taskID={made[0]}"' in by_host.text
    for page, status, words in (
        ("tasks?state=sleeping", 400, "Unknown task state"),
        ("tasks?order=request", 400, "cannot be ordered by"),
        ("tasks?start=x", 400, "start must be a number"),
        (f"tasks?channelID={unique('nochan')}", 404, "There is no channel"),
    ):
        answer = web.get(page)
        assert answer.status_code == status and words in answer.text, (page, answer.text)
    for task_id in made:
        admin.cancelTask(task_id)


@pytest.fixture(scope="module")
def imported(hub, tmp_path_factory) -> dict:
    """A real build, imported: a source and a noarch RPM."""
    name = unique("webpkg")
    srpm, rpm = make_package(tmp_path_factory.mktemp("webrpm"), name)
    uploader = ClientSession(hub.url, opts={"max_retries": 0})
    uploader.login(*ADMIN)
    for path in (srpm, rpm):
        area = f"imports/{unique()}"
        upload_file(uploader, path, area)
        uploader.importRPM(area, path.name)
    return {"name": name, "nvr": f"{name}-1.0-1"}


def test_builds_and_build_info(admin, web, imported):
    build = admin.getBuild(imported["nvr"], strict=True)
    listed = web.get(f"builds?prefix={imported['name']}")
    assert listed.status_code == 200 and f'buildID={build["id"]}">{imported["nvr"]}</a>' in listed.text
    for wanted in (str(build["id"]), imported["nvr"]):  # by id, or by N-V-R (kiln's extension)
        page = web.get(f"buildinfo?buildID={wanted}")
        assert page.status_code == 200, wanted
        assert f"<h1>{imported['nvr']}</h1>" in page.text and "complete" in page.text
        assert f"{imported['nvr']}.noarch.rpm" in page.text and f"{imported['nvr']}.src.rpm" in page.text
        no_traceback(page)
    assert "No builds." in web.get(f"builds?prefix={unique('none')}").text
    assert web.get(f"buildinfo?buildID={unique('none')}-1-1").status_code == 404
    assert web.get("buildinfo").status_code == 400
    assert web.get("builds?state=melted").status_code == 400


def test_getfile_shows_a_log_from_an_offset(hub, admin, web, tmp_path):
    host, _host_id, _channel, task_id = open_task(hub, admin, "filechan")
    log = tmp_path / "build.log"
    log.write_bytes(b"first line\n<script>alert(1)</script>\n\xff\xfe not utf-8\n")
    host.uploadWrapper(str(log), f"tasks/{task_id % 10000}/{task_id}", name="build.log")
    page = web.get(f"taskinfo?taskID={task_id}")
    assert f"/koji/getfile?taskID={task_id}&amp;name=build.log" in page.text
    shown = web.get(f"getfile?taskID={task_id}&name=build.log")
    assert shown.status_code == 200 and "first line" in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text and "<script>" not in shown.text
    assert "\ufffd" in shown.text  # bytes that are not UTF-8 are shown replaced, not as an error
    later = web.get(f"getfile?taskID={task_id}&name=build.log&offset=11")
    assert "first line" not in later.text and "alert(1)" in later.text
    assert web.get(f"getfile?taskID={task_id}&name=nothere.log").status_code == 404
    assert web.get(f"getfile?taskID={task_id}").status_code == 400
    admin.cancelTask(task_id)


def test_hosts_channels_users_tags_targets_and_packages(hub, admin, web, imported):
    # free text from the hub, with HTML in it, in every page that shows it
    channel = unique("infochan")
    admin.addChannel(channel, description="<i>channel</i>")
    _host, host_id = channel_builder(hub, admin, channel, capacity=4)
    host_name = admin.getHost(host_id)["name"]
    admin.editHost(host_id, description="<script>host()</script>")
    parent, child = unique("parent"), unique("child")
    admin.createTag(parent, arches="x86_64")
    admin.createTag(child, parent=parent, arches="x86_64")
    target = unique("target")
    admin.createBuildTarget(target, child, parent)
    admin.packageListAdd(parent, imported["name"], owner=ADMIN[0])
    admin.tagBuildBypass(parent, imported["nvr"])

    pages = {
        # the lists are paged, and the shared hub holds other modules' things: newest first
        "hosts?order=-id": [host_name, "&lt;script&gt;host()&lt;/script&gt;"],
        f"hostinfo?hostID={host_id}": [host_name, channel, "0.0 of 4.0", "&lt;script&gt;host()&lt;/script&gt;"],
        f"hostinfo?hostID={host_name}": [host_name],
        f"channelinfo?channelID={channel}": [f"Channel {channel}", "&lt;i&gt;channel&lt;/i&gt;", host_name],
        "users": ["Users 1 to"],
        f"userinfo?userID={ADMIN[0]}": ["admin", "Permissions"],
        "tags?order=-id": [parent, child],
        f"taginfo?tagID={child}": [child, f'href="/koji/taginfo?tagID={admin.getTag(parent)["id"]}"', parent, target],
        f"taginfo?tagID={parent}": [imported["nvr"], imported["name"], child],
        "buildtargets?order=-id": [target],
        f"buildtargetinfo?targetID={target}": [f"Build target {target}", child, parent],
        f"packages?prefix={imported['name']}": [imported["name"]],
        f"packageinfo?packageID={imported['name']}": [parent, imported["nvr"]],
    }
    pages_show(web, pages)
    assert "<script>host()</script>" not in web.get(f"hostinfo?hostID={host_id}").text
    for page in ("hostinfo?hostID=999999", f"taginfo?tagID={unique('none')}", "userinfo?userID=nobody-here",
                 f"channelinfo?channelID={unique('none')}", f"buildtargetinfo?targetID={unique('none')}",
                 f"packageinfo?packageID={unique('none')}"):  # fmt: skip
        assert web.get(page).status_code == 404, page
    assert web.get("taginfo").status_code == 400


def test_rpms_files_build_roots_repos_and_search(hub, admin, web, imported):
    build = admin.getBuild(imported["nvr"], strict=True)
    rpm = next(r for r in admin.listRPMs(buildID=build["id"]) if r["arch"] == "noarch")
    path = f"/usr/share/{imported['name']}/file.txt"
    info = web.get(f"rpminfo?rpmID={rpm['id']}")
    assert info.status_code == 200 and f"{imported['nvr']}.noarch.rpm" in info.text
    assert "Provides" in info.text and f"{imported['name']} = 1.0-1" in info.text and "a kiln test package" in info.text
    assert f"fileinfo?rpmID={rpm['id']}&amp;filename={path}" in info.text
    shown = web.get(f"fileinfo?rpmID={rpm['id']}&filename={path}")
    assert shown.status_code == 200 and path in shown.text and "0o100644" in shown.text and "sha256" in shown.text
    assert web.get(f"fileinfo?rpmID={rpm['id']}&filename=/etc/passwd").status_code == 404
    assert web.get("rpminfo?rpmID=99999999").status_code == 404

    # a build root that holds the RPM, made by a host for a task, on a repo of a tag
    host, host_id, _channel, task_id = open_task(hub, admin, "rootchan")
    tag = unique("roottag")
    admin.createTag(tag, arches="x86_64")
    repo_id, _event = host.host.repoInit(tag)
    admin.repo.setState(repo_id, koji.REPO_STATES["READY"])
    root = host.host.newBuildRoot(repo_id, "x86_64", task_id)
    entry = {k: rpm[k] for k in ("name", "version", "release", "epoch", "arch")}
    host.host.setBuildRootList(root, [entry])
    pages = {
        f"buildrootinfo?buildrootID={root}": [f"Build root {root}", admin.getHost(host_id)["name"], tag],
        f"rpmlist?buildrootID={root}&type=component": [f"rpminfo?rpmID={rpm['id']}"],
        f"rpmlist?buildrootID={root}&type=built": ["None."],
        f"buildroots?repoID={repo_id}": [f"buildrootinfo?buildrootID={root}"],
        f"repoinfo?repoID={repo_id}": [f"Repo {repo_id}", tag, "ready"],
        f"rpminfo?rpmID={rpm['id']}": [f"buildrootinfo?buildrootID={root}"],
        f"search?terms={imported['name']}*&type=package": [
            f"packageinfo?packageID={admin.getPackageID(imported['name'])}"
        ],
        f"search?terms={imported['nvr']}&type=build&match=exact": [f"buildinfo?buildID={build['id']}"],
        "search?terms=nothing-is-called-this&type=tag": ["Nothing matches."],
    }
    pages_show(web, pages)
    for page, status in (
        ("rpmlist?buildrootID=99999999", 404),
        (f"rpmlist?buildrootID={root}&type=eaten", 400),
        ("buildrootinfo?buildrootID=99999999", 404),
        ("repoinfo?repoID=99999999", 404),
        ("search?terms=x&type=planet", 400),
        ("search?terms=x&match=fuzzy", 400),
        ("externalrepoinfo?extrepoID=1", 404),
    ):
        assert web.get(page).status_code == status, page
    admin.cancelTask(task_id)


def test_reports_cluster_health_feed_and_api(hub, admin, web, imported):
    import xml.etree.ElementTree as ET

    _host, host_id, channel, task_id = open_task(hub, admin, "healthchan", capacity=8)
    host_name = admin.getHost(host_id)["name"]
    target = unique("rtarget")
    tag = unique("rtag")
    admin.createTag(tag, arches="x86_64")
    admin.createBuildTarget(target, tag, tag)
    admin.build("git+https://git.example.com/x.git#1", target)

    reports = web.get("reports")
    assert reports.status_code == 200
    for page in ("buildsbyuser", "packagesbyuser", "buildsbystatus", "buildsbytarget", "rpmsbyhost", "tasksbyhost",
                 "tasksbyuser", "clusterhealth"):  # fmt: skip
        assert f'href="/koji/{page}"' in reports.text
        answer = web.get(page)
        assert answer.status_code == 200, (page, answer.text)
        no_traceback(answer)
    assert f'href="/koji/userinfo?userID={admin.getUser(ADMIN[0])["id"]}">admin</a></td><td>' in web.get(
        "buildsbyuser").text  # fmt: skip
    assert 'href="/koji/builds?state=complete">complete</a>' in web.get("buildsbystatus").text
    assert f'href="/koji/buildtargetinfo?targetID={target}">{target}</a></td><td>1</td>' in all_pages(
        web, "buildsbytarget")  # fmt: skip
    assert f'hostinfo?hostID={host_id}">{host_name}</a>' in all_pages(web, "tasksbyhost")
    health = web.get("clusterhealth").text
    assert f'channelinfo?channelID={admin.getChannel(channel)["id"]}">{channel}</a></td><td>1 (1)</td>' in health
    assert web.get("buildsbytarget?days=x").status_code == 400

    feed = web.get("recentbuilds")
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("application/rss+xml")
    items = ET.fromstring(feed.content).findall("./channel/item")
    assert items and any(imported["nvr"] in item.findtext("title") for item in items)
    assert all(
        item.findtext("link").startswith(f"http://127.0.0.1:{web.port}/koji/buildinfo?buildID=") for item in items
    )
    by_package = ET.fromstring(web.get(f"recentbuilds?package={imported['name']}").content)
    assert [i.findtext("title") for i in by_package.findall("./channel/item")] == [f"complete: {imported['nvr']}"]
    assert web.get(f"recentbuilds?user={unique('ghost')}").status_code == 404

    api = web.get("api")
    assert api.status_code == 200 and "getTaskInfo" in api.text and "countAndFilterResults" in api.text
    admin.cancelTask(task_id)


# --- in a real browser: Debian's chromium, driven by Playwright ------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.mark.slow  # a browser, twenty pages at two widths with screenshots
def test_the_main_pages_fit_a_phone_and_a_desktop_and_need_no_javascript(
    hub, admin, web, imported, browser, tmp_path_factory
):
    """1280 and 390 px wide, no horizontal scrolling; screenshots kept as the run's artifacts."""
    import os

    shots = Path(os.environ.get("KILN_TEST_ARTIFACTS") or tmp_path_factory.getbasetemp()) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    task_id = admin.makeTask("sleep", [f"a long argument {'x' * 150}"])
    build = admin.getBuild(imported["nvr"], strict=True)
    pages = {
        "index": "index",
        "tasks": "tasks?state=all",
        "taskinfo": f"taskinfo?taskID={task_id}",
        "builds": "builds",
        "buildinfo": f"buildinfo?buildID={build['id']}",
        "packages": "packages",
        "tags": "tags",
        "hosts": "hosts",
        "reports": "reports",
        "search": f"search?terms={imported['name']}",
    }
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
        page = context.new_page()
        for name, address in pages.items():
            answer = page.goto(web.url(address))
            assert answer is not None and answer.status == 200, (name, width)
            assert page.locator("main h1").count() == 1, (name, width)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{name} is {wide} px wide in a {width} px window"
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        context.close()
    assert len(list(shots.glob("*.png"))) >= 2 * len(pages)
    admin.cancelTask(task_id)


@pytest.mark.slow  # waits for the page's polls, three seconds apart
def test_a_task_page_follows_its_task_and_log_without_a_reload(hub, admin, web, browser, tmp_path):
    """With JavaScript on, the live region of the page is fetched again: state, children, the log's end."""
    from playwright.sync_api import expect

    host, _host_id, channel, task_id = open_task(hub, admin, "livechan")
    log = tmp_path / "build.log"
    log.write_text("the first line\n")
    area = f"tasks/{task_id % 10000}/{task_id}"
    host.uploadWrapper(str(log), area, name="build.log")
    page = browser.new_page()
    page.goto(web.url(f"taskinfo?taskID={task_id}"))
    live = page.locator("section.live")
    assert "open" in live.locator(".state-line").inner_text() and "the first line" in live.inner_text()
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads

    log.write_text("the first line\na line written after the page loaded\n")
    host.uploadWrapper(str(log), area, name="build.log", overwrite=True)
    child = host.host.subtask("sleep", [1], task_id, label="latecomer")
    # (expect polls from Playwright's side: the page's Content-Security-Policy forbids evaluated strings)
    expect(page.locator("pre.tail")).to_contain_text("written after the page loaded", timeout=20_000)
    expect(page.locator(f'section.live a[href="/koji/taskinfo?taskID={child}"]')).to_have_count(1, timeout=20_000)
    admin.cancelTask(child)
    host.host.closeTask(task_id, task_result("done"))
    expect(live).to_have_attribute("data-done", "1", timeout=20_000)
    assert "closed" in live.locator(".state-line").inner_text()
    assert page.evaluate("window.loadedOnce") is True

    # Koji's watchlogs: every log of the tree, and the host list's load moving as the host reports it
    logs = requests.get(web.url(f"watchlogs?taskID={task_id}"), timeout=10)
    assert logs.status_code == 200 and "written after the page loaded" in logs.text
    hosts = browser.new_page()
    hosts.goto(web.url(f"hosts?channel={channel}"))
    assert "0.0 / 2.0" in hosts.locator("section.live").inner_text()
    hosts.evaluate("window.loadedOnce = true")
    host.host.updateHost(1.0, True)
    expect(hosts.locator("section.live")).to_contain_text("1.0 / 2.0", timeout=20_000)
    assert hosts.evaluate("window.loadedOnce") is True
    headers = requests.get(web.url("index"), timeout=10).headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    page.close()
    hosts.close()


@pytest.mark.slow  # a browser; the same actions without one are in test_web_actions, not slow
def test_in_a_browser_the_owner_cancels_with_the_button_and_an_admin_edits_a_host(hub, admin, web, browser):
    from playwright.sync_api import expect

    from tests.conftest import make_user

    owner, password = make_user(hub, admin, perms=("repo",))
    tag = unique("btag")
    admin.createTag(tag)
    session = koji.ClientSession(hub.url, opts={"max_retries": 0})
    session.opts.update(user=owner, password=password)
    session.login()
    task_id = session.newRepo(tag)

    context = browser.new_context()
    page = context.new_page()
    page.goto(web.url(f"taskinfo?taskID={task_id}"))
    assert page.locator("form[action='/koji/canceltask']").count() == 0  # anonymous: no button
    page.goto(web.url(f"login?next=/koji/taskinfo?taskID={task_id}"))
    page.fill("input[name=user]", owner)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("header .viewer")).to_contain_text(owner)
    page.click("form[action='/koji/canceltask'] button")
    expect(page.locator("section.live .state-line")).to_contain_text("canceled")
    assert admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["CANCELED"]
    context.close()

    _host, host_id = channel_builder(hub, admin, unique("bchan"), capacity=2)
    context = browser.new_context()
    page = context.new_page()
    page.goto(web.url("login"))
    page.fill("input[name=user]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.click("button[type=submit]")
    page.goto(web.url(f"hostinfo?hostID={host_id}"))
    page.click("text=Edit")
    page.fill("input[name=capacity]", "6")
    page.click("button:has-text('Save')")
    expect(page.locator("main")).to_contain_text("of 6.0")
    assert admin.getHost(host_id)["capacity"] == 6.0
    context.close()
