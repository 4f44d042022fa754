"""`checker drift` output in the console and JSON reporters (markdown/html: their own tests)."""

from __future__ import annotations

import json

import pytest

from checker.errors import InputError
from checker.history.model import DriftReport
from checker.redact import Redactor
from checker.reporters.base import get_reporter
from checker.reporters.console import ConsoleReporter
from checker.reporters.json_report import JsonReporter


def test_console_groups_worse_first(drift_report: DriftReport) -> None:
    text = ConsoleReporter().render_drift(drift_report)
    lines = text.splitlines()
    assert lines[0].startswith("checker drift: run #11 (2026-11-26 02:00, exit 0) -> run #12")
    headings = [line for line in lines if line and line[0].isupper() and "(" in line]
    assert headings == ["New failures (1)", "Regressed (1)", "Became unreachable (1)",
                        "Still failing (1)", "Fixed (1)"]
    assert " ! R-NEW  aadc01 / contoso.test  [critical]  - -> fail  </script>" in text
    assert "   R-FIXED  dc01  [high]  fail -> pass" in text
    assert lines[-1] == ("Drift: 1 new-fail, 1 regressed, 1 became-unreachable, 1 still-failing, "
                         "1 fixed; 3 for the worse. Exit code 1.")


def test_console_nothing_changed(drift_report: DriftReport) -> None:
    empty = DriftReport(before=None, after=drift_report.after, items=())
    text = ConsoleReporter().render_drift(empty)
    assert "(no earlier run)" in text and "No change since the previous run." not in text
    assert "estate: inv.yml\n" in text  # which of the estates sharing the history
    assert "No earlier run of this estate: nothing to compare yet." in text
    assert text.endswith("Drift: nothing changed; 0 for the worse. Exit code 0.\n")
    same = DriftReport(before=drift_report.before, after=drift_report.after, items=())
    assert "No change since the previous run." in ConsoleReporter().render_drift(same)


def test_json_drift_document(drift_report: DriftReport) -> None:
    doc = json.loads(JsonReporter(Redactor(["onerror"])).render_drift(drift_report))
    assert doc["before"]["id"] == 11 and doc["after"]["summary"] == {"pass": 3, "fail": 2}
    assert doc["summary"]["worse"] == 3 and doc["summary"]["exit_code"] == 1
    assert doc["summary"]["fixed"] == 1 and doc["summary"]["gone"] == 0
    item = next(i for i in doc["items"] if i["change"] == "new-fail")
    assert item == {"change": "new-fail", "worse": True, "rule_id": "R-NEW", "host": "aadc01",
                    "object": "contoso.test", "severity": "critical", "before": None,
                    "after": "fail", "message": item["message"]}
    assert "onerror" not in json.dumps(doc) and "********" in item["message"]


@pytest.mark.parametrize("name", ["console", "json", "markdown", "html"])
def test_every_reader_format_renders_drift(name: str, drift_report: DriftReport) -> None:
    assert get_reporter(name)().render_drift(drift_report).strip()


@pytest.mark.parametrize("name", ["junit", "prometheus"])
def test_formats_without_a_drift_view_say_so(name: str, drift_report: DriftReport) -> None:
    with pytest.raises(InputError, match="cannot show drift"):
        get_reporter(name)().render_drift(drift_report)
