"""The LDAP transport against the real Samba DC: TLS, auth failures, faults, filter escaping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.collectors.ad_recipients import RecipientsCollector
from checker.errors import CollectError, TransportError
from checker.facts.model import FactKey
from checker.transports.ldap import LdapTransport
from tests.lab import samba
from tests.lab.conftest import host_vars
from tests.lab.net import lab_ip
from tests.lab.test_ldap_scenarios import apply, write_inventory
from tests.peers import silent_listener

pytestmark = pytest.mark.lab
Dc = Callable[[str], samba.SambaDC]


def bound(dc: samba.SambaDC, **extra: Any) -> LdapTransport:
    t = LdapTransport("labdc", host_vars(dc, **extra), 10)
    t.open()
    return t


def recipients(t: LdapTransport, params: dict[str, Any]) -> list[Any]:
    collector = RecipientsCollector()
    key = FactKey.of("ad.recipients", params)
    ((_, raw),) = list(t.collect({key: collector.request(params)}))
    return collector.process(raw, params)


@pytest.mark.parametrize("extra", [
    {"checker_ldap_url": "ldaps://{ip}"},
    {"checker_ldap_starttls": True},
    {"checker_ldap_url": "ldaps://{ip}", "checker_ldap_server_name": samba.DNS_NAME},
], ids=["ldaps", "starttls", "ldaps-server-name"])
def test_tls_binds_with_the_lab_ca(lab_dc: Dc, extra: dict[str, Any]) -> None:
    dc = lab_dc("healthy")
    extra = {k: v.format(ip=dc.ip) if isinstance(v, str) else v for k, v in extra.items()}
    t = bound(dc, checker_ldap_ca_file=str(dc.ca_file), **extra)
    try:
        assert t.rootdse["dnshostname"] == [samba.DNS_NAME]
        assert len(recipients(t, {})) == 40
    finally:
        t.close()


@pytest.mark.parametrize("url,extra", [
    ("ldaps://{ip}", {}),
    ("ldap://{ip}", {"checker_ldap_starttls": True}),
    ("ldaps://{ip}", {"checker_ldap_server_name": samba.DNS_NAME}),
], ids=["ldaps-unknown-ca", "starttls-unknown-ca", "ldaps-server-name-unknown-ca"])
def test_tls_verification_rejects(lab_dc: Dc, tmp_path: Path, url: str,
                                  extra: dict[str, Any]) -> None:
    dc = lab_dc("healthy")
    other_ca = tmp_path / "other"
    samba.write_server_files(tmp_path, "127.0.0.1", "x.example.com", other_ca)
    ca = str(other_ca / "ca.pem")
    with pytest.raises(TransportError) as e:
        bound(dc, checker_ldap_url=url.format(ip=dc.ip), checker_ldap_ca_file=ca, **extra)
    assert "certificate" in str(e.value).lower() or "tls" in str(e.value).lower()


def test_tls_opt_out_binds_without_ca(lab_dc: Dc) -> None:
    dc = lab_dc("healthy")
    t = bound(dc, checker_ldap_url=f"ldaps://{dc.ip}", checker_ldap_validate_certs=False)
    t.close()


def test_wrong_password_is_a_clean_error(lab_dc: Dc, tmp_path: Path) -> None:
    dc = lab_dc("healthy")
    with pytest.raises(TransportError) as e:
        bound(dc, ansible_password="Wr0ng-Secret!")
    assert "invalidCredentials" in str(e.value) and "Wr0ng-Secret!" not in str(e.value)
    inv = write_inventory(tmp_path / "inv.yml", dc, ansible_password="Wr0ng-Secret!")
    code, doc = apply(inv, tmp_path / "r.json")
    assert code == 2
    assert {r["status"] for r in doc["results"]} <= {"error", "blocked"}
    assert "Wr0ng-Secret!" not in (tmp_path / "r.json").read_text()


def test_ntlm_against_samba_is_a_clean_error(lab_dc: Dc) -> None:
    """Samba does not implement the Sicily bind ldap3 uses for NTLM: it drops the session."""
    dc = lab_dc("healthy")
    with pytest.raises(TransportError) as e:
        bound(dc, ansible_user="LAB\\Administrator", checker_ldap_auth="ntlm")
    assert samba.PASSWORD not in str(e.value)


def test_refused_connection(lab_dc: Dc) -> None:
    with pytest.raises(TransportError, match="cannot connect"):
        LdapTransport("x", {"ansible_host": lab_ip(99), "ansible_user": "u",
                            "ansible_password": "p"}, 3).open()


@pytest.fixture()
def silent_server() -> Iterator[str]:
    """A TCP listener on lab_ip(98):389 that accepts and never answers."""
    with silent_listener(lab_ip(98), 389):
        yield lab_ip(98)


def test_timeout_is_a_clean_error(silent_server: str) -> None:
    t = LdapTransport("x", {"ansible_host": silent_server, "ansible_user": "u",
                            "ansible_password": "p"}, 1)
    with pytest.raises(TransportError):
        t.open()


def test_filter_values_are_escaped(lab_dc: Dc) -> None:
    t = bound(lab_dc("healthy"))
    try:
        assert [r.sam_account_name for r in recipients(t, {"accounts": ["mu001"]})] == ["mu001"]
        for evil in ("*)(sAMAccountName=*", "mu*", "*", "alice)(|(mail=*"):
            assert recipients(t, {"accounts": [evil]}) == [], evil
    finally:
        t.close()


def test_anonymous_bind_cannot_read_is_an_error(lab_dc: Dc) -> None:
    dc = lab_dc("healthy")
    t = LdapTransport("labdc", {"ansible_host": dc.ip}, 10)
    t.open()  # Samba allows the anonymous bind and the RootDSE, nothing else
    try:
        with pytest.raises(CollectError, match=r"operations error|cannot read"):
            recipients(t, {})
    finally:
        t.close()


def test_dc_killed_mid_search(scratch_dc: Dc) -> None:
    dc = scratch_dc("healthy")
    t = bound(dc, checker_ldap_page_size=5)
    collector = RecipientsCollector()
    ((_, raw),) = list(t.collect({FactKey.of("ad.recipients"): collector.request({})}))
    stream = raw["recipients"]
    first = [next(stream) for _ in range(3)]
    assert first
    dc.kill()
    with pytest.raises(TransportError, match=r"failed|closed the connection"):
        list(stream)
    t.close()


def test_dc_killed_mid_search_via_cli(scratch_dc: Dc, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The run completes, the facts caught by the crash are errors, and the exit code is 2."""
    dc = scratch_dc("healthy")
    real = LdapTransport._one_page
    pages = {"n": 0}

    def crash_after_first_page(self: LdapTransport, conn: Any, search: Any, *a: Any) -> Any:
        result = real(self, conn, search, *a)
        if search.paged and "proxyAddresses=*" in search.filter:
            pages["n"] += 1
            if pages["n"] == 1:
                dc.kill()
        return result

    monkeypatch.setattr(LdapTransport, "_one_page", crash_after_first_page)
    from checker.cli import main

    inv = write_inventory(tmp_path / "inv.yml", dc, checker_ldap_page_size=5)
    code = main(["apply", str(inv), "-r", str(Path(__file__).parents[2] / "rules"),
                 "--report", f"json:{tmp_path / 'r.json'}", "--timeout", "30"])
    assert code == 2
    import json

    doc = json.loads((tmp_path / "r.json").read_text())
    errors = {r["rule_id"] for r in doc["results"] if r["status"] == "error"}
    assert "HYG-UPN-FORMAT" in errors and "EXCH-MAILUSER-NICKNAME" in errors
    assert not {r["rule_id"] for r in doc["results"] if r["status"] == "fail"}


def test_parallel_partitions_return_the_same_objects(lab_dc: Dc) -> None:
    """checker_ldap_parallel splits a subtree search into disjoint uSNChanged ranges."""
    dc = lab_dc("healthy")
    one, many = bound(dc), bound(dc, checker_ldap_parallel=3, checker_ldap_page_size=4)
    try:
        serial = sorted(r.dn for r in recipients(one, {}))
        split = [r.dn for r in recipients(many, {})]
        assert sorted(split) == serial and len(set(split)) == len(split) == 40
    finally:
        one.close()
        many.close()
