"""Value helpers shared by operators and templates: versions, durations, datetimes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from checker.errors import ExpressionError
from checker.facts.records import as_utc, parse_datetime

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def version_tuple(value: Any) -> tuple[int, ...]:
    """ "1.1.105.0" -> (1, 1, 105, 0). Trailing zeros are ignored when comparing."""
    text = str(value).strip()
    if not re.fullmatch(r"\d+(\.\d+)*", text):
        raise ExpressionError(f"not a dotted version: {value!r}")
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def parse_duration(value: Any) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        return value
    m = _DURATION.match(str(value))
    if not m:
        raise ExpressionError(f"not a duration (like 30m, 24h, 7d): {value!r}")
    try:
        return dt.timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    except OverflowError:
        raise ExpressionError(f"a duration too long to compute: {value!r}") from None


def as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return as_utc(value)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            pass
    raise ExpressionError(f"not a date and time: {value!r}")
