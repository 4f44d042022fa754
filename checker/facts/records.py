"""Typed fact records and their JSON form (snapshots, reports, history).

A record is a frozen dataclass. `to_json` turns records (and lists of them) into plain JSON
values; `from_json` rebuilds them from the field types, so a snapshot replays as the same
typed records a live collector produces. Datetimes are ISO 8601 in UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

R = TypeVar("R")
UTC = dt.timezone.utc


def to_json(value: Any) -> Any:
    """A JSON-compatible copy of a record, list, mapping or scalar."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    return value


def as_utc(value: dt.datetime) -> dt.datetime:
    """Naive datetimes are taken as UTC (ADSync and LDAP generalized time both are)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_datetime(value: str) -> dt.datetime:
    return as_utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))


def from_json(kind: Any, data: Any) -> Any:
    """Rebuild a value of type `kind` (a record class, list[...], Optional[...], scalar)."""
    if data is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(kind) if a is not type(None)]
        return from_json(inner[0], data) if len(inner) == 1 else data
    if origin in (list, tuple):
        (item,) = typing.get_args(kind)[:1]
        values = [from_json(item, v) for v in data]
        return values if origin is list else tuple(values)
    if origin in (dict, Mapping):
        _, val = typing.get_args(kind)
        return {k: from_json(val, v) for k, v in data.items()}
    if kind is dt.datetime:
        return parse_datetime(data)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return record_from_json(kind, data)
    return data


def record_from_json(cls: type[R], data: Mapping[str, Any]) -> R:
    hints = _field_types(typing.cast(type, cls))
    kwargs = {k: from_json(hints[k], v) for k, v in data.items() if k in hints}
    return cls(**kwargs)


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    """A record's field types, resolved once per class (get_type_hints evaluates every
    annotation on each call: most of the time spent reading a stored fact back)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}
