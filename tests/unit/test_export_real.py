"""A real Get-ADSyncServerConfiguration export, as Microsoft publishes it: the Contoso "Pilot"
sample of microsoft/AADConnectConfigDocumenter (src/SolutionOutput/Data/Contoso/Pilot at
d1987713, MIT; tests/data/export/README.md). Build 1.1.130.0, one AD forest (contoso.com)
with the Exchange schema, 62 standard sync rules. Nothing in it was written by us."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from checker.cli import main
from checker.collectors.base import collectors, load_all
from checker.facts.model import FactKey
from checker.transports.export import ExportTransport

DATA = Path(__file__).resolve().parents[1] / "data" / "export"
RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def pilot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("export")
    with tarfile.open(DATA / "microsoft-contoso-pilot.tar.gz") as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # 3.11.4+
        tar.extractall(root, **safe)  # type: ignore[arg-type]
    yield root / "Pilot"


def facts(path: Path) -> dict[str, object]:
    load_all()
    transport = ExportTransport("aadc01", {"checker_export_dir": str(path)}, 10)
    transport.open()
    keys = {FactKey.of(n): collectors.get(n)().request({})
            for n in ("adsync.connectors", "adsync.global_settings", "adsync.sync_rules")}
    return {k.collector: collectors.get(k.collector)().process(raw, {})
            for k, raw in transport.collect(keys)}


def test_rules_read_as_the_real_export_has_them(pilot: Path) -> None:
    got = facts(pilot)
    rules = {r.name: r for r in got["adsync.sync_rules"]}  # type: ignore[attr-defined]
    assert len(rules) == 62
    user_join, exchange = rules["In from AD - User Join"], rules["In from AD - User Exchange"]
    assert (user_join.link_type, exchange.link_type) == ("Provision", "Join")
    assert exchange.immutable_tag == "Microsoft.InfromADUserExchange.003"
    assert exchange.direction == "Inbound" and exchange.enabled
    assert exchange.connector_id == "ae4db4cc-b16b-4eb2-acf5-837ca84e4d7d"
    assert rules["Out to AAD - User ExchangeOnline"].direction == "Outbound"


def test_connector_forest_and_settings(pilot: Path) -> None:
    got = facts(pilot)
    ad = next(c for c in got["adsync.connectors"] if c.type == "AD")  # type: ignore[attr-defined]
    assert (ad.name, ad.forest, ad.domains) == ("contoso.com", "contoso.com", ["contoso.com"])
    assert "msExchRecipientTypeDetails" in ad.schema.attributes
    settings = got["adsync.global_settings"]
    assert settings.version == "1.1.130.0"  # type: ignore[attr-defined]
    assert settings.staging_mode is False  # type: ignore[attr-defined]
    assert settings.sync_interval_s == 1800  # type: ignore[attr-defined]
    assert settings.run_history_purge_s == 7 * 86400  # type: ignore[attr-defined]


def test_the_rule_pack_on_the_real_export(pilot: Path, tmp_path: Path) -> None:
    inv = tmp_path / "inventory.yml"
    inv.write_text(json.dumps({"all": {"children": {"aadconnect": {"hosts": {"aadc01": {
        "ansible_connection": "adsync_export", "checker_export_dir": str(pilot)}}}}}}))
    report = tmp_path / "report.json"
    code = main(["apply", str(inv), "-r", str(RULES), "--report", f"json:{report}"])
    results = {r["rule_id"]: r for r in json.loads(report.read_text())["results"]}
    assert code == 1 and not [r for r in results.values() if r["status"] == "error"]
    assert results["AADC-SUPPORTED-BUILD"]["status"] == "fail"  # 1.1.130.0 is V1
    assert "October 1, 2023" in results["AADC-SUPPORTED-BUILD"]["message"]
    for rule in ("AADC-CONNECTOR-SCHEMA-EXCHANGE", "AADC-EXCHANGE-SYNC-RULES",
                 "AADC-STAGING-MODE"):
        assert results[rule]["status"] == "pass", results[rule]
