"""The simulated ADSync module: cmdlets whose output follows the real objects' property names
and types (shared/reference/domain.md section 1). State comes from a scenario file."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

from .engine import Engine, Invocation, not_found
from .scenario import Clock
from .values import KeyedCollection, PSEnum, PSError, PSObj

OM = "Microsoft.IdentityManagement.PowerShell.ObjectModel."
POLICY = {"Unspecified": 0, "Delta": 1, "Initial": 2}
BASE_ATTRIBUTES = [
    "cn", "displayName", "givenName", "sn", "mail", "proxyAddresses", "userPrincipalName",
    "sAMAccountName", "objectGUID", "objectSid", "userAccountControl", "pwdLastSet", "member",
    "memberOf", "manager", "department", "title", "telephoneNumber", "description",
    "mS-DS-ConsistencyGuid", "groupType", "whenChanged", "whenCreated", "c", "co", "l",
]
EXCHANGE_ATTRIBUTES = [
    "msExchRecipientTypeDetails", "msExchRecipientDisplayType", "msExchRemoteRecipientType",
    "mailNickname", "targetAddress", "legacyExchangeDN", "msExchMailboxGuid",
    "msExchArchiveGUID", "msExchHideFromAddressLists", "msExchExtensionCustomAttribute1",
]
OBJECT_TYPES = ["user", "group", "contact", "computer", "inetOrgPerson", "foreignSecurityPrincipal"]
BASE_RULES = [
    ("In from AD - User Join", "Inbound", "AD"), ("In from AD - User AccountEnabled", "Inbound", "AD"),
    ("In from AD - User Common", "Inbound", "AD"), ("In from AD - Group Common", "Inbound", "AD"),
    ("Out to AAD - User Join", "Outbound", "AAD"), ("Out to AAD - User Identity", "Outbound", "AAD"),
    ("Out to AAD - Group Join", "Outbound", "AAD"),
]
EXCHANGE_RULES = [
    ("In from AD - User Exchange", "Inbound", "AD"), ("In from AD - Group Exchange", "Inbound", "AD"),
    ("Out to AAD - User ExchangeOnline", "Outbound", "AAD"),
    ("Out to AAD - Group ExchangeOnline", "Outbound", "AAD"),
]
HYBRID_RULES = [
    ("In from AAD - User Exchange Hybrid", "Inbound", "AAD"),
    ("Out to AD - User Exchange Hybrid", "Outbound", "AD"),
]


class State:
    """The server's mutable state, built from a scenario."""

    def __init__(self, sc: dict[str, Any], clock: Clock) -> None:
        self.sc, self.clock = sc, clock
        self.connectors = [self._connector(c) for c in sc["connectors"]]
        self.runs: list[PSObj] = []  # newest first
        self.run_number = 1000
        for cycle in sc.get("history", []):
            self.cycle(str(cycle["policy"]), clock.at(cycle["end"]),
                       str(cycle.get("result", "success")), cycle.get("connectors"))
        self.rules = self._rules()
        self.faults: dict[str, Any] = dict(sc.get("faults") or {})
        self.changes: list[str] = []

    def journal(self, what: str) -> None:
        """Record a state change; with LAB_PSRP_JOURNAL set, also append it to that file, so
        tests can prove a default (read-only) run changed nothing."""
        self.changes.append(what)
        path = os.environ.get("LAB_PSRP_JOURNAL")
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"{dt.datetime.now(dt.timezone.utc).isoformat()} {what}\n")

    def _connector(self, c: dict[str, Any]) -> PSObj:
        is_ad = c["type"] == "AD"
        attrs = (BASE_ATTRIBUTES + (EXCHANGE_ATTRIBUTES if c.get("exchange_schema") else [])
                 if is_ad else ["cloudAnchor", "sourceAnchor", "userPrincipalName", "mail"])
        schema = PSObj([OM + "Schema"], {
            "ObjectTypes": KeyedCollection([PSObj([OM + "SchemaObjectType"], {"Name": n})
                                            for n in OBJECT_TYPES]),
            "AttributeTypes": KeyedCollection([PSObj([OM + "SchemaAttribute"], {
                "Name": n, "Type": "String", "AllowsMultipleValues": n in ("proxyAddresses",
                                                                           "member")})
                for n in attrs]),
            "IsConnectorSchema": True})
        partitions = [PSObj([OM + "ConnectorPartition"], {
            "Identifier": uuid.uuid5(uuid.NAMESPACE_URL, p), "Name": p, "DN": p, "Selected": True,
            "IsDomain": is_ad}, to_string=p) for p in c.get("partitions", ["default"])]
        return PSObj([OM + "Connector"], {
            "Identifier": uuid.UUID(c["id"]), "Name": c["name"], "Type": c["type"],
            "ConnectorTypeName": c["type"], "Subtype": c.get("subtype", ""),
            "Version": int(c.get("version", 42)), "Description": "", "CompanyName": "Microsoft",
            "CreationTime": self.clock.at(c["created"]),
            "LastModificationTime": self.clock.at(c["modified"]),
            "Partitions": partitions, "Schema": schema,
            "ObjectInclusionList": list(c.get("object_inclusion", ["user", "group", "contact"])),
            "AttributeInclusionList": [a for a in attrs if a not in ("whenChanged",)],
        }, to_string=c["name"])

    def _rules(self) -> list[PSObj]:
        wanted = list(BASE_RULES)
        if self.sc.get("exchange_sync_rules", True):
            wanted += EXCHANGE_RULES
        if self.sc.get("hybrid_exchange", False):
            wanted += HYBRID_RULES
        by_kind = {("AD" if c.get("Type")[1] == "AD" else "AAD"): c for c in self.connectors}
        return [PSObj([OM + "SynchronizationRule"], {
            "Identifier": uuid.uuid5(uuid.NAMESPACE_URL, name), "Name": name, "Version": 1,
            "ImmutableTag": "Microsoft." + name.replace(" ", "").replace("-", "") + ".001",
            "Direction": PSEnum(OM + "SynchronizationRuleDirection", direction,
                                0 if direction == "Inbound" else 1),
            "Disabled": name in self.sc.get("disabled_rules", []),
            "Connector": by_kind[kind].get("Identifier")[1], "Precedence": 100 + i,
            "SourceObjectType": "user" if "User" in name else "group",
            "TargetObjectType": "person" if "User" in name else "group",
            "LinkType": PSEnum(OM + "SynchronizationRuleLinkType",
                               "Join" if "Join" in name else "Provision",
                               0 if "Join" in name else 1),
            "IsStandardRule": True}, to_string=name)
            for i, (name, direction, kind) in enumerate(wanted)]

    def cycle(self, policy: str, end: dt.datetime, result: str = "success",
              only: list[str] | None = None, started: dt.datetime | None = None) -> None:
        """One sync cycle on every connector: imports, syncs, exports (not when staging)."""
        kind = "Full" if policy == "Initial" else "Delta"
        steps = [f"{kind} Import", f"{kind} Synchronization"]
        if not self.sc.get("staging_mode"):
            steps.append("Export")
        runs = [(c, s) for s in steps for c in self.connectors
                if only is None or c.get("Name")[1] in only]
        for i, (connector, profile) in enumerate(runs):
            finish = end - dt.timedelta(minutes=len(runs) - 1 - i)
            if started is not None:  # a cycle started now: its runs finish one after another
                finish = started + dt.timedelta(seconds=i + 1)
            self.run_number += 1
            self.runs.insert(0, PSObj([OM + "RunHistory"], {
                "RunHistoryId": uuid.uuid4(), "ConnectorId": connector.get("Identifier")[1],
                "ConnectorName": connector.get("Name")[1], "RunProfileId": uuid.uuid4(),
                "RunProfileName": profile, "RunNumber": self.run_number,
                "Username": "NT SERVICE\\ADSync", "IsRunComplete": True, "Result": result,
                "CurrentStepNumber": 1, "TotalSteps": 1,
                "StartDate": finish - dt.timedelta(seconds=40), "EndDate": finish}))

    def global_settings(self) -> PSObj:
        sc = self.sc
        params = {
            "Microsoft.Synchronize.ServerConfigurationVersion": sc["version"],
            "Microsoft.OptionalFeature.HybridExchange": str(bool(sc.get("hybrid_exchange"))),
            "Microsoft.OptionalFeature.ExchangeMailPublicFolder": "False",
            "Microsoft.Synchronize.StagingMode": str(bool(sc.get("staging_mode"))),
            "Microsoft.Synchronize.SchedulerSuspended":
                str(bool(sc["scheduler"].get("suspended"))),
            "Microsoft.Synchronize.TimeInterval": "00:30:00",
            "Microsoft.SynchronizationOption.AnchorAttribute": "mS-DS-ConsistencyGuid",
        }
        coll = KeyedCollection([PSObj([OM + "ConfigurationParameter"],
                                      {"Name": k, "Value": v, "DataType": "String"})
                                for k, v in params.items()])
        return PSObj([OM + "GlobalSettings"], {
            "Version": 396, "SqlSchemaVersion": 616, "InstanceId": uuid.uuid5(
                uuid.NAMESPACE_URL, "lab"), "Parameters": coll})

    def scheduler(self) -> PSObj:
        s, interval = self.sc["scheduler"], dt.timedelta(minutes=30)
        return PSObj([OM + "SchedulerSettings"], {
            "AllowedSyncCycleInterval": interval, "CurrentlyEffectiveSyncCycleInterval": interval,
            "CustomizedSyncCycleInterval": None,
            "NextSyncCyclePolicyType": PSEnum(OM + "SynchronizationPolicyType",
                                              s.get("next_policy", "Delta"),
                                              POLICY[s.get("next_policy", "Delta")]),
            "NextSyncCycleStartTimeInUTC": self.clock.now + dt.timedelta(minutes=10),
            "PurgeRunHistoryInterval": dt.timedelta(days=7),
            "SyncCycleEnabled": bool(s.get("enabled", True)),
            "MaintenanceEnabled": True,
            "StagingModeEnabled": bool(self.sc.get("staging_mode")),
            "SchedulerSuspended": bool(s.get("suspended", False)),
            "SyncCycleInProgress": False})


def register(engine: Engine, state: State) -> State:
    if not state.faults.get("module_missing"):
        engine.modules.add("adsync")
    if state.faults.get("malformed_json"):  # as a truncated reply would look
        engine.json_filter = lambda text: text[: len(text) // 2]

    def slow(name: str, inv: Invocation) -> None:
        if state.faults.get("sleep_cmdlet", "").lower() == name.lower():
            inv.w.sleep(float(state.faults.get("sleep_seconds", 30)))

    def cmdlet(name: str, fn: Any) -> None:
        def run(inv: Invocation) -> Any:
            if "adsync" not in engine.modules:  # no module: the command does not exist
                raise not_found(name)
            slow(name, inv)
            return fn(inv)

        engine.cmdlet(name)(run)

    cmdlet("Get-ADSyncConnector", lambda inv: _connectors(state, inv))
    cmdlet("Get-ADSyncGlobalSettings", lambda inv: [state.global_settings()])
    cmdlet("Get-ADSyncScheduler", lambda inv: [state.scheduler()])
    cmdlet("Get-ADSyncRule", lambda inv: list(state.rules))
    cmdlet("Get-ADSyncRunProfileResult", lambda inv: _runs(state, inv))
    cmdlet("Start-ADSyncSyncCycle", lambda inv: _start_cycle(state, inv))
    # Lab-only: stands in for the Entra Connect wizard's "Refresh directory schema" (a manual
    # GUI step with no cmdlet), so the end-to-end tests can play the admin's part.
    cmdlet("Invoke-LabDirectorySchemaRefresh", lambda inv: _refresh_schema(state))
    return state


def _refresh_schema(state: State) -> list[Any]:
    """What the wizard does: re-read the AD schema (the Exchange attributes appear, the
    connector is modified now) and regenerate the sync rules (the Exchange ones appear)."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    stamp = f"now+{max(0, int((now - state.clock.now).total_seconds()))}s"  # the real now
    for c in state.sc["connectors"]:
        if c["type"] == "AD":
            c.update(exchange_schema=True, modified=stamp)
    state.sc["exchange_sync_rules"] = True
    state.connectors = [state._connector(c) for c in state.sc["connectors"]]
    state.rules = state._rules()
    state.journal("Invoke-LabDirectorySchemaRefresh")
    return [PSObj([OM + "SchedulerOperationStatus"], {"Result": "Success"}, to_string="Success")]


def _connectors(state: State, inv: Invocation) -> list[Any]:
    name, ident = inv.param("Name", 0), inv.param("Identifier")
    hits = [c for c in state.connectors
            if (name is None or str(c.get("Name")[1]).lower() == str(name).lower())
            and (ident is None or str(c.get("Identifier")[1]) == str(ident).lower())]
    if (name or ident) and not hits:
        inv.error(PSError(f"Connector '{name or ident}' could not be found.",
                          "Microsoft.IdentityManagement.PowerShell.Cmdlet."
                          "GetADSyncConnectorCmdlet", "ReadError", "System.ArgumentException"))
    return hits


def _runs(state: State, inv: Invocation) -> list[Any]:
    cid, count = inv.param("ConnectorId"), inv.param("NumberRequested")
    runs = [r for r in state.runs if cid is None or str(r.get("ConnectorId")[1]) == str(cid).lower()]
    return runs[: int(count)] if count is not None else runs


def _start_cycle(state: State, inv: Invocation) -> list[Any]:
    policy = str(inv.param("PolicyType", 0, "Delta"))
    if policy not in POLICY:
        raise PSError(f"Cannot bind parameter 'PolicyType'. Cannot convert value \"{policy}\".",
                      "ParameterArgumentTransformationError", "InvalidArgument")
    now = dt.datetime.now(dt.timezone.utc)
    state.cycle("Delta" if policy == "Unspecified" else policy, now, started=now)
    state.journal(f"Start-ADSyncSyncCycle -PolicyType {policy}")
    return [PSObj([OM + "SchedulerOperationStatus"], {"Result": "Success"}, to_string="Success")]
