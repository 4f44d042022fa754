"""Reading Windows PowerShell 5.1 `ConvertTo-Json` output (and PowerShell 7's, where cheap).

5.1 differs from what a Python reader expects: dates are "\\/Date(ms)\\/" (json.loads turns
the escaped slashes into "/Date(ms)/"), enums are ints, TimeSpans are objects of Ticks, Days,
..., TotalSeconds, a lone pipeline object comes as an object rather than a one-item array,
a PSObject-wrapped array may come as {"value": [...], "Count": n}, and a DateTime carrying
a DisplayHint note property (Get-Date) comes as {"value": "\\/Date..\\/", "DateTime": ...}.
These helpers normalise each case; collectors call them from their pure `process()`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from checker.errors import CollectError

UTC = dt.timezone.utc
_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/\Z")
_ISO_DURATION = re.compile(
    r"P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?\Z"
)
_DOTNET_SPAN = re.compile(r"(-)?(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.(\d+))?\Z")


def loads(text: str) -> Any:
    """Parse a JSON document from PowerShell; a malformed one is a CollectError."""
    try:
        return json.loads(text.lstrip("\ufeff"))
    except (ValueError, TypeError) as e:
        raise CollectError(f"malformed JSON from PowerShell: {e}") from e


def as_list(value: Any) -> list[Any]:
    """None -> [], a lone object -> [object], {"value": [...], "Count": n} -> [...]."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping) and set(value) == {"value", "Count"}:
        return as_list(value["value"])
    return [value]


def as_datetime(value: Any) -> dt.datetime | None:
    """ "/Date(ms)/", "/Date(ms+hhmm)/", ISO 8601 or a DisplayHint-wrapped date -> UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping) and "value" in value:
        return as_datetime(value["value"])
    if not isinstance(value, str):
        raise CollectError(f"expected a date, got {value!r}")
    m = _DATE.match(value)
    if m:  # the milliseconds are UTC; the optional offset only says how it was displayed
        return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=int(m.group(1)))
    try:
        parsed = dt.datetime.fromisoformat(_trim_fraction(value.replace("Z", "+00:00")))
    except ValueError as e:
        raise CollectError(f"expected a date, got {value!r}") from e
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _trim_fraction(text: str) -> str:
    """.NET writes 7 fractional digits; Python 3.10 accepts at most 6."""
    return re.sub(r"(\.\d{6})\d+", r"\1", text)


def as_seconds(value: Any) -> int | None:
    """A TimeSpan (5.1 object, "d.hh:mm:ss", ISO "PT30M" or a number of seconds) -> seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CollectError(f"expected a TimeSpan, got {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, Mapping):
        if "Ticks" in value:
            return int(value["Ticks"]) // 10_000_000
        if "TotalSeconds" in value:
            return int(value["TotalSeconds"])
    if isinstance(value, str):
        return _span_text(value)
    raise CollectError(f"expected a TimeSpan, got {value!r}")


def _span_text(text: str) -> int:
    m = _DOTNET_SPAN.match(text)
    if m:
        sign, days, h, mi, s, _ = m.groups()
        total = int(days or 0) * 86400 + int(h) * 3600 + int(mi) * 60 + int(s)
        return -total if sign else total
    m = _ISO_DURATION.match(text)
    if m and text != "P":
        parts = {k: float(v) for k, v in m.groupdict().items() if v}
        return int(
            parts.get("d", 0) * 86400
            + parts.get("h", 0) * 3600
            + parts.get("m", 0) * 60
            + parts.get("s", 0)
        )
    raise CollectError(f"expected a TimeSpan, got {text!r}")


def as_bool(value: Any) -> bool | None:
    """JSON booleans, and the "True"/"False" strings ADSync global parameters hold."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int):
        return value != 0
    raise CollectError(f"expected a boolean, got {value!r}")


def as_enum(value: Any, names: Mapping[int, str]) -> str | None:
    """An enum by its real value: 5.1 writes the integer (`ToString("D")`), PowerShell 7 and
    `[string]` write the name. `names` maps each value to its name."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in names:
        return names[value]
    if isinstance(value, str):
        for name in names.values():
            if name.lower() == value.lower():
                return name
        return value
    known = ", ".join(f"{n}={v}" for v, n in names.items())
    raise CollectError(f"unexpected enum value {value!r} (known: {known})")


def as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise CollectError(f"expected a string, got {value!r}")
    return str(value)


def as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as e:
        raise CollectError(f"expected an integer, got {value!r}") from e
