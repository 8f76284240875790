"""domain/shapes.Shape: rows into Koji's dicts, keys sorted, conversions and derived keys applied."""

from __future__ import annotations

from kiln.hub.domain.shapes import Shape


def test_shape_sorts_keys_converts_derives_and_drops():
    shape = Shape(
        ["state", "id", "flag", "secret"],
        convert={"flag": bool},
        derived={"label": lambda row: f"#{row['id']}:{row['flag']}"},
        drop=["secret"],
    )
    assert shape.keys == ("flag", "id", "label", "state")
    row = shape.one((2, 7, 1, "x"))
    assert row == {"flag": True, "id": 7, "label": "#7:True", "state": 2}
    assert list(row) == ["flag", "id", "label", "state"]
    assert shape.one({"state": 0, "id": 1, "flag": 0, "secret": "y"}) == {
        "flag": False,
        "id": 1,
        "label": "#1:False",
        "state": 0,
    }
    assert shape.all([]) == []


def test_shape_times_copies_and_constants_and_rows_as_dicts():
    shape = Shape(
        ["when", "id"],
        copy={"when_ts": "when", "also_id": "id"},
        times={"when": "when"},
        const={"nothing": None},
    )
    assert shape.keys == ("also_id", "id", "nothing", "when", "when_ts")
    row = shape.one((0.0, 3))
    assert row == {"also_id": 3, "id": 3, "nothing": None, "when": "1970-01-01 00:00:00+00:00", "when_ts": 0.0}
    assert shape.one((None, 4))["when"] is None
    assert shape.all([{"id": 5, "when": None}, (None, 6)]) == [
        {"also_id": 5, "id": 5, "nothing": None, "when": None, "when_ts": None},
        {"also_id": 6, "id": 6, "nothing": None, "when": None, "when_ts": None},
    ]
