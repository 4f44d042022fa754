"""Result rows and the run report. Frozen records; the exit code comes from here."""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from checker.facts.model import Provenance
from checker.ruleset.model import Severity


class Status(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"
    BLOCKED = "blocked"
    WAIVED = "waived"


@dataclass(frozen=True)
class RenderedTask:
    """A remediation task rendered for one host (and object)."""

    name: str
    kind: str  # "manual" | "powershell"
    rule_id: str
    host: str
    script: str | None = None
    steps: str | None = None
    subsumes: tuple[str, ...] = ()  # names of tasks this one makes unnecessary on its host
    cmdlet: str | None = None  # kind cmdlet: sent as a command with `parameters`
    parameters: tuple[tuple[str, Any], ...] = ()

    def identity(self) -> tuple[str, str, str, str]:
        return (self.host, self.kind, self.name, self.script or self.steps or "")


@dataclass(frozen=True)
class Offender:
    object: str
    message: str
    actual: Any = None
    error: bool = False


@dataclass(frozen=True)
class WaiverNote:
    """The waiver that turned a result into `waived` (or waived some of its objects)."""

    index: int  # position in the waivers file (1-based)
    justification: str
    approver: str | None = None
    ticket: str | None = None
    expires: dt.date | None = None
    objects: tuple[str, ...] = ()  # the waived objects of a per-object rule


@dataclass(frozen=True)
class Result:
    rule_id: str
    host: str
    status: Status
    severity: Severity
    title: str
    message: str
    expected: Any = None
    actual: Any = None
    object: str | None = None
    remediation: tuple[RenderedTask, ...] = ()
    facts: tuple[Provenance, ...] = ()
    counts: Mapping[str, int] | None = None
    failure_pct: float | None = None
    offenders: tuple[Offender, ...] = ()
    failed_objects: tuple[str, ...] = ()  # every failing object (drift); offenders are capped
    original_status: Status | None = None
    waiver: WaiverNote | None = None
    tags: tuple[str, ...] = ()
    rule_version: int = 1
    source: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunReport:
    started_at: dt.datetime
    finished_at: dt.datetime
    inventory: str
    results: tuple[Result, ...]
    hosts: tuple[str, ...] = ()
    fail_on: Severity = Severity.INFO
    warnings: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        c = Counter(r.status.value for r in self.results)
        return {s.value: c.get(s.value, 0) for s in Status}

    def qualifying_failures(self) -> list[Result]:
        return [
            r
            for r in self.results
            if r.status is Status.FAIL and r.severity.rank >= self.fail_on.rank
        ]

    @property
    def exit_code(self) -> int:
        """0 all passed/waived/skipped; 1 a fail at or above --fail-on; 2 an error."""
        if self.qualifying_failures():
            return 1
        if any(r.status is Status.ERROR for r in self.results):
            return 2
        return 0

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
