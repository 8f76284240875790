"""The web UI's lists at 10,000 items and at none: paged, sorted, with Koji's (prefixed) parameters.

A hub of this module's own holds 10,000 tasks, builds, packages, users,
tags and hosts, one tag lists every package and holds every build, and a
second, empty hub shows every list page with nothing in it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, insert, select

from kiln.hub.db import tables
from kiln.protocol.constants import UserType
from tests.conftest import ADMIN, koji_session, start_hub
from tests.support.hub import HubProcess
from tests.support.web import WebProcess, no_traceback

N = 10_000
pytestmark = pytest.mark.slow  # filling the hub takes ~20 s of the module's ~30


def _many(session, calls: list[tuple]) -> None:
    """Calls in multicalls of 1,000 (each call a write of the hub's own)."""
    for at in range(0, len(calls), 1000):
        with session.multicall(strict=True) as m:
            for method, *args in calls[at : at + 1000]:
                getattr(m, method)(*args)


def _fill_rows(hub: HubProcess, tag_id: int, owner_id: int) -> None:
    """The tag's package list, its builds and the hosts, written as the hub writes them, in bulk.

    packageListAdd, tagBuildBypass and addHost are each tested through the API
    elsewhere; 10,000 of each through it take ~80 s on SQLite, rows take 1.
    """
    engine = create_engine(hub.db_url)
    with engine.begin() as conn:
        event = conn.execute(insert(tables.events).values(time=time.time())).inserted_primary_key[0]
        versioned = {"create_event": event, "creator_id": owner_id, "active": True}
        packages = conn.execute(select(tables.package.c.id).where(tables.package.c.name.like("pkg%"))).scalars()
        package_ids = list(packages)
        conn.execute(
            insert(tables.tag_packages), [{"package_id": p, "tag_id": tag_id, **versioned} for p in package_ids]
        )
        conn.execute(
            insert(tables.tag_package_owners),
            [{"package_id": p, "tag_id": tag_id, "owner": owner_id, **versioned} for p in package_ids],
        )
        builds = list(conn.execute(select(tables.build.c.id)).scalars())
        conn.execute(insert(tables.tag_listing), [{"build_id": b, "tag_id": tag_id, **versioned} for b in builds])
        first_user = conn.execute(select(tables.users.c.id).order_by(tables.users.c.id.desc())).scalar() + 1
        conn.execute(
            insert(tables.users),
            [{"id": first_user + i, "name": f"host{i:05d}", "usertype": UserType.HOST} for i in range(N)],
        )
        conn.execute(
            insert(tables.host),
            [{"user_id": first_user + i, "name": f"host{i:05d}", "ready": i % 2 == 0} for i in range(N)],
        )
        host_ids = list(conn.execute(select(tables.host.c.id).where(tables.host.c.name.like("host%"))).scalars())
        conn.execute(insert(tables.host_config), [{"host_id": h, "arches": "x86_64", **versioned} for h in host_ids])
    engine.dispose()


@pytest.fixture(scope="module")
def big(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("web-lists")
    hub = start_hub(request, "sqlite", tmp)
    admin = koji_session(hub, *ADMIN)
    admin.createTag("everything")
    _many(admin, [("makeTask", "sleep", [i]) for i in range(N)])
    _many(admin, [("createEmptyBuild", f"pkg{i:05d}", "1.0", "1", None) for i in range(N)])
    _many(admin, [("createUser", f"user{i:05d}") for i in range(N)])
    _many(admin, [("createTag", f"tag{i:05d}") for i in range(N)])
    tag_id = admin.getTag("everything")["id"]
    _fill_rows(hub, tag_id, admin.getLoggedInUser()["id"])
    # The hub's planner statistics are gathered again when a builder's check-in finds a table doubled
    # (test_db_raw); this hub has no builders, so a restart gathers them, as on a worker's start.
    hub.restart()
    web = WebProcess(hub.url, tmp)
    yield {"web": web, "admin": admin, "tag_id": tag_id}
    web.stop()


def shown(text: str, noun: str) -> tuple[int, int, int]:
    """The first paging line of a list: (first, last, total)."""
    found = re.search(rf"{noun} (\d+) to (\d+) of (\d+)", text)
    assert found, f"no paging line for {noun}"
    return int(found[1]), int(found[2]), int(found[3])


def test_every_big_list_pages_from_the_first_to_the_last(big):
    web = big["web"]
    lists = {
        "tasks?state=all": ("Tasks", N),
        "builds": ("Builds", N),
        "packages": ("Packages", N),
        f"packages?tagID={big['tag_id']}": ("Packages", N),
        "users": ("Users", N + 1),  # and admin; the hosts. accounts are not listed, as in Koji
        "tags": ("Tags", N + 1),
        "hosts?state=all": ("Hosts", N),
        "builds?tagID=everything&latest=0": ("Builds", N),
        "userinfo?userID=admin": ("Builds", N),
    }
    for page, (noun, total) in lists.items():
        first = web.get(page)
        assert first.status_code == 200, (page, first.text[-500:])
        no_traceback(first)
        assert shown(first.text, noun)[2] == total, page
        assert len(first.content) < 100 * 1024, (page, len(first.content))
        size = shown(first.text, noun)[1]
        last_start = (total - 1) // size * size
        start = "buildStart" if page.startswith("userinfo") else "start"
        last = web.get(f"{page}{'&' if '?' in page else '?'}{start}={last_start}")
        assert last.status_code == 200, page
        assert shown(last.text, noun) == (last_start + 1, total, total), page
        assert 'rel="next"' not in last.text.split(f"{noun} {last_start + 1} to")[1].split("</p>")[0], page
        assert 'rel="prev"' in last.text, page


def test_sorting_goes_both_ways_and_keeps_the_filters(big):
    web = big["web"]
    up = web.get("builds?order=nvr").text
    down = web.get("builds?order=-nvr").text
    assert up.index("pkg00000-1.0-1") < up.index("pkg00001-1.0-1") and "pkg09999-1.0-1" not in up
    assert down.index("pkg09999-1.0-1") < down.index("pkg09998-1.0-1") and "pkg00000-1.0-1" not in down
    # a column's header turns its order round, back on the first page, with the filter kept
    assert 'href="/koji/builds?order=-nvr"' in up
    tasks = web.get("tasks?state=all&order=id&start=100").text
    assert 'href="/koji/tasks?state=all&amp;order=-id"' in tasks
    users = web.get("users?order=-name").text
    assert users.index("user09999") < users.index("user09998")
    hosts = web.get("hosts?state=all&ready=yes&order=-name").text
    assert shown(hosts, "Hosts")[2] == N // 2 and "host09998" in hosts and "host09999" not in hosts


def test_a_page_with_several_lists_pages_each_by_its_own_parameters(big):
    web = big["web"]
    page = web.get(f"taginfo?tagID={big['tag_id']}&packageStart=9990&buildStart=50&buildOrder=nvr")
    assert page.status_code == 200
    text = page.text
    assert shown(text, "Packages") == (9991, N, N)
    assert shown(text, "Builds") == (51, 100, N)
    assert "pkg00050-1.0-1" in text and "pkg00049-1.0-1" not in text
    # paging the builds keeps the packages where they are, and the other way round
    assert f"taginfo?tagID={big['tag_id']}&amp;packageStart=9990&amp;buildStart=100&amp;buildOrder=nvr" in text
    assert f"taginfo?tagID={big['tag_id']}&amp;packageStart=9940&amp;buildStart=50&amp;buildOrder=nvr" in text
    latest_own = web.get(f"taginfo?tagID={big['tag_id']}&latest=1&inherited=0")
    assert shown(latest_own.text, "Builds")[2] == N  # one build of each of 10,000 packages
    for query, words in (
        ("packageStart=x", "packageStart must be a number, not &#39;x&#39;."),
        ("buildOrder=color", "buildOrder is one of"),
        ("latest=maybe", "latest must be one of 1, 0"),
    ):
        answer = web.get(f"taginfo?tagID={big['tag_id']}&{query}")
        assert answer.status_code == 400 and words in answer.text, (query, answer.text[-400:])


@pytest.fixture(scope="module")
def empty(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("web-empty")
    hub = start_hub(request, "sqlite", tmp)
    web = WebProcess(hub.url, tmp)
    yield web
    web.stop()


def test_every_list_page_of_an_empty_hub_says_there_is_nothing(empty):
    pages = {
        "index": "No tasks yet.",
        "tasks": "No tasks.",
        "builds": "No builds.",
        "packages": "No packages.",
        "tags": "No tags.",
        "buildtargets": "No build targets.",
        "hosts?state=all": "No hosts.",
        "buildroots": "No build roots.",
        "search?terms=x": "Nothing matches.",
        "buildsbyuser": "Nothing to count yet.",
        "tasksbyhost": "Nothing to count yet.",
        "buildsbytarget": "Nothing to count yet.",
        "clusterhealth": "Cluster health",
        "userinfo?userID=admin": "None.",
    }
    for page, words in pages.items():
        answer = empty.get(page)
        assert answer.status_code == 200, (page, answer.text[-400:])
        no_traceback(answer)
        assert words in answer.text, page
