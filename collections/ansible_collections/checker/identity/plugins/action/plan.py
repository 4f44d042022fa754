"""checker.identity.plan: validate and plan the run once, before any host is contacted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ansible_collections.checker.identity.plugins.plugin_utils import checker_run as run


class ActionModule(run.CheckerAction):
    ARGS = run.SETTINGS_SPEC

    def act(self, args: dict[str, Any], task_vars: dict[str, Any],
            result: dict[str, Any]) -> dict[str, Any]:
        started = dt.datetime.now(dt.timezone.utc)
        try:
            settings = run.settings(args, task_vars, self._templar)
            estate, skipped, _ = run.estate(task_vars, self._loader)
            prepared = run.api.prepare(settings, estate)
        except run.InputError as e:
            return {**result, **run.input_failure(e)}
        waiting = run.api.waiting(prepared)
        hosts = {hp.host.name: {"transport": hp.transport,
                                "facts": run.api.planned_facts(prepared, hp.host.name),
                                "waits": hp.host.name in waiting}
                 for hp in prepared.plan.hosts}
        result.update(
            changed=False,
            started_at=started.isoformat(),  # the run's start, for the evaluate
            hosts=hosts,
            waiting=waiting,  # gathered last, per host (gate.yml: the checker_waiting group)
            rules=len(prepared.ruleset.rules),
            msg=f"{len(prepared.under_test)} host(s), {len(prepared.ruleset.rules)} rule(s), "
                f"{prepared.plan.fact_count} distinct fact(s); nothing was contacted"
                + (f"; {len(waiting)} host(s) wait for other hosts' facts and are gathered "
                   "after them" if waiting else ""),
            warnings=[*prepared.plan.warnings, *skipped],
            _ansible_verbose_override=True,  # a line per host: `checker plan` shows it
        )
        return result
