"""How values read over LDAP are decoded, pinned against their public definitions
(docs/fidelity.md, "Attributes, RootDSE values and controls")."""

from __future__ import annotations

from checker.collectors.ad_records import FUNCTIONAL_LEVELS
from checker.transports.ldap import convert


def test_object_guid_is_read_in_the_packet_byte_order() -> None:
    """objectGUID is a 16-byte octet string (MS-ADA3 2.44) holding a GUID in its packet
    representation: Data1, Data2 and Data3 little-endian, Data4 as is (MS-DTYP 2.3.4.2).
    The text is what Get-ADUser shows and what Set-ADUser -Identity takes."""
    raw = bytes.fromhex("33221100554477668899aabbccddeeff")
    entry = {"dn": "CN=x,DC=lab", "raw_attributes": {"objectGUID": [raw], "cn": [b"x"]}}
    attrs = convert(entry)["attributes"]
    assert attrs["objectGUID"] == ["00112233-4455-6677-8899-aabbccddeeff"]
    assert attrs["cn"] == ["x"]


def test_functional_levels_are_the_ds_behavior_values() -> None:
    """domainFunctionality / forestFunctionality / domainControllerFunctionality carry the
    DS_BEHAVIOR_* values (MS-ADTS 3.1.1.3.2.25-27, 6.1.4.2-4): 0..7, then 10 for Windows
    Server 2025 (8 and 9 were never assigned)."""
    assert FUNCTIONAL_LEVELS[0] == "Windows 2000"
    assert FUNCTIONAL_LEVELS[2] == "Windows Server 2003"
    assert FUNCTIONAL_LEVELS[4] == "Windows Server 2008 R2"
    assert FUNCTIONAL_LEVELS[7] == "Windows Server 2016"
    assert FUNCTIONAL_LEVELS[10] == "Windows Server 2025"
    assert 8 not in FUNCTIONAL_LEVELS and 9 not in FUNCTIONAL_LEVELS


def test_a_windows_2000_forest_names_its_level() -> None:
    """Level 0 (DS_BEHAVIOR_WIN2000) is a value like any other: AD-FOREST-FUNCTIONAL-LEVEL's
    message for exactly that forest names it ("Windows 2000", not None)."""
    from checker.collectors.base import collectors, load_all

    load_all()
    rootdse = {"defaultNamingContext": ["DC=old,DC=example"],
               "schemaNamingContext": ["CN=Schema,CN=Configuration,DC=old,DC=example"],
               "configurationNamingContext": ["CN=Configuration,DC=old,DC=example"],
               "rootDomainNamingContext": ["DC=old,DC=example"],
               "dnsHostName": ["dc1.old.example"], "domainFunctionality": ["0"],
               "forestFunctionality": ["0"], "domainControllerFunctionality": ["2"]}
    raw = {"rootdse": [{"dn": "", "attributes": rootdse}], "crossrefs": []}
    domain = collectors.get("ad.domain")().process(raw, {})
    assert (domain.forest_functionality, domain.forest_level) == (0, "Windows 2000")
    assert domain.domain_level == "Windows 2000"
