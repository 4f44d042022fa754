"""The simulated ADSync module's state, built from a scenario: objects with the real .NET types
of build 2.2.8.0 (docs/fidelity.md, "Entra Connect Sync"), not the shape our scripts expect.

- DateTimes read from the sync database or the connector XML are Kind Unspecified holding UTC
  wall-clock time: naive `datetime`s here, which ConvertTo-Json and ToUniversalTime() then
  take as the server's local time (`Engine.timezone`), as .NET does.
- Enums carry their real values (SyncRuleLinkType Provision=0, StickyJoin=1, Join=2,
  JoinNoFlow=3); ImmutableTag is an object; intervals are TimeSpans; identifiers are Guids.
- A build has the cmdlets it had: none of the scheduler's before 1.1.105.0.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

from .adsync_space import ConnectorSpace
from .scenario import Clock
from .values import KeyedCollection, PSEnum, PSObj

OM = "Microsoft.IdentityManagement.PowerShell.ObjectModel."
POLICY = {"Unspecified": 0, "Delta": 1, "Initial": 2}  # SynchronizationPolicyType
LINK = {"Provision": 0, "StickyJoin": 1, "Join": 2, "JoinNoFlow": 3}  # SyncRuleLinkType
DIRECTION = {"Inbound": 0, "Outbound": 1}  # SynchronizationRuleDirection
PARAMETERS_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\ADSync\\Parameters"
INSTALL_PATH = "C:\\Program Files\\Microsoft Azure AD Sync"
SCHEDULER_BUILD = (1, 1, 105, 0)  # Get-ADSyncScheduler and Start-ADSyncSyncCycle from here
MIN_DATE = dt.datetime(1, 1, 1)  # DateTime.MinValue
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
# (name, link type, tag version, kind): the standard rules as a real export lists them
# (microsoft/AADConnectConfigDocumenter, src/SolutionOutput/Data/Contoso/Pilot).
BASE_RULES = [
    ("In from AD - User Join", "Provision", 3, "AD"),
    ("In from AD - User AccountEnabled", "Join", 4, "AD"),
    ("In from AD - User Common", "Join", 4, "AD"),
    ("In from AD - Group Join", "Provision", 3, "AD"),
    ("In from AD - Group Common", "Join", 4, "AD"),
    ("In from AD - Contact Join", "Provision", 3, "AD"),
    ("Out to AAD - User Join", "Provision", 6, "AAD"),
    ("Out to AAD - User Identity", "Join", 5, "AAD"),
    ("Out to AAD - Group Join", "Provision", 6, "AAD"),
]
EXCHANGE_RULES = [
    ("In from AD - User Exchange", "Join", 3, "AD"),
    ("In from AD - User Common from Exchange", "Join", 4, "AD"),
    ("In from AD - Group Exchange", "Join", 4, "AD"),
    ("Out to AAD - User ExchangeOnline", "Join", 4, "AAD"),
    ("Out to AAD - Group ExchangeOnline", "Join", 5, "AAD"),
]
HYBRID_RULES = [
    ("In from AAD - User Exchange Hybrid", "Join", 3, "AAD"),
    ("Out to AD - User Exchange Hybrid", "Join", 3, "AD"),
]


def build_of(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in str(version).split("."))


def unspecified(when: dt.datetime) -> dt.datetime:
    """A UTC instant as the sync engine hands it out: UTC wall clock, Kind Unspecified."""
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def enum(type_name: str, table: dict[str, int], name: str) -> PSEnum:
    return PSEnum(OM + type_name, name, table[name])


class State:
    """The server's mutable state, built from a scenario."""

    def __init__(self, sc: dict[str, Any], clock: Clock) -> None:
        self.sc, self.clock = sc, clock
        self.build = build_of(sc["version"])
        self.faults: dict[str, Any] = dict(sc.get("faults") or {})
        self.changes: list[str] = []
        self.runs: list[PSObj] = []  # newest first
        self.run_number = 1000
        self.rebuild()
        for cycle in sc.get("history", []):
            self.play(cycle)
        self.space = ConnectorSpace(self)

    def rebuild(self) -> None:
        self.connectors = [self._connector(c) for c in self.sc["connectors"]]
        self.rules = self._rules()

    @property
    def has_scheduler(self) -> bool:
        return self.build >= SCHEDULER_BUILD

    @property
    def install_path(self) -> str:
        return str(self.sc.get("install_path", INSTALL_PATH))

    def journal(self, what: str) -> None:
        """Record a state change; with LAB_PSRP_JOURNAL set, also append it to that file, so
        tests can prove a default (read-only) run changed nothing."""
        self.changes.append(what)
        path = os.environ.get("LAB_PSRP_JOURNAL")
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"{dt.datetime.now(dt.timezone.utc).isoformat()} {what}\n")

    def spec(self, connector: PSObj) -> dict[str, Any]:
        """The scenario entry a connector object was built from."""
        ident = str(connector.get("Identifier")[1])
        return next(c for c in self.sc["connectors"] if c["id"].lower() == ident)

    def _connector(self, c: dict[str, Any]) -> PSObj:
        is_ad = c["type"] == "AD"
        attrs = (BASE_ATTRIBUTES + (EXCHANGE_ATTRIBUTES if c.get("exchange_schema") else [])
                 if is_ad else ["cloudAnchor", "sourceAnchor", "userPrincipalName", "mail"])
        schema = PSObj([OM + "Schema"], {
            "ObjectTypes": KeyedCollection([PSObj([OM + "SchemaObjectType"], {"Name": n})
                                            for n in OBJECT_TYPES]),
            "AttributeTypes": KeyedCollection([PSObj([OM + "SchemaAttribute"], {
                "Name": n, "Type": PSEnum(OM + "SchemaAttributeType", "String", 0),
                "AllowsMultipleValues": n in ("proxyAddresses", "member")}) for n in attrs]),
            "IsConnectorSchema": True})
        partitions = [PSObj([OM + "ConnectorPartition"], {
            "Identifier": uuid.uuid5(uuid.NAMESPACE_URL, p), "Name": p, "DN": p, "Selected": True,
            "IsDomain": is_ad}, to_string=p) for p in c.get("partitions", ["default"])]
        connectivity = [PSObj([OM + "ConfigurationParameter"], {"Name": "forest-name",
                                                                "Value": c.get("forest", c["name"])})
                        ] if is_ad else []
        return PSObj([OM + "Connector"], {
            "Identifier": uuid.UUID(c["id"]), "Name": c["name"], "Type": c["type"],
            "ConnectorTypeName": c["type"], "Subtype": c.get("subtype", ""),
            "Version": int(c.get("version", 42)), "Description": "", "CompanyName": "Microsoft",
            "CreationTime": unspecified(self.clock.at(c["created"])),
            "LastModificationTime": unspecified(self.clock.at(c["modified"])),
            "Partitions": partitions, "Schema": schema,
            "ConnectivityParameters": KeyedCollection(connectivity),
            "ObjectInclusionList": list(c.get("object_inclusion", ["user", "group", "contact"])),
            "AttributeInclusionList": [a for a in attrs if a not in ("whenChanged",)],
        }, to_string=c["name"])

    def _rules(self) -> list[PSObj]:
        wanted = list(BASE_RULES)
        if self.sc.get("exchange_sync_rules", True):
            wanted += EXCHANGE_RULES
        if self.sc.get("hybrid_exchange", False):
            wanted += HYBRID_RULES
        rules = []
        for connector in self.connectors:
            kind = "AD" if connector.get("Type")[1] == "AD" else "AAD"
            rules += [self._rule(connector, name, link, version, len(rules) + i)
                      for i, (name, link, version, k) in enumerate(wanted) if k == kind]
        return rules

    def _rule(self, connector: PSObj, name: str, link: str, version: int, index: int) -> PSObj:
        agnostic = "Microsoft." + name.replace(" ", "").replace("-", "")
        ident = uuid.uuid5(uuid.NAMESPACE_URL, f"{connector.get('Identifier')[1]}/{name}")
        tag = PSObj([OM + "ImmutableTag"], {
            "TagValue": f"{agnostic}.{version:03d}", "VersionAgnosticTag": agnostic,
            "TagVersion": version, "IsStandardTag": True, "IsLegacyCustomTag": False})
        direction = "Inbound" if name.startswith("In ") else "Outbound"
        return PSObj([OM + "SynchronizationRule"], {
            "Identifier": ident, "InternalId": ident, "Name": name, "Version": 1,
            "Description": "", "ImmutableTag": tag,
            "Connector": connector.get("Identifier")[1],
            "Direction": enum("SynchronizationRuleDirection", DIRECTION, direction),
            "Disabled": name in self.sc.get("disabled_rules", []),
            "SourceObjectType": "user" if "User" in name else "group",
            "TargetObjectType": "person" if "User" in name else "group",
            "Precedence": 100 + index, "LinkType": enum("SyncRuleLinkType", LINK, link),
            "SoftDeleteExpiryInterval": dt.timedelta(0),
            "VersionAgnosticTag": agnostic, "TagVersion": version,
            "IsStandardRule": True, "IsLegacyCustomRule": False}, to_string=name)

    # ------------------------------------------------------------------ run history
    def play(self, cycle: dict[str, Any]) -> None:
        """A cycle from the scenario's `history`; `in_progress` leaves its last run running."""
        self.cycle(str(cycle["policy"]), self.clock.at(cycle["end"]),
                   str(cycle.get("result", "success")), cycle.get("connectors"),
                   running=bool(cycle.get("in_progress")))

    def cycle(self, policy: str, end: dt.datetime, result: str = "success",
              only: list[str] | None = None, started: dt.datetime | None = None,
              running: bool = False) -> None:
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
            last = running and i == len(runs) - 1
            self.add_run(connector, profile, finish, "in-progress" if last else result, last)

    def add_run(self, connector: PSObj, profile: str, finish: dt.datetime, result: str,
                running: bool = False) -> None:
        self.run_number += 1
        start = finish - dt.timedelta(seconds=40)
        self.runs.insert(0, PSObj([OM + "RunProfileResult"], {
            "RunHistoryId": uuid.uuid5(uuid.NAMESPACE_OID, f"run/{self.run_number}"),
            "ConnectorId": connector.get("Identifier")[1],
            "ConnectorName": connector.get("Name")[1],
            "RunProfileId": uuid.uuid5(uuid.NAMESPACE_OID, f"{connector.get('Name')[1]}/{profile}"),
            "RunProfileName": profile, "RunNumber": self.run_number,
            "Username": "NT SERVICE\\ADSync", "IsRunComplete": not running, "Result": result,
            "CurrentStepNumber": 1, "TotalSteps": 1, "StartDate": unspecified(start),
            # unverified: what a run still in progress reports as its end
            "EndDate": MIN_DATE if running else unspecified(finish)}))

    def last_full(self, connector: PSObj, profile: str) -> dt.datetime | None:
        """When the connector last completed a "Full Import" or "Full Synchronization": the
        scenario may say so for a run older than the retained history (`full_import:`,
        `full_sync:`), else the history does."""
        stated = self.spec(connector).get("full_import" if "Import" in profile else "full_sync")
        if stated:
            return unspecified(self.clock.at(stated))
        ident = connector.get("Identifier")[1]
        done = [r.get("EndDate")[1] for r in self.runs
                if r.get("ConnectorId")[1] == ident and r.get("RunProfileName")[1] == profile
                and r.get("Result")[1] == "success"]
        return max(done) if done else None

    # ------------------------------------------------------------------ settings
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
            "Microsoft.Synchronize.RunHistoryPurgeInterval": "7.00:00:00",
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
        policy = s.get("next_policy", "Delta")
        return PSObj([OM + "SchedulerSettings"], {
            "AllowedSyncCycleInterval": interval, "CurrentlyEffectiveSyncCycleInterval": interval,
            "CustomizedSyncCycleInterval": None,
            "NextSyncCyclePolicyType": enum("SynchronizationPolicyType", POLICY, policy),
            # Kind unverified; Unspecified is the case a local-time conversion would break
            "NextSyncCycleStartTimeInUTC": unspecified(self.clock.now + dt.timedelta(minutes=10)),
            "PurgeRunHistoryInterval": dt.timedelta(days=7),
            "SyncCycleEnabled": bool(s.get("enabled", True)),
            "MaintenanceEnabled": True,
            "StagingModeEnabled": bool(self.sc.get("staging_mode")),
            "SchedulerSuspended": bool(s.get("suspended", False)),
            "SyncCycleInProgress": bool(s.get("in_progress", False))})
