"""Entra Connect Sync (ADSync module) collectors.

Each snippet projects the cmdlet output to plain values with quoted property names, so
nothing depends on JSON depth or on nested CLIXML, and reads each field as what it really is
(docs/fidelity.md, "Entra Connect Sync"): dates leave the server as invariant round-trip
strings (`ToString('o')`, no conversion: the sync engine's Kind-Unspecified DateTimes hold
UTC, which 5.1's ConvertTo-Json would shift by the server's offset); enums leave as 5.1
writes them (integers) and are mapped by their real values; objects (ImmutableTag) are
projected to the field we need. `process()` is pure. The offline export reader
(`adsync_export`) produces the same raw shape, so the same rules run.

Example rule use::

    facts:
      adsync: adsync.global_settings
      connectors: adsync.connectors
      runs: {collector: adsync.run_history, params: {number_requested: 20}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.collectors.adsync_common import AdSync, date, objects, strings
from checker.collectors.base import collectors
from checker.collectors.records import (
    Connector,
    ConnectorSchema,
    GlobalSettings,
    Scheduler,
    SyncRule,
    domain_of,
)
from checker.errors import CollectError, FactUnavailable
from checker.wire import ps_json as pj

# Enums by their real values (ObjectModel.dll of build 2.2.8.0, docs/fidelity.md).
POLICY_TYPES = {0: "Unspecified", 1: "Delta", 2: "Initial"}  # SynchronizationPolicyType
DIRECTIONS = {0: "Inbound", 1: "Outbound"}  # SynchronizationRuleDirection
LINK_TYPES = {0: "Provision", 1: "StickyJoin", 2: "Join", 3: "JoinNoFlow"}  # SyncRuleLinkType


@collectors.register("adsync.global_settings")
class GlobalSettingsCollector(AdSync):
    """Get-ADSyncGlobalSettings: the configuration version, staging mode, optional features.

    ```yaml
    facts: {adsync: adsync.global_settings}
    when: "adsync.version is version('1.1.105.0', '>=')"
    ```
    """

    model = GlobalSettings
    description = "Get-ADSyncGlobalSettings: version, staging mode, hybrid Exchange, parameters"
    script = """$settings = Get-ADSyncGlobalSettings
[pscustomobject]@{
    'Version' = $settings.Version
    'Parameters' = @($settings.Parameters | ForEach-Object {
        [pscustomobject]@{ 'Name' = [string]$_.Name; 'Value' = [string]$_.Value } })
}
"""

    def process(self, raw: Any, params: Mapping[str, Any]) -> GlobalSettings:
        objs = objects(raw)
        if len(objs) != 1:
            raise CollectError(f"expected one GlobalSettings object, got {len(objs)}")
        parameters = {
            str(p["Name"]): str(p.get("Value") or "") for p in objects(objs[0].get("Parameters"))
        }
        version = parameters.get("Microsoft.Synchronize.ServerConfigurationVersion")
        if not version:
            raise CollectError("Microsoft.Synchronize.ServerConfigurationVersion is missing")
        return GlobalSettings(
            version=version,
            hybrid_exchange=_flag(parameters, "Microsoft.OptionalFeature.HybridExchange"),
            exchange_mail_public_folder=_flag(
                parameters, "Microsoft.OptionalFeature.ExchangeMailPublicFolder"
            ),
            # where Microsoft's own diagnostics read it (IsStagingModeEnabled): every build
            # has it, and so does an export
            staging_mode=pj.as_bool(parameters.get("Microsoft.Synchronize.StagingMode")),
            parameters=parameters,
            sync_interval_s=pj.as_seconds(parameters.get("Microsoft.Synchronize.TimeInterval")),
            run_history_purge_s=pj.as_seconds(
                parameters.get("Microsoft.Synchronize.RunHistoryPurgeInterval")),
        )


def _flag(parameters: Mapping[str, str], name: str) -> bool:
    return bool(pj.as_bool(parameters.get(name) or "False"))


@collectors.register("adsync.scheduler")
class SchedulerCollector(AdSync):
    """Get-ADSyncScheduler: is the sync cycle enabled, suspended, running, how often. Builds
    before 1.1.105.0 have no scheduler cmdlets: the fact is then unavailable (`skipped`).

    ```yaml
    facts: {scheduler: adsync.scheduler}
    expect: [{key: scheduler.sync_cycle_enabled, op: eq, value: true}]
    ```
    """

    model = Scheduler
    description = "Get-ADSyncScheduler: enabled, suspended, in progress, interval, next cycle"
    script = """if (-not (Get-Command -Name 'Get-ADSyncScheduler' -ErrorAction SilentlyContinue)) {
    [pscustomobject]@{ 'Missing' = 'Get-ADSyncScheduler' }
} else {
    $s = Get-ADSyncScheduler
    [pscustomobject]@{
        'SyncCycleEnabled' = $s.SyncCycleEnabled
        'StagingModeEnabled' = $s.StagingModeEnabled
        'SchedulerSuspended' = $s.SchedulerSuspended
        'NextSyncCyclePolicyType' = $s.NextSyncCyclePolicyType
        'NextSyncCycleStartTimeInUTC' = $s.NextSyncCycleStartTimeInUTC.ToString('o')
        'CurrentlyEffectiveSyncCycleInterval' = $s.CurrentlyEffectiveSyncCycleInterval.TotalSeconds
        'PurgeRunHistoryInterval' = $s.PurgeRunHistoryInterval.TotalSeconds
        'MaintenanceEnabled' = $s.MaintenanceEnabled
        'SyncCycleInProgress' = $s.SyncCycleInProgress
    }
}
"""

    def process(self, raw: Any, params: Mapping[str, Any]) -> Scheduler:
        objs = objects(raw)
        if len(objs) != 1:
            raise CollectError(f"expected one scheduler object, got {len(objs)}")
        s = objs[0]
        if s.get("Missing"):
            raise FactUnavailable(f"{s['Missing']} does not exist on this build (the scheduler "
                                  "came with 1.1.105.0)")
        return Scheduler(
            sync_cycle_enabled=bool(pj.as_bool(s.get("SyncCycleEnabled"))),
            staging_mode_enabled=bool(pj.as_bool(s.get("StagingModeEnabled"))),
            scheduler_suspended=bool(pj.as_bool(s.get("SchedulerSuspended"))),
            next_sync_cycle_policy_type=pj.as_enum(s.get("NextSyncCyclePolicyType"), POLICY_TYPES)
            or "Unspecified",
            next_sync_cycle_start=date(s.get("NextSyncCycleStartTimeInUTC")),
            effective_interval_s=pj.as_seconds(s.get("CurrentlyEffectiveSyncCycleInterval")),
            purge_run_history_interval_s=pj.as_seconds(s.get("PurgeRunHistoryInterval")),
            maintenance_enabled=pj.as_bool(s.get("MaintenanceEnabled")),
            sync_cycle_in_progress=pj.as_bool(s.get("SyncCycleInProgress")),
        )


@collectors.register("adsync.connectors")
class ConnectorsCollector(AdSync):
    """Get-ADSyncConnector: type, forest, partitions, connector schema, inclusion lists, times.

    ```yaml
    facts: {connectors: adsync.connectors}
    for_each: "{{ connectors | selectattr('type', 'eq', 'AD') | list }}"
    expect: [{key: item.schema.attributes, op: contains, value: msExchRecipientTypeDetails}]
    ```
    """

    model = list[Connector]
    description = "Get-ADSyncConnector: forest, schema attributes, inclusion lists, times"
    script = """Get-ADSyncConnector | ForEach-Object {
    $forest = $null
    if ($_.ConnectivityParameters -and $_.ConnectivityParameters.Contains('forest-name')) {
        $forest = [string]$_.ConnectivityParameters['forest-name'].Value
    }
    [pscustomobject]@{
        'Identifier' = [string]$_.Identifier
        'Name' = $_.Name
        'Type' = $_.Type
        'Subtype' = $_.Subtype
        'Version' = $_.Version
        'Forest' = $forest
        'CreationTime' = $_.CreationTime.ToString('o')
        'LastModificationTime' = $_.LastModificationTime.ToString('o')
        'Partitions' = @($_.Partitions | Where-Object { $_.Selected } |
            ForEach-Object { [string]$_.DN })
        'ObjectTypes' = @($_.Schema.ObjectTypes | ForEach-Object { [string]$_.Name })
        'AttributeTypes' = @($_.Schema.AttributeTypes | ForEach-Object { [string]$_.Name })
        'AttributeInclusionList' = @($_.AttributeInclusionList)
        'ObjectInclusionList' = @($_.ObjectInclusionList)
    }
}
"""

    def process(self, raw: Any, params: Mapping[str, Any]) -> list[Connector]:
        return [_connector(c) for c in objects(raw)]


def _connector(c: Mapping[str, Any]) -> Connector:
    modified = date(c.get("LastModificationTime"))
    partitions = strings(c.get("Partitions"))
    forest = (pj.as_str(c.get("Forest")) or "").strip().lower() or None
    return Connector(
        identifier=str(c["Identifier"]).strip("{}").lower(),
        name=str(c["Name"]),
        type=str(c["Type"]),
        subtype=pj.as_str(c.get("Subtype")) or None,
        schema=ConnectorSchema(
            object_types=strings(c.get("ObjectTypes")),
            attributes=strings(c.get("AttributeTypes")),
        ),
        partitions=partitions,
        attribute_inclusion=strings(c.get("AttributeInclusionList")),
        object_inclusion=strings(c.get("ObjectInclusionList")),
        created_at=date(c.get("CreationTime")),
        last_modified_at=modified,
        schema_refreshed_at=modified,  # the documented proxy: no property records a refresh
        version=pj.as_int(c.get("Version")),
        forest=forest,
        domains=[d for d in (domain_of(p) for p in partitions) if d],
    )


@collectors.register("adsync.sync_rules")
class SyncRulesCollector(AdSync):
    """Get-ADSyncRule: name, direction, enabled, connector, precedence, immutable tag.

    ```yaml
    facts: {rules: adsync.sync_rules}
    expect:
      - that: "'In from AD - User Exchange' in rules | selectattr('enabled')
          | map(attribute='name')"
    ```
    """

    model = list[SyncRule]
    description = "Get-ADSyncRule: the synchronization rules (Exchange rules and others)"
    script = """Get-ADSyncRule | ForEach-Object {
    [pscustomobject]@{
        'Name' = $_.Name
        'Direction' = $_.Direction
        'Disabled' = $_.Disabled
        'Connector' = [string]$_.Connector
        'Precedence' = $_.Precedence
        'ImmutableTag' = $_.ImmutableTag.TagValue
        'SourceObjectType' = $_.SourceObjectType
        'TargetObjectType' = $_.TargetObjectType
        'LinkType' = $_.LinkType
        'IsStandardRule' = $_.IsStandardRule
    }
}
"""

    def process(self, raw: Any, params: Mapping[str, Any]) -> list[SyncRule]:
        return [_rule(r) for r in objects(raw)]


def _rule(r: Mapping[str, Any]) -> SyncRule:
    connector = pj.as_str(r.get("Connector"))
    return SyncRule(
        name=str(r["Name"]),
        direction=pj.as_enum(r.get("Direction"), DIRECTIONS) or "Inbound",
        enabled=not pj.as_bool(r.get("Disabled")),
        connector_id=connector.strip("{}").lower() if connector else None,
        precedence=pj.as_int(r.get("Precedence")),
        immutable_tag=pj.as_str(r.get("ImmutableTag")) or None,
        source_object_type=pj.as_str(r.get("SourceObjectType")),
        target_object_type=pj.as_str(r.get("TargetObjectType")),
        link_type=pj.as_enum(r.get("LinkType"), LINK_TYPES),
        is_standard=pj.as_bool(r.get("IsStandardRule")),
    )
