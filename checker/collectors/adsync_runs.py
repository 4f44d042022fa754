"""Entra Connect Sync run history (Get-ADSyncRunProfileResult): the last runs per connector.

Run dates come from the sync database as Kind-Unspecified DateTimes holding UTC and leave the
server as `ToString('o')` (docs/fidelity.md). A run still in progress has no outcome and no
end. The history is purged after 7 days by default: what is older is not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.collectors.adsync_common import IMPORT, AdSync, date, objects
from checker.collectors.base import collectors
from checker.collectors.records import RunProfileResult
from checker.requests import PsSnippet
from checker.wire import ps_json as pj


@collectors.register("adsync.run_history")
class RunHistoryCollector(AdSync):
    """Get-ADSyncRunProfileResult per connector: the last runs, newest first. The history is
    purged (7 days by default): a run older than that is simply not here.

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
                'StartDate' = $_.StartDate.ToString('o')
                'EndDate' = $_.EndDate.ToString('o')
                'RunNumber' = $_.RunNumber
            }
        }
}
"""

    def request(self, params: Mapping[str, Any]) -> PsSnippet:
        count = int(params.get("number_requested", 20))
        return PsSnippet(IMPORT + self.script, {"NumberRequested": count})

    def process(self, raw: Any, params: Mapping[str, Any]) -> list[RunProfileResult]:
        runs = [_run(r) for r in objects(raw)]
        return sorted(runs, key=_newest_first)


def _newest_first(run: RunProfileResult) -> tuple[float, int]:
    when = run.start or run.end
    return (-(when.timestamp() if when else 0.0), -(run.run_number or 0))


def _run(r: Mapping[str, Any]) -> RunProfileResult:
    result = str(r.get("Result") or "")
    complete = bool(pj.as_bool(r.get("IsRunComplete")))
    running = result == "in-progress" or not complete
    return RunProfileResult(
        connector_id=str(r.get("ConnectorId") or "").strip("{}").lower(),
        connector_name=str(r.get("ConnectorName") or ""),
        run_profile_name=str(r.get("RunProfileName") or ""),
        result=result,
        is_run_complete=complete,
        start=date(r.get("StartDate")),
        end=None if running else date(r.get("EndDate")),  # a running run has not ended
        run_number=pj.as_int(r.get("RunNumber")),
        run_history_id=(pj.as_str(r.get("RunHistoryId")) or "").lower() or None,
        in_progress=running,
    )
