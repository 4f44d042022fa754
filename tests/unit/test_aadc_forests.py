"""Multi-forest Entra Connect: each AD connector is judged against its own forest's DCs.

Two forests, two AD connectors on one Connect server. lab.example.com was extended for
Exchange long ago and its connector refreshed since; fabrikam.example.com was extended last
month and its connector is older than that. Measured against the first DC's forest (what
checker did before), the stale fabrikam connector passed whatever the inventory order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checker.results import Status
from checker.runner import Options, prepare, run
from tests.estate import fact_row, write_estate

RULES = str(Path(__file__).resolve().parents[2] / "rules")
LAB, FAB = "lab.example.com", "fabrikam.example.com"
EXCHANGE_ATTRS = ["msExchRecipientTypeDetails", "msExchRecipientDisplayType", "mailNickname",
                  "targetAddress"]


def connector(name: str, ident: str, refreshed: str, forest: str | None = None) -> dict:
    dn = ",".join(f"DC={p}" for p in name.split("."))
    return {"identifier": ident, "name": name, "type": "AD", "forest": forest,
            "domains": [name], "partitions": [dn],
            "schema": {"object_types": ["user"], "attributes": EXCHANGE_ATTRS},
            "created_at": "2020-01-01T00:00:00Z", "last_modified_at": refreshed,
            "schema_refreshed_at": refreshed}


def schema(forest: str, extended: str) -> dict:
    return {"present": True, "attributes": EXCHANGE_ATTRS, "missing": [],
            "schema_version": 17003, "extended_at": extended, "forest": forest,
            "domain": forest}


def estate(tmp: Path, dcs: dict[str, dict], connectors: list[dict]) -> list[Any]:
    settings = {"version": "2.5.79.0", "hybrid_exchange": True, "parameters": {}}
    hosts: dict[str, Any] = {name: {"group": "domain_controllers",
                                    "facts": [fact_row("ad.exchange_schema", value)]}
                             for name, value in dcs.items()}
    hosts["aadc1"] = {"group": "aadconnect", "facts": [
        fact_row("adsync.connectors", connectors),
        fact_row("adsync.global_settings", settings)]}
    inventory = write_estate(tmp, hosts)
    report, _ = run(prepare(Options(inventory=str(inventory), rules=[RULES],
                                    rule_ids=["AADC-CONNECTOR-SCHEMA-REFRESHED"])))
    return [r for r in report.results if r.rule_id == "AADC-CONNECTOR-SCHEMA-REFRESHED"]


CONNECTORS = [connector(LAB, "11111111-0000-0000-0000-000000000001", "2024-06-01T00:00:00Z"),
              connector(FAB, "22222222-0000-0000-0000-000000000002", "2025-01-01T00:00:00Z",
                        forest=FAB)]


@pytest.mark.parametrize("order", [("dc-lab", "dc-fab"), ("dc-fab", "dc-lab")])
def test_each_connector_against_its_own_forest(tmp_path: Path, order: tuple[str, str]) -> None:
    facts = {"dc-lab": schema(LAB, "2024-01-01T00:00:00Z"),
             "dc-fab": schema(FAB, "2026-10-15T00:00:00Z")}
    rows = estate(tmp_path, {name: facts[name] for name in order}, CONNECTORS)
    assert [r.status for r in rows] == [Status.FAIL]
    assert rows[0].failed_objects == (FAB,)
    assert "forest fabrikam.example.com" in rows[0].offenders[0].message
    steps = [t.steps for t in rows[0].remediation if t.kind == "manual"]
    assert steps and "select the forest fabrikam.example.com" in steps[0]


def test_a_forest_without_dc_is_skipped_with_the_reason(tmp_path: Path) -> None:
    rows = estate(tmp_path, {"dc-lab": schema(LAB, "2024-01-01T00:00:00Z")}, CONNECTORS)
    assert rows[0].status is Status.PASS and rows[0].counts["skipped"] == 1
    assert any(FAB in n and "no domain controller of its forest" in n for n in rows[0].notes)
    only_fab = estate(tmp_path, {"dc-lab": schema(LAB, "2024-01-01T00:00:00Z")}, CONNECTORS[1:])
    assert only_fab[0].status is Status.SKIPPED
    assert "no domain controller of its forest (fabrikam.example.com)" in only_fab[0].message
