"""Fact keys, provenance and gathered facts: what flows from gather to evaluate."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class FactKey:
    """One distinct fact request: a collector name and its parameters.

    Rules that ask for the same collector with the same params share one fact per host.
    """

    collector: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, collector: str, params: Mapping[str, Any] | None = None) -> FactKey:
        items = tuple(sorted((params or {}).items()))
        return cls(collector, tuple((k, _freeze(v)) for k, v in items))

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)

    def __str__(self) -> str:
        if not self.params:
            return self.collector
        return f"{self.collector}({json.dumps(self.param_dict, sort_keys=True, default=str)})"


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


class FactStatus(str, enum.Enum):
    OK = "ok"
    ERROR = "error"  # could not be gathered or parsed: rules that need it are `error`
    UNAVAILABLE = "unavailable"  # the source cannot provide it (an export): rules are `skipped`


@dataclass(frozen=True)
class Provenance:
    """Where a fact came from. `request` is the LDAP query or the PowerShell snippet."""

    host: str
    collector: str
    transport: str
    request: str
    started_at: dt.datetime
    duration_s: float
    error: str | None = None


@dataclass(frozen=True)
class Fact:
    key: FactKey
    status: FactStatus
    value: Any = None  # a typed record (or list of records) when status is OK
    provenance: Provenance | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is FactStatus.OK


FactStore = dict[str, dict[FactKey, Fact]]  # host -> fact key -> fact: what gather returns
