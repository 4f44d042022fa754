"""The textfile collector file, read back by a strict parser of the text exposition format."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import pytest

from checker.reporters.prometheus import STATUS_VALUES, PrometheusReporter, escape_label
from checker.results import RunReport, Status
from tests.reporters.conftest import HOSTILE

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
Series = tuple[str, tuple[tuple[str, str], ...]]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def _labels(body: str) -> tuple[tuple[str, str], ...]:
    pairs, pos = [], 0
    while pos < len(body):
        m = LABEL.match(body, pos)
        assert m, f"bad label at {body[pos:]!r}"
        pairs.append((m.group(1), _unescape(m.group(2))))
        pos = m.end()
        if pos < len(body):
            assert body[pos] == ",", body
            pos += 1
    return tuple(pairs)


def parse(text: str) -> tuple[dict[Series, float], dict[str, tuple[str, str]]]:
    """{(name, labels): value}, {name: (type, help)}; asserts the format as it goes."""
    samples: dict[Series, float] = {}
    meta: dict[str, dict[str, str]] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# "):
            kind, name, rest = line[2:].split(" ", 2)
            assert kind in ("HELP", "TYPE") and NAME.fullmatch(name), line
            assert name not in samples_names(samples), f"{kind} after samples: {line}"
            meta.setdefault(name, {})[kind] = rest
            continue
        m = re.fullmatch(r"([^{ ]+)(?:\{(.*)\})? (\S+)", line)
        assert m and NAME.fullmatch(m.group(1)), line
        name = m.group(1)
        assert set(meta.get(name, {})) == {"HELP", "TYPE"}, f"no HELP/TYPE before {name}"
        key = (name, _labels(m.group(2) or ""))
        assert key not in samples, f"duplicate series {key}"
        samples[key] = float(m.group(3))
    return samples, {n: (m["TYPE"], m["HELP"]) for n, m in meta.items()}


def samples_names(samples: Mapping[Series, float]) -> set[str]:
    return {name for name, _ in samples}


def values(samples: Mapping[Series, float], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


def test_demo_metrics(demo_report: RunReport) -> None:
    samples, meta = parse(PrometheusReporter().render(demo_report))
    assert all(t == "gauge" for t, _ in meta.values())
    status = values(samples, "checker_rule_status")
    key = (("rule", "AADC-CONNECTOR-SCHEMA-EXCHANGE"), ("host", "aadc01.lab.example.com"),
           ("severity", "critical"))
    assert status[key] == STATUS_VALUES[Status.FAIL] == 1
    assert len(status) == len({(r.rule_id, r.host) for r in demo_report.results})
    counts = {dict(k)["status"]: v for k, v in values(samples, "checker_results").items()}
    assert counts == {k: float(v) for k, v in demo_report.counts().items()}
    assert samples[("checker_exit_code", ())] == 1
    assert samples[("checker_run_duration_seconds", ())] == pytest.approx(demo_report.duration_s, abs=1e-3)
    assert samples[("checker_run_timestamp_seconds", ())] == pytest.approx(demo_report.finished_at.timestamp(), abs=1e-3)
    assert "checker_last_success_timestamp_seconds" not in samples_names(samples)
    assert "0 pass, 1 fail, 2 error, 3 skipped, 4 blocked, 5 waived" in meta["checker_rule_status"][1]


def test_last_success_only_when_the_run_passed(demo_report: RunReport) -> None:
    passed = dataclasses.replace(demo_report, results=tuple(
        r for r in demo_report.results if r.status in (Status.PASS, Status.SKIPPED)))
    samples, _ = parse(PrometheusReporter().render(passed))
    assert samples[("checker_exit_code", ())] == 0
    assert samples[("checker_last_success_timestamp_seconds", ())] == pytest.approx(
        passed.finished_at.timestamp(), abs=1e-3)


def test_hostile_label_values_round_trip(hostile_report: RunReport) -> None:
    bad = dataclasses.replace(hostile_report.results[0], rule_id='R"\\' + HOSTILE, host="h\nx")
    report = dataclasses.replace(hostile_report, results=(bad, *hostile_report.results[1:]))
    samples, _ = parse(PrometheusReporter().render(report))
    rules = {dict(k)["rule"]: dict(k)["host"] for k in values(samples, "checker_rule_status")}
    assert rules['R"\\' + HOSTILE] == "h\nx"
    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_per_object_rows_fold_into_the_worst(hostile_report: RunReport) -> None:
    first = hostile_report.results[0]
    rows = [dataclasses.replace(first, object=f"u{i}", status=s)
            for i, s in enumerate((Status.PASS, Status.ERROR, Status.FAIL, Status.PASS))]
    report = dataclasses.replace(hostile_report, results=tuple(rows))
    status = values(parse(PrometheusReporter().render(report))[0], "checker_rule_status")
    assert list(status.values()) == [1.0]


def test_the_run_warnings_are_series(hostile_report: RunReport) -> None:
    """An insecure setting warns in every report: the textfile had no trace of it, so no
    alert could fire on a gate that sends a password in clear text every night."""
    plain = "host dc01: checker_ldap_validate_certs: false: the DC's certificate is not verified"
    report = dataclasses.replace(hostile_report, warnings=(plain, plain, HOSTILE))
    samples, meta = parse(PrometheusReporter().render(report))
    assert values(samples, "checker_warning") == {(("message", plain),): 1, (("message", HOSTILE),): 1}
    assert meta["checker_warning"][0] == "gauge"
    quiet = dataclasses.replace(hostile_report, warnings=())
    assert "checker_warning" not in PrometheusReporter().render(quiet)


def test_label_values_carry_no_terminal_control(hostile_report: RunReport) -> None:
    """A warning or host holding an escape sequence or a bidi override wrote it raw into the
    textfile (`cat` ran it; Grafana showed the label reordered): U+FFFD, as in the HTML."""
    nasty = "dc\x1b]0;PWNED\x07\x1b[2J\u202egnp.exe\u200b"
    row = dataclasses.replace(hostile_report.results[0], host=nasty)
    report = dataclasses.replace(hostile_report, results=(row,), warnings=(nasty,))
    text = PrometheusReporter().render(report)
    assert not [c for c in set(nasty) if not c.isprintable() and c in text]
    assert "gnp.exe" in text
