"""The offline reader on an export-shaped folder: same raw shape, same records, same rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checker.collectors.base import collectors, load_all
from checker.errors import FactUnavailable, TransportError
from checker.facts.model import FactKey
from checker.transports.export import ExportTransport

EXPORT = Path(__file__).resolve().parents[1] / "data" / "export" / "contoso"


def gather(path: Path) -> dict[str, object]:
    load_all()
    transport = ExportTransport("aadc01", {"checker_export_dir": str(path)}, 10)
    transport.open()
    keys = {FactKey.of(n): collectors.get(n)().request({}) for n in collectors.names()
            if n.startswith("adsync.")}
    out: dict[str, object] = {}
    for key, raw in transport.collect(keys):
        out[key.collector] = raw if isinstance(raw, Exception) else \
            collectors.get(key.collector)().process(raw, {})
    return out


def test_export_facts() -> None:
    facts = gather(EXPORT)
    connectors = facts["adsync.connectors"]
    assert isinstance(connectors, list)
    ad = next(c for c in connectors if c.type == "AD")
    assert ad.identifier == "ae4db4cc-b16b-4eb2-acf5-837ca84e4d7d" and ad.version == 682
    assert "msExchRecipientTypeDetails" in ad.schema.attributes
    assert "msExchRecipientTypeDetails" in ad.attribute_inclusion
    assert ad.schema.object_types == ["user", "group", "contact"]
    assert ad.partitions == ["DC=contoso,DC=com"]  # the unselected partition is left out
    assert ad.object_inclusion == ["contact", "group", "user"]
    assert ad.schema_refreshed_at == dt.datetime(2016, 5, 3, 14, 28, 11, 513000,
                                                 tzinfo=dt.timezone.utc)
    aad = next(c for c in connectors if c.type == "Extensible2")
    assert aad.subtype == "Windows Azure Active Directory (Microsoft)"
    settings = facts["adsync.global_settings"]
    assert settings.version == "1.1.130.0" and settings.hybrid_exchange is True  # type: ignore
    rules = {r.name: r for r in facts["adsync.sync_rules"]}  # type: ignore[attr-defined]
    assert rules["In from AD - User Exchange"].enabled
    assert not rules["Out to AAD - User ExchangeOnline"].enabled
    assert rules["Out to AAD - Group Join"].direction == "Outbound"
    for name in ("adsync.run_history", "adsync.scheduler"):
        assert isinstance(facts[name], FactUnavailable)


def test_not_an_export(tmp_path: Path) -> None:
    transport = ExportTransport("aadc01", {"checker_export_dir": str(tmp_path)}, 10)
    with pytest.raises(TransportError, match="not a Get-ADSyncServerConfiguration export"):
        transport.open()
    assert ExportTransport.check_vars({}) and not ExportTransport.check_vars(
        {"checker_export_dir": "x"})


def test_broken_file_errors_only_that_fact(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(EXPORT, tmp_path / "x")
    (tmp_path / "x" / "GlobalSettings" / "MV.xml").write_text("<mv-data><oops>")
    facts = gather(tmp_path / "x")
    assert "cannot read" in str(facts["adsync.global_settings"])
    assert isinstance(facts["adsync.connectors"], list)


def test_same_rules_run_on_an_export(tmp_path: Path) -> None:
    import json

    from checker.cli import main

    inv = tmp_path / "inventory.yml"
    inv.write_text(json.dumps({"all": {"children": {"aadconnect": {"hosts": {"aadc01": {
        "ansible_connection": "adsync_export", "checker_export_dir": str(EXPORT)}}}}}}))
    report = tmp_path / "report.json"
    rules = Path(__file__).resolve().parents[2] / "rules"
    code = main(["apply", str(inv), "-r", str(rules), "--report", f"json:{report}"])
    results = {r["rule_id"]: r for r in json.loads(report.read_text())["results"]}
    assert code == 1
    assert results["AADC-CONNECTOR-SCHEMA-EXCHANGE"]["status"] == "pass"
    assert results["AADC-EXCHANGE-SYNC-RULES"]["status"] == "fail"  # ExchangeOnline disabled
    assert results["AADC-SUPPORTED-BUILD"]["status"] == "fail"  # 1.1.130.0
    for rule in ("AADC-SYNC-CYCLE-RECENT", "AADC-SCHEDULER-ENABLED"):
        assert results[rule]["status"] == "skipped", results[rule]
    # staging mode is a global setting: an export holds it (no scheduler needed)
    assert results["AADC-STAGING-MODE"]["status"] == "pass"
