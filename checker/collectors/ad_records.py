"""Records and decoding tables of the Active Directory collectors (`checker.collectors.ad`).

The tables come from reference/domain.md: 4.3 (ms-Exch-Schema-Version-Pt rangeUpper) and 5.1
(msExchRecipientTypeDetails).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from checker.collectors.records import domain_of

# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class AdDomain:
    """`ad.domain`: the domain this DC serves and its forest."""

    distinguished_name: str
    dns_name: str
    forest_dns_name: str
    netbios_name: str | None = None  # from the crossRef, when the bind account can read it
    domain_functionality: int | None = None  # RootDSE domainFunctionality (4 = 2008 R2)
    forest_functionality: int | None = None
    dc_functionality: int | None = None
    domain_level: str | None = None  # e.g. "Windows Server 2016"
    forest_level: str | None = None
    forest_domains: list[str] = field(default_factory=list)  # dnsRoot of every domain crossRef


@dataclass(frozen=True)
class AdForest:
    """`ad.forest`: the forest root's DNS name and every domain of the forest."""

    dns_name: str
    domains: list[str] = field(default_factory=list)  # dnsRoot of every domain crossRef


@dataclass(frozen=True)
class UpnSuffixes:
    """`ad.upn_suffixes`: every suffix a user of the forest can get."""

    forest_dns_name: str
    # forest DNS name first, then the other domains' DNS names, forest and OU uPNSuffixes
    suffixes: list[str]
    alternative: list[str] = field(default_factory=list)  # uPNSuffixes on CN=Partitions
    domains: list[str] = field(default_factory=list)  # dnsRoot of every domain of the forest
    ou_suffixes: list[str] = field(default_factory=list)  # uPNSuffixes on OUs of this domain


@dataclass(frozen=True, slots=True)
class Recipient:
    """One entry of `ad.recipients`: a mail-enabled user, contact or group."""

    dn: str
    object_class: str  # user | contact | group
    object_guid: str | None = None
    sam_account_name: str | None = None
    upn: str | None = None
    mail: str | None = None
    mail_nickname: str | None = None
    target_address: str | None = None
    proxy_addresses: list[str] = field(default_factory=list)
    recipient_type_details: int | None = None
    recipient_type: str | None = None  # decoded name, e.g. "MailUser" for 128
    display_name: str | None = None
    when_changed: dt.datetime | None = None
    critical_system_object: bool = False  # isCriticalSystemObject TRUE
    # false for what Entra Connect's default configuration never synchronizes (system and
    # arbitration mailboxes, critical system objects, conflict objects): ad_recipients.py
    in_connect_scope: bool = True

    @property
    def name(self) -> str:
        """How results name the object: the sAMAccountName, else the DN."""
        return self.sam_account_name or self.dn

    @property
    def domain(self) -> str | None:
        """The DNS name of the object's domain (its DN's DC= part): where a remediation step
        changes it (`-Server`), whatever domain the management host is in."""
        return domain_of(self.dn)


@dataclass(frozen=True, slots=True)
class DuplicateAddress:
    address: str  # lower case, with its prefix ("smtp:a@b.c")
    holders: list[str]  # DNs of the objects that carry it


@dataclass(frozen=True)
class ProxyAddressDuplicates:
    """`ad.proxy_address_duplicates`: proxyAddresses held by more than one object."""

    objects: int  # how many recipients were checked
    duplicates: list[DuplicateAddress] = field(default_factory=list)
    referrals: list[str] = field(default_factory=list)  # subtrees held elsewhere (child domains)


# --------------------------------------------------------------------------- tables

# rangeUpper -> version name, domain.md 4.3 (several CUs share one value).
SCHEMA_VERSIONS: dict[int, str] = {
    17003: "Exchange 2019 CU10 or later (or Exchange SE)",
    17002: "Exchange 2019 CU8-CU9",
    17001: "Exchange 2019 CU2-CU7",
    17000: "Exchange 2019 RTM-CU1",
    15334: "Exchange 2016 CU21 or later",
    15333: "Exchange 2016 CU19-CU20",
    15332: "Exchange 2016 CU7-CU18",
    15330: "Exchange 2016 CU6",
    15326: "Exchange 2016 CU3-CU5",
    15325: "Exchange 2016 CU2",
    15323: "Exchange 2016 CU1",
    15317: "Exchange 2016 RTM",
    15312: "Exchange 2013 CU7 or later",
    15303: "Exchange 2013 CU6",
    15300: "Exchange 2013 CU5",
    15292: "Exchange 2013 CU4 (SP1)",
    15283: "Exchange 2013 CU3",
    15281: "Exchange 2013 CU2",
    15254: "Exchange 2013 CU1",
}
# (low, high, name) bands for values the table does not list (CSSEX logic + community table).
SCHEMA_BANDS: tuple[tuple[int, int, str], ...] = (
    (17000, 10**9, "Exchange 2019 or later (unknown build)"),
    (15317, 16999, "Exchange 2016 (unknown build)"),
    (15000, 15316, "Exchange 2013 (unknown build)"),
    (14622, 14999, "Exchange 2010"),
    (10637, 11116, "Exchange 2007"),
    (6870, 6936, "Exchange 2003"),
    (4397, 4406, "Exchange 2000"),
)

RECIPIENT_TYPES: dict[int, str] = {
    1 << bit: name for bit, name in enumerate((
        "UserMailbox", "LinkedMailbox", "SharedMailbox", "LegacyMailbox", "RoomMailbox",
        "EquipmentMailbox", "MailContact", "MailUser", "MailUniversalDistributionGroup",
        "MailNonUniversalGroup", "MailUniversalSecurityGroup", "DynamicDistributionGroup",
        "PublicFolder", "SystemAttendantMailbox", "SystemMailbox", "MailForestContact", "User",
        "Contact", "UniversalDistributionGroup", "UniversalSecurityGroup", "NonUniversalGroup",
        "DisabledUser", "MicrosoftExchange", "ArbitrationMailbox", "MailboxPlan", "LinkedUser",
        "", "", "RoomList", "DiscoveryMailbox", "RoleGroup", "RemoteUserMailbox", "Computer",
        "RemoteRoomMailbox", "RemoteEquipmentMailbox", "RemoteSharedMailbox",
        "PublicFolderMailbox", "TeamMailbox", "RemoteTeamMailbox", "MonitoringMailbox",
        "GroupMailbox", "LinkedRoomMailbox", "AuditLogMailbox", "RemoteGroupMailbox",
        "SchedulingMailbox", "GuestMailUser", "AuxAuditLogMailbox",
        "SupervisoryReviewPolicyMailbox",
    )) if name
}

FUNCTIONAL_LEVELS: dict[int, str] = {
    0: "Windows 2000", 1: "Windows Server 2003 interim", 2: "Windows Server 2003",
    3: "Windows Server 2008", 4: "Windows Server 2008 R2", 5: "Windows Server 2012",
    6: "Windows Server 2012 R2", 7: "Windows Server 2016", 10: "Windows Server 2025",
}


def exchange_version_name(range_upper: int | None) -> str | None:
    """The Exchange version a schema rangeUpper stands for (None when there is none)."""
    if range_upper is None:
        return None
    if range_upper in SCHEMA_VERSIONS:
        return SCHEMA_VERSIONS[range_upper]
    for low, high, name in SCHEMA_BANDS:
        if low <= range_upper <= high:
            return name
    return f"unknown Exchange schema version {range_upper}"


def recipient_type_name(value: int | None) -> str | None:
    """`128` -> "MailUser"; several flags join with "|"; unknown bits show as hex."""
    if value is None:
        return None
    if value in RECIPIENT_TYPES:
        return RECIPIENT_TYPES[value]
    names = [n for bit, n in RECIPIENT_TYPES.items() if value & bit]
    rest = value & ~sum(b for b in RECIPIENT_TYPES if value & b)
    if rest or not names:
        names.append(hex(rest))
    return "|".join(names)
