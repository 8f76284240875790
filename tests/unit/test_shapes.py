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
