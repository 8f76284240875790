"""The parameter types the dispatcher checks before a method runs (hub/argtypes.py)."""

from __future__ import annotations

from typing import Any

import pytest

from kiln.hub.argtypes import ID_MAX, Checks, Id, IdOrName, QueryOpts, Ref, checker
from kiln.protocol import errors


@pytest.mark.parametrize(
    ("hint", "good", "bad"),
    [
        (Id, [1, -1, 0, ID_MAX, True, "12", " 7"], [ID_MAX + 1, -ID_MAX - 2, "x", "1" * 40, 1.0, None, [1]]),
        (int, [2**63 - 1, -(2**63)], [2**63, "1", None]),
        (float, [1, 1.5, -0.0], [float("nan"), float("inf"), "1.5", None]),
        (str, ["", "x" * 1000], ["a\x00b", 1, None, b"x"]),
        (bool, [None, 0, "x", [], {}, True], [2**64, ["a\x00"]]),
        (dict, [{}, {"a": [1]}], [[], "x", {"a": 2**64}]),
        (list, [[], (1, 2), [[1]]], [{}, "x", [2**64]]),
        (IdOrName, [1, "x"], [2**31, 1.5, {}, None]),
        (Ref, [1, "x", {"id": 1}], [2**40, [1], None]),
        (Id | None, [None, 5], ["x"]),
        (dict | None, [None, {}], [[]]),
        (QueryOpts | None, [None, {}, {"order": "-id", "limit": 5, "offset": 0, "countOnly": True}],
         [{"limit": -1}, {"offset": 2**63}, {"order": 1}, {"bogus": 1}, []]),
        (Any, [None, 1, "x", [1, {"a": "b"}]], [2**64, -(2**63) - 1, "\x00", float("nan"), {"k": [2**70]}]),
    ],
)  # fmt: skip
def test_each_type_takes_what_it_names(hint: Any, good: list, bad: list) -> None:
    check = checker(hint)
    for value in good:
        assert check(value) is None, value
    for value in bad:
        assert check(value) is not None, value


def _method(ctx: object, tag: IdOrName, event: Id | None = None, *rest: int, **opts: Any) -> None:
    pass


def test_a_bad_argument_is_a_parameter_error_naming_it() -> None:
    checks = Checks(_method)
    checks.args(("build",), {"event": 5})
    checks.args((1, None, 3, 4), {"x": "y"})
    with pytest.raises(
        errors.ParameterError, match=r"_method\(\): event must be an id .* or nothing \(nil\), not \['x'\]"
    ):
        checks.args(("build", ["x"]), {})
    with pytest.raises(errors.ParameterError, match=r"tag must be"):
        checks.args((), {"tag": 2**40})
    with pytest.raises(errors.ParameterError, match=r"argument 3 must be a number within 64 bits"):
        checks.args((1, 2, 2**64), {})
    with pytest.raises(errors.ParameterError, match=r"x must be"):
        checks.args((1,), {"x": 2**64})
    long = "y" * 500
    with pytest.raises(errors.ParameterError) as info:
        checks.args((1, long), {})
    assert len(str(info.value)) < 200  # the value is shown shortened
    assert isinstance(checks.bound({"tag": 1, "event": "x"}), errors.ParameterError)
    assert checks.bound({"tag": 1, "event": None}) is None


def test_unknown_and_surplus_arguments_are_left_to_the_call() -> None:
    def two(ctx: object, a: int) -> None:
        pass

    checks = Checks(two)
    checks.args((1, 2, 3), {})  # too many: Python's TypeError names it when the method is called
    checks.args((), {"nope": 1})
