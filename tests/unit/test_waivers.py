"""Waivers: status and original verdict, expiry at the day boundary, objects, strictness."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.evaluate.engine import Scope, evaluate
from checker.inventory import load_inventory
from checker.results import Status
from checker.ruleset.loader import load_rules
from checker.waivers import Waivers, load_waivers
from tests.estate import fact_row, write_estate, write_rules

RULES = [
    {"id": "T-FAIL", "title": "always fails", "severity": "high", "hosts": "aadconnect",
     "facts": {"s": "adsync.global_settings"}, "expect": [{"that": "false", "msg": "nope"}]},
    {"id": "T-DEP", "title": "depends on T-FAIL", "severity": "high", "hosts": "aadconnect",
     "depends_on": ["T-FAIL"], "facts": {"s": "adsync.global_settings"},
     "expect": [{"that": "true"}]},
    {"id": "T-USERS", "title": "per object", "severity": "medium", "hosts": "aadconnect",
     "facts": {"s": "adsync.global_settings"}, "for_each": "{{ ['svc-a', 'svc-b', 'alice'] }}",
     "object": "{{ item }}", "expect": [{"that": "false"}]},
]
SETTINGS = {"version": "2.5.79.0", "hybrid_exchange": True, "parameters": {}}


def run(tmp: Path, waivers: list[dict[str, Any]], today: dt.date, strict: bool = False,
        error_host: bool = False):
    facts = [fact_row("adsync.global_settings", SETTINGS)]
    hosts = {"aadc1": {"group": "aadconnect", "facts": facts}}
    if error_host:
        hosts["aadc2"] = {"group": "aadconnect",
                          "facts": [fact_row("adsync.global_settings", None, "error", "refused")]}
    inv = load_inventory(write_estate(tmp, hosts))
    rules = load_rules([str(write_rules(tmp, RULES))])
    (tmp / "w.yml").write_text(yaml.safe_dump(waivers, sort_keys=False))
    waive = Waivers(load_waivers(str(tmp / "w.yml")), inv, today)
    from checker.evidence import load_store

    store = load_store(tmp / "facts.json", list(inv.hosts))
    now = dt.datetime.combine(today, dt.time(12), dt.timezone.utc)
    rows = evaluate(rules, Scope(inv, list(inv.hosts), now), store, waive)
    warnings, extra = waive.report(strict)
    return {(r.rule_id, r.host): r for r in [*rows, *extra]}, warnings


W = {"rule": "T-FAIL", "justification": "accepted risk until the next wave", "ticket": "CHG-1",
     "expires": "2026-12-31"}


def test_waived_keeps_the_verdict_and_unblocks_dependents(tmp_path: Path) -> None:
    rows, warnings = run(tmp_path, [W], dt.date(2026, 11, 27))
    r = rows[("T-FAIL", "aadc1")]
    assert r.status is Status.WAIVED and r.original_status is Status.FAIL
    assert r.waiver is not None and r.waiver.ticket == "CHG-1"
    assert rows[("T-DEP", "aadc1")].status is Status.PASS
    assert warnings == []


@pytest.mark.parametrize(("today", "applies"), [
    (dt.date(2026, 12, 31), True),   # the expiry day itself still applies (inclusive, UTC)
    (dt.date(2027, 1, 1), False),    # the next day it has expired
])
def test_expiry_day_boundary(tmp_path: Path, today: dt.date, applies: bool) -> None:
    rows, warnings = run(tmp_path, [W], today)
    assert rows[("T-FAIL", "aadc1")].status is (Status.WAIVED if applies else Status.FAIL)
    assert bool(warnings) is (not applies)
    if not applies:
        assert "expired on 2026-12-31" in warnings[0]


def test_unmatched_waiver_warns_and_strict_makes_it_an_error(tmp_path: Path) -> None:
    unmatched = {**W, "hosts": "nohost*"}
    _, warnings = run(tmp_path, [unmatched], dt.date(2026, 11, 27))
    assert warnings and "matched no result" in warnings[0]
    rows, warnings = run(tmp_path, [unmatched], dt.date(2026, 11, 27), strict=True)
    assert warnings == []
    assert rows[("checker.waivers", "-")].status is Status.ERROR


def test_object_waivers_and_errors_are_never_waived(tmp_path: Path) -> None:
    partial = {"rule": "T-USERS", "objects": ["svc-*"], "justification": "service accounts, by design"}
    rows, _ = run(tmp_path, [partial, {**W, "hosts": "all"}], dt.date(2026, 11, 27),
                  error_host=True)
    users = rows[("T-USERS", "aadc1")]
    assert users.status is Status.FAIL  # alice still fails
    assert users.failed_objects == ("alice",) and users.waiver.objects == ("svc-a", "svc-b")
    everyone = {**partial, "objects": ["*"]}
    rows, _ = run(tmp_path, [everyone, {**W, "hosts": "all"}], dt.date(2026, 11, 27),
                  error_host=True)
    assert rows[("T-USERS", "aadc1")].status is Status.WAIVED
    assert rows[("T-FAIL", "aadc2")].status is Status.ERROR  # unreachable stays an error


def test_bad_waivers_file_is_exit_3_with_line(tmp_path: Path) -> None:
    inv = write_estate(tmp_path, {"aadc1": {"group": "aadconnect", "facts": []}})
    rules = write_rules(tmp_path, RULES)
    (tmp_path / "w.yml").write_text(
        "- rule: T-FAIL\n  justification: fine for now, really\n  expires: 2026-02-30\n"
        "- rule: T-NOPE\n  justification: a rule that does not exist\n")
    proc = subprocess.run([sys.executable, "-m", "checker", "apply", str(inv), "-r", str(rules),
                           "--waivers", str(tmp_path / "w.yml")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    assert "w.yml:3: waiver 1: expires:" in proc.stderr
    assert "w.yml:4: waiver 2: unknown rule T-NOPE" in proc.stderr
