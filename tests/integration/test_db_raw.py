"""The hub's raw statements (db/raw.py) on real SQLite and PostgreSQL.

The end-of-request bookkeeping (``run_then_commit``) and the hot writes
(``RawWrite``) bypass SQLAlchemy's execution; these tests hold them to what
Core would have done: all or nothing, the request marked as one that wrote,
a read-only request refused, and only numbers ever written into SQL text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, Table, Text, bindparam, insert, select
from sqlalchemy.engine import Connection, Engine

from kiln.hub.db.engine import make_engine
from kiln.hub.db.raw import RawSelect, RawWrite, SelectCache, Where, run_then_commit

meta = MetaData()
items = Table(
    "items",
    meta,
    Column("id", Integer, primary_key=True),
    Column("name", Text),
    Column("score", Float),
    Column("count", Integer),
)
_ADD = RawWrite(
    insert(items).values(name=bindparam("name"), score=bindparam("score") * 2.0, count=0).returning(items.c.id)
)
_BUMP = "UPDATE items SET count = count + :by, score = :score WHERE id = :id"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    meta.create_all(engine)
    yield engine
    engine.dispose()


def _request(engine: Engine, write: bool) -> Connection:
    """A connection begun the way Context.conn begins a request's."""
    conn = engine.connect()
    conn.info["write"] = write
    conn.info["wrote"] = False
    conn.begin()
    return conn


def _rows(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(items).order_by(items.c.id))]


def test_a_raw_write_inserts_with_core_literals_and_marks_the_request(engine):
    conn = _request(engine, write=True)
    found = _ADD.one(conn, {"name": "a", "score": 1.5})
    assert conn.info["wrote"] is True
    conn.commit()
    conn.close()
    assert _rows(engine) == [(found["id"], "a", 3.0, 0)]


def test_a_raw_write_in_a_read_only_request_is_refused(engine):
    conn = _request(engine, write=False)
    with pytest.raises(RuntimeError, match="declared read-only"):
        _ADD.one(conn, {"name": "a", "score": 1.0})
    conn.rollback()
    conn.close()
    assert _rows(engine) == []


def test_bookkeeping_runs_and_commits_with_the_request(engine):
    conn = _request(engine, write=True)
    new_id = _ADD.one(conn, {"name": "b", "score": 1.0})["id"]
    run_then_commit(
        conn, [(_BUMP, {"by": 2, "score": 0.25, "id": new_id}), (_BUMP, {"by": 3, "score": None, "id": new_id})]
    )
    conn.commit()  # what Context.finish does next: nothing left to send
    conn.close()
    assert _rows(engine) == [(new_id, "b", None, 5)]


def test_bookkeeping_alone_opens_and_commits_its_own_transaction(engine):
    with engine.begin() as setup:
        setup.execute(insert(items).values(id=7, name="c", score=0.0, count=0))
    conn = _request(engine, write=True)  # nothing sent yet: BEGIN still pending on PostgreSQL
    run_then_commit(conn, [(_BUMP, {"by": 1, "score": 1.0, "id": 7})])
    conn.commit()
    conn.close()
    assert _rows(engine) == [(7, "c", 1.0, 1)]


def test_a_failing_bookkeeping_statement_leaves_nothing_behind(engine):
    conn = _request(engine, write=True)
    _ADD.one(conn, {"name": "d", "score": 1.0})
    with pytest.raises(Exception, match="(?i)no such column|does not exist"):
        run_then_commit(conn, [(_BUMP, {"by": 1, "score": 1.0, "id": 1}), ("UPDATE items SET nope = :n", {"n": 1})])
    conn.rollback()
    conn.close()
    assert _rows(engine) == []


@pytest.mark.parametrize("value", ["1; DROP TABLE items", b"1", float("nan"), float("inf"), [1]])
def test_only_numbers_are_written_into_bookkeeping_sql(engine, value):
    with engine.begin() as setup:
        setup.execute(insert(items).values(id=1, name="e", score=0.0, count=0))
    conn = _request(engine, write=True)
    with pytest.raises(TypeError, match="only finite numbers"):
        run_then_commit(conn, [(_BUMP, {"by": value, "score": 0.0, "id": 1})])
    conn.rollback()
    conn.close()
    assert _rows(engine) == [(1, "e", 0.0, 0)]


def test_undo_work_runs_only_when_the_request_does_not_commit(db_url, tmp_path):
    from kiln.hub.config import Settings
    from kiln.hub.context import Context
    from kiln.hub.db import migrate
    from kiln.hub.plugins import Plugins

    engine = make_engine(db_url)
    migrate.upgrade(engine)
    seen: list[str] = []
    for commit in (True, False):
        ctx = Context(engine, Settings(), Plugins([]))
        ctx.write = True
        ctx.event_id()  # something written
        ctx.on_rollback(lambda c=commit: seen.append(f"undo {c}"))
        ctx.on_commit(lambda c=commit: seen.append(f"after commit {c}"))
        ctx.finish(commit)
    assert seen == ["after commit True", "undo False"]
    engine.dispose()


def test_sqlite_statistics_are_stale_once_a_table_has_doubled(request, tmp_path):
    """Statistics of a nearly empty database planned a 10,000-build list at 44 s: the sweep gathers them
    again as soon as a growing table has more than doubled (by a thousand rows at least)."""
    from kiln.hub.db import tables
    from kiln.hub.db.engine import gather_statistics, statistics_stale
    from tests.conftest import hub_db_url

    engine = make_engine(hub_db_url("sqlite", request, tmp_path))
    gather_statistics(engine)
    with engine.begin() as conn:
        assert not statistics_stale(conn)
        conn.execute(insert(tables.package), [{"name": f"grown{i}"} for i in range(900)])
        assert not statistics_stale(conn)  # a few hundred rows more plan the same
        conn.execute(insert(tables.package), [{"name": f"more{i}"} for i in range(600)])
        assert statistics_stale(conn)
    gather_statistics(engine)
    with engine.begin() as conn:
        assert not statistics_stale(conn)
    engine.dispose()


# -- the hot reads: RawSelect, Where, SelectCache ------------------------------

flags = Table(
    "flags",
    meta,
    Column("id", Integer, primary_key=True),
    Column("name", Text),
    Column("on", Boolean),
    Column("doc", JSON),
)


def _fill_flags(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(flags),
            [
                {"id": 1, "name": "a_b", "on": True, "doc": {"k": [1, 2]}},
                {"id": 2, "name": "axb", "on": False, "doc": None},
                {"id": 3, "name": "c%d", "on": None, "doc": {"k": "v"}},
            ],
        )


def test_raw_select_gives_what_core_gives(engine):
    """Values come back converted as Core converts them (bools, JSON), on both engines, outside a transaction."""
    _fill_flags(engine)
    by_id = RawSelect(select(flags).where(flags.c.id == bindparam("id")))
    every = RawSelect(select(flags.c.id, flags.c.on, flags.c.doc).order_by(flags.c.id))
    with engine.connect() as conn:
        core = [
            dict(r._mapping) for r in conn.execute(select(flags.c.id, flags.c.on, flags.c.doc).order_by(flags.c.id))
        ]
        conn.rollback()
        conn.info["write"] = False
        assert every.all(conn, {}) == core
        assert by_id.one(conn, {"id": 1}) == {"id": 1, "name": "a_b", "on": True, "doc": {"k": [1, 2]}}
        assert by_id.one(conn, {"id": 99}) is None
    with pytest.raises(ValueError, match="expanding"):
        RawSelect(select(flags).where(flags.c.id.in_(bindparam("ids", expanding=True))))._for(conn)


@pytest.mark.parametrize(
    ("tests", "expected"),
    [
        ([(flags.c.id, "in", [1, 3])], [1, 3]),
        ([(flags.c.id, "in", [])], []),
        ([(flags.c.id, "not in", [])], [1, 2, 3]),
        ([(flags.c.id, "not in", [2]), (flags.c.id, ">", 1)], [3]),
        ([(flags.c.on, "is null")], [3]),
        ([(flags.c.on, "is not null"), (flags.c.id, "!=", 1)], [2]),
        ([(flags.c.name, "prefix", "a_")], [1]),  # the _ is a letter here, not a wildcard
        ([(flags.c.name, "prefix", "c%")], [3]),
        ([(flags.c.name, "like", "a_b")], [1, 2]),
        ([(flags.c.id, "=", 2)], [2]),
        ([(flags.c.id, "<", 2)], [1]),
    ],
)
def test_where_filters_as_core_would_and_shares_one_statement_per_shape(engine, tests, expected):
    _fill_flags(engine)
    cache = SelectCache(size=2)
    built = []

    def query(where: Where):
        built.append(where.key)
        return select(flags.c.id).where(*where.clauses()).order_by(flags.c.id)

    with engine.connect() as conn:
        conn.info["write"] = False
        for _ in range(2):  # the second time the cached statement answers, with the values as parameters
            where = Where()
            for test in tests:
                where.add(*test)
            rows = cache.get(where.key, lambda where=where: query(where)).rows(conn, where.params)[1]
            assert [r[0] for r in rows] == expected
    assert len(built) == 1


def test_select_cache_forgets_past_its_size():
    cache = SelectCache(size=2)
    made = [cache.get(key, lambda: select(flags.c.id)) for key in ("a", "b", "c")]
    assert cache.get("c", lambda: select(flags.c.name)) is made[2]
    assert cache.get("a", lambda: select(flags.c.name)) is not made[0]
    with pytest.raises(ValueError, match="unknown operator"):
        Where().add(flags.c.id, "~", 1)
