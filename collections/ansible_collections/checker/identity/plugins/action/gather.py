"""checker.identity.gather: one host's facts, gathered on the controller with checker's own
transports (LDAP, PSRP, export, snapshot). Ansible's connection to the host is never used."""

from __future__ import annotations

from typing import Any

from ansible_collections.checker.identity.plugins.plugin_utils import checker_run as run

if run.api is not None:
    # Imported here, in the controller's main process (the linear strategy loads the action
    # class there): every forked worker inherits the transports instead of importing them.
    run.api.preload()

WAITS = ("its requests are built from other hosts' facts and checker.identity.gather_shared "
         "has not completed them: the evaluate task gathers it, in one connection")


class ActionModule(run.CheckerAction):
    ARGS = {"plan": {"type": "dict"}, "timeout": {"type": "float"}}

    def act(self, args: dict[str, Any], task_vars: dict[str, Any],
            result: dict[str, Any]) -> dict[str, Any]:
        host = str(task_vars["inventory_hostname"])
        # By default the registered plan is read as it is: templating it for every host would
        # cost more CPU than gathering the host (measured: benchmarks/ansible_fanout.py).
        plan = args["plan"] or task_vars.get(run.PLAN_VAR) or {}
        planned = (plan.get("hosts") or {}).get(host, {})
        facts = _waiting(task_vars, host) if planned.get("waits") else planned.get("facts", [])
        result["_ansible_verbose_override"] = True  # -v shows the summary, not every fact
        if not facts:
            return {**result, "changed": False, "skipped": True, "checker_facts": [],
                    "msg": WAITS if planned.get("waits") else "no selected rule needs facts "
                    "from this host"}
        hostvars, problems, _ = run.host_vars(task_vars["hostvars"], host, self._loader)
        if problems:
            return {**result, **run.input_failure(run.InputError("\n".join(problems)))}
        timeout = args["timeout"] or float(self._templar.template(
            task_vars.get("checker_timeout", 60.0)))
        shared: list[dict[str, Any]] = []  # read once per domain by gather_shared
        rows = run.api.gather_host(host, hostvars, facts, timeout, shared=shared)
        errors = [r for r in rows if r["status"] == "error"]
        result.update(changed=False, checker_facts=rows, checker_shared=shared,
                      failed=bool(errors), msg=_summary(rows, errors, shared))
        return result


def _waiting(task_vars: dict[str, Any], host: str) -> list[dict[str, Any]]:
    """A waiting host's requests, completed from the other hosts' facts by
    checker.identity.gather_shared (run once before this task)."""
    read = task_vars.get(run.SHARED_VAR) or {}
    return list((read.get("waiting") or {}).get(host) or [])


def _summary(rows: list[dict[str, Any]], errors: list[dict[str, Any]],
             shared: list[dict[str, Any]]) -> str:
    if not errors:
        later = sorted({s["share"] for s in shared})
        return f"gathered {len(rows)} fact(s)" + (
            f"; {len(shared)} shared fact(s) of the {', '.join(later)} are read once, by the "
            "first host that reached it" if later else "")
    reasons = sorted({(r.get("provenance") or {}).get("error") or "error" for r in errors})
    return (f"{len(errors)} of {len(rows)} fact(s) could not be gathered "
            f"(their rules will be `error`): {'; '.join(reasons)}")
