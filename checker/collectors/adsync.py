"""Entra Connect Sync (ADSync module) collectors.

Each snippet projects the cmdlet output to plain objects with quoted property names, so the
JSON depth is under control and nothing depends on nested CLIXML. `process()` is pure and
reads the Windows PowerShell 5.1 JSON dialect through `checker.wire.ps_json`. The
offline export reader (`adsync_export`) produces the same raw shape, so the same rules run.

Example rule use::

    facts:
      adsync: adsync.global_settings
      connectors: adsync.connectors
      runs: {collector: adsync.run_history, params: {number_requested: 20}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from checker.collectors.base import Collector, collectors
from checker.collectors.records import (
    Connector,
    ConnectorSchema,
    GlobalSettings,
    RunProfileResult,
    Scheduler,
    SyncRule,
)
from checker.errors import CollectError
from checker.requests import PsSnippet
from checker.wire import ps_json as pj

TRANSPORTS = ("psrp", "adsync_export")
IMPORT = "Import-Module ADSync -ErrorAction Stop\n"
POLICY_TYPES = ("Unspecified", "Delta", "Initial")  # SynchronizationPolicyType


def _objects(raw: Any) -> list[Mapping[str, Any]]:
    items = pj.as_list(raw)
    for item in items:
        if not isinstance(item, Mapping):
            raise CollectError(f"expected objects from PowerShell, got {item!r}")
    return items


def _strings(value: Any) -> list[str]:
    return [str(v) for v in pj.as_list(value) if v is not None]


class _AdSync(Collector):
    transports: ClassVar[tuple[str, ...]] = TRANSPORTS
    request_type = PsSnippet
    script: ClassVar[str]

    def request(self, params: Mapping[str, Any]) -> PsSnippet:
        return PsSnippet(IMPORT + self.script)


@collectors.register("adsync.global_settings")
class GlobalSettingsCollector(_AdSync):
    """Get-ADSyncGlobalSettings: the configuration version and the optional features.

    ```yaml
    facts: {adsync: adsync.global_settings}
    when: "adsync.version is version('1.1.105.0', '>=')"
    ```
    """

    model = GlobalSettings
    description = "Get-ADSyncGlobalSettings: version, hybrid Exchange feature, all parameters"
    script = """$settings = Get-ADSyncGlobalSettings
[pscustomobject]@{
    'Version' = $settings.Version
    'Parameters' = @($settings.Parameters | ForEach-Object {
        [pscustomobject]@{ 'Name' = [string]$_.Name; 'Value' = [string]$_.Value } })
}
"""

    def process(self, raw: Any, params: Mapping[str, Any]) -> GlobalSettings:
        objs = _objects(raw)
        if len(objs) != 1:
            raise CollectError(f"expected one GlobalSettings object, got {len(objs)}")
        parameters = {
            str(p["Name"]): str(p.get("Value") or "") for p in _objects(objs[0].get("Parameters"))
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
            staging_mode=pj.as_bool(parameters.get("Microsoft.Synchronize.StagingMode")),
            parameters=parameters,
        )


def _flag(parameters: Mapping[str, str], name: str) -> bool:
    return bool(pj.as_bool(parameters.get(name) or "False"))


@collectors.register("adsync.scheduler")
class SchedulerCollector(_AdSync):
    """Get-ADSyncScheduler: is the sync cycle enabled, staging, suspended, how often.

    ```yaml
    facts: {scheduler: adsync.scheduler}
    expect: [{key: scheduler.sync_cycle_enabled, op: eq, value: true}]
    ```
    """

    model = Scheduler
    description = "Get-ADSyncScheduler: enabled, staging mode, suspended, interval"
    script = """Get-ADSyncScheduler | Select-Object -Property 'SyncCycleEnabled',
    'StagingModeEnabled', 'SchedulerSuspended', 'NextSyncCyclePolicyType',
    'NextSyncCycleStartTimeInUTC', 'CurrentlyEffectiveSyncCycleInterval',
    'PurgeRunHistoryInterval', 'MaintenanceEnabled', 'SyncCycleInProgress'
"""

    def process(self, raw: Any, params: Mapping[str, Any]) -> Scheduler:
        objs = _objects(raw)
        if len(objs) != 1:
            raise CollectError(f"expected one scheduler object, got {len(objs)}")
        s = objs[0]
        return Scheduler(
            sync_cycle_enabled=bool(pj.as_bool(s.get("SyncCycleEnabled"))),
            staging_mode_enabled=bool(pj.as_bool(s.get("StagingModeEnabled"))),
            scheduler_suspended=bool(pj.as_bool(s.get("SchedulerSuspended"))),
            next_sync_cycle_policy_type=pj.as_enum(s.get("NextSyncCyclePolicyType"), POLICY_TYPES)
            or "Unspecified",
            next_sync_cycle_start=pj.as_datetime(s.get("NextSyncCycleStartTimeInUTC")),
            effective_interval_s=pj.as_seconds(s.get("CurrentlyEffectiveSyncCycleInterval")),
            purge_run_history_interval_s=pj.as_seconds(s.get("PurgeRunHistoryInterval")),
            maintenance_enabled=pj.as_bool(s.get("MaintenanceEnabled")),
            sync_cycle_in_progress=pj.as_bool(s.get("SyncCycleInProgress")),
        )


@collectors.register("adsync.connectors")
class ConnectorsCollector(_AdSync):
    """Get-ADSyncConnector: type, partitions, connector schema, inclusion lists, times.

    ```yaml
    facts: {connectors: adsync.connectors}
    for_each: "{{ connectors | selectattr('type', 'eq', 'AD') | list }}"
    expect: [{key: item.schema.attributes, op: contains, value: msExchRecipientTypeDetails}]
    ```
    """

    model = list[Connector]
    description = "Get-ADSyncConnector: schema attributes, inclusion lists, modification time"
    script = """Get-ADSyncConnector | ForEach-Object {
    [pscustomobject]@{
        'Identifier' = [string]$_.Identifier
        'Name' = $_.Name
        'Type' = $_.Type
        'Subtype' = $_.Subtype
        'Version' = $_.Version
        'CreationTime' = $_.CreationTime
        'LastModificationTime' = $_.LastModificationTime
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
        return [_connector(c) for c in _objects(raw)]


def _connector(c: Mapping[str, Any]) -> Connector:
    modified = pj.as_datetime(c.get("LastModificationTime"))
    return Connector(
        identifier=str(c["Identifier"]).lower(),
        name=str(c["Name"]),
        type=str(c["Type"]),
        subtype=pj.as_str(c.get("Subtype")) or None,
        schema=ConnectorSchema(
            object_types=_strings(c.get("ObjectTypes")),
            attributes=_strings(c.get("AttributeTypes")),
        ),
        partitions=_strings(c.get("Partitions")),
        attribute_inclusion=_strings(c.get("AttributeInclusionList")),
        object_inclusion=_strings(c.get("ObjectInclusionList")),
        created_at=pj.as_datetime(c.get("CreationTime")),
        last_modified_at=modified,
        schema_refreshed_at=modified,  # the documented proxy: no property records a refresh
        version=pj.as_int(c.get("Version")),
    )


@collectors.register("adsync.sync_rules")
class SyncRulesCollector(_AdSync):
    """Get-ADSyncRule: name, direction, enabled, connector, precedence.

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
        'Direction' = [string]$_.Direction
        'Disabled' = $_.Disabled
        'Connector' = [string]$_.Connector
        'Precedence' = $_.Precedence
        'ImmutableTag' = $_.ImmutableTag
        'SourceObjectType' = $_.SourceObjectType
        'TargetObjectType' = $_.TargetObjectType
        'LinkType' = [string]$_.LinkType
        'IsStandardRule' = $_.IsStandardRule
    }
}
"""

    def process(self, raw: Any, params: Mapping[str, Any]) -> list[SyncRule]:
        return [_rule(r) for r in _objects(raw)]


def _rule(r: Mapping[str, Any]) -> SyncRule:
    connector = pj.as_str(r.get("Connector"))
    return SyncRule(
        name=str(r["Name"]),
        direction=pj.as_enum(r.get("Direction"), ("Inbound", "Outbound")) or "Inbound",
        enabled=not pj.as_bool(r.get("Disabled")),
        connector_id=connector.lower() if connector else None,
        precedence=pj.as_int(r.get("Precedence")),
        immutable_tag=pj.as_str(r.get("ImmutableTag")) or None,
        source_object_type=pj.as_str(r.get("SourceObjectType")),
        target_object_type=pj.as_str(r.get("TargetObjectType")),
        link_type=pj.as_enum(r.get("LinkType"), ("Join", "Provision", "StickyJoin")),
        is_standard=pj.as_bool(r.get("IsStandardRule")),
    )


@collectors.register("adsync.run_history")
class RunHistoryCollector(_AdSync):
    """Get-ADSyncRunProfileResult per connector: the last runs, newest first.

    ```yaml
    facts:
      runs: {collector: adsync.run_history, params: {number_requested: 20}}
    ```
    """

    model = list[RunProfileResult]
    description = "Get-ADSyncRunProfileResult -ConnectorId -NumberRequested: last runs"
    params_schema = {
        "type": "object",
        "properties": {"number_requested": {"type": "integer", "minimum": 1, "maximum": 500}},
        "additionalProperties": False,
    }
    script = """foreach ($connector in @(Get-ADSyncConnector)) {
    $id = $connector.Identifier
    Get-ADSyncRunProfileResult -ConnectorId $id -NumberRequested $NumberRequested |
        ForEach-Object {
            [pscustomobject]@{
                'RunHistoryId' = [string]$_.RunHistoryId
                'ConnectorId' = [string]$_.ConnectorId
                'ConnectorName' = $_.ConnectorName
                'RunProfileName' = $_.RunProfileName
                'Result' = $_.Result
                'IsRunComplete' = $_.IsRunComplete
                'StartDate' = $_.StartDate
                'EndDate' = $_.EndDate
                'RunNumber' = $_.RunNumber
            }
        }
}
"""

    def request(self, params: Mapping[str, Any]) -> PsSnippet:
        count = int(params.get("number_requested", 20))
        return PsSnippet(IMPORT + self.script, {"NumberRequested": count})

    def process(self, raw: Any, params: Mapping[str, Any]) -> list[RunProfileResult]:
        runs = [_run(r) for r in _objects(raw)]
        return sorted(runs, key=_newest_first)


def _newest_first(run: RunProfileResult) -> tuple[float, int]:
    when = run.start or run.end
    return (-(when.timestamp() if when else 0.0), -(run.run_number or 0))


def _run(r: Mapping[str, Any]) -> RunProfileResult:
    return RunProfileResult(
        connector_id=str(r.get("ConnectorId") or "").lower(),
        connector_name=str(r.get("ConnectorName") or ""),
        run_profile_name=str(r.get("RunProfileName") or ""),
        result=str(r.get("Result") or ""),
        is_run_complete=bool(pj.as_bool(r.get("IsRunComplete"))),
        start=pj.as_datetime(r.get("StartDate")),
        end=pj.as_datetime(r.get("EndDate")),
        run_number=pj.as_int(r.get("RunNumber")),
        run_history_id=(pj.as_str(r.get("RunHistoryId")) or "").lower() or None,
    )
