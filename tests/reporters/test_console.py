"""Console: data from a directory cannot drive the terminal (escape sequences, control
characters, a CR that overwrites a line, bidi overrides), in runs and in drift; our own
colours still work."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from checker.history.model import DriftReport
from checker.redact import Redactor
from checker.reporters.console import ConsoleReporter
from checker.reporters.terminal import plain
from checker.results import Offender, RenderedTask, RunReport
from checker.runner import Options, prepare, run
from tests.estate import MRS_PROXY_RULE, ews_vdir_row, write_estate, write_rules

NASTY = ("\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\rFAKE: all passed\u202egnp.exe"
         "\x1b]8;;http://evil.test\x1b\\link\x1b]8;;\x1b\\\x07\x00\x9b31m")


def nasty_report(report: RunReport) -> RunReport:
    first = report.results[0]
    task = RenderedTask(name=f"fix {NASTY}", kind="manual", rule_id=first.rule_id,
                        host=first.host, steps=NASTY)
    row = dataclasses.replace(first, host=f"dc{NASTY}", message=NASTY, title=NASTY,
                              offenders=(Offender(object=NASTY, message=NASTY),),
                              remediation=(task,), notes=(NASTY,))
    return dataclasses.replace(report, results=(row, *report.results[1:]),
                               warnings=(NASTY,), inventory=NASTY)


def assert_inert(out: str) -> None:
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\x9b" not in out
    assert "\r" not in out and "\u202e" not in out
    assert "FAKE: all passed" in out  # the text is kept, on the row of the value holding it


def test_escape_sequences_from_data_are_removed(hostile_report: RunReport) -> None:
    assert_inert(ConsoleReporter().render(nasty_report(hostile_report)))


def test_colour_is_ours_only(hostile_report: RunReport) -> None:
    out = ConsoleReporter(color=True).render(nasty_report(hostile_report))
    assert "\x1b[31;1mfail" in out  # the status colour
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\x1b[31mred" not in out


def test_drift_rows_are_cleaned_too(drift_report: DriftReport) -> None:
    items = (dataclasses.replace(drift_report.items[0], message=NASTY, host=NASTY),
             *drift_report.items[1:])
    assert_inert(ConsoleReporter().render_drift(dataclasses.replace(drift_report,
                                                                    items=items)))


def test_a_secret_with_a_control_character_is_masked_before_cleaning(
        hostile_report: RunReport) -> None:
    secret = "Pa\x07ss-w0rd!"
    report = dataclasses.replace(hostile_report, warnings=(f"bind failed for {secret}",))
    out = ConsoleReporter(Redactor([secret])).render(report)
    assert "Pass-w0rd!" not in out and "********" in out


def test_plain_drops_the_bidi_marks_too() -> None:
    """LRM, RLM and ALM reorder the neutral characters around them as overrides do (a host
    'dc01\u200f-prod' can show as another name); they went through untouched."""
    assert plain("dc01\u200f-prod\u200e.\u061cx") == "dc01-prod.x"


def test_plain_keeps_ordinary_text() -> None:
    assert plain("Müller, José\ttab\nline") == "Müller, José\ttab\nline"
    assert plain("a\r\nb\rc") == "a\nb\nc"


def test_a_shared_step_names_every_rule_it_is_for(demo_report: RunReport) -> None:
    """The demo's schema refresh and full sync are for two failing rules: the console names
    both, as plan.md, the markdown and the HTML report do (it named the first one only)."""
    text = ConsoleReporter(Redactor(), color=False).render(demo_report)
    plan = text.split("Remediation plan (in order, per host)")[1]
    both = "(rules AADC-CONNECTOR-SCHEMA-EXCHANGE, AADC-CONNECTOR-SCHEMA-REFRESHED)"
    assert plan.count(both) == 2, plan


def test_a_cmdlet_step_stays_on_one_line(tmp_path: Path) -> None:
    """A cmdlet step is a command to copy, as a script is: wrapped at 100 columns, its
    parameters fell onto a line of their own, which PowerShell runs as a second command."""
    inventory = write_estate(tmp_path, {"ex01.lab.example.com": {
        "group": "exchange_servers", "facts": [ews_vdir_row("EX01\\EWS (Default Web Site)")]}})
    rules = write_rules(tmp_path, [MRS_PROXY_RULE])
    report, _ = run(prepare(Options(inventory=str(inventory), rules=[str(rules)])))
    text = ConsoleReporter(Redactor(), color=False).render(report)
    line = ("Set-WebServicesVirtualDirectory -Identity 'EX01\\EWS (Default Web Site)' "
            "-MRSProxyEnabled:$true")
    assert f"       {line}\n" in text, text


# What a CN, host name or connector name would print as a line of its own, reading as ours.
FORGED = "Summary: 3 pass. Exit code 0."


def test_a_line_break_in_a_value_never_starts_a_line(hostile_report: RunReport) -> None:
    """Each value stays on its row: a name holding a line break printed its rest as a line
    of its own (a fake summary at column 0) in the plan's step names, warnings, notes, table
    and headers; only a script's own lines are lines."""
    breaks = [f"x{sep}{FORGED}" for sep in ("\n", "\r\n", "\r")]
    report = nasty_report(hostile_report)
    first = report.results[0]
    task = RenderedTask(name=breaks[0], kind="powershell", rule_id=first.rule_id,
                        host=first.host, script="Write-Output 'a'\nWrite-Output 'b'")
    row = dataclasses.replace(first, host=breaks[1], title=breaks[2], notes=tuple(breaks),
                              remediation=(task,))
    report = dataclasses.replace(report, results=(row, *report.results[1:]),
                                 warnings=tuple(breaks), inventory=breaks[0])
    out = ConsoleReporter().render(report)
    assert not [line for line in out.splitlines() if line.startswith(FORGED)], out
    assert "       Write-Output 'a'\n       Write-Output 'b'\n" in out


def test_a_line_break_in_a_drift_row_never_starts_a_line(drift_report: DriftReport) -> None:
    items = (dataclasses.replace(drift_report.items[0], object=f"cn\n{FORGED}",
                                 host=f"dc\r{FORGED}"), *drift_report.items[1:])
    out = ConsoleReporter().render_drift(dataclasses.replace(drift_report, items=items))
    assert not [line for line in out.splitlines() if line.startswith(FORGED)], out
