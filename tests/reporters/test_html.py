"""The standalone HTML report, read as text: escaping, no network, embedded data, drift."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from html.parser import HTMLParser

from checker.history.model import DriftReport
from checker.redact import Redactor
from checker.reporters.html import HtmlReporter
from checker.results import Offender, RunReport
from tests.reporters.conftest import HOSTILE


class Page(HTMLParser):
    """Every start tag with its attributes, script bodies, and URLs the page would load."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self.scripts.append((self._in_script, data))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def names(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def test_hostile_values_cannot_break_out(hostile_report: RunReport) -> None:
    html = HtmlReporter().render(hostile_report)
    page = Page(html)
    assert not page.names("img")  # the <img onerror> stayed text
    assert [a.get("type") for a in page.names("script")] == ["application/json", None]
    assert "</script><img" not in html and "&lt;/script&gt;&lt;img src=x onerror" in html
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    data = page.scripts[0][1]
    assert "</" not in data and "<" not in data
    doc = json.loads(data)
    assert doc["results"][0]["message"] == HOSTILE  # the data itself is intact


def test_standalone_and_locked_down(demo_report: RunReport) -> None:
    html = HtmlReporter().render(demo_report)
    page = Page(html)
    for attrs in page.names("link") + page.names("img") + page.names("script") + page.names("iframe"):
        for key in ("src", "href"):
            assert (attrs.get(key) or "data:").startswith("data:"), attrs
    # no URL anywhere but in data: the hostile value, and the endpoints replayed facts were
    # recorded from (provenance, in the table and the embedded JSON)
    text = re.sub(r"psrp https?://[^<\"]*", "", html.replace("http://evil.test", ""))
    assert not re.search(r"https?://", text)
    assert "@import" not in html and "url(" not in html
    csp = next(a["content"] for a in page.names("meta") if a.get("http-equiv") == "Content-Security-Policy")
    js = page.scripts[-1][1]
    digest = base64.b64encode(hashlib.sha256(js.encode()).digest()).decode()
    assert csp and "default-src 'none'" in csp and f"'sha256-{digest}'" in csp


def test_demo_content(demo_report: RunReport) -> None:
    html = HtmlReporter().render(demo_report)
    page = Page(html)
    rows = [a for a in page.names("details") if "data-row" in a]
    assert len(rows) == len(demo_report.results)
    assert [a["data-status"] for a in rows][:2] == ["fail", "fail"]  # problems first
    assert {a["data-host"] for a in rows} == {"dc01.lab.example.com", "aadc01.lab.example.com"}
    boxes = [a["value"] for a in page.names("input") if a.get("data-filter") == "status"]
    assert boxes == ["fail", "error", "blocked", "waived", "skipped", "pass"]
    assert "FAILED · exit code 1" in html
    assert "Start-ADSyncSyncCycle -PolicyType Initial" in html
    assert 'data-host-card="aadc01.lab.example.com"' in html  # the plan per host
    assert "ad.exchange_schema" in html and "Facts used" in html  # provenance
    doc = json.loads(page.scripts[0][1])
    assert doc["summary"]["exit_code"] == 1 and doc["verdict"] == "failed"


def test_secrets_are_masked_even_when_escaping_would_change_them(hostile_report: RunReport) -> None:
    secret = "p<ss&word"
    row = hostile_report.results[1]
    report = dataclasses.replace(hostile_report, results=(
        dataclasses.replace(row, message=f"bind failed with {secret}"),))
    reporter = HtmlReporter(Redactor([secret]))
    html = reporter.redactor.text(reporter.render(report))
    assert "p&lt;ss&amp;word" not in html and "p\\u003css\\u0026word" not in html
    assert "bind failed with ********" in html


def test_waiver_is_shown(hostile_report: RunReport) -> None:
    html = HtmlReporter().render(hostile_report)
    assert "CHG-1234" in html and "expires 2027-01-31" in html and "approved by CISO" in html


def test_drift_page(drift_report: DriftReport) -> None:
    html = HtmlReporter().render_drift(drift_report)
    page = Page(html)
    assert not page.names("img")
    groups = re.findall(r'<span class="badge c-([a-z-]+)">', html)
    assert groups == ["new-fail", "regressed", "became-unreachable", "still-failing", "fixed"]
    rows = [a for a in page.names("tr") if "data-row" in a]
    assert [r["data-change"] for r in rows] == groups
    boxes = [a["value"] for a in page.names("input") if a.get("data-filter") == "change"]
    assert boxes[:2] == ["new-fail", "regressed"] and "gone" in boxes
    assert "WORSE · exit code 1" in html and "run #11" in html
    doc = json.loads(page.scripts[0][1])
    assert doc["summary"]["worse"] == 3


def test_drift_page_with_nothing_changed(drift_report: DriftReport) -> None:
    html = HtmlReporter().render_drift(DriftReport(before=None, after=drift_report.after, items=()))
    assert "No change since the previous run." in html and "NO REGRESSIONS" in html


def test_hidden_characters_from_data_are_shown_not_obeyed(hostile_report: RunReport) -> None:
    """A right-to-left override in an object name would reorder what the reader sees (the
    console, Markdown and plan.md remove or mark them; so does the page)."""
    row = hostile_report.results[0]
    evil = "svc-\u202egnp.exe\u200b\x1b[31m"
    report = dataclasses.replace(hostile_report, results=(
        dataclasses.replace(row, message=evil,
                            offenders=(Offender(object=evil, message=evil),)),
        *hostile_report.results[1:]))
    html = HtmlReporter().render(report)
    assert "\u202e" not in html and "\u200b" not in html and "\x1b" not in html
    assert "svc-\ufffdgnp.exe" in html

