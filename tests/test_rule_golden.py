"""Golden tests, data first: tests/rules/<RULE-ID>/<case>.json holds recorded facts per host
and the status the rule must give on each host. The rule runs with the shipped rule packs
(its depends_on included) through the real engine, from a snapshot inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.runner import Options, prepare, run
from tests.estate import fact_row, write_estate

ROOT = Path(__file__).parent
CASES = sorted((ROOT / "rules").glob("*/*.json"))
RULES = str(ROOT.parent / "rules")


def _rows(facts: list[dict]) -> list[dict]:
    return [fact_row(f["collector"], f["value"], f["status"], f.get("error"), f.get("params"))
            for f in facts]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.stem}" for c in CASES])
def test_rule_case(case: Path, tmp_path: Path) -> None:
    spec = json.loads(case.read_text())
    hosts = {n: {**h, "facts": _rows(h["facts"])} for n, h in spec["hosts"].items()}
    inventory = write_estate(tmp_path, hosts)
    prepared = prepare(Options(inventory=str(inventory), rules=[RULES]))
    report, _ = run(prepared)
    rule = case.parent.name
    got = {r.host: r.status.value for r in report.results if r.rule_id == rule}
    assert got == spec["expected"], [r.message for r in report.results if r.rule_id == rule]


def test_every_incident_rule_has_pass_fail_and_error_cases() -> None:
    for rule in ("AD-EXCHANGE-SCHEMA-PRESENT", "AADC-CONNECTOR-SCHEMA-EXCHANGE",
                 "AADC-CONNECTOR-SCHEMA-REFRESHED", "AADC-FULL-SYNC-AFTER-REFRESH",
                 "AADC-SUPPORTED-BUILD"):
        kinds = {c.stem.split("-")[0] for c in (ROOT / "rules" / rule).glob("*.json")}
        assert {"pass", "fail", "error"} <= kinds, rule
