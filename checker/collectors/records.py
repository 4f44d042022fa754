"""Typed records produced by collectors. Live collectors, the export reader and snapshot
replay all produce these same records, so one rule runs unchanged on any source.

Field names are snake_case and are what rules see: `item.schema.attributes`,
`adsync.version`, `exchange.extended_at`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- Active Directory


@dataclass(frozen=True)
class RootDse:
    default_naming_context: str
    schema_naming_context: str
    configuration_naming_context: str
    root_domain_naming_context: str
    dns_host_name: str | None = None
    domain_functionality: int | None = None
    forest_functionality: int | None = None
    supported_controls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExchangeSchema:
    """`ad.exchange_schema`: is the Exchange schema extension present in the forest?"""

    present: bool  # the msExchRecipientTypeDetails attributeSchema exists
    attributes: list[str]  # Exchange-related lDAPDisplayNames found in the schema NC
    missing: list[str]  # of the expected set, those not found
    schema_version: int | None = None  # rangeUpper of ms-Exch-Schema-Version-Pt
    version_name: str | None = None  # e.g. "Exchange 2019 CU10 or later"
    extended_at: dt.datetime | None = None  # whenCreated of ms-Exch-Recipient-Type-Details
    updated_at: dt.datetime | None = None  # whenChanged of ms-Exch-Schema-Version-Pt
    organization: str | None = None  # name of the msExchOrganizationContainer
    org_object_version: int | None = None  # objectVersion of the org container (PrepareAD)
    domain_object_version: int | None = None  # objectVersion of MESO (PrepareDomain)
    # Which forest and domain the DC that answered belongs to (RootDSE rootDomainNamingContext
    # and defaultNamingContext as DNS names, lower case): cross-host rules compare a DC only
    # with DCs of its own forest, and a Connect AD connector only with its forest's DCs.
    forest: str | None = None
    domain: str | None = None


# --------------------------------------------------------------------------- Entra Connect Sync


# A comma that separates RDNs: not escaped by an odd number of backslashes (RFC 4514).
_RDN_SEPARATOR = re.compile(r"(?<!\\)((?:\\\\)*),")


def domain_of(dn: str) -> str | None:
    """DC=lab,DC=example,DC=com -> lab.example.com (None when the DN ends in no DC= part).
    Only the trailing DC= RDNs name the domain: a CN holding an escaped ',DC=x' does not."""
    rdns = [r.strip() for r in _RDN_SEPARATOR.sub(lambda m: m.group(1) + "\0", dn).split("\0")]
    parts: list[str] = []
    for rdn in reversed(rdns):
        if rdn[:3].lower() != "dc=":
            break
        parts.insert(0, rdn[3:])
    return ".".join(parts).lower() or None


@dataclass(frozen=True)
class GlobalSettings:
    """`adsync.global_settings`: Get-ADSyncGlobalSettings, parameters flattened."""

    version: str  # Microsoft.Synchronize.ServerConfigurationVersion, e.g. "2.4.27.0"
    hybrid_exchange: bool  # Microsoft.OptionalFeature.HybridExchange
    exchange_mail_public_folder: bool = False
    staging_mode: bool | None = None  # Microsoft.Synchronize.StagingMode
    parameters: dict[str, str] = field(default_factory=dict)
    sync_interval_s: int | None = None  # Microsoft.Synchronize.TimeInterval ("00:30:00")
    run_history_purge_s: int | None = None  # Microsoft.Synchronize.RunHistoryPurgeInterval


@dataclass(frozen=True)
class ConnectorSchema:
    object_types: list[str]
    attributes: list[str]


@dataclass(frozen=True)
class Connector:
    """One entry of `adsync.connectors` (Get-ADSyncConnector)."""

    identifier: str  # GUID, lower case
    name: str  # AD: forest FQDN; AAD: "<tenant>.onmicrosoft.com - AAD"
    type: str  # "AD" or "Extensible2"
    schema: ConnectorSchema
    subtype: str | None = None
    partitions: list[str] = field(default_factory=list)  # selected partition DNs
    attribute_inclusion: list[str] = field(default_factory=list)
    object_inclusion: list[str] = field(default_factory=list)
    created_at: dt.datetime | None = None  # CreationTime
    last_modified_at: dt.datetime | None = None  # LastModificationTime
    # No property records a schema refresh; LastModificationTime is the documented proxy.
    schema_refreshed_at: dt.datetime | None = None
    version: int | None = None
    # AD connectors: the forest it reads (the `forest-name` connectivity parameter, lower
    # case) and the DNS names of its selected domain partitions; cross-host rules match
    # them with `ad.exchange_schema` forest/domain
    forest: str | None = None
    domains: list[str] = field(default_factory=list)

    @property
    def forest_names(self) -> list[str]:
        """What a DC of this connector's forest reports as its `forest`: the forest-name, else
        the connector's name (the wizard names an AD connector after its forest), and the
        connector's domains (a forest root domain is the forest's name)."""
        names = [self.forest or self.name.lower(), *self.domains]
        return list(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True)
class RunProfileResult:
    """One entry of `adsync.run_history` (Get-ADSyncRunProfileResult), newest first."""

    connector_id: str
    connector_name: str
    run_profile_name: str  # "Full Import", "Delta Synchronization", "Export", ...
    result: str  # "success", "completed-sync-errors", ...
    is_run_complete: bool
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    run_number: int | None = None
    run_history_id: str | None = None
    in_progress: bool = False  # result "in-progress" (or not complete): no end, no verdict


@dataclass(frozen=True)
class Scheduler:
    """`adsync.scheduler` (Get-ADSyncScheduler)."""

    sync_cycle_enabled: bool
    staging_mode_enabled: bool
    scheduler_suspended: bool
    next_sync_cycle_policy_type: str  # "Delta" | "Initial" | "Unspecified"
    next_sync_cycle_start: dt.datetime | None = None
    effective_interval_s: int | None = None  # CurrentlyEffectiveSyncCycleInterval
    purge_run_history_interval_s: int | None = None
    maintenance_enabled: bool | None = None
    sync_cycle_in_progress: bool | None = None  # 1.1.443.0 and later


@dataclass(frozen=True)
class SyncRule:
    """One entry of `adsync.sync_rules` (Get-ADSyncRule)."""

    name: str
    direction: str  # "Inbound" | "Outbound"
    enabled: bool  # not Disabled
    connector_id: str | None = None
    precedence: int | None = None
    immutable_tag: str | None = None
    source_object_type: str | None = None
    target_object_type: str | None = None
    link_type: str | None = None
    is_standard: bool | None = None


@dataclass(frozen=True)
class CsObjectSample:
    """A Mail User AD reports, looked up in its forest's AD connector space (and, when the
    connector-space object is joined, in the metaverse)."""

    dn: str
    connector_id: str
    connector_name: str
    in_connector_space: bool  # false: not there (filtered out of the connector's scope)
    attributes: list[str] = field(default_factory=list)  # names the connector-space object holds
    metaverse_attributes: list[str] | None = None  # names its metaverse object holds
    # every attribute of EXCHANGE_EVIDENCE is in the connector space / the metaverse
    exchange_in_connector_space: bool = False
    exchange_in_metaverse: bool | None = None  # None: no metaverse object was read


@dataclass(frozen=True)
class ConnectorSpaceSample:
    """`adsync.connector_space`: a bounded sample of Mail Users, per AD connector."""

    requested: list[str] = field(default_factory=list)  # the DNs asked for
    objects: list[CsObjectSample] = field(default_factory=list)
    reason: str | None = None  # why nothing was asked (no Mail User from the DCs)
