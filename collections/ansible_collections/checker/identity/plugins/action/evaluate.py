"""checker.identity.evaluate: run once over every gathered host; evaluate every selected rule,
write checker's reports and history, and pass or fail the play by `checker apply`'s gate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ansible_collections.checker.identity.plugins.plugin_utils import checker_run as run

VERDICT = {0: "passed", 1: "failed", 2: "could not decide (error)"}


class ActionModule(run.CheckerAction):
    ARGS = run.GATHERED_SPEC

    def act(self, args: dict[str, Any], task_vars: dict[str, Any],
            result: dict[str, Any]) -> dict[str, Any]:
        try:
            settings, prepared, gathered, shared = run.gathered_run(
                args, task_vars, self._templar, self._loader)
            outcome = run.api.conclude(prepared, _with_shared(gathered, task_vars), settings,
                                       _started(task_vars), shared)
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
                + run.errors_text(outcome.gather_errors),
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


def _with_shared(gathered: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
    """Each host's gathered rows, then the rows checker.identity.gather_shared read for it
    (a host's later rows win)."""
    read = (task_vars.get(run.SHARED_VAR) or {}).get("shared_facts") or {}
    for host, rows in read.items():
        gathered[host] = [*gathered.get(host, []), *rows]
    return gathered
