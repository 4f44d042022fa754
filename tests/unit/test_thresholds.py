"""Per-estate thresholds (checker_rule_thresholds): the inventory changes a shipped rule's
max_failures / max_failure_pct for a host or group; validate and apply check them first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from tests.estate import fact_row, write_estate

RULES = str(Path(__file__).parents[2] / "rules")
SCHEMA = {"present": True, "attributes": ["msExchRecipientTypeDetails"], "missing": [],
          "schema_version": 17003}


def mail_user(n: int, nickname: bool) -> dict[str, Any]:
    return {"dn": f"CN=u{n},OU=Mail,DC=x", "object_class": "user", "sam_account_name": f"u{n}",
            "mail_nickname": f"u{n}" if nickname else None, "recipient_type_details": 128,
            "target_address": f"SMTP:u{n}@x.mail.onmicrosoft.com", "in_connect_scope": True}


def estate(tmp_path: Path, thresholds: Any = None, where: str = "group") -> Path:
    users = [mail_user(n, nickname=n >= 3) for n in range(100)]  # 3 of 100 without
    facts = [fact_row("ad.exchange_schema", SCHEMA), fact_row("ad.recipients", users)]
    extra = {"checker_rule_thresholds": thresholds} if thresholds is not None else {}
    host = {"group": "domain_controllers", "facts": facts,
            "vars": extra if where == "host" else {}}
    return write_estate(tmp_path, {"dc1": host}, extra if where == "group" else None)


def status(tmp_path: Path, inventory: Path) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "r.json"
    code = main(["apply", str(inventory), "-r", RULES, "--rule", "EXCH-MAILUSER-NICKNAME",
                 "--report", f"json:{out}"])
    doc = json.loads(out.read_text())
    (row,) = [r for r in doc["results"] if r["rule_id"] == "EXCH-MAILUSER-NICKNAME"]
    return code, row


@pytest.mark.parametrize("where", ["group", "host"])
def test_an_estate_raises_a_rules_threshold(tmp_path: Path, where: str) -> None:
    code, row = status(tmp_path, estate(tmp_path))
    assert (code, row["status"], row["expected"]) == (1, "fail", "failures <= 0")
    limits = {"EXCH-MAILUSER-NICKNAME": {"max_failures": 5}}
    code, row = status(tmp_path, estate(tmp_path, limits, where))
    assert (code, row["status"], row["expected"]) == (0, "pass", "failures <= 5")


def test_a_percentage_threshold(tmp_path: Path) -> None:
    code, row = status(tmp_path, estate(tmp_path, {"EXCH-MAILUSER-NICKNAME":
                                                   {"max_failure_pct": "2.5"}}))
    assert row["status"] == "fail" and row["failure_pct"] == 3.0
    code, row = status(tmp_path, estate(tmp_path, {"EXCH-MAILUSER-NICKNAME":
                                                   {"max_failure_pct": 5}}))
    assert (code, row["status"]) == (0, "pass")


@pytest.mark.parametrize("value,message", [
    ({"NO-SUCH-RULE": {"max_failures": 1}}, "NO-SUCH-RULE: no such rule"),
    ({"AD-EXCHANGE-SCHEMA-PRESENT": {"max_failures": 1}}, "not a per-object rule"),
    ({"EXCH-MAILUSER-NICKNAME": {"max_failures": -1}}, "whole number >= 0"),
    ({"EXCH-MAILUSER-NICKNAME": {"max_failures": 1.5}}, "whole number >= 0"),
    ({"EXCH-MAILUSER-NICKNAME": {"max_failure_pct": 150}}, "0..100"),
    ({"EXCH-MAILUSER-NICKNAME": {"max_fails": 1}}, "unknown key 'max_fails'"),
    ({"EXCH-MAILUSER-NICKNAME": 5}, "expected {max_failures: N}"),
    (["EXCH-MAILUSER-NICKNAME"], "expected a mapping"),
])
def test_bad_thresholds_are_invalid_input(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          value: Any, message: str) -> None:
    inventory = estate(tmp_path, value)
    assert main(["validate", RULES, "-i", str(inventory)]) == 3
    assert message in capsys.readouterr().err
    assert main(["apply", str(inventory), "-r", RULES]) == 3
    assert not (tmp_path / "r.json").exists()
