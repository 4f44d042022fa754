"""Prometheus: a node_exporter textfile collector file.

Write it where node_exporter's `--collector.textfile.directory` points, through a temporary
name and a rename so the collector never reads half a file:

    checker apply inv.yml --report prometheus:/var/lib/node_exporter/checker.prom.$$ ; \\
    mv /var/lib/node_exporter/checker.prom.$$ /var/lib/node_exporter/checker.prom

Every series is a gauge of this run; the textfile format allows no sample timestamps.
Rows of a per-object rule are one series per (rule, host): objects would explode cardinality.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from checker import __version__
from checker.remediation.text import visible
from checker.reporters.base import Reporter, reporters
from checker.results import Result, RunReport, Status

STATUS_VALUES = {
    Status.PASS: 0,
    Status.FAIL: 1,
    Status.ERROR: 2,
    Status.SKIPPED: 3,
    Status.BLOCKED: 4,
    Status.WAIVED: 5,
}
# When several rows (objects) share a rule and host, the series shows the one that matters most.
WORST_FIRST = (Status.FAIL, Status.ERROR, Status.BLOCKED, Status.WAIVED, Status.SKIPPED,
               Status.PASS)
_ENCODING = ", ".join(f"{v} {s.value}" for s, v in STATUS_VALUES.items())

HELP = {
    "checker_info": "checker version and inventory of this run (always 1).",
    "checker_rule_status": (
        f"Status of a rule on a host: {_ENCODING}. A per-object rule shows its worst row."
    ),
    "checker_results": "Result rows of this run by status.",
    "checker_run_duration_seconds": "Wall time of the run, from planning to the last result.",
    "checker_run_timestamp_seconds": "Unix time at which this run finished.",
    "checker_last_success_timestamp_seconds": (
        "Unix time at which this run finished, present only when its exit code was 0. The "
        "textfile is rewritten every run, so the series is absent after a run that did not "
        "pass; alert on time() - max_over_time(checker_last_success_timestamp_seconds[7d])."
    ),
    "checker_warning": "A warning of this run (always 1): an insecure connection setting, an "
    "expired or unmatched waiver. Alert on count(checker_warning) > 0.",
    "checker_exit_code": "Exit code of this run: 0 passed, 1 a fail at or above --fail-on, "
    "2 an error (unreachable, auth, timeout, collector) and no qualifying fail.",
}

Sample = tuple[Mapping[str, str], float]


def escape_label(value: str) -> str:
    """Label values per the exposition format: backslash, double quote and newline."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _series(name: str, labels: Mapping[str, str], value: float) -> str:
    if not labels:
        return f"{name} {_number(value)}"
    body = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items())
    return f"{name}{{{body}}} {_number(value)}"


def metric(name: str, samples: Iterable[Sample]) -> list[str]:
    lines = [f"# HELP {name} {escape_help(HELP[name])}", f"# TYPE {name} gauge"]
    return lines + [_series(name, labels, value) for labels, value in samples]


def rule_samples(results: Sequence[Result]) -> list[Sample]:
    worst: dict[tuple[str, str], Result] = {}
    for r in results:
        seen = worst.get((r.rule_id, r.host))
        if seen is None or WORST_FIRST.index(r.status) < WORST_FIRST.index(seen.status):
            worst[(r.rule_id, r.host)] = r
    return [
        ({"rule": r.rule_id, "host": r.host, "severity": r.severity.value},
         STATUS_VALUES[r.status])
        for r in worst.values()
    ]


@reporters.register("prometheus")
class PrometheusReporter(Reporter):
    def render(self, report: RunReport) -> str:
        finished = report.finished_at.timestamp()
        info = {"version": __version__, "inventory": self.redactor.text(report.inventory)}
        out = metric("checker_info", [(info, 1)])
        out += metric("checker_rule_status", self._scrubbed(rule_samples(report.results)))
        out += metric("checker_results", [({"status": s}, n) for s, n in report.counts().items()])
        out += metric("checker_run_duration_seconds", [({}, round(report.duration_s, 3))])
        out += metric("checker_run_timestamp_seconds", [({}, round(finished, 3))])
        if report.exit_code == 0:
            out += metric("checker_last_success_timestamp_seconds", [({}, round(finished, 3))])
        if report.warnings:
            out += metric("checker_warning", self._scrubbed(
                [({"message": w}, 1) for w in dict.fromkeys(report.warnings)]))
        out += metric("checker_exit_code", [({}, report.exit_code)])
        return "\n".join(out) + "\n"

    def _scrubbed(self, samples: list[Sample]) -> list[Sample]:
        # Before escaping: an escaped secret would no longer match the redactor's text pass.
        # Escape sequences and bidi overrides become U+FFFD: `cat` of the file runs no ESC.
        return [({k: visible(self.redactor.text(v)) for k, v in labels.items()}, value)
                for labels, value in samples]
