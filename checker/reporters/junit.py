"""JUnit XML: a testcase per rule x host (x object); `fail` is a failure, `error` an error.

Azure DevOps, GitHub and Jenkins then show failed checks and broken collection apart.
One testsuite per run carries the totals. A testcase's classname is `checker.<host>` with the
host's dots made underscores: Jenkins splits a classname at its last dot into package and
class, so `dc01.contoso.test` would read as class `test`. Names read `RULE-ID: title [object]`
and are stable from run to run, so CI history lines up. skipped, blocked and waived are
`<skipped>` with the reason (and the waiver's justification, ticket and expiry). The run's
warnings (insecure connection settings, expired waivers) are the suite's `<system-err>` and
`warning` properties: a CI job that only publishes this file still shows them; each is one
line of the system-err, so a host name holding a line break cannot add a warning of its own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from checker import __version__
from checker.facts.records import as_utc
from checker.redact import Redactor
from checker.remediation.text import one_line, visible
from checker.reporters.base import Reporter, reporters
from checker.results import Result, RunReport, Status, WaiverNote

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
SKIPS = (Status.SKIPPED, Status.BLOCKED, Status.WAIVED)


class _Text:
    """Every string put into the XML: secrets masked first (escaping would hide them from
    the final text pass), then characters XML 1.0 cannot carry, and those that hide or reorder
    text in a CI log (bidirectional overrides, zero-width), replaced."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def __call__(self, value: object) -> str:
        return _NOT_XML.sub("\ufffd", visible(self.redactor.text(str(value))))


def classname(host: str) -> str:
    return "checker." + host.replace(".", "_")


def case_name(r: Result) -> str:
    name = f"{r.rule_id}: {r.title}"
    return f"{name} [{r.object}]" if r.object else name


def _case(suite: ET.Element, r: Result, t: _Text) -> None:
    case = ET.SubElement(suite, "testcase", name=t(case_name(r)), classname=t(classname(r.host)),
                         time="0")
    first_line = r.message.splitlines()[0] if r.message else ""
    if r.status is Status.FAIL:
        outcome = ET.SubElement(case, "failure", message=t(first_line), type=r.severity.value)
        outcome.text = t(_detail(r))
    elif r.status is Status.ERROR:
        outcome = ET.SubElement(case, "error", message=t(first_line), type="error")
        outcome.text = t(_detail(r))
    elif r.status in SKIPS:
        reason = f"{r.status.value}: {first_line}" + _waiver_text(r.waiver)
        ET.SubElement(case, "skipped", message=t(reason))
    out = [f"status={r.status.value} severity={r.severity.value} source={r.source}"]
    if r.tags:
        out.append("tags=" + ",".join(r.tags))
    ET.SubElement(case, "system-out").text = t("\n".join(out))


def _waiver_text(w: WaiverNote | None) -> str:
    if w is None:
        return ""
    extra = [f"ticket {w.ticket}" if w.ticket else "", f"approved by {w.approver}"
             if w.approver else "", f"expires {w.expires.isoformat()}" if w.expires else ""]
    return f" (waived: {w.justification}" + "".join(f"; {e}" for e in extra if e) + ")"


def _detail(r: Result) -> str:
    lines = [r.message]
    if r.expected is not None:
        lines.append(f"expected: {r.expected}")
    if r.actual is not None:
        lines.append(f"actual: {r.actual}")
    lines += [f"offender: {o.object}: {o.message}" for o in r.offenders]
    for i, task in enumerate(r.remediation, 1):
        lines.append(f"remediation {i} [{task.kind}] {task.name}: {task.script or task.steps}")
    lines += [f"fact: {p.collector} on {p.host} via {p.transport}" for p in r.facts]
    return "\n".join(lines)


def _counts(results: Iterable[Result]) -> dict[str, str]:
    rows = list(results)
    return {
        "tests": str(len(rows)),
        "failures": str(sum(r.status is Status.FAIL for r in rows)),
        "errors": str(sum(r.status is Status.ERROR for r in rows)),
        "skipped": str(sum(r.status in SKIPS for r in rows)),
    }


def _properties(suite: ET.Element, report: RunReport, t: _Text) -> None:
    props = ET.SubElement(suite, "properties")
    values = {"inventory": report.inventory, "fail_on": report.fail_on.value,
              "exit_code": str(report.exit_code), "checker_version": __version__}
    for name, value in values.items():
        ET.SubElement(props, "property", name=name, value=t(value))
    for warning in report.warnings:
        ET.SubElement(props, "property", name="warning", value=t(warning))


@reporters.register("junit")
class JUnitReporter(Reporter):
    def render(self, report: RunReport) -> str:
        t = _Text(self.redactor)
        counts = _counts(report.results)
        time = f"{max(report.duration_s, 0.0):.3f}"  # a clock step must not break the XML
        root = ET.Element("testsuites", name="checker", tests=counts["tests"],
                          failures=counts["failures"], errors=counts["errors"], time=time)
        stamp = as_utc(report.started_at).strftime("%Y-%m-%dT%H:%M:%S")
        attrib = {"name": t(f"checker {report.inventory}"), **counts, "time": time,
                  "timestamp": stamp}
        suite = ET.SubElement(root, "testsuite", attrib)
        _properties(suite, report, t)
        for r in report.results:
            _case(suite, r, t)
        if report.warnings:
            ET.SubElement(suite, "system-err").text = t(
                "\n".join(f"warning: {one_line(w)}" for w in report.warnings))
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
