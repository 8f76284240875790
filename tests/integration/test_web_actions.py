"""Logging in to the web UI and acting there: a signed cookie, CSRF-checked POSTs, the hub deciding.

Real hub and kiln-web processes; the visitor is a requests.Session, as a
browser keeps its cookies.  A button is shown only to whom the hub would
allow; a forged form (no token, another visitor's token, a tampered
cookie) changes nothing.
"""

from __future__ import annotations

import re

import koji
import pytest
import requests

from tests.conftest import ADMIN, channel_builder, make_user, unique
from tests.support.hub import HubProcess
from tests.support.web import WebProcess, no_traceback

FREE, CANCELED = koji.TASK_STATES["FREE"], koji.TASK_STATES["CANCELED"]


@pytest.fixture(scope="module")
def hub(sqlite_hub: HubProcess) -> HubProcess:
    return sqlite_hub


def visit(web: WebProcess, user: str, password: str) -> requests.Session:
    """A browser logged in as ``user``."""
    browser = requests.Session()
    answer = browser.post(web.url("login"), data={"user": user, "password": password}, allow_redirects=False)
    assert answer.status_code == 303, answer.text
    return browser


def token(page: requests.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "no form on the page"
    return found[1]


def test_logging_in_sets_a_signed_http_only_cookie_and_logging_out_ends_the_hub_session(hub, admin, web):
    # A password long enough not to turn up by chance in the cookie's signature ("pw" once did).
    name, password = make_user(hub, admin, password="correct-horse-battery")
    form = requests.get(web.url("login"), timeout=10)
    assert form.status_code == 200 and 'type="password"' in form.text
    wrong = requests.post(web.url("login"), data={"user": name, "password": "nope"}, allow_redirects=False)
    assert wrong.status_code == 401 and "do not match an account" in wrong.text and "Set-Cookie" not in wrong.headers
    browser = requests.Session()
    answer = browser.post(
        web.url("login"), data={"user": name, "password": password, "next": "/koji/tasks"}, allow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/koji/tasks"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and password not in cookie
    page = browser.get(web.url("index"))
    assert f">{name}</a>" in page.text and "Log out" in page.text
    # elsewhere than this site after logging in: never
    away = requests.post(
        web.url("login"), data={"user": name, "password": password, "next": "https://evil.example/"},
        allow_redirects=False,
    )  # fmt: skip
    assert away.headers["Location"] == "/koji/index"

    # a tampered cookie is nobody's
    forged = requests.Session()
    value = cookie.split(";")[0].split("=", 1)[1]
    payload, mac = value.rsplit(".", 1)
    forged.cookies.set("kiln_session", f"{payload}.{mac[:-2]}xx")
    assert "Log in" in forged.get(web.url("index")).text and f">{name}</a>" not in forged.get(web.url("index")).text

    logout = browser.post(web.url("logout"), data={"csrf": token(page)}, allow_redirects=False)
    assert logout.status_code == 303 and "Max-Age=0" in logout.headers["Set-Cookie"]
    # the hub session is over: the old cookie, replayed, is anonymous
    replay = requests.Session()
    replay.cookies.set("kiln_session", value)
    assert "Log in" in replay.get(web.url("index")).text


def test_the_owner_cancels_a_task_with_the_button_and_forged_forms_change_nothing(hub, admin, web):
    owner, owner_pw = make_user(hub, admin, perms=("repo",))  # a task of their own: newRepo needs repo
    other, other_pw = make_user(hub, admin)
    tag = unique("acttag")
    admin.createTag(tag)
    owner_session = koji.ClientSession(hub.url, opts={"max_retries": 0})
    owner_session.opts.update(user=owner, password=owner_pw)
    owner_session.login()
    task_id = owner_session.newRepo(tag)
    page = f"taskinfo?taskID={task_id}"

    anonymous = requests.get(web.url(page), timeout=10)
    assert 'action="/koji/canceltask"' not in anonymous.text
    stranger = visit(web, other, other_pw)
    stranger_page = stranger.get(web.url(page))
    assert 'action="/koji/canceltask"' not in stranger_page.text  # the hub would not let them
    mine = visit(web, owner, owner_pw)
    my_page = mine.get(web.url(page))
    assert 'action="/koji/canceltask"' in my_page.text

    for who, data, status, words in (
        (requests.Session(), {"taskID": task_id}, 403, "Log in first"),
        (mine, {"taskID": task_id}, 403, "not made for you"),
        (mine, {"taskID": task_id, "csrf": token(stranger_page)}, 403, "not made for you"),
        (stranger, {"taskID": task_id, "csrf": token(stranger_page)}, 403, "The hub refused"),
    ):
        answer = who.post(web.url("canceltask"), data=data, allow_redirects=False)
        assert answer.status_code == status and words in answer.text, (data, answer.text[-500:])
        no_traceback(answer)
        assert admin.getTaskInfo(task_id)["state"] == FREE

    done = mine.post(web.url("canceltask"), data={"taskID": task_id, "csrf": token(my_page)})
    assert done.status_code == 200 and done.url.endswith(page) and "canceled" in done.text
    assert admin.getTaskInfo(task_id)["state"] == CANCELED
    again = mine.get(web.url(page))
    assert 'action="/koji/resubmittask"' in again.text and 'action="/koji/canceltask"' not in again.text
    resubmitted = mine.post(web.url("resubmittask"), data={"taskID": task_id, "csrf": token(again)})
    new_id = int(re.search(r"taskID=(\d+)$", resubmitted.url)[1])
    assert new_id != task_id and admin.getTaskInfo(new_id)["state"] == FREE
    admin.cancelTask(new_id)


def test_an_admin_frees_a_task_sets_its_priority_and_edits_a_host(hub, admin, web):
    channel = unique("actchan")
    admin.addChannel(channel)
    host, host_id = channel_builder(hub, admin, channel, capacity=2)
    task_id = admin.makeTask("sleep", [60], channel=channel)
    admin.assignTask(task_id, host_id)
    host.host.openTask(task_id)
    boss = visit(web, *ADMIN)
    page = boss.get(web.url(f"taskinfo?taskID={task_id}"))
    assert 'action="/koji/freetask"' in page.text and 'action="/koji/taskpriority"' in page.text
    boss.post(web.url("taskpriority"), data={"taskID": task_id, "priority": "5", "csrf": token(page)})
    assert admin.getTaskInfo(task_id)["priority"] == 5
    bad = boss.post(web.url("taskpriority"), data={"taskID": task_id, "priority": "soon", "csrf": token(page)})
    assert bad.status_code == 400 and "whole number" in bad.text
    boss.post(web.url("freetask"), data={"taskID": task_id, "csrf": token(page)})
    assert admin.getTaskInfo(task_id)["state"] == FREE

    form = boss.get(web.url(f"hostedit?hostID={host_id}"))
    assert form.status_code == 200 and 'name="capacity"' in form.text and channel in form.text
    saved = boss.post(
        web.url("hostedit"),
        data={"hostID": host_id, "capacity": "7.5", "arches": "x86_64 aarch64", "channels": f"{channel} createrepo",
              "description": "<b>big</b> box", "comment": "", "csrf": token(form)},
    )  # fmt: skip
    assert saved.status_code == 200 and "&lt;b&gt;big&lt;/b&gt; box" in saved.text
    edited = admin.getHost(host_id)
    assert (edited["capacity"], edited["arches"]) == (7.5, "x86_64 aarch64")
    assert sorted(c["name"] for c in admin.listChannels(hostID=host_id)) == sorted([channel, "createrepo"])
    disabled = boss.post(web.url("disablehost"), data={"hostID": host_id, "csrf": token(form)})
    assert disabled.status_code == 200 and not admin.getHost(host_id)["enabled"]
    boss.post(web.url("enablehost"), data={"hostID": host_id, "csrf": token(form)})
    assert admin.getHost(host_id)["enabled"]

    # an ordinary user sees no edit link, gets no form, and a forged POST is refused by the hub
    name, password = make_user(hub, admin)
    user = visit(web, name, password)
    info = user.get(web.url(f"hostinfo?hostID={host_id}"))
    assert "hostedit?hostID=" not in info.text
    assert user.get(web.url(f"hostedit?hostID={host_id}")).status_code == 403
    refused = user.post(web.url("hostedit"), data={"hostID": host_id, "capacity": "1", "csrf": token(info)})
    assert refused.status_code == 403 and "The hub refused" in refused.text
    assert admin.getHost(host_id)["capacity"] == 7.5
    admin.cancelTask(task_id)


def test_a_finished_build_has_nothing_to_cancel(hub, admin, web):
    build_id = admin.createEmptyBuild(unique("finished"), "1.0", "1", None)
    boss = visit(web, *ADMIN)
    page = boss.get(web.url(f"buildinfo?buildID={build_id}"))
    assert page.status_code == 200 and 'action="/koji/cancelbuild"' not in page.text  # complete: no button
    forged = boss.post(web.url("cancelbuild"), data={"buildID": build_id, "csrf": token(page)})
    assert forged.status_code == 409 and "nothing to cancel" in forged.text
    assert admin.getBuild(build_id)["state"] == koji.BUILD_STATES["COMPLETE"]


def test_tags_targets_and_package_lists_are_edited_by_those_with_the_permission(hub, admin, web):
    tagger, tagger_pw = make_user(hub, admin, perms=("tag", "target"))
    editor = visit(web, tagger, tagger_pw)
    tags_page = editor.get(web.url("tags"))
    assert 'href="/koji/tagcreate"' in tags_page.text
    form = editor.get(web.url("tagcreate"))
    assert form.status_code == 200 and 'action="/koji/tagcreate"' in form.text
    parent, child = unique("wparent"), unique("wchild")
    made = editor.post(web.url("tagcreate"), data={"name": parent, "arches": "x86_64", "csrf": token(form)})
    assert made.status_code == 200 and f"<h1>{parent}</h1>" in made.text
    editor.post(web.url("tagcreate"), data={"name": child, "parent": parent, "csrf": token(form)})
    assert [link["name"] for link in admin.getInheritanceData(child)] == [parent]
    tag_id = admin.getTag(parent)["id"]
    edited = editor.post(
        web.url("tagedit"),
        data={"tagID": tag_id, "name": parent, "arches": "x86_64 aarch64", "locked": "1", "csrf": token(form)},
    )
    assert edited.status_code == 200 and admin.getTag(parent)["arches"] == "x86_64 aarch64"
    assert admin.getTag(parent)["locked"]
    admin.editTag2(parent, locked=False)

    package = unique("wpkg")
    page = editor.post(
        web.url("packagelistadd"), data={"tagID": tag_id, "package": package, "csrf": token(form)}
    )  # fmt: skip
    assert page.status_code == 200 and package in page.text
    [entry] = admin.listPackages(tagID=parent, pkgID=package)
    assert entry["owner_name"] == tagger  # the one who added it, unless another owner is named
    editor.post(web.url("packagelistblock"), data={"tagID": tag_id, "package": package, "csrf": token(form)})
    assert admin.listPackages(tagID=parent, pkgID=package)[0]["blocked"]
    editor.post(web.url("packagelistremove"), data={"tagID": tag_id, "package": package, "csrf": token(form)})
    assert admin.listPackages(tagID=parent, pkgID=package) == []

    target, renamed = unique("wtarget"), unique("wrenamed")
    editor.post(
        web.url("buildtargetcreate"),
        data={"name": target, "buildTag": child, "destTag": parent, "csrf": token(form)},
    )  # fmt: skip
    target_id = admin.getBuildTarget(target)["id"]
    editor.post(
        web.url("buildtargetedit"),
        data={"targetID": target_id, "name": renamed, "buildTag": child, "destTag": child, "csrf": token(form)},
    )  # fmt: skip
    assert (
        admin.getBuildTarget(target_id)["name"] == renamed and admin.getBuildTarget(target_id)["dest_tag_name"] == child
    )
    gone = editor.post(web.url("buildtargetdelete"), data={"targetID": target_id, "csrf": token(form)})
    assert gone.url.endswith("/koji/buildtargets") and admin.getBuildTarget(target_id) is None
    deleted = editor.post(web.url("tagdelete"), data={"tagID": admin.getTag(child)["id"], "csrf": token(form)})
    assert deleted.url.endswith("/koji/tags") and admin.getTag(child) is None

    # without the permission: no links, no forms, and the hub refuses a forged POST
    name, password = make_user(hub, admin)
    user = visit(web, name, password)
    page = user.get(web.url(f"taginfo?tagID={tag_id}"))
    assert "tagedit?tagID=" not in page.text and 'action="/koji/packagelistadd"' not in page.text
    assert user.get(web.url("tagcreate")).status_code == 403
    assert user.get(web.url("buildtargetcreate")).status_code == 403
    refused = user.post(web.url("tagdelete"), data={"tagID": tag_id, "csrf": token(page)})
    assert refused.status_code == 403 and "The hub refused" in refused.text and admin.getTag(parent)
    missing = editor.post(web.url("tagcreate"), data={"name": "", "csrf": token(form)})
    assert missing.status_code == 400 and "This form needs the new tag" in missing.text


@pytest.mark.slow  # the build task's package is made with rpmbuild
def test_the_owner_cancels_a_building_build_with_the_button(hub, admin, web, tmp_path):
    from tests.integration.test_build_imports import Run

    channel = unique("bcchan")
    admin.addChannel(channel)
    run = Run(hub, admin, channel, tmp_path)
    build_id = run.host.host.initBuild(run.data())
    assert admin.getBuild(build_id)["state"] == koji.BUILD_STATES["BUILDING"]
    anonymous = requests.get(web.url(f"buildinfo?buildID={build_id}"), timeout=10)
    assert 'action="/koji/cancelbuild"' not in anonymous.text
    owner = visit(web, run.user_name, "pw")  # make_user's password
    page = owner.get(web.url(f"buildinfo?buildID={build_id}"))
    assert 'action="/koji/cancelbuild"' in page.text
    done = owner.post(web.url("cancelbuild"), data={"buildID": build_id, "csrf": token(page)})
    assert done.status_code == 200 and done.url.endswith(f"buildinfo?buildID={build_id}") and "canceled" in done.text
    assert admin.getBuild(build_id)["state"] == koji.BUILD_STATES["CANCELED"]
