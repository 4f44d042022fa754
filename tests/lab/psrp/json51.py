"""Windows PowerShell 5.1's ConvertTo-Json and DateTime.ToString for the lab's values.

ConvertTo-Json follows 5.1's ConvertToJsonCommand (JavaScriptSerializer): a value nested
deeper than -Depth becomes its ToString(); enums their integer; a DateTime "\\/Date(ms)\\/"
after ToUniversalTime(), which takes a Kind-Unspecified (naive) value as the server's local
time. Sources and pinning tests: docs/fidelity.md, "Windows PowerShell 5.1 JSON and dates".
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

from .values import (
    Hashtable,
    KeyedCollection,
    PSEnum,
    PSObj,
    enumerate_value,
    to_string,
    unsupported,
)

UTC = dt.timezone.utc


def to_json(value: Any, depth: int = 2, compress: bool = False, tz: dt.tzinfo = UTC) -> str:
    """ConvertTo-Json as Windows PowerShell 5.1 writes it (JavaScriptSerializer): a value
    nested deeper than -Depth becomes its ToString(); an enum its integer; a DateTime
    "\\/Date(ms)\\/" after ToUniversalTime(), which takes a Kind-Unspecified (naive) value
    as the server's local time `tz`."""
    text = json.dumps(_json(value, 0, depth, tz), ensure_ascii=False,
                      indent=None if compress else 4,
                      separators=(",", ":") if compress else (",", ": "))
    return re.sub(r'"/Date\((-?\d+)\)/"', r'"\\/Date(\1)\\/"', text)


def _json(v: Any, level: int, depth: int, tz: dt.tzinfo) -> Any:
    if v is None or isinstance(v, (bool, str, int, float)):
        return v
    if isinstance(v, PSEnum):
        return v.value
    if isinstance(v, dt.datetime):
        ts = v if v.tzinfo else v.replace(tzinfo=tz)  # ToUniversalTime() of Unspecified
        return f"/Date({round(ts.timestamp() * 1000)})/"
    if isinstance(v, uuid.UUID):
        return str(v)
    if level > depth:  # ProcessValue: `depth > Depth` -> LanguagePrimitives.ConvertTo(string)
        return to_string(v)
    if isinstance(v, dt.timedelta):
        return _json_span(v)
    if isinstance(v, (list, KeyedCollection)):
        return [_json(x, level + 1, depth, tz) for x in enumerate_value(v)]
    if isinstance(v, (PSObj, Hashtable)):
        items: Iterable[tuple[Any, Any]] = v.props.items() if isinstance(v, PSObj) else v.items()
        return {str(k): _json(x, level + 1, depth, tz) for k, x in items}
    return to_string(v)


def format_datetime(value: dt.datetime, fmt: str) -> str:
    """DateTime.ToString(fmt) for the invariant standard formats: "o" (round trip: no
    suffix for Kind Unspecified, "Z" for Utc, the offset for Local) and "s" (sortable)."""
    base = f"{value.year:04d}-" + value.strftime("%m-%dT%H:%M:%S")
    if fmt == "s":
        return base
    if fmt not in ("o", "O"):
        raise unsupported(f"DateTime.ToString('{fmt}')")
    text = f"{base}.{value.microsecond:06d}0"
    if value.tzinfo is None:
        return text
    offset = value.utcoffset() or dt.timedelta(0)
    if value.tzinfo is UTC:
        return text + "Z"
    sign, minutes = ("-", -offset) if offset < dt.timedelta(0) else ("+", offset)
    hours, rest = divmod(int(minutes.total_seconds()) // 60, 60)
    return f"{text}{sign}{hours:02}:{rest:02}"


def _json_span(v: dt.timedelta) -> dict[str, Any]:
    t = v.total_seconds()
    return {"Ticks": int(t * 10_000_000), "Days": v.days, "Hours": v.seconds // 3600,
            "Milliseconds": v.microseconds // 1000, "Minutes": (v.seconds // 60) % 60,
            "Seconds": v.seconds % 60, "TotalDays": t / 86400, "TotalHours": t / 3600,
            "TotalMilliseconds": t * 1000, "TotalMinutes": t / 60, "TotalSeconds": t}
