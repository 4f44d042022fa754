"""Each Samba lab scenario, end to end through `checker apply`: exactly its failing rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.collectors.base import load_all
from checker.facts.model import FactKey
from checker.transports.ldap import LdapTransport
from tests.lab import samba
from tests.lab.conftest import host_vars

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]


def write_inventory(path: Path, dc: samba.SambaDC, **extra: Any) -> Path:
    host = {
        "ansible_host": dc.ip,
        "ansible_user": samba.ADMIN,
        "ansible_password": "{{ lookup('env', 'LAB_AD_PASSWORD') }}",
        "checker_ldap_ca_file": str(dc.ca_file),
        **extra,
    }
    inv = {"all": {"vars": {"ansible_connection": "ldap"},
                   "children": {"domain_controllers": {"hosts": {"labdc": host}}}}}
    path.write_text(yaml.safe_dump(inv))
    return path


def apply(inventory: Path, report: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run the real CLI in a subprocess; returns (exit code, JSON report)."""
    cmd = [sys.executable, "-m", "checker", "apply", str(inventory), "-r", str(REPO / "rules"),
           "--report", f"json:{report}", "--timeout", "60", *args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "LAB_AD_PASSWORD": samba.PASSWORD})
    assert "Traceback" not in proc.stderr, proc.stderr
    assert samba.PASSWORD not in proc.stdout + proc.stderr + report.read_text()
    return proc.returncode, json.loads(report.read_text())


def statuses(doc: dict[str, Any], status: str) -> set[str]:
    return {r["rule_id"] for r in doc["results"] if r["status"] == status}


@pytest.mark.parametrize("name", samba.scenario_names())
def test_scenario_fails_exactly_its_rules(
    name: str, lab_dc: Callable[[str], samba.SambaDC], tmp_path: Path
) -> None:
    dc = lab_dc(name)
    expected = set(samba.load_scenario(name)["expected_failures"])  # type: ignore[arg-type]
    code, doc = apply(write_inventory(tmp_path / "inv.yml", dc), tmp_path / "r.json")
    assert statuses(doc, "fail") == expected
    assert statuses(doc, "error") == set(), [r for r in doc["results"] if r["status"] == "error"]
    assert code == (1 if expected else 0)
    assert {r["host"] for r in doc["results"]} == {"labdc"}


def gather(dc: samba.SambaDC, names: list[str], **extra: Any) -> dict[str, Any]:
    """Facts straight from the transport and the collectors (no engine)."""
    registry = load_all()
    keys = {FactKey.of(n): registry.get(n)() for n in names}
    transport = LdapTransport("labdc", host_vars(dc, **extra), 30)
    transport.open()
    try:
        requests = {k: c.request(k.param_dict) for k, c in keys.items()}
        return {k.collector: keys[k].process(raw, {}) for k, raw in transport.collect(requests)}
    finally:
        transport.close()


def test_healthy_facts(lab_dc: Callable[[str], samba.SambaDC]) -> None:
    facts = gather(lab_dc("healthy"), ["ldap.rootdse", "ad.domain", "ad.upn_suffixes",
                                      "ad.exchange_schema", "ad.recipients"])
    assert facts["ldap.rootdse"].schema_naming_context == samba.SCHEMA_NC
    assert facts["ad.domain"].netbios_name == "LAB"
    assert facts["ad.domain"].forest_dns_name == samba.DNS_DOMAIN
    assert facts["ad.upn_suffixes"].suffixes == [samba.DNS_DOMAIN, "contoso.com"]
    schema = facts["ad.exchange_schema"]
    assert (schema.present, schema.missing, schema.schema_version) == (True, [], 17003)
    assert schema.version_name.startswith("Exchange 2019 CU10")
    assert (schema.organization, schema.org_object_version) == ("Lab Org", 16763)
    assert schema.domain_object_version == 13243
    assert schema.extended_at is not None and schema.updated_at >= schema.extended_at
    by_name = {r.sam_account_name or r.dn: r for r in facts["ad.recipients"]}
    assert len(by_name) == 40
    alice = by_name["alice"]
    assert (alice.recipient_type_details, alice.recipient_type) == (128, "MailUser")
    assert alice.target_address == "SMTP:alice@contoso.mail.onmicrosoft.com"
    assert by_name["rbob"].recipient_type == "RemoteUserMailbox"
    contact = next(r for r in facts["ad.recipients"] if r.object_class == "contact")
    assert contact.recipient_type == "MailContact" and contact.object_guid
    assert by_name["salesdl"].object_class == "group"
    # Connect's scoping: arbitration/discovery/system mailboxes and the conflict copy are
    # out; the monitoring (health) mailbox is in, with valid values
    out = sorted((r.mail_nickname or "") for r in facts["ad.recipients"] if not r.in_connect_scope)
    assert out == ["DiscoverySearchMailbox{D919BA05-46A6-415f-80AD-7E09334BB852}",
                   "FederatedEmail.4c1f4d8b-8179-4148-93bf-00a95fa1e042",
                   "Migration.8f3e7716-2011-43e4-96b1-aba62d229136",
                   "SystemMailbox{1f05a927-3be2-4fb9-aa03-b59fe3b56f4c}", "mu001"]
    assert "\\0ACNF:" in by_name["$DUPLICATE-1f4"].dn
    assert by_name["HealthMailbox0f4bbd1"].in_connect_scope


def test_schema_missing_facts(lab_dc: Callable[[str], samba.SambaDC]) -> None:
    facts = gather(lab_dc("exchange-schema-missing"), ["ad.exchange_schema", "ad.recipients"])
    schema = facts["ad.exchange_schema"]
    assert not schema.present and schema.schema_version is None and schema.organization is None
    assert "msExchRecipientTypeDetails" in schema.missing
    assert len(facts["ad.recipients"]) == 20
    assert {r.recipient_type_details for r in facts["ad.recipients"]} == {None}


def test_nickname_and_duplicate_facts(lab_dc: Callable[[str], samba.SambaDC]) -> None:
    recipients = gather(lab_dc("mailuser-no-nickname"), ["ad.recipients"])["ad.recipients"]
    missing = sorted(r.sam_account_name for r in recipients if r.mail_nickname is None)
    assert missing == ["nonick000", "nonick001", "nonick002"]
    dups = gather(lab_dc("duplicate-proxyaddresses"),
                  ["ad.proxy_address_duplicates"])["ad.proxy_address_duplicates"]
    assert [d.address for d in dups.duplicates] == ["smtp:shared@contoso.com"]
    assert len(dups.duplicates[0].holders) == 3


def test_old_schema_facts(lab_dc: Callable[[str], samba.SambaDC]) -> None:
    facts = gather(lab_dc("upn-suffix-local"), ["ad.exchange_schema", "ad.upn_suffixes"])
    schema = facts["ad.exchange_schema"]
    assert (schema.schema_version, schema.organization) == (15312, None)
    assert schema.version_name == "Exchange 2013 CU7 or later"
    assert "corp.local" in facts["ad.upn_suffixes"].suffixes
