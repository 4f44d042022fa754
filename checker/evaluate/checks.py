"""Run one rule's `expect:` list against one context (a host, or one object of for_each)."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker.errors import ExpressionError
from checker.facts.records import to_json
from checker.lang.expressions import evaluate, render
from checker.lang.operators import OPERATORS
from checker.ruleset.model import Check

_MISSING = object()
_short = reprlib.Repr()
_short.maxstring = 120
_short.maxlist = 10
_short.maxother = 120


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    expected: Any = None
    actual: Any = None


_PASSED = Verdict(True, "")
_ALL_PASSED = Verdict(True, "all checks passed")


@functools.lru_cache(maxsize=4096)
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.replace("[", ".").replace("]", "").split("."))


@functools.lru_cache(maxsize=4096)
def _fast(path: str) -> tuple[str, Any] | None:
    """For `name.attr.attr` paths: the context key and a C-level attribute getter."""
    parts = _parts(path)
    if len(parts) < 2 or any(p.isdigit() or p.startswith("_") for p in parts):
        return None
    return parts[0], operator.attrgetter(".".join(parts[1:]))


def resolve(path: str, context: Mapping[str, Any]) -> Any:
    """`item.schema.attributes` -> the value, through mappings, records and list indexes."""
    fast = _fast(path)
    if fast is not None:  # records (the per-object hot path): one C call
        base = context.get(fast[0], _MISSING)
        if base is not _MISSING and not isinstance(base, dict):
            try:
                return fast[1](base)
            except AttributeError:
                pass
    value: Any = context
    for part in _parts(path):
        if isinstance(value, dict):  # the common cases first: this runs per object
            value = value.get(part, _MISSING)
        elif isinstance(value, (list, tuple)) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else _MISSING
        elif part.startswith("_"):
            value = _MISSING
        else:
            found = getattr(value, part, _MISSING)
            if found is _MISSING and isinstance(value, Mapping):
                found = value.get(part, _MISSING)
            value = found
        if value is _MISSING:
            return _MISSING
    return value


def run_checks(checks: Sequence[Check], context: Mapping[str, Any], now: dt.datetime) -> Verdict:
    """All checks must hold, in order; the first that does not is the verdict (as Ansible's
    assert: a later check may rely on an earlier one, e.g. `exists` before `regex`)."""
    for check in checks:
        verdict = _one(check, context, now)
        if not verdict.passed:
            return verdict
    return _ALL_PASSED


def _one(check: Check, context: Mapping[str, Any], now: dt.datetime) -> Verdict:
    if check.that is not None:
        if evaluate(check.that, context):
            return _PASSED
        message = _message(check, context)
        return Verdict(False, message or f"assertion failed: {check.that}", check.that)
    assert check.key is not None and check.op is not None
    actual = resolve(check.key, context)
    op = OPERATORS[check.op]
    if actual is _MISSING:
        if check.op != "exists":
            raise ExpressionError(f"{check.key} is not defined")
        actual = None
    value = check.value
    expected = render(value, context) if isinstance(value, str) and "{" in value else value
    try:
        ok = op.check(actual, expected, now)
    except ExpressionError as e:
        raise ExpressionError(f"{check.key} {check.op}: {e}") from None
    if ok:  # the hot path on large directories: nothing to explain
        return _PASSED
    shown = _short.repr(to_json(actual))
    message = "" if ok else _message(check, context)
    default = f"{check.key} {check.op} {_short.repr(to_json(expected))} does not hold: got {shown}"
    return Verdict(ok, message or default, f"{check.op} {to_json(expected)!r}", to_json(actual))


def _message(check: Check, context: Mapping[str, Any]) -> str:
    if not check.msg:
        return ""
    try:
        return str(render(check.msg, context))
    except ExpressionError as e:
        return f"{check.msg} (message could not be rendered: {e})"
