"""Two forests, a DC of each (lab.example.com and fabrikam.example.com, tests/lab/forests.py),
one Connect server with an AD connector per forest: the fabrikam one stale.

The verdicts do not depend on the order of the DCs in the inventory, each connector is
measured against its own forest's DC, and two forests at two Exchange schema versions are no
convergence failure. The rules as they were before the forest mapping (e189522) fail these
same facts. The second forest's DC is a DC of its own: hardened, its own CA and KDC.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ldap3
import pytest
import yaml

from tests.lab import estate, samba
from tests.lab.test_estate import checker

pytestmark = pytest.mark.lab
BEFORE = Path(__file__).parent / "before_forest_mapping" / "rules.yml"
LAB_DC, FAB_DC = estate.dc_name(samba.LAB), estate.dc_name(samba.FABRIKAM)
FAB = samba.FABRIKAM.dns_domain


@pytest.fixture(scope="module")
def forests(estate_templates: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[estate.Lab]:
    lab = estate.up("two-forests-one-stale", tmp_path_factory.mktemp("forests") / "lab",
                    estate_templates)
    yield lab
    estate.down(lab.dir)


def reordered(lab: estate.Lab, name: str, dcs: list[str]) -> Path:
    """The lab's inventory with `domain_controllers` holding `dcs`, in that order."""
    doc = yaml.safe_load(lab.inventory.read_text())
    group = doc["all"]["children"]["domain_controllers"]
    group["hosts"] = {dc: group["hosts"][dc] for dc in dcs}
    path = lab.dir / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def apply(inventory: Path, *args: str) -> dict[str, Any]:
    out = inventory.with_suffix(f".{len(args)}.json")
    proc = checker("apply", str(inventory), "--report", f"json:{out}", *args)
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1), proc.stderr
    return dict(json.loads(out.read_text()))


def verdicts(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every row's status, message, offending objects and notes."""
    return sorted((r["rule_id"], r["host"], r["status"], r["message"],
                   tuple(sorted(o["object"] for o in r.get("offenders") or [])),
                   tuple(r.get("notes") or ())) for r in doc["results"])


def rows(doc: dict[str, Any], rule: str) -> dict[str, dict[str, Any]]:
    return {r["host"]: r for r in doc["results"] if r["rule_id"] == rule}


def offenders(doc: dict[str, Any], rule: str) -> list[str]:
    return sorted(o["object"] for r in rows(doc, rule).values() for o in r.get("offenders") or [])


def schema_facts(facts: Path) -> dict[str, dict[str, Any]]:
    """ad.exchange_schema of each DC, as gathered."""
    doc = json.loads(facts.read_text())
    return {host: next(f["value"] for f in h["facts"] if f["collector"] == "ad.exchange_schema")
            for host, h in doc["hosts"].items() if host.startswith("dc01.")}


def test_same_verdicts_whichever_dc_comes_first(forests: estate.Lab) -> None:
    facts = forests.dir / "facts.json"
    first = apply(reordered(forests, "lab-first.yml", [LAB_DC, FAB_DC]), "--save-facts",
                  str(facts))
    second = apply(reordered(forests, "fabrikam-first.yml", [FAB_DC, LAB_DC]))
    assert verdicts(first) == verdicts(second)
    # the stale connector alone fails, against its own forest; the healthy one passes
    assert offenders(first, "AADC-CONNECTOR-SCHEMA-REFRESHED") == [FAB]
    assert offenders(first, "AADC-CONNECTOR-SCHEMA-EXCHANGE") == [FAB]
    schemas = schema_facts(facts)
    assert {h: (s["forest"], s["schema_version"]) for h, s in schemas.items()} == {
        LAB_DC: ("lab.example.com", 17003), FAB_DC: (FAB, 15334)}
    lab_extended, fab_extended = (schemas[h]["extended_at"] for h in (LAB_DC, FAB_DC))
    assert lab_extended < fab_extended  # extended a month apart
    message = rows(first, "AADC-CONNECTOR-SCHEMA-REFRESHED")[estate.AADC_NAME]["message"]
    assert f"schema of forest {FAB} on {fab_extended[:10]}" in message
    # each forest's DC agrees with its own forest: two versions, no convergence failure
    assert {h: r["status"] for h, r in rows(first, "AD-EXCHANGE-SCHEMA-CONVERGED").items()} \
        == {LAB_DC: "pass", FAB_DC: "pass"}


def test_the_rules_before_the_forest_mapping_fail_on_these_facts(forests: estate.Lab) -> None:
    """The same recorded facts through e189522's rules: the verdict turns on which DC comes
    first (the healthy connector is sent to a refresh), and the forests fail convergence."""
    facts = forests.dir / "facts.json"
    if not facts.is_file():
        apply(forests.inventory, "--save-facts", str(facts))
    replay = ("--from-facts", str(facts), "-r", str(BEFORE))
    first = apply(reordered(forests, "before-lab-first.yml", [LAB_DC, FAB_DC]), *replay)
    second = apply(reordered(forests, "before-fabrikam-first.yml", [FAB_DC, LAB_DC]), *replay)
    assert verdicts(first) != verdicts(second)
    assert offenders(first, "AADC-CONNECTOR-SCHEMA-REFRESHED") == [FAB]
    assert offenders(second, "AADC-CONNECTOR-SCHEMA-REFRESHED") == [FAB, "lab.example.com"]
    for doc in (first, second):
        assert {r["status"] for r in rows(doc, "AD-EXCHANGE-SCHEMA-CONVERGED").values()} \
            == {"fail"}


def test_a_forest_without_its_dc_is_skipped_with_the_reason(forests: estate.Lab) -> None:
    """The same facts with the fabrikam DC left out of the inventory: its connector cannot be
    measured, and says why; the lab connector is still measured against its own DC."""
    facts = forests.dir / "facts.json"
    if not facts.is_file():
        apply(forests.inventory, "--save-facts", str(facts))
    doc = apply(reordered(forests, "lab-only.yml", [LAB_DC]), "--from-facts", str(facts))
    row = rows(doc, "AADC-CONNECTOR-SCHEMA-REFRESHED")[estate.AADC_NAME]
    assert row["status"] == "pass" and row["counts"]["skipped"] == 1, row
    assert any(f"connector {FAB}: no domain controller of its forest" in n
               for n in row["notes"]), row
    assert offenders(doc, "AADC-CONNECTOR-SCHEMA-EXCHANGE") == [FAB]  # no DC needed for it


def dc_of(lab: estate.Lab, forest: samba.Forest) -> samba.SambaDC:
    where = next(d for d in lab.state()["dcs"] if d["forest"] == forest.dns_domain)
    return samba.SambaDC(Path(where["root"]), where["ip"], forest=forest)


def test_the_second_forest_is_a_hardened_dc_of_its_own(forests: estate.Lab) -> None:
    fab, lab = dc_of(forests, samba.FABRIKAM), dc_of(forests, samba.LAB)
    plain = ldap3.Connection(ldap3.Server(fab.ip, get_info=ldap3.NONE), samba.FABRIKAM.admin,
                             samba.PASSWORD)
    assert not plain.bind() and plain.result["description"] == "strongerAuthRequired"
    conn = fab.admin_connection()  # LDAPS, verified against fabrikam's own CA and SAN
    conn.search("", "(objectClass=*)", ldap3.BASE, attributes=["defaultNamingContext",
                                                              "dnsHostName"])
    entry = conn.entries[0]
    assert entry["defaultNamingContext"].value == "DC=fabrikam,DC=example,DC=com"
    assert entry["dnsHostName"].value == "fabdc.fabrikam.example.com"
    conn.unbind()
    assert fab.ca_file.read_bytes() != lab.ca_file.read_bytes()
    with pytest.raises(ldap3.core.exceptions.LDAPSocketOpenError):  # the lab forest's CA
        samba.SambaDC(lab.root, fab.ip, forest=samba.FABRIKAM).admin_connection()
    env = {**os.environ, "KRB5_CONFIG": str(fab.krb5_conf),
           "KRB5CCNAME": f"FILE:{forests.dir / 'fabrikam.ccache'}"}
    kinit = subprocess.run(["kinit", samba.FABRIKAM.admin.replace(FAB, samba.FABRIKAM.realm)],
                           input=samba.PASSWORD + "\n", env=env, capture_output=True,
                           text=True, timeout=30)
    assert kinit.returncode == 0, kinit.stderr
    kvno = subprocess.run(["kvno", f"ldap/{samba.FABRIKAM.dns_name}"], env=env,
                          capture_output=True, text=True, timeout=30)
    assert kvno.returncode == 0, kvno.stderr  # its own KDC, with its DC's ldap/ principal
