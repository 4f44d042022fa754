"""What follows an evaluation, in the order of `checker apply`: the reports; then the history
(after the reports, so a failing history never costs the verdict: it adds an `error` row and
the file reports are written again with it); then the remediation plan. Shared by the CLI
and checker.api, so both deliver a run the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from checker.errors import CheckerError, InputError
from checker.reporters.base import get_reporter
from checker.results import RunReport
from checker.runner import Prepared, estate_of, record

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
    write_reports(prepared, report, specs, color, skip_console)
    if prepared.options.history:
        report = store_history(prepared, report, specs, note)
    if remediation_out:
        return report, write_plan(prepared, report, remediation_out, note)
    return report, report.exit_code


def write_reports(prepared: Prepared, report: RunReport, specs: Sequence[Spec], color: bool,
                  skip_console: bool = False, files_only: bool = False) -> None:
    for name, path in specs:
        to_stdout = path in (None, "-")
        if (skip_console and name == "console" and path is None) or (files_only and to_stdout):
            continue
        get_reporter(name)(prepared.redactor, color=color and path is None).write(report, path)


def store_history(prepared: Prepared, report: RunReport, specs: Sequence[Spec],
                  note: Note) -> RunReport:
    stored, run_id = record(prepared, report)
    if run_id is not None:
        note(f"history: stored as run {run_id} of estate {estate_of(prepared.options)}")
        return stored
    note(f"error: {stored.results[-1].message}")
    write_reports(prepared, stored, specs, color=False, files_only=True)  # with the error
    return stored


def write_plan(prepared: Prepared, report: RunReport, out: str, note: Note) -> int:
    from checker.remediation.render import write_remediation

    connections = {h.name: h.connection for h in prepared.inventory.hosts.values()}
    try:
        files = write_remediation(report, out, prepared.redactor, connections)
    except CheckerError as e:  # after the run: the verdict stands, the plan is missing
        note(f"error: {e}")
        return report.exit_code or 2
    note(f"remediation plan: {len(files)} file(s) in {out}")
    return report.exit_code
