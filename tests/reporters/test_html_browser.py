"""The HTML report in headless Chromium: it loads clean, filters hide rows, details expand.

Needs Debian's `chromium`. Under CI=true a missing browser fails the test; locally it skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.history.model import DriftReport
from checker.reporters.html import HtmlReporter
from checker.results import RunReport
from tests.reporters.browser import Browser, chromium, find_chromium

VISIBLE_ROWS = """[...document.querySelectorAll('[data-row]')]
  .filter(e => e.checkVisibility())
  .map(e => ({status: e.dataset.status || e.dataset.change, severity: e.dataset.severity,
              host: e.dataset.host}))"""


def _binary() -> str:
    binary = find_chromium()
    if binary is None:
        reason = "chromium is not installed (apt-get install --no-install-recommends chromium)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(reason)
    return binary


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    binary = _binary()
    with chromium(binary, tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


def load(browser: Browser, html: str, path: Path) -> None:
    path.write_text(html, encoding="utf-8")
    browser.events.clear()
    browser.open_page(path.as_uri())


@pytest.fixture(scope="module")
def demo_page(browser: Browser, demo_report: RunReport,
              tmp_path_factory: pytest.TempPathFactory) -> Browser:
    load(browser, HtmlReporter().render(demo_report), tmp_path_factory.mktemp("html") / "r.html")
    return browser


@pytest.fixture()
def page(demo_page: Browser) -> Browser:
    demo_page.eval("document.querySelector('[data-action=reset]').click()")
    demo_page.eval("document.querySelector('[data-action=collapse]').click()")
    return demo_page


def rows(browser: Browser) -> list[dict[str, Any]]:
    return list(browser.eval(VISIBLE_ROWS))


def choose(browser: Browser, name: str, value: str) -> None:
    browser.eval(f"""(() => {{ const el = document.querySelector("select[data-filter={name}]");
        el.value = {value!r}; el.dispatchEvent(new Event('change', {{bubbles: true}})); }})()""")


def test_loads_clean_and_offline(page: Browser, demo_report: RunReport) -> None:
    assert page.problems() == []
    assert [u for u in page.requested_urls() if not u.startswith(("file:", "data:"))] == []
    assert len(rows(page)) == len(demo_report.results)
    total = len(demo_report.results)
    assert page.eval("document.getElementById('shown').textContent") == f"{total} of {total} shown"
    assert page.eval("JSON.parse(document.getElementById('checker-data').textContent)"
                     ".summary.exit_code") == 1


def test_unticking_pass_hides_pass_rows(page: Browser, demo_report: RunReport) -> None:
    page.eval("document.querySelector('input[data-filter=status][value=pass]')"
              ".closest('label').click()")
    shown = rows(page)
    assert shown and all(r["status"] != "pass" for r in shown)
    assert len(shown) == len(demo_report.results) - demo_report.counts()["pass"]


def test_host_filter_shows_only_that_host(page: Browser, demo_report: RunReport) -> None:
    choose(page, "host", "dc01.lab.example.com")
    shown = rows(page)
    assert {r["host"] for r in shown} == {"dc01.lab.example.com"}
    assert len(shown) == sum(r.host == "dc01.lab.example.com" for r in demo_report.results)
    hidden_plan = "document.querySelector('[data-host-card=\"aadc01.lab.example.com\"]').hidden"
    assert page.eval(hidden_plan) is True


def test_severity_filter_is_a_minimum(page: Browser, demo_report: RunReport) -> None:
    choose(page, "severity", "critical")
    assert {r["severity"] for r in rows(page)} == {"critical"}
    choose(page, "severity", "high")
    shown = rows(page)
    assert {r["severity"] for r in shown} == {"critical", "high"}
    assert len(shown) == sum(r.severity.rank >= 3 for r in demo_report.results)


def test_filters_combine_and_empty_state(page: Browser) -> None:
    choose(page, "host", "dc01.lab.example.com")
    page.eval("document.querySelector('input[data-filter=status][value=fail]').click()")
    assert all(r["status"] != "fail" and r["host"] == "dc01.lab.example.com" for r in rows(page))
    page.eval("""(() => { const q = document.querySelector('input[data-filter=text]');
        q.value = 'no such thing'; q.dispatchEvent(new Event('input', {bubbles: true})); })()""")
    assert rows(page) == []
    assert page.eval("document.getElementById('empty').checkVisibility()") is True


def test_details_expand(page: Browser) -> None:
    first = "document.querySelector('details[data-row][data-status=fail]')"
    assert page.eval(f"{first}.open") is False
    assert page.eval(f"{first}.querySelector('.detail').checkVisibility()") is False
    page.eval(f"{first}.querySelector('summary').click()")
    assert page.eval(f"{first}.open") is True
    assert page.eval(f"{first}.querySelector('.detail').checkVisibility()") is True
    text = page.eval(f"{first}.querySelector('.detail').innerText")
    for part in ("EXPECTED", "ACTUAL", "OBJECTS", "REMEDIATION", "FACTS USED",
                 "Start-ADSyncSyncCycle -PolicyType Initial", "adsync.connectors"):
        assert part in text
    page.eval("document.querySelector('[data-action=expand]').click()")
    assert page.eval("[...document.querySelectorAll('details[data-row]')].every(d => d.open)")
    assert page.problems() == []


def test_hostile_report_runs_no_injected_code(browser: Browser, hostile_report: RunReport,
                                               tmp_path: Path) -> None:
    load(browser, HtmlReporter().render(hostile_report), tmp_path / "hostile.html")
    assert browser.eval("document.querySelectorAll('img').length") == 0
    assert not [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
    assert browser.problems() == []
    msg = browser.eval("document.querySelector('details[data-row] .msg').textContent")
    assert "</script><img src=x onerror=alert(1)>" in msg


def test_drift_page_filters(browser: Browser, drift_report: DriftReport, tmp_path: Path) -> None:
    load(browser, HtmlReporter().render_drift(drift_report), tmp_path / "drift.html")
    assert browser.problems() == []
    assert [r["status"] for r in rows(browser)] == [
        "new-fail", "regressed", "became-unreachable", "still-failing", "fixed"]
    browser.eval("document.querySelector('input[data-filter=change][value=fixed]').click()")
    assert "fixed" not in [r["status"] for r in rows(browser)]
    groups = "[...document.querySelectorAll('[data-group]')].filter(g => !g.hidden).length"
    assert browser.eval(groups) == 4  # the emptied group is hidden with its rows
    choose(browser, "host", "aadc01")
    assert {r["host"] for r in rows(browser)} == {"aadc01"}


def test_warnings_are_a_visible_banner_above_the_results(browser: Browser, demo_report: RunReport,
                                                         tmp_path: Path) -> None:
    import dataclasses

    warning = ("host aadc01: ansible_psrp_cert_validation: ignore: the server's TLS "
               "certificate is not verified")
    report = dataclasses.replace(demo_report, warnings=(warning,))
    load(browser, HtmlReporter().render(report), tmp_path / "warned.html")
    box = browser.eval("""(() => { const b = document.querySelector('#warnings');
        const r = b.getBoundingClientRect();
        return {visible: b.checkVisibility(), top: r.top, height: r.height, text: b.innerText,
                results: document.querySelector('#results').getBoundingClientRect().top,
                role: b.getAttribute('role')}; })()""")
    assert box["visible"] and box["height"] > 20 and box["role"] == "alert"
    assert box["top"] < box["results"] and box["top"] < 600  # in the first screen
    assert "1 warning" in box["text"] and "cert_validation: ignore" in box["text"]
