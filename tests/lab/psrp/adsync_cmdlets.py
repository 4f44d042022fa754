"""The ADSync cmdlets over `adsync.State`, registered as the build has them, plus where the
module lives: the install path in the ADSync service's Parameters key, the manifest under
it, and (unless a scenario says the module is not on PSModulePath) importable by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .adsync import OM, PARAMETERS_KEY, POLICY, State
from .engine import Engine, Invocation, not_found
from .values import PSError, PSObj

CMDLET_NS = "Microsoft.IdentityManagement.PowerShell.Cmdlet."
SCHEDULER_CMDLETS = ("Get-ADSyncScheduler", "Set-ADSyncScheduler", "Start-ADSyncSyncCycle")


def install(engine: Engine, state: State) -> None:
    """The service's registry key, the module manifest and the module path, as installed."""
    if state.faults.get("module_missing"):
        return
    engine.registry[PARAMETERS_KEY] = {"Path": state.install_path, "DBName": "ADSync",
                                       "SQLInstance": "ADSync2019", "Server": "(localdb)"}
    manifest = state.install_path + "\\Bin\\ADSync\\ADSync.psd1"
    engine.files[manifest.lower()] = "adsync"
    if not state.faults.get("module_not_on_path"):  # the known issue right after install
        engine.modules.add("adsync")


def register(engine: Engine, state: State) -> State:
    install(engine, state)
    if state.faults.get("malformed_json"):  # as a truncated reply would look
        engine.json_filter = lambda text: text[: len(text) // 2]

    def cmdlet(name: str, fn: Any) -> None:
        if name in SCHEDULER_CMDLETS and not state.has_scheduler:
            return  # builds before 1.1.105.0 never had it

        def run(inv: Invocation) -> Any:
            if not engine.has_module(inv.interp, "adsync"):  # not loaded: not a command
                raise not_found(name)
            if state.faults.get("sleep_cmdlet", "").lower() == name.lower():
                inv.w.sleep(float(state.faults.get("sleep_seconds", 30)))
            return fn(inv)

        engine.cmdlet(name)(run)

    cmdlet("Get-ADSyncConnector", lambda inv: _connectors(state, inv))
    cmdlet("Get-ADSyncGlobalSettings", lambda inv: [state.global_settings()])
    cmdlet("Get-ADSyncScheduler", lambda inv: [state.scheduler()])
    cmdlet("Get-ADSyncRule", lambda inv: list(state.rules))
    cmdlet("Get-ADSyncRunProfileResult", lambda inv: _runs(state, inv))
    cmdlet("Get-ADSyncCSObject", lambda inv: _cs_object(state, inv))
    cmdlet("Get-ADSyncMVObject", lambda inv: _mv_object(state, inv))
    cmdlet("Start-ADSyncSyncCycle", lambda inv: _start_cycle(state, inv))
    cmdlet("Set-ADSyncScheduler", lambda inv: _set_scheduler(state, inv))
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
    state.rebuild()
    state.journal("Invoke-LabDirectorySchemaRefresh")
    return [_status()]


def _status() -> PSObj:
    return PSObj([OM + "SchedulerOperationStatus"], {"Result": "Success"}, to_string="Success")


def _connector_by(state: State, inv: Invocation, name_param: str, id_param: str) -> PSObj:
    name, ident = inv.param(name_param, 0), inv.param(id_param)
    for c in state.connectors:
        if (name is not None and str(c.get("Name")[1]).lower() == str(name).lower()) or \
                (ident is not None and str(c.get("Identifier")[1]) == str(ident).lower()):
            return c
    raise PSError(f"Connector with name {name or ident} was not found.", "ReadError",
                  "ReadError", "System.ArgumentException")


def _connectors(state: State, inv: Invocation) -> list[Any]:
    if inv.param("Name", 0) is None and inv.param("Identifier") is None:
        return list(state.connectors)
    try:
        return [_connector_by(state, inv, "Name", "Identifier")]
    except PSError as e:
        inv.error(e)
        return []


def _cs_object(state: State, inv: Invocation) -> list[Any]:
    """-ConnectorName|-ConnectorIdentifier with -DistinguishedName: one object, or the
    cmdlet's own error (Strings.CSObjectWithDNNotFound in build 2.2.8.0)."""
    connector = _connector_by(state, inv, "ConnectorName", "ConnectorIdentifier")
    dn = inv.param("DistinguishedName", 1)
    if dn is None:
        start, count = int(inv.param("StartIndex", default=0)), inv.param("MaxResultCount")
        found = state.space.objects(connector)[start:]
        return found[: int(count)] if count is not None else found
    hit = state.space.find(connector, str(dn))
    if hit is None:
        inv.error(PSError(f"Connector space object with DN {dn} was not found in connector "
                          f"space {connector.get('Name')[1]}.",
                          CMDLET_NS + "GetADSyncCSObjectCmdlet", "ReadError",
                          "System.ArgumentException", str(dn)))
        return []
    return [hit]


def _mv_object(state: State, inv: Invocation) -> list[Any]:
    ident = str(inv.param("Identifier", 0))
    found = state.space.metaverse_object(ident)
    if found is None:  # unverified: the cmdlet's own message for an unknown identifier
        raise PSError(f"Metaverse object with Identifier {ident} is not found.", "ReadError",
                      "ReadError", "System.ArgumentException", ident)
    return [found]


def _runs(state: State, inv: Invocation) -> list[Any]:
    cid, count = inv.param("ConnectorId"), inv.param("NumberRequested")
    runs = [r for r in state.runs if cid is None or str(r.get("ConnectorId")[1]) == str(cid).lower()]
    return runs[: int(count)] if count is not None else runs


def _set_scheduler(state: State, inv: Invocation) -> list[Any]:
    """`Set-ADSyncScheduler [[-CustomizedSyncCycleInterval] <TimeSpan>] [[-SyncCycleEnabled]
    <Boolean>] ...` (the ADSync reference on Learn): only SyncCycleEnabled is modelled; a
    [bool] parameter takes $true/$false, not a string."""
    enabled = inv.param("SyncCycleEnabled", 1)
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise PSError(f"Cannot process argument transformation on parameter "
                          f"'SyncCycleEnabled'. Cannot convert value \"{enabled}\" to type "
                          f"\"System.Boolean\".", "ParameterArgumentTransformationError",
                          "InvalidData")
        state.sc["scheduler"]["enabled"] = enabled
        state.journal(f"Set-ADSyncScheduler -SyncCycleEnabled ${str(enabled).lower()}")
    return []


def _start_cycle(state: State, inv: Invocation) -> list[Any]:
    policy = str(inv.param("PolicyType", 0, "Delta"))
    if policy not in POLICY:
        raise PSError(f"Cannot bind parameter 'PolicyType'. Cannot convert value \"{policy}\".",
                      "ParameterArgumentTransformationError", "InvalidArgument")
    now = dt.datetime.now(dt.timezone.utc)
    state.cycle("Delta" if policy == "Unspecified" else policy, now, started=now)
    state.journal(f"Start-ADSyncSyncCycle -PolicyType {policy}")
    return [_status()]
