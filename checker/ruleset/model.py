"""Rules as frozen records. Built only from validated YAML (see loader)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from checker.facts.model import FactKey

RULE_ID_PATTERN = r"^[A-Z0-9][A-Z0-9_.-]*$"


class Severity(str, enum.Enum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


@dataclass(frozen=True)
class Source:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class FactRef:
    """A fact a rule uses: `name` in expressions, gathered from this host or `from` others."""

    name: str
    collector: str
    params: Mapping[str, Any] = field(default_factory=dict)
    from_pattern: str | None = None
    all_hosts: bool = False  # with `from`: {host: value} of every host of the pattern

    @property
    def key(self) -> FactKey:
        return FactKey.of(self.collector, self.params)


@dataclass(frozen=True)
class Check:
    """One `expect:` entry: a structured operator (key/op/value) or a Jinja `that:`."""

    key: str | None = None
    op: str | None = None
    value: Any = None
    that: str | None = None
    msg: str | None = None

    def describe(self) -> str:
        if self.that is not None:
            return self.that
        return f"{self.key} {self.op} {self.value!r}"


@dataclass(frozen=True)
class Task:
    name: str
    kind: str  # "manual" | "powershell"
    script: str | None = None
    steps: str | None = None
    when: str | None = None
    subsumes: tuple[str, ...] = ()  # names of tasks this one makes unnecessary on its host
    cmdlet: str | None = None  # kind cmdlet: the command, sent as a command (never a script)
    parameters: Mapping[str, Any] | None = None  # its parameters; strings are templates


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    hosts: str
    source: Source
    description: str = ""
    tags: tuple[str, ...] = ()
    version: int = 1
    facts: tuple[FactRef, ...] = ()
    when: str | None = None
    when_msg: str | None = None  # why a false `when` makes it (or one object) not applicable
    depends_on: tuple[str, ...] = ()
    for_each: str | None = None
    object: str | None = None
    max_failures: int | None = None
    max_failure_pct: float | None = None
    max_offenders: int = 20
    expect: tuple[Check, ...] = ()
    remediation: tuple[Task, ...] = ()
    references: tuple[str, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def line_of(self, path: str) -> int:
        """Line of a field (e.g. "expect[0].that"), falling back to its parent, then the rule."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rpartition(".")[0] if "." in path else ""
        return self.source.line

    @property
    def local_facts(self) -> tuple[FactRef, ...]:
        return tuple(f for f in self.facts if f.from_pattern is None)

    @property
    def remote_facts(self) -> tuple[FactRef, ...]:
        return tuple(f for f in self.facts if f.from_pattern is not None)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def ordered(self) -> list[Rule]:
        """Dependencies before dependents (validated acyclic), file order otherwise."""
        ids = self.by_id()
        done: dict[str, None] = {}

        def visit(rule: Rule) -> None:
            if rule.id in done:
                return
            for dep in rule.depends_on:
                if dep in ids:
                    visit(ids[dep])
            done[rule.id] = None

        for r in self.rules:
            visit(r)
        return [ids[i] for i in done]
