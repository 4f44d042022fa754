"""Drift between two stored runs: what changed for each (rule, host, object)."""

from __future__ import annotations

import datetime as dt
import enum
import gc
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple


class Change(str, enum.Enum):
    NEW_FAIL = "new-fail"  # failing now; the key was not evaluated before (new rule/object)
    FIXED = "fixed"  # failed or errored before, passes now
    REGRESSED = "regressed"  # passed before, fails now
    STILL_FAILING = "still-failing"
    WAIVER_EXPIRED = "waiver-expired"  # waived before, failing now
    BECAME_UNREACHABLE = "became-unreachable"  # decided before, `error` now
    NEW_HOST = "new-host"  # the host was not in the earlier run at all
    GONE = "gone"  # evaluated before, not now


WORSE = frozenset({Change.NEW_FAIL, Change.REGRESSED, Change.WAIVER_EXPIRED,
                   Change.BECAME_UNREACHABLE})


@dataclass(frozen=True)
class RunInfo:
    id: int
    started_at: dt.datetime
    inventory: str
    exit_code: int
    summary: Mapping[str, int] = field(default_factory=dict)
    estate: str = ""  # what the run checked: drift compares runs of one estate only
    node: str = ""  # the machine that ran it (several nodes can share one history)


class StoredRow(NamedTuple):
    """One stored result row (a NamedTuple: a drift loads 200k of them)."""

    rule_id: str
    host: str
    object: str  # '' for the rule x host row; an object name for a failing object
    status: str
    severity: str
    message: str


@dataclass(frozen=True)
class StoredRun:
    """One run as the history holds it: what drift compares."""

    info: RunInfo
    hosts: frozenset[str]
    rows: Sequence[StoredRow]


@dataclass(frozen=True, slots=True)
class DriftItem:
    """One changed (rule, host, object)."""

    change: Change
    rule_id: str
    host: str
    object: str | None
    severity: str
    before: str | None  # status in the earlier run
    after: str | None  # status in the later run
    message: str = ""

    @property
    def worse(self) -> bool:
        if self.change is Change.NEW_HOST:
            return self.after in ("fail", "error")
        return self.change in WORSE


@dataclass(frozen=True)
class DriftReport:
    before: RunInfo | None
    after: RunInfo
    items: tuple[DriftItem, ...]

    def counts(self) -> dict[str, int]:
        c = Counter(i.change.value for i in self.items)
        return {ch.value: c.get(ch.value, 0) for ch in Change}

    @property
    def worse(self) -> list[DriftItem]:
        return [i for i in self.items if i.worse]

    @property
    def exit_code(self) -> int:
        """1 when anything got worse, else 0."""
        return 1 if self.worse else 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Build 100k+ immutable rows without the cyclic GC rescanning them all (they hold no
    cycles): about a quarter of a drift's time otherwise."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
