"""Every operator in the table has true, false and type-mismatch cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from checker.errors import ExpressionError
from checker.lang.operators import OPERATORS

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.timezone.utc)
HOUR_AGO = NOW - dt.timedelta(hours=1)

# op: (holds, does not hold, type mismatch or None when every type is comparable)
CASES: dict[str, tuple[tuple[Any, Any], tuple[Any, Any], tuple[Any, Any] | None]] = {
    "eq": ((1, 1), (1, 2), None),
    "ne": ((1, 2), (1, 1), None),
    "lt": ((1, 2), (2, 1), ("a", 1)),
    "le": ((2, 2), (3, 2), ("a", 1)),
    "gt": ((3, 2), (2, 3), ("a", 1)),
    "ge": ((2, 2), (1, 2), (None, 1)),
    "in": (("a", ["a", "b"]), ("c", ["a"]), ("a", 5)),
    "not_in": (("c", ["a"]), ("a", ["a"]), ("a", 5)),
    "contains": ((["a", "b"], "a"), (["a"], "z"), (5, "a")),
    "not_contains": ((["a"], "z"), (["a"], "a"), (5, "a")),
    "subset": ((["a"], ["a", "b"]), (["a", "c"], ["a"]), ("a", ["a"])),
    "superset": ((["a", "b"], ["a"]), (["a"], ["a", "b"]), (5, ["a"])),
    "regex": (("SMTP:x@y.com", r"^SMTP:"), ("smtp:x", r"^SMTP:"), (5, "x")),
    "not_regex": (("a b", r"^\S+$"), ("ab", r"^\S+$"), (5, "x")),
    "each_regex": ((["SMTP:a@b.c", "smtp:d@e.f"], "(?i)^smtp:"), (["SMTP:a", "X500:/o"], "(?i)^smtp:"), (5, "x")),
    "each_not_regex": ((["a@b.c"], r"\s"), (["a b@c.d"], r"\s"), ([1], "x")),
    "max_length": ((["ab", "abc"], 3), ("abcd", 3), (["ab"], "3")),
    "exists": (("x", True), (None, True), None),
    "empty": (([], True), (["a"], True), (5, True)),
    "version_eq": (("2.5.79.0", "2.5.79"), ("2.5.79.0", "2.5.80"), ("abc", "1.0")),
    "version_ne": (("1.0", "2.0"), ("1.0.0", "1"), ("x", "1")),
    "version_lt": (("1.1.104.0", "1.1.105.0"), ("1.10.0", "1.9.0"), ("x", "1")),
    "version_le": (("1.1.105.0", "1.1.105.0"), ("2.0", "1.9"), ("x", "1")),
    "version_gt": (("2.5.79.0", "2.4.27.0"), ("1.9", "1.10"), ("x", "1")),
    "version_ge": (("2.5.79.0", "2.5.79.0"), ("1.6.16.0", "2.0.0.0"), ("x", "1")),
    "older_than": ((NOW - dt.timedelta(days=2), "24h"), (HOUR_AGO, "24h"), ("x", "24h")),
    "newer_than": ((HOUR_AGO, "24h"), (NOW - dt.timedelta(days=2), "1d"), (HOUR_AGO, "soon")),
}


def test_every_operator_has_cases() -> None:
    assert set(CASES) == set(OPERATORS)


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_truth_table(name: str) -> None:
    holds, fails, mismatch = CASES[name]
    check = OPERATORS[name].check
    assert check(*holds, NOW) is True
    assert check(*fails, NOW) is False
    if mismatch is not None:
        with pytest.raises(ExpressionError):
            check(*mismatch, NOW)
