"""Markdown for tickets and PR comments: the demo run, hostile values, drift. The report is
escaped by the helpers plan.md uses (checker.remediation.text), and read back by a CommonMark
parser with GitHub's tables (markdown-it-py): no value may become HTML, a link or a cell."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from checker.history.model import DriftReport
from checker.redact import Redactor
from checker.remediation.render import render_files
from checker.remediation.text import md_cell as cell
from checker.remediation.text import md_code as code
from checker.remediation.text import md_fence, md_inline
from checker.remediation.text import md_inline as text
from checker.reporters.markdown import MarkdownReporter
from checker.results import RunReport
from tests.reporters.conftest import HOSTILE

COMMONMARK = MarkdownIt("commonmark").enable("table")


def table_rows(md: str, header_start: str) -> list[list[str]]:
    """The rows of the table whose header starts with `header_start`, split on unescaped |."""
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_demo_summary(demo_report: RunReport) -> None:
    md = MarkdownReporter().render(demo_report)
    assert md.startswith("## ❌ checker: FAILED (exit code 1)\n")
    counts = table_rows(md, "| fail | error |")
    s = demo_report.counts()
    assert counts == [[str(s[k]) for k in ("fail", "error", "blocked", "waived", "skipped", "pass")]]
    problems = table_rows(md, "| Status | Severity | Rule")
    assert [r[0] for r in problems][:2] == ["**fail**", "**fail**"]  # fails come first
    assert problems[0][:4] == ["**fail**", "critical", "`AADC-CONNECTOR-SCHEMA-EXCHANGE`", "`aadc01.lab.example.com`"]
    assert {r[0] for r in problems} == {"**fail**", "**blocked**"}
    # The ordered plan: the manual wizard step, then the full sync in a powershell fence.
    plan = md[md.index("### Remediation plan"):]
    assert plan.index("Refresh the directory schema") < plan.index("```powershell")
    assert "   if ($adsyncPath) { Import-Module -Name (Join-Path $adsyncPath " \
        "'Bin\\ADSync\\ADSync.psd1') -ErrorAction Stop } else { Import-Module -Name 'ADSync' " \
        "-ErrorAction Stop }  # by name only when the service records no install path\n" \
        "   Start-ADSyncSyncCycle -PolicyType Initial\n   ```" in plan
    assert "for AADC-CONNECTOR-SCHEMA-EXCHANGE, AADC-CONNECTOR-SCHEMA-REFRESHED" in plan
    assert "**AADC-CONNECTOR-SCHEMA-EXCHANGE** on `aadc01.lab.example.com`: 1 of 1 objects failed" in md


def test_hostile_values_stay_inside_their_cells(hostile_report: RunReport) -> None:
    md = MarkdownReporter().render(hostile_report)
    problems = table_rows(md, "| Status | Severity | Rule")
    assert all(len(r) == 5 for r in problems)
    msg = problems[0][4]
    assert "\\|" in msg and "<br>" in msg and "&lt;img" in msg and "\\[link\\]" in msg
    prose = re.sub(r"``.*?``|`[^`]*`", "", md)  # code spans show markup literally
    assert "<img" not in prose  # no raw HTML anywhere else
    waived = table_rows(md, "| Rule | Host | Status | Justification")
    assert waived == [["`R-THREE`", "`dc01`", "waived (fail)", "accepted \\| " + cell(HOSTILE)[0:],
                       "CISO", "CHG-1234", "2027-01-31"]]
    assert "### Warnings\n\n- waiver 3 matches nothing" in md


def test_offenders_are_capped(hostile_report: RunReport) -> None:
    md = MarkdownReporter().render(hostile_report)
    block = md[md.index("### Objects"):md.index("### Remediation plan")]
    assert block.count("\n- ``user") == 10  # the object names hold a backtick: double fence
    assert "- … and 16 more (see the JSON report)" in block  # 25 failed + 1 error - 10 shown


def test_powershell_with_backticks_gets_a_longer_fence(hostile_report: RunReport) -> None:
    md = MarkdownReporter().render(hostile_report)
    assert "   ````powershell\n   Set-ADUser -Identity 'a`b'" in md
    assert md.count("````") == 2


def test_escape_helpers() -> None:
    assert cell("a|b\nc") == "a\\|b<br>c"
    assert text("# not a heading") == "\\# not a heading"
    assert code("a`b") == "``a`b``" and code("x|y") == "`x\\|y`"
    assert md_fence("```\n", "powershell") == ["````powershell", "```", "````"]
    assert text(HOSTILE).count("\n") == 0


def test_drift(drift_report: DriftReport) -> None:
    md = MarkdownReporter().render_drift(drift_report)
    assert md.startswith("## ❌ checker drift: 3 changes for the worse (exit code 1)")
    assert "before: run #11" in md and "after: run #12" in md
    headings = re.findall(r"^### (.+) \(\d+\)$", md, re.M)
    assert headings == ["New failures", "Regressed", "Became unreachable", "Still failing", "Fixed"]
    new = table_rows(md, "| Rule | Host | Severity")
    assert new[0][:4] == ["`R-NEW`", "`aadc01` · `contoso.test`", "critical", "— → fail"]
    assert len(new[0]) == 5  # the hostile message did not add columns


def test_drift_with_nothing_changed(drift_report: DriftReport) -> None:
    empty = DriftReport(before=None, after=drift_report.after, items=())
    md = MarkdownReporter().render_drift(empty)
    assert "✅" in md and "No change since the previous run." in md
    assert "before: none (first stored run)" in md


def test_a_lone_carriage_return_cannot_break_a_row_or_start_a_block() -> None:
    """CommonMark ends a line at a lone CR too: `a\rb` in a cell used to split the row, and
    `\r# x` in text started a heading."""
    assert cell("ok\rFAIL | x") == "ok<br>FAIL \\| x"
    assert cell("a\r\nb\rc\nd") == "a<br>b<br>c<br>d"
    assert "\r" not in text("one\r# two") and "\r" not in code("a\rb")
    assert text("x\r- y") == "x - y"


def _html(md: str) -> str:
    return COMMONMARK.render(md)


def test_a_commonmark_parser_finds_no_markup_from_values(hostile_report: RunReport,
                                                         tmp_path: Path) -> None:
    """Rendered as GitHub would (CommonMark + tables): the values stay text in the report
    and in plan.md, which escape them with the same helpers and write steps the same way."""
    report_md = MarkdownReporter().render(hostile_report)
    plan_md = render_files(hostile_report, Redactor(), {})["plan.md"]
    for md in (report_md, plan_md):
        html = _html(md)
        assert "<img" not in html and "<script" not in html and "<a " not in html
        tokens = COMMONMARK.parse(md)
        assert not [t for t in tokens if t.type in ("html_block", "html_inline")]
    name = f"**{md_inline('Fix ' + HOSTILE)}** (manual; for R-ONE)"
    assert f"1. {name}" in report_md and f"1. {name}" in plan_md  # one way to write a step
    rows = re.findall(r"<tr>.*?</tr>", _html(report_md), re.S)
    assert all(row.count("<td>") in (0, 5, 6, 7) for row in rows)  # no cell added by a value


def test_values_that_used_to_become_markup() -> None:
    """`&#x202e;` rendered as a right-to-left override, and `1.` or `>` at the start of a
    steps line opened a list or a quote in plan.md (`\\>` showed a stray backslash too)."""
    html = _html("\n\n".join(text(v) for v in ("&#x202e;evil", "1. one", "> quote", "- item",
                                                  "=====", "<b>x</b>")))
    assert "\u202e" not in html and "&amp;#x202e;evil" in html
    assert "<ol" not in html and "<ul" not in html and "<blockquote" not in html
    assert "<h1" not in html and "<b>" not in html and "\\" not in html
    assert "<p>1. one</p>" in html and "<p>&gt; quote</p>" in html


def test_a_cmdlet_task_shows_its_command_line(hostile_report: RunReport) -> None:
    """A `cmdlet` task used to show no body at all (only `powershell` got a fence)."""
    from dataclasses import replace

    from checker.results import RenderedTask

    task = RenderedTask("Enable MRSProxy", "cmdlet", "R-ONE", "dc01",
                        script="Set-WebServicesVirtualDirectory -Identity 'EX01\\EWS'",
                        cmdlet="Set-WebServicesVirtualDirectory",
                        parameters=(("Identity", "EX01\\EWS"),))
    first = replace(hostile_report.results[0], remediation=(task,))
    md = MarkdownReporter().render(replace(hostile_report,
                                           results=(first, *hostile_report.results[1:])))
    assert ("1. **Enable MRSProxy** (cmdlet; for R-ONE)\n\n   ```powershell\n"
            "   Set-WebServicesVirtualDirectory -Identity 'EX01\\EWS'\n   ```") in md


def test_escape_sequences_and_bidi_overrides_from_the_directory_are_removed() -> None:
    """`--report markdown` goes to terminals and into tickets: a CN holding a window-title
    OSC, a colour CSI, C1 controls and a right-to-left override used to come through raw."""
    import datetime as dt

    from checker.results import Result, Severity, Status

    evil = "conn\x1b]0;PWNED\x07\x1b[2J\x1b[31mRED\x9b31m\x08\u202eevil"
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    row = Result("R", f"dc01{evil}", Status.FAIL, Severity.HIGH, "t", f"bad {evil}",
                 failed_objects=(evil,), counts={"total": 1, "failed": 1, "errors": 0})
    md = MarkdownReporter().render(RunReport(t0, t0, "inv.yml", (row,), ("dc01",)))
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", md)
    assert "RED" in md and "evil" in md  # the text stays; only the control goes
