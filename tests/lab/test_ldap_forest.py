"""Forest and domain scope against real DCs: the Global Catalog, one read per domain, a
parallel search pinned to one DC when a name resolves to several, errors where they
belong (a mistyped base), and more than 1,500 values of one attribute read whole."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.errors import CollectError
from checker.requests import LdapSearch
from tests.lab import samba
from tests.lab.net import lab_ip
from tests.lab.test_ldap_scenarios import apply
from tests.lab.test_ldap_transport import bound, recipients

pytestmark = pytest.mark.lab
Dc = Callable[[str], samba.SambaDC]
BIG = 1600  # proxyAddresses on one object: over a Windows DC's MaxValRange (1500)
BIG_LDIF = (f"dn: CN=Big Shared,OU=Mail,{samba.DOMAIN_DN}\nchangetype: add\nobjectClass: user\n"
            "sAMAccountName: bigshared\nmailNickname: bigshared\nmail: big@contoso.com\n"
            + "".join(f"proxyAddresses: smtp:big{i:04d}@contoso.com\n" for i in range(BIG)))


@pytest.fixture(scope="module")
def two_dcs(lab_templates: samba.Templates,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[samba.SambaDC, ...]]:
    """Two DCs of one domain (the healthy scenario plus an object with 1,600 values): the
    second has its own server object and dsServiceName, and a write the first has not seen
    (so their uSNChanged differ, as real replicas' do)."""
    root = tmp_path_factory.mktemp("two-dcs")
    dcs = []
    for n, ip in enumerate((lab_ip(32), lab_ip(33))):
        dc = samba.start_scenario(lab_templates, "healthy", root / f"dc{n}", ip)
        dc.stop()
        dc.ldbmodify(BIG_LDIF)
        if n:
            samba.become_second_dc(dc)
        dc.start()
        dcs.append(dc)
    conn = dcs[1].admin_connection()
    conn.modify(f"CN=mu007,OU=Mail,{samba.DOMAIN_DN}", {"description": [("MODIFY_REPLACE",
                                                                          ["changed on dc2"])]})
    conn.unbind()
    yield tuple(dcs)
    for dc in dcs:
        dc.stop()


def test_more_than_1500_values_are_read_whole(two_dcs: tuple[samba.SambaDC, ...]) -> None:
    t = bound(two_dcs[0])
    try:
        (big,) = recipients(t, {"accounts": ["bigshared"]})
        assert len(big.proxy_addresses) == BIG == len(set(big.proxy_addresses))
    finally:
        t.close()


def test_a_mistyped_base_is_an_error(lab_dc: Dc) -> None:
    t = bound(lab_dc("healthy"))
    try:
        with pytest.raises(CollectError, match="does not exist"):
            recipients(t, {"base": f"OU=Mial,{samba.DOMAIN_DN}"})
        assert len(recipients(t, {"base": f"OU=Mail,{samba.DOMAIN_DN}"})) == 35
    finally:
        t.close()


def test_forest_scope_reads_the_global_catalog(lab_dc: Dc) -> None:
    dc = lab_dc("healthy")
    t = bound(dc, checker_ldap_scope="forest", checker_ldap_parallel=1)
    try:
        found = recipients(t, {})
        assert len(found) == 40 and t._gc is not None and t._gc.server.port == 3268
        assert t._gc.tls_started  # StartTLS on the GC port too
        # isCriticalSystemObject is not in the partial attribute set: dropped, not fatal
        assert not any(r.critical_system_object for r in found)
        rogue = LdapSearch("{defaultNamingContext}", "(objectClass=user)",
                           ("isCriticalSystemObject",), forest_wide=True)
        with pytest.raises(CollectError, match="isMemberOfPartialAttributeSet"):
            list(t.search(rogue))
    finally:
        t.close()


def test_forest_scope_is_one_read_per_forest(lab_dc: Dc) -> None:
    from checker.collectors.ad_recipients import RecipientsCollector

    t = bound(lab_dc("healthy"), checker_ldap_scope="forest")  # parallel, on the GC port
    try:
        assert t.share_key(RecipientsCollector().request({})) == "forest lab.example.com"
        assert len(recipients(t, {})) == 40
    finally:
        t.close()


@pytest.fixture()
def round_robin(two_dcs: tuple[samba.SambaDC, ...],
                monkeypatch: pytest.MonkeyPatch) -> str:
    """A DNS name for both DCs whose answer order turns on every lookup (round-robin DNS)."""
    name, real, turn = "dcs.lab.example.com", socket.getaddrinfo, itertools.count()

    def lookup(host: Any, *args: Any, **kw: Any) -> Any:
        if host != name:
            return real(host, *args, **kw)
        ips = [dc.ip for dc in two_dcs]
        if next(turn) % 2:
            ips.reverse()
        return [info for ip in ips for info in real(ip, *args, **kw)]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return name


def test_parallel_search_stays_on_one_dc(two_dcs: tuple[samba.SambaDC, ...],
                                         round_robin: str) -> None:
    serial = bound(two_dcs[0], checker_ldap_parallel=1)
    many = bound(two_dcs[0], ansible_host=round_robin, checker_ldap_server_name=samba.DNS_NAME,
                 checker_ldap_parallel=4, checker_ldap_page_size=4)
    try:
        assert many.settings.parallel == 4 and many.address in {dc.ip for dc in two_dcs}
        split = [r.dn for r in recipients(many, {})]
        assert len(split) == len(set(split)) == 41
        assert sorted(split) == sorted(r.dn for r in recipients(serial, {}))
    finally:
        serial.close()
        many.close()


def test_a_worker_on_another_dc_is_an_error(two_dcs: tuple[samba.SambaDC, ...]) -> None:
    """What happened before pinning: a worker that resolved the name again reached the
    other DC, whose uSNChanged differ. dsServiceName catches it."""
    t = bound(two_dcs[0], checker_ldap_page_size=4, checker_ldap_server_name=samba.DNS_NAME)
    try:
        t._address = two_dcs[1].ip
        with pytest.raises(CollectError, match="reached another DC"):
            recipients(t, {})
    finally:
        t.close()


def test_domain_facts_are_read_once_per_domain(two_dcs: tuple[samba.SambaDC, ...],
                                               tmp_path: Path) -> None:
    hosts = {name: {"ansible_host": dc.ip, "ansible_user": samba.ADMIN,
                    "ansible_password": "{{ lookup('env', 'LAB_AD_PASSWORD') }}",
                    "checker_ldap_ca_file": str(dc.ca_file)}
             for name, dc in zip(("dc1", "dc2"), two_dcs, strict=True)}
    inv = tmp_path / "inv.yml"
    inv.write_text(yaml.safe_dump({"all": {"vars": {"ansible_connection": "ldap"}, "children": {
        "domain_controllers": {"hosts": hosts}}}}))
    code, doc = apply(inv, tmp_path / "r.json")
    rows = {(r["rule_id"], r["host"]): r for r in doc["results"]}
    for rule in ("EXCH-MAILUSER-NICKNAME", "HYG-UPN-FORMAT", "HYG-PROXYADDRESS-UNIQUE",
                 "AD-UPN-SUFFIX-ROUTABLE", "AD-FOREST-DOMAINS-COVERED"):
        assert rows[(rule, "dc1")]["status"] == "pass", rows[(rule, "dc1")]["message"]
        assert rows[(rule, "dc2")]["status"] == "skipped"
        assert "dc1 reads it for the" in rows[(rule, "dc2")]["message"]
    assert rows[("AD-EXCHANGE-SCHEMA-CONVERGED", "dc2")]["status"] == "pass"  # per DC
    assert code == 0
