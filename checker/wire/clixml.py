"""Deserialized PowerShell objects (CLIXML, as pypsrp 0.9 rebuilds them) -> plain values.

Pure: objects are read by duck typing (`types`, `adapted_properties`, `extended_properties`,
`property_sets`, `to_string`), so nothing here imports pypsrp. What reaches us from a remote
cmdlet (MS-PSRP 2.2.5.2):

- primitives arrive as Python values; `<DT>` stays the .NET text ("2025-04-09T09:16:22-05:00",
  "2025-04-09T14:16:22Z", up to 7 fractional digits) and is read by `parse_datetime`;
- an enum is an object holding its number in `property_sets` and its name in `to_string`
  ("Mailbox", or "IIS, SMTP" for flags): it becomes that text;
- a collection with its own type (Exchange's MultiValuedProperty) is an object whose one
  property set is the list: it becomes a list;
- any other object becomes a dict of its properties plus "ToString" (ADObjectId,
  SmtpX509Identifier, ProxyAddress, ServerVersion, ...);
- type names are the server's (`Microsoft.Exchange...`); PowerShell's own deserializer shows
  them as `Deserialized.Microsoft.Exchange...`, pypsrp does not: `type_names` strips the prefix.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from checker.errors import CollectError

PREFIX = "Deserialized."
TEXT = "ToString"
_FRACTION = re.compile(r"(\.\d{6})\d+")
_MAX_DEPTH = 6


def type_names(obj: Any) -> list[str]:
    """The object's type names, without the "Deserialized." prefix."""
    names = getattr(obj, "types", None) or []
    return [n[len(PREFIX):] if n.startswith(PREFIX) else n for n in names]


def properties(obj: Any) -> dict[str, Any]:
    """Adapted and extended (note) properties of an object, raw."""
    out: dict[str, Any] = {}
    for bag in ("adapted_properties", "extended_properties"):
        out.update(getattr(obj, bag, None) or {})
    return out


def plain(value: Any, depth: int = 0) -> Any:
    """A deserialized value as str/int/float/bool/bytes/None, list or dict."""
    if value is None or isinstance(value, (str, bool, int, float, bytes)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    sets = getattr(value, "property_sets", None)
    if sets:
        if len(sets) == 1 and isinstance(sets[0], list):
            return [plain(v, depth + 1) for v in sets[0]]
        return _text(value)
    props = properties(value)
    if not props or depth >= _MAX_DEPTH:
        return _text(value)
    out = {k: plain(v, depth + 1) for k, v in props.items()}
    out[TEXT] = _text(value)
    return out


def _text(value: Any) -> str:
    text = getattr(value, "to_string", None)
    return str(text) if text is not None else str(value)


def pick(obj: Any, wanted: Iterable[str]) -> dict[str, Any]:
    """The wanted properties of one object as plain values (absent ones are None)."""
    props = {k.lower(): v for k, v in properties(obj).items()}
    return {name: plain(props.get(name.lower())) for name in wanted}


def parse_datetime(value: Any) -> dt.datetime | None:
    """A CLIXML `<DT>` text (or a datetime) as an aware UTC datetime. A value without an
    offset (DateTimeKind.Unspecified) is taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = _FRACTION.sub(r"\1", str(value).strip()).replace("Z", "+00:00")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise CollectError(f"not a CLIXML date and time: {value!r}") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def text_of(value: Any) -> str | None:
    """A plain value's display text: a dict's ToString, else str(); None stays None."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return str(value.get(TEXT) or "")
    return str(value)


def texts(value: Any) -> list[str]:
    """A plain value as a list of display texts (a lone value is a one-item list)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [t for t in (text_of(v) for v in items) if t]
