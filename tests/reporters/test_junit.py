"""JUnit XML against the schema CI servers read (tests/reporters/junit.xsd)."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.redact import Redactor
from checker.reporters.junit import JUnitReporter
from checker.results import RunReport

xmlschema = pytest.importorskip("xmlschema", reason="pip install xmlschema (a dev dependency)")
XSD = Path(__file__).with_name("junit.xsd")


@pytest.fixture(scope="module")
def schema() -> object:
    return xmlschema.XMLSchema(str(XSD))


def render(report: RunReport, schema: object, redactor: Redactor | None = None) -> ET.Element:
    text = JUnitReporter(redactor).render(report)
    schema.validate(text)  # type: ignore[attr-defined]
    return ET.fromstring(text.encode("utf-8"))


def test_demo_is_valid_and_maps_statuses(demo_report: RunReport, schema: object) -> None:
    root = render(demo_report, schema)
    suite = root.find("testsuite")
    assert suite is not None
    counts = demo_report.counts()
    assert suite.get("tests") == str(len(demo_report.results))
    assert suite.get("failures") == str(counts["fail"]) and suite.get("errors") == str(counts["error"])
    assert suite.get("skipped") == str(counts["skipped"] + counts["blocked"] + counts["waived"])
    case = next(c for c in root.iter("testcase") if c.get("name", "").startswith("AADC-CONNECTOR-SCHEMA-EXCHANGE"))
    assert case.get("name") == "AADC-CONNECTOR-SCHEMA-EXCHANGE: The AD connector schema includes the Exchange attributes"
    assert case.get("classname") == "checker.aadc01_lab_example_com"
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "critical"
    assert "Start-ADSyncSyncCycle -PolicyType Initial" in (failure.text or "")
    tags = {"fail": ["failure"], "error": ["error"], "skipped": ["skipped"], "blocked": ["skipped"],
            "waived": ["skipped"], "pass": []}
    for c, r in zip(root.iter("testcase"), demo_report.results, strict=True):
        assert [e.tag for e in c if e.tag != "system-out"] == tags[r.status.value]


def test_names_are_stable_between_runs(demo_report: RunReport, schema: object) -> None:
    later = dataclasses.replace(demo_report, started_at=demo_report.started_at.replace(year=2030),
                                finished_at=demo_report.finished_at.replace(year=2030))
    names = [(c.get("classname"), c.get("name")) for c in render(demo_report, schema).iter("testcase")]
    again = [(c.get("classname"), c.get("name")) for c in render(later, schema).iter("testcase")]
    assert names == again and len(set(names)) == len(names)


def test_hostile_values_and_waivers(hostile_report: RunReport, schema: object) -> None:
    bad = dataclasses.replace(hostile_report.results[0], message="nul\x00 bell\x07 " + hostile_report.results[0].message,
                              object="user'1")
    report = dataclasses.replace(hostile_report, results=(bad, *hostile_report.results[1:]))
    root = render(report, schema, Redactor(["onerror=alert(1)"]))
    first = next(root.iter("testcase"))
    assert first.get("name") == "R-ONE: title of R-ONE [user'1]"
    failure = first.find("failure")
    assert failure is not None and failure.get("message", "").startswith("nul\ufffd bell\ufffd </script>")
    assert "onerror=alert" not in ET.tostring(root, "unicode")  # masked before escaping
    waived = next(c for c in root.iter("testcase") if c.get("name", "").startswith("R-THREE"))
    skipped = waived.find("skipped")
    assert skipped is not None
    assert "ticket CHG-1234" in skipped.get("message", "") and "expires 2027-01-31" in skipped.get("message", "")


def test_the_run_warnings_are_in_the_file(hostile_report: RunReport, schema: object) -> None:
    """An insecure setting warns in every report: a CI job that publishes only the JUnit file
    (Azure DevOps PublishTestResults, Jenkins) showed no warning at all."""
    plain = ("host dc01: checker_ldap_allow_plaintext: true: the bind goes over plain ldap:// "
             "and the password is sent in clear text")
    report = dataclasses.replace(hostile_report, warnings=(plain, *hostile_report.warnings))
    suite = render(report, schema, Redactor(["onerror=alert(1)"])).find("testsuite")
    assert suite is not None
    err = suite.find("system-err")
    assert err is not None and f"warning: {plain}" in (err.text or "")
    props = [p.get("value") for p in suite.iter("property") if p.get("name") == "warning"]
    assert props[0] == plain and len(props) == 2
    assert "onerror=alert" not in ET.tostring(suite, "unicode")
    quiet = dataclasses.replace(hostile_report, warnings=())
    assert render(quiet, schema).find("testsuite/system-err") is None


def test_each_warning_is_one_line_of_system_err(hostile_report: RunReport, schema: object) -> None:
    forged = "warning: none of this run's settings is insecure"
    report = dataclasses.replace(hostile_report, warnings=(f"host dc\r\n{forged}",
                                                           f"host dc\r{forged}\u2028x"))
    err = render(report, schema).find("testsuite/system-err")
    assert err is not None and err.text is not None
    lines = err.text.splitlines()
    assert len(lines) == 2 and all(line.startswith("warning: host dc") for line in lines)


def test_no_bidi_override_or_zero_width_in_the_file(hostile_report: RunReport,
                                                    schema: object) -> None:
    nasty = "x\u202egnp.exe\u2066\u200b\x1b[31m"
    row = dataclasses.replace(hostile_report.results[0], message=nasty, host=nasty)
    report = dataclasses.replace(hostile_report, results=(row,), warnings=(nasty,))
    text = ET.tostring(render(report, schema), "unicode")
    assert not [c for c in set(nasty) if not c.isprintable() and c in text]
