"""What follows an evaluation, in the order of `checker apply`: the reports; then the history
(after the reports, so a failing history never costs the verdict: it adds an `error` row and
the file reports are written again with it); then the remediation plan. Shared by the CLI
and checker.api, so both deliver a run the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from checker.errors import CheckerError, InputError, OutputError
from checker.reporters.base import get_reporter
from checker.results import RunReport
from checker.runner import Prepared, estate_of, record, run_error

Note = Callable[[str], None]  # one line for the operator (the CLI prints it on stderr)
Spec = tuple[str, str | None]  # (report format, path or None for stdout)


def check_remediation_out(out: str | None) -> None:
    """Refuse an unusable --remediation-out before anything is contacted."""
    if out:
        from checker.remediation.outdir import dir_problem

        problem = dir_problem(Path(out))
        if problem:
            raise InputError(problem)


def deliver(prepared: Prepared, report: RunReport, specs: Sequence[Spec], note: Note,
            color: bool = False, skip_console: bool = False,
            remediation_out: str | None = None) -> tuple[RunReport, int]:
    """Write, store and plan; returns the final report and the exit code."""
    report, specs = write_all(prepared, report, specs, note, color, skip_console)
    if prepared.options.history:
        report = store_history(prepared, report, specs, note)
    if remediation_out:
        return report, write_plan(prepared, report, remediation_out, note)
    return report, report.exit_code


def write_all(prepared: Prepared, report: RunReport, specs: Sequence[Spec], note: Note,
              color: bool, skip_console: bool) -> tuple[RunReport, list[Spec]]:
    """Every report. One that cannot be written (disk full, I/O error) costs only itself: it
    becomes an `error` row, and the reports that were written are written again with it.
    Returns the report and the reports that were written."""
    failed = write_reports(prepared, report, specs, color, skip_console)
    if not failed:
        return report, list(specs)
    for _, error in failed:
        note(f"error: {error}")
    rows = [run_error("checker.report", "Reports", str(error)) for _, error in failed]
    report = replace(report, results=(*report.results, *rows))
    written = [spec for spec in specs if spec not in {spec for spec, _ in failed}]
    write_reports(prepared, report, written, color=False, files_only=True)
    return report, written


def write_reports(prepared: Prepared, report: RunReport, specs: Sequence[Spec], color: bool,
                  skip_console: bool = False,
                  files_only: bool = False) -> list[tuple[Spec, OutputError]]:
    """Write each report; returns the ones that could not be written, with the cause."""
    failed = []
    for name, path in specs:
        to_stdout = path in (None, "-")
        if (skip_console and name == "console" and path is None) or (files_only and to_stdout):
            continue
        reporter = get_reporter(name)(prepared.redactor, color=color and path is None)
        try:
            reporter.write(report, path)
        except OutputError as e:
            failed.append(((name, path), e))
    return failed


def store_history(prepared: Prepared, report: RunReport, specs: Sequence[Spec],
                  note: Note) -> RunReport:
    stored, run_id = record(prepared, report)
    if run_id is not None:
        note(f"history: stored as run {run_id} of estate {estate_of(prepared.options)}")
        return stored
    note(f"error: {stored.results[-1].message}")
    for _, error in write_reports(prepared, stored, specs, color=False, files_only=True):
        note(f"error: {error}")  # the report written before may lack the history's row
    return stored


def write_plan(prepared: Prepared, report: RunReport, out: str, note: Note) -> int:
    from checker.remediation.render import restricted_hosts, write_remediation

    hosts = [prepared.inventory.hosts[h] for h in report.hosts if h in prepared.inventory.hosts]
    connections = {h.name: h.connection for h in hosts}
    try:
        files = write_remediation(report, out, prepared.redactor, connections,
                                  restricted_hosts(hosts))
    except CheckerError as e:  # after the run: the verdict stands, the plan is missing
        note(f"error: {e}")
        return report.exit_code or 2
    note(f"remediation plan: {len(files)} file(s) in {out}")
    return report.exit_code
