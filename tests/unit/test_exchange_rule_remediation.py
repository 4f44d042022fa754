"""The shipped Exchange Server rules' remediation, from recorded facts: each step names what a
real server needs, judged on what the cmdlets really report (AdminDisplayVersion is the CU's
build; a renewed certificate sits beside the old one until it is bound)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checker.results import RenderedTask
from checker.runner import Options, prepare, run
from tests.estate import fact_row, write_estate

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "rules" / "EXSRV-HYBRID-CERTIFICATE" / "pass.json"
HOST = "ex01.lab.example.com"
Facts = dict[str, Any]


def _facts() -> Facts:
    """A healthy hybrid organization's recorded facts, by collector."""
    spec = json.loads(BASE.read_text())
    return {f["collector"]: copy.deepcopy(f["value"]) for f in spec["hosts"][HOST]["facts"]}


def _remediation(tmp_path: Path, facts: Facts, rule: str) -> tuple[str, list[RenderedTask]]:
    rows = [fact_row(name, value) for name, value in facts.items()]
    inventory = write_estate(tmp_path, {HOST: {
        "group": "exchange_servers", "facts": rows,
        "vars": {"checker_exchange_routing_domain": "contoso.mail.onmicrosoft.com"}}})
    report, _ = run(prepare(Options(inventory=str(inventory), rules=[str(ROOT / "rules")])))
    (row,) = [r for r in report.results if r.rule_id == rule]
    return row.status.value, list(row.remediation)


def _no_dedicated_app(facts: Facts, server: Callable[[dict[str, Any]], None]) -> Facts:
    server(facts["exchange.servers"][0])
    facts["exchange.setting_overrides"] = []
    facts["exchange.auth_servers"] = [{"name": "EvoSts - 3c9a", "type": "AzureAD",
                                       "enabled": True, "application_identifier": None}]
    return facts


def _cu15(server: dict[str, Any]) -> None:
    """Exchange 2019 CU15 as Get-ExchangeServer reports it, April 2025 HU or not."""
    server.update(version="15.2.1748.10", product="Exchange 2019", cu="CU15",
                  hybrid_app_capable=None, hybrid_app_build="15.2.1748.24")


def _cu13(server: dict[str, Any]) -> None:
    server.update(version="15.2.1258.12", product="Exchange 2019", cu="CU13",
                  hybrid_app_capable=False, hybrid_app_build=None)


def test_a_cu_build_is_not_taken_for_a_missing_hotfix_update(tmp_path: Path) -> None:
    status, tasks = _remediation(tmp_path, _no_dedicated_app(_facts(), _cu15),
                                 "EXSRV-DEDICATED-HYBRID-APP")
    assert status == "fail"
    steps = {t.name: t.steps or "" for t in tasks}
    assert "Install a build that has the April 2025 hotfix update" not in steps
    check = steps["Check the hotfix update level of the Exchange servers"]
    assert "EX01 (Exchange 2019 CU15) needs build 15.2.1748.24" in check
    assert "(Get-Command ExSetup.exe).FileVersionInfo.FileVersion" in check
    assert "Configure the dedicated Exchange hybrid application" in steps


def test_a_cu_without_the_hotfix_update_is_told_to_upgrade(tmp_path: Path) -> None:
    _, tasks = _remediation(tmp_path, _no_dedicated_app(_facts(), _cu13),
                            "EXSRV-DEDICATED-HYBRID-APP")
    names = [t.name for t in tasks]
    assert names[0] == "Install a build that has the April 2025 hotfix update"
    assert "EX01 run(s) a cumulative update that never got" in (tasks[0].steps or "")
    assert "Check the hotfix update level of the Exchange servers" not in names


def test_exchange_server_se_needs_no_update(tmp_path: Path) -> None:
    _, tasks = _remediation(tmp_path, _no_dedicated_app(_facts(), lambda s: None),
                            "EXSRV-DEDICATED-HYBRID-APP")
    assert [t.name for t in tasks] == ["Configure the dedicated Exchange hybrid application"]


def test_the_renewed_certificate_is_the_one_bound_to_smtp(tmp_path: Path) -> None:
    """A renewal imports the new certificate beside the old one, still bound to SMTP and
    about to expire: the step binds the new one, never the old one again."""
    facts = _facts()
    certs = facts["exchange.certificates"]
    (hybrid,) = [c for c in certs if c["subject"] == "CN=mail.lab.example.com"]
    old = {**hybrid, "thumbprint": "OLD" + "0" * 37, "not_after": "2026-12-05T00:00:00Z"}
    new = {**hybrid, "thumbprint": "NEW" + "0" * 37, "services": ["IIS"],
           "not_after": "2027-11-20T00:00:00Z"}
    certs[certs.index(hybrid):certs.index(hybrid) + 1] = [old, new]
    status, tasks = _remediation(tmp_path, facts, "EXSRV-HYBRID-CERTIFICATE")
    assert status == "fail"  # the certificate bound to SMTP expires within 30 days
    (bind,) = [t for t in tasks if t.kind == "cmdlet"]
    assert bind.cmdlet == "Enable-ExchangeCertificate"
    assert dict(bind.parameters) == {"Thumbprint": new["thumbprint"], "Services": "SMTP",
                                     "Force": True}
    assert "Renew the hybrid certificate of ex01.lab.example.com" not in [t.name for t in tasks]
