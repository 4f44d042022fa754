"""Waivers: an approved, expiring exception for a rule on some hosts and objects.

```yaml
- rule: AADC-STAGING-MODE
  hosts: aadc02*             # inventory pattern (all hosts when absent)
  objects: ["CN=svc-*"]      # fnmatch patterns for per-object rules (all when absent)
  justification: The second server is a staging server by design   # required
  approver: jane.doe@contoso.com
  ticket: CHG-1234
  expires: 2026-12-31        # UTC date, inclusive: applies through that whole day
```

A waiver turns a `fail` into `waived` and keeps the verdict in `original_status`. It never
waives an `error`: an unreachable host stays an error. An expired waiver stops applying and
is reported; one that matches nothing is a warning. With --strict-waivers both are errors.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import jsonschema

from checker.errors import CheckerError, InputError, InputErrors
from checker.inventory.model import Inventory
from checker.results import Result, Status, WaiverNote
from checker.ruleset.model import RULE_ID_PATTERN, Rule, Severity
from checker.yamlio import Located, LocatedList, load_file

WAIVERS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "checker waivers file",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["rule", "justification"],
        "additionalProperties": False,
        "properties": {
            "rule": {"type": "string", "pattern": RULE_ID_PATTERN},
            "hosts": {"type": "string", "minLength": 1},
            "objects": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "justification": {"type": "string", "minLength": 10},
            "approver": {"type": "string"},
            "ticket": {"type": "string"},
            "expires": {"type": "string", "format": "date"},
        },
    },
}


@dataclass(frozen=True)
class Waiver:
    index: int
    rule: str
    justification: str
    source: str
    hosts: str = "all"
    objects: tuple[str, ...] = ()
    approver: str | None = None
    ticket: str | None = None
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def note(self, objects: Sequence[str] = ()) -> WaiverNote:
        return WaiverNote(self.index, self.justification, self.approver, self.ticket,
                          self.expires, tuple(objects))


def load_waivers(path: str, known_rules: Sequence[str] = ()) -> list[Waiver]:
    data = load_file(path)
    if data is None:
        return []
    if not isinstance(data, LocatedList):
        raise InputError("a waivers file must be a YAML list", path, 1)
    problems: list[CheckerError] = []
    out = []
    checker = jsonschema.Draft202012Validator(
        WAIVERS_SCHEMA["items"], format_checker=jsonschema.FormatChecker()
    )
    for i, item in enumerate(data):
        line = data.item_lines[i]
        errors = list(checker.iter_errors(item))
        for e in errors:
            key = str(e.absolute_path[0]) if e.absolute_path else ""
            where = item.line_of(key) if isinstance(item, Located) and key else line
            problems.append(InputError(f"waiver {i + 1}: {key + ': ' if key else ''}{e.message}",
                                       path, where))
        if errors:
            continue
        if known_rules and item["rule"] not in known_rules:
            problems.append(InputError(f"waiver {i + 1}: unknown rule {item['rule']}", path,
                                       item.line_of("rule")))
            continue
        out.append(_waiver(i + 1, item, f"{path}:{line}"))
    if problems:
        raise InputErrors(problems)
    return out


def _waiver(index: int, item: Mapping[str, Any], source: str) -> Waiver:
    expires = item.get("expires")
    return Waiver(
        index=index,
        rule=item["rule"],
        justification=item["justification"],
        source=source,
        hosts=item.get("hosts", "all"),
        objects=tuple(item.get("objects", ())),
        approver=item.get("approver"),
        ticket=item.get("ticket"),
        expires=dt.date.fromisoformat(str(expires)) if expires else None,
    )


class Waivers:
    """Applies waivers to result rows as the engine produces them."""

    def __init__(self, waivers: Sequence[Waiver], inventory: Inventory, today: dt.date) -> None:
        self.today = today
        self.active = [w for w in waivers if not w.expired(today)]
        self.expired = [w for w in waivers if w.expired(today)]
        self.hosts = {w.index: {h.name for h in inventory.select(w.hosts)} for w in waivers}
        self.matched: set[int] = set()

    def __call__(self, row: Result, rule: Rule) -> Result:
        if row.status is not Status.FAIL:
            return row
        for w in self.active:
            if w.rule == row.rule_id and row.host in self.hosts[w.index]:
                waived = self._apply(w, row, rule)
                if waived is not row:
                    self.matched.add(w.index)
                    return waived
        return row

    def _apply(self, w: Waiver, row: Result, rule: Rule) -> Result:
        if not w.objects:
            return replace(row, status=Status.WAIVED, original_status=row.status, waiver=w.note())
        hit = [o for o in row.failed_objects if any(fnmatch.fnmatchcase(o, p) for p in w.objects)]
        if not hit:
            return row
        left = [o for o in row.failed_objects if o not in hit]
        total = (row.counts or {}).get("total", 0)
        pct = round(100.0 * len(left) / total, 3) if total else 0.0
        offenders = tuple(o for o in row.offenders if o.object not in hit)
        if not _over(rule, len(left), pct):
            return replace(row, status=Status.WAIVED, original_status=row.status,
                           waiver=w.note(hit), offenders=offenders, failed_objects=tuple(left))
        note = f"{len(hit)} object(s) waived by waiver {w.index} ({w.source})"
        return replace(row, waiver=w.note(hit), offenders=offenders, failed_objects=tuple(left),
                       notes=(*row.notes, note))

    def report(self, strict: bool) -> tuple[list[str], list[Result]]:
        """Warnings for expired and unmatched waivers; with strict, error rows instead."""
        lines = [f"waiver {w.index} for {w.rule} ({w.source}) expired on {w.expires}: "
                 "it no longer applies" for w in self.expired]
        lines += [f"waiver {w.index} for {w.rule} ({w.source}) matched no result"
                  for w in self.active if w.index not in self.matched]
        if not strict:
            return lines, []
        rows = [Result(rule_id="checker.waivers", host="-", status=Status.ERROR,
                       severity=Severity.INFO, title="Waivers file", message=line)
                for line in lines]
        return [], rows


def _over(rule: Rule, failed: int, pct: float) -> bool:
    from checker.evaluate.engine import over_threshold

    return over_threshold(rule, failed, pct)
