"""checker.identity.gather_shared: run once between the two per-host gathers; read what no
single host gives (each domain's shared facts, hosts outside --limit) and complete the
requests of the hosts that wait for the others' facts."""

from __future__ import annotations

from typing import Any

from ansible_collections.checker.identity.plugins.plugin_utils import checker_run as run


class ActionModule(run.CheckerAction):
    ARGS = run.GATHERED_SPEC

    def act(self, args: dict[str, Any], task_vars: dict[str, Any],
            result: dict[str, Any]) -> dict[str, Any]:
        try:
            _, prepared, gathered, shared = run.gathered_run(args, task_vars, self._templar,
                                                             self._loader)
            read = run.api.gather_shared(prepared, gathered, shared)
        except run.InputError as e:
            return {**result, **run.input_failure(e)}
        read_by = sorted(read.facts)
        result.update(
            changed=False,
            failed=bool(read.errors),
            shared_facts=read.facts,  # host -> fact rows, for the evaluate
            waiting=read.waiting,  # host -> its requests, for its per-host gather
            gather_errors={host: list(why) for host, why in read.errors.items()},
            msg=(f"read facts for {len(read_by)} host(s)" if read_by else "nothing to read")
                + (f"; {len(read.waiting)} waiting host(s) have their requests"
                   if read.waiting else "")
                + run.errors_text(read.errors),
            _ansible_verbose_override=True,  # a line, not every fact
        )
        return result
