"""The operator table. Adding an operator is one entry; tests iterate over the table.

Each operator takes (actual, expected, now) and returns a bool. A type mismatch raises
ExpressionError, which the engine reports as an `error` row, never a silent False.

Each entry also declares its `value`: a JSON Schema (`value_schema`, used by the generated
rule schema), a phrase for people (`value_doc`), an example, and `parse`, which turns a
literal value into what the check uses (a compiled regex, a version, a duration). Validation
runs `parse` on every literal value, so a bad regex is a file:line message before any host
is contacted, not an `error` row at run time. docs/operators.md is generated from the table.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Sized
from dataclasses import dataclass, replace
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
    value_doc: str = "any value"
    example: Any = None
    parse: Callable[[Any], object] | None = None  # raises ExpressionError on a bad value

    def check_value(self, value: Any) -> None:
        """Raise ExpressionError when a literal (untemplated) value cannot be used: not of
        `value_schema`, or refused by `parse`."""
        if is_template(value):
            return
        if self.value_schema and not _conforms(self.value_schema, value):
            raise ExpressionError(f"needs {self.value_doc} as its value (got {value!r})")
        if self.parse is not None:
            self.parse(value)


@functools.lru_cache(maxsize=64)
def _compiled(schema_json: str) -> Callable[[Any], Any]:
    import fastjsonschema

    return fastjsonschema.compile(json.loads(schema_json))


def _conforms(schema: dict[str, Any], value: Any) -> bool:
    import fastjsonschema

    try:
        _compiled(json.dumps(schema, sort_keys=True))(value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def is_template(value: Any) -> bool:
    """A value rendered per host or object at run time (`"{{ other.version }}"`)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


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
_LIST_DOC = "a list"
_REGEX_DOC = "a regular expression (Python syntax)"
_VERSION_DOC = "a dotted version, like 1.1.105.0"
_AGE_DOC = "a duration: a number and s, m, h, d or w (30m, 24h, 7d)"


def _parse_regex(value: Any) -> object:
    return _pattern(str(value))


def _regex_op(name: str, check: Check, doc: str) -> Operator:
    return Operator(name, check, doc, _STR, _REGEX_DOC, r"^SMTP:[^@\s]+@contoso\.com$",
                    _parse_regex)


def _version_op(name: str, fn: Callable[[tuple[int, ...], tuple[int, ...]], bool],
                doc: str) -> Operator:
    return Operator(name, _version(fn), doc, _VERSION, _VERSION_DOC, "1.1.105.0", version_tuple)


_TABLE = [
    Operator("eq", lambda a, e, n: a == e, "actual equals value", _ANY, example="Enabled"),
    Operator("ne", lambda a, e, n: a != e, "actual differs from value", _ANY, example="Disabled"),
    Operator("lt", _ordered(lambda a, e: a < e), "actual < value", _ANY, example=100),
    Operator("le", _ordered(lambda a, e: a <= e), "actual <= value", _ANY, example=100),
    Operator("gt", _ordered(lambda a, e: a > e), "actual > value", _ANY, example=0),
    Operator("ge", _ordered(lambda a, e: a >= e), "actual >= value", _ANY, example=15332),
    Operator("in", lambda a, e, n: a in _collection(e, "in"), "actual is one of value", _LIST,
             _LIST_DOC, ["Enabled", "Staged"]),
    Operator("not_in", lambda a, e, n: a not in _collection(e, "not_in"),
             "actual is not in value", _LIST, _LIST_DOC, ["Failed", "Stopped"]),
    Operator("contains", lambda a, e, n: e in _collection(a, "contains"),
             "value is in actual (a list or string)", _ANY, example="msExchRecipientTypeDetails"),
    Operator("not_contains", lambda a, e, n: e not in _collection(a, "not_contains"),
             "value is not in actual (a list or string)", _ANY, example=" "),
    Operator("subset", lambda a, e, n: _as_set(a, "subset") <= _as_set(e, "subset"),
             "every element of actual is in value", _LIST, _LIST_DOC, ["contoso.com"]),
    Operator("superset", lambda a, e, n: _as_set(a, "superset") >= _as_set(e, "superset"),
             "every element of value is in actual", _LIST, _LIST_DOC,
             ["mailNickname", "targetAddress"]),
    _regex_op("regex", lambda a, e, n: _regex(a, e), "actual (a string) matches the regex"),
    _regex_op("not_regex", lambda a, e, n: not _regex(a, e), "actual does not match the regex"),
    _regex_op("each_regex", _each(True), "every value (a string, or each of a list) matches"),
    _regex_op("each_not_regex", _each(False), "no value (a string, or any of a list) matches"),
    Operator("max_length", _max_length, "the string (or each of a list) is at most N long",
             {"type": "integer", "minimum": 0}, "a whole number, 0 or more", 64),
    Operator("exists", lambda a, e, n: (a is not None) == bool(e),
             "true: actual is present and not null; false: absent or null", _BOOL,
             "true or false", True),
    Operator("empty", _empty, "true: actual has no elements; false: it has some", _BOOL,
             "true or false", True),
    _version_op("version_eq", lambda a, e: a == e, "the same version (1.1 = 1.1.0)"),
    _version_op("version_ne", lambda a, e: a != e, "another version"),
    _version_op("version_lt", lambda a, e: a < e, "an older version"),
    _version_op("version_le", lambda a, e: a <= e, "an older or the same version"),
    _version_op("version_gt", lambda a, e: a > e, "a newer version"),
    _version_op("version_ge", lambda a, e: a >= e, "a newer or the same version"),
    Operator("older_than", _age(newer=False), "a time older than the duration before now",
             _STR, _AGE_DOC, "7d", parse_duration),
    Operator("newer_than", _age(newer=True), "a time newer than the duration before now",
             _STR, _AGE_DOC, "3h", parse_duration),
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

    return replace(op, check=check)


OPERATORS: dict[str, Operator] = {op.name: _typed(op) for op in _TABLE}
