"""JUnit XML: a testcase per rule x host; `fail` is a failure, `error` an error.

Azure DevOps, GitHub and Jenkins then show failed checks and broken collection apart.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from checker.reporters.base import Reporter, reporters
from checker.results import Result, RunReport, Status


def _case(suite: ET.Element, r: Result) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"checker.{r.host}",
        name=f"{r.rule_id}: {r.title}",
        time="0",
    )
    detail = _detail(r)
    if r.status is Status.FAIL:
        ET.SubElement(case, "failure", message=r.message, type=r.severity.value).text = detail
    elif r.status is Status.ERROR:
        ET.SubElement(case, "error", message=r.message, type="error").text = detail
    elif r.status in (Status.SKIPPED, Status.BLOCKED, Status.WAIVED):
        ET.SubElement(case, "skipped", message=f"{r.status.value}: {r.message}")
    ET.SubElement(case, "system-out").text = f"severity={r.severity.value} source={r.source}"


def _detail(r: Result) -> str:
    lines = [r.message]
    if r.expected is not None:
        lines.append(f"expected: {r.expected}")
    if r.actual is not None:
        lines.append(f"actual: {r.actual}")
    lines += [f"offender: {o.object}: {o.message}" for o in r.offenders]
    for i, t in enumerate(r.remediation, 1):
        lines.append(f"remediation {i} [{t.kind}] {t.name}: {t.script or t.steps}")
    return "\n".join(lines)


@reporters.register("junit")
class JUnitReporter(Reporter):
    def render(self, report: RunReport) -> str:
        counts = report.counts()
        root = ET.Element("testsuites", name="checker")
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"checker {report.inventory}",
            tests=str(len(report.results)),
            failures=str(counts["fail"]),
            errors=str(counts["error"]),
            skipped=str(counts["skipped"] + counts["blocked"] + counts["waived"]),
            time=f"{report.duration_s:.3f}",
            timestamp=report.started_at.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        for r in report.results:
            _case(suite, r)
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
