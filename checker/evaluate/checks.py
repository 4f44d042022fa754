"""Run one rule's `expect:` list against one context (a host, or one object of for_each)."""

from __future__ import annotations

import datetime as dt
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker.errors import ExpressionError
from checker.evaluate.expressions import evaluate, render
from checker.evaluate.operators import OPERATORS
from checker.facts.records import to_json
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


def resolve(path: str, context: Mapping[str, Any]) -> Any:
    """`item.schema.attributes` -> the value, through mappings, records and list indexes."""
    value: Any = context
    for part in path.replace("[", ".").replace("]", "").split("."):
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else _MISSING
        else:
            value = getattr(value, part, _MISSING) if not part.startswith("_") else _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def run_checks(checks: Sequence[Check], context: Mapping[str, Any], now: dt.datetime) -> Verdict:
    """All checks must hold. The first failing check gives the message; errors raise."""
    failures = [v for v in (_one(c, context, now) for c in checks) if not v.passed]
    if not failures:
        return Verdict(True, "all checks passed")
    first = failures[0]
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    return Verdict(False, first.message + more, first.expected, first.actual)


def _one(check: Check, context: Mapping[str, Any], now: dt.datetime) -> Verdict:
    if check.that is not None:
        ok = bool(evaluate(check.that, context))
        message = _message(check, context) if not ok else ""
        return Verdict(ok, message or f"assertion failed: {check.that}", check.that)
    assert check.key is not None and check.op is not None
    actual = resolve(check.key, context)
    op = OPERATORS[check.op]
    if actual is _MISSING:
        if check.op != "exists":
            raise ExpressionError(f"{check.key} is not defined")
        actual = None
    expected = render(check.value, context) if isinstance(check.value, str) else check.value
    try:
        ok = op.check(actual, expected, now)
    except ExpressionError as e:
        raise ExpressionError(f"{check.key} {check.op}: {e}") from None
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
