"""checker.identity.evaluate: run once over every gathered host; evaluate every selected rule,
write checker's reports and history, and pass or fail the play by `checker apply`'s gate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ansible_collections.checker.identity.plugins.plugin_utils import checker_run as run

VERDICT = {0: "passed", 1: "failed", 2: "could not decide (error)"}
class ActionModule(run.CheckerAction):
    ARGS = {**run.SETTINGS_SPEC, "gathered": {"type": "str", "default": run.GATHERED_VAR}}

    def act(self, args: dict[str, Any], task_vars: dict[str, Any],
            result: dict[str, Any]) -> dict[str, Any]:
        try:
            settings = run.settings(args, task_vars, self._templar)
            estate, _, results = run.estate(task_vars, self._loader, args["gathered"])
            prepared = run.api.prepare(settings, estate)
            gathered = _registered(results, prepared, "checker_facts")
            shared = _registered(results, prepared, "checker_shared")
            outcome = run.api.conclude(prepared, gathered, settings, _started(task_vars),
                                       shared)
        except run.InputError as e:
            return {**result, **run.input_failure(e)}
        except run.CheckerError as e:  # e.g. the history database cannot be written
            return {**result, "failed": True, "rc": 2, "exit_code": 2, "msg": f"checker: {e}"}
        code = outcome.exit_code
        summary = outcome.summary()
        counts = ", ".join(f"{n} {s}" for s, n in summary.items() if n and s != "exit_code")
        result.update(
            changed=False,
            failed=code != 0,
            rc=code,
            exit_code=code,
            summary=summary,
            reports=[spec.partition(":")[2] for spec in settings.reports if ":" in spec],
            msg=f"checker: {counts or 'no results'}; exit code {code}: {VERDICT[code]}"
                + "".join(f"\n{host}: facts could not be gathered (their rules are `error`): "
                          f"{'; '.join(why)}" for host, why in outcome.gather_errors.items()),
            gather_errors={host: list(why) for host, why in outcome.gather_errors.items()},
            notes=list(outcome.notes),
            warnings=list(outcome.report.warnings),
        )
        if outcome.stdout:
            result["stdout"] = outcome.stdout
            result["stdout_lines"] = outcome.stdout.splitlines()
        return result


def _started(task_vars: dict[str, Any]) -> dt.datetime | None:
    """When the plan task began the run: reports, history and waiver expiry count from it,
    as `checker apply` counts from before gathering."""
    stamp = (task_vars.get(run.PLAN_VAR) or {}).get("started_at")
    return dt.datetime.fromisoformat(str(stamp)) if stamp else None


def _registered(results: dict[str, Any], prepared: Any, field: str) -> dict[str, Any]:
    """What each planned host's gather task registered under `field`: its fact rows
    (checker_facts), or the facts it left to one host of its domain (checker_shared)."""
    out: dict[str, Any] = {}
    for hp in prepared.plan.hosts:
        raw = results.get(hp.host.name)
        rows = raw.get(field) if hp.facts and isinstance(raw, dict) else None
        if rows:
            out[hp.host.name] = rows
    return out
