"""The operator table. Adding an operator is one entry; tests iterate over the table.

Each operator takes (actual, expected, now) and returns a bool. A type mismatch raises
ExpressionError, which the engine reports as an `error` row, never a silent False.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Sized
from dataclasses import dataclass
from typing import Any

from checker.errors import ExpressionError
from checker.lang.values import as_datetime, parse_duration, version_tuple

Check = Callable[[Any, Any, dt.datetime], bool]


@dataclass(frozen=True)
class Operator:
    name: str
    check: Check
    doc: str
    value_schema: dict[str, Any]


def _ordered(fn: Callable[[Any, Any], bool]) -> Check:
    def check(actual: Any, expected: Any, now: dt.datetime) -> bool:
        if actual is None:
            raise ExpressionError("actual value is null; cannot compare")
        try:
            return fn(actual, expected)
        except TypeError as e:
            raise ExpressionError(f"cannot compare {_kind(actual)} with {_kind(expected)}") from e

    return check


def _kind(value: Any) -> str:
    return type(value).__name__


def _collection(value: Any, op: str) -> Any:
    if isinstance(value, (list, tuple, set, frozenset, str, dict)):
        return value
    raise ExpressionError(f"{op} needs a list or string, got {_kind(value)}")


def _as_set(value: Any, op: str) -> set[Any]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return set(value)
    raise ExpressionError(f"{op} needs a list, got {_kind(value)}")


@functools.lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ExpressionError(f"invalid regular expression {pattern!r}: {e}") from e


def _regex(actual: Any, pattern: Any) -> bool:
    if not isinstance(actual, str):
        raise ExpressionError(f"regex needs a string, got {_kind(actual)}")
    return _pattern(str(pattern)).search(actual) is not None


def _strings(value: Any, op: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ExpressionError(f"{op} needs a string or a list of strings, got {_kind(value)}")


def _each(match: bool) -> Check:
    """Every element (of a list, or the one string) matches / none matches the regex."""

    def check(actual: Any, pattern: Any, now: dt.datetime) -> bool:
        values = _strings(actual, "each_regex" if match else "each_not_regex")
        return all(_regex(v, pattern) is match for v in values)

    return check


def _max_length(actual: Any, limit: Any, now: dt.datetime) -> bool:
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise ExpressionError(f"max_length needs a whole number, got {limit!r}")
    return all(len(v) <= limit for v in _strings(actual, "max_length"))


def _version(fn: Callable[[tuple[int, ...], tuple[int, ...]], bool]) -> Check:
    return lambda a, e, now: fn(version_tuple(a), version_tuple(e))


def _age(newer: bool) -> Check:
    def check(actual: Any, expected: Any, now: dt.datetime) -> bool:
        moment = as_datetime(actual)
        age = now - moment
        limit = parse_duration(expected)
        return age < limit if newer else age > limit

    return check


def _empty(actual: Any, expected: Any, now: dt.datetime) -> bool:
    if actual is not None and not isinstance(actual, Sized):
        raise ExpressionError(f"empty needs a list or string, got {_kind(actual)}")
    return (not actual) == bool(expected)


_ANY: dict[str, Any] = {}
_LIST = {"type": "array"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_VERSION = {"type": ["string", "number"]}

_TABLE = [
    Operator("eq", lambda a, e, n: a == e, "actual equals value", _ANY),
    Operator("ne", lambda a, e, n: a != e, "actual differs from value", _ANY),
    Operator("lt", _ordered(lambda a, e: a < e), "actual < value", _ANY),
    Operator("le", _ordered(lambda a, e: a <= e), "actual <= value", _ANY),
    Operator("gt", _ordered(lambda a, e: a > e), "actual > value", _ANY),
    Operator("ge", _ordered(lambda a, e: a >= e), "actual >= value", _ANY),
    Operator("in", lambda a, e, n: a in _collection(e, "in"), "actual is one of value", _LIST),
    Operator(
        "not_in", lambda a, e, n: a not in _collection(e, "not_in"), "actual is not in value", _LIST
    ),
    Operator(
        "contains", lambda a, e, n: e in _collection(a, "contains"), "value is in actual", _ANY
    ),
    Operator(
        "not_contains",
        lambda a, e, n: e not in _collection(a, "not_contains"),
        "value is not in actual",
        _ANY,
    ),
    Operator(
        "subset",
        lambda a, e, n: _as_set(a, "subset") <= _as_set(e, "subset"),
        "every element of actual is in value",
        _LIST,
    ),
    Operator(
        "superset",
        lambda a, e, n: _as_set(a, "superset") >= _as_set(e, "superset"),
        "every element of value is in actual",
        _LIST,
    ),
    Operator("regex", lambda a, e, n: _regex(a, e), "actual matches the regex", _STR),
    Operator("not_regex", lambda a, e, n: not _regex(a, e), "actual does not match", _STR),
    Operator("each_regex", _each(True), "every value (of a list) matches the regex", _STR),
    Operator("each_not_regex", _each(False), "no value (of a list) matches the regex", _STR),
    Operator("max_length", _max_length, "the value (each, of a list) is at most N long",
             {"type": "integer", "minimum": 0}),
    Operator("exists", lambda a, e, n: (a is not None) == bool(e), "actual is present", _BOOL),
    Operator("empty", _empty, "actual has no elements", _BOOL),
    Operator("version_eq", _version(lambda a, e: a == e), "same version", _VERSION),
    Operator("version_ne", _version(lambda a, e: a != e), "another version", _VERSION),
    Operator("version_lt", _version(lambda a, e: a < e), "older version", _VERSION),
    Operator("version_le", _version(lambda a, e: a <= e), "older or same version", _VERSION),
    Operator("version_gt", _version(lambda a, e: a > e), "newer version", _VERSION),
    Operator("version_ge", _version(lambda a, e: a >= e), "newer or same version", _VERSION),
    Operator("older_than", _age(newer=False), "a time older than a duration", _STR),
    Operator("newer_than", _age(newer=True), "a time newer than a duration", _STR),
]

def _typed(op: Operator) -> Operator:
    """Any TypeError inside an operator is a type mismatch: an error row, never False."""

    def check(actual: Any, expected: Any, now: dt.datetime) -> bool:
        try:
            return op.check(actual, expected, now)
        except TypeError as e:
            raise ExpressionError(
                f"{op.name}: cannot apply to {_kind(actual)} and {_kind(expected)}"
            ) from e

    return Operator(op.name, check, op.doc, op.value_schema)


OPERATORS: dict[str, Operator] = {op.name: _typed(op) for op in _TABLE}
