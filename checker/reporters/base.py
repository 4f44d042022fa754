"""Reporters only format a RunReport; they never decide the exit code."""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from checker.errors import InputError, OutputError
from checker.history.model import DriftReport
from checker.redact import Redactor
from checker.registry import Registry
from checker.results import RunReport


class Reporter(ABC):
    registry_name: ClassVar[str]
    default_to_stdout: ClassVar[bool] = False

    def __init__(self, redactor: Redactor | None = None, color: bool = False) -> None:
        self.redactor = redactor or Redactor()
        self.color = color

    @abstractmethod
    def render(self, report: RunReport) -> str:
        """The whole report as text."""

    def render_drift(self, drift: DriftReport) -> str:
        """The drift between two runs (`checker drift`); formats that cannot show it say so."""
        raise InputError(f"the {self.registry_name} report cannot show drift")

    def write(self, report: RunReport, path: str | None) -> None:
        self.emit(self.render(report), path)

    def write_drift(self, drift: DriftReport, path: str | None) -> None:
        self.emit(self.render_drift(drift), path)

    def emit(self, text: str, path: str | None) -> None:
        text = self.redactor.text(text)
        if path in (None, "-"):
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            try:
                Path(path).write_text(text, encoding="utf-8")
            except OSError as e:
                raise OutputError(f"--report {self.registry_name}: cannot write {path}: "
                                  f"{e.strerror or e}") from e


reporters: Registry[type[Reporter]] = Registry("reporter", {
    "console": "checker.reporters.console",
    "json": "checker.reporters.json_report",
    "junit": "checker.reporters.junit",
    "markdown": "checker.reporters.markdown",
    "html": "checker.reporters.html",
    "prometheus": "checker.reporters.prometheus",
})


def reporter_names() -> list[str]:
    return reporters.names()


def get_reporter(name: str) -> type[Reporter]:
    if name not in reporters:
        known = ", ".join(reporter_names())
        raise InputError(f"--report: unknown format {name!r} (known: {known})")
    return reporters.get(name)


def report_specs(specs: Sequence[str] | None) -> list[tuple[str, str | None]]:
    """The --report options, parsed. The console view stays on stdout unless a report itself
    writes there, so a cron job's log still shows the run when every report goes to a file."""
    parsed = [parse_spec(s) for s in specs or ()]
    if any(path in (None, "-") for _, path in parsed):
        return parsed
    return [("console", None), *parsed]


def parse_spec(spec: str) -> tuple[str, str | None]:
    """`json:out.json` -> ("json", "out.json"); `console` -> ("console", None)."""
    name, _, path = spec.partition(":")
    get_reporter(name)
    return name, path or None
