"""What the checker.identity actions share: Ansible's resolved variables in, checker.api out.

Every action runs on the controller and never touches `self._connection`: checker's own
transports (ldap3, pypsrp) talk to the hosts. Variables are read as Ansible resolved them
(`hostvars[host][name]`: inventory, group_vars/host_vars, vault, extra vars, templating),
so vault and AWX credentials need no code of ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

try:
    from checker import api
    from checker.errors import CheckerError, InputError
except ImportError as e:  # reported by each action, never at import time
    api = None  # type: ignore[assignment]
    CheckerError = InputError = Exception  # type: ignore[misc,assignment]
    IMPORT_ERROR: str | None = str(e)
else:
    IMPORT_ERROR = None

EXIT_INPUT = 3
PLAN_VAR = "checker_plan"
GATHERED_VAR = "checker_gathered"
SHARED_VAR = "checker_gathered_shared"
# The hosts whose requests are built from other hosts' facts: gate.yml puts them in this
# group (add_host, from the plan) and gathers them in a play of their own, after the others.
# It is not one of the inventory's groups: rules never see it.
WAITING_GROUP = "checker_waiting"

# Action argument -> (variable it defaults to, type): the variables map to the CLI options.
SETTINGS: dict[str, tuple[str, str]] = {
    "rules": ("checker_rules", "list"),
    "profile": ("checker_profile", "str"),
    "tags": ("checker_tags", "list"),
    "skip_tags": ("checker_skip_tags", "list"),
    "rule_ids": ("checker_rule", "list"),
    "fail_on": ("checker_fail_on", "str"),
    "waivers": ("checker_waivers", "str"),
    "strict_waivers": ("checker_strict_waivers", "bool"),
    "history": ("checker_history", "str"),
    "estate": ("checker_estate", "str"),
    "reports": ("checker_report", "list"),
    "timeout": ("checker_timeout", "float"),
    "save_facts": ("checker_save_facts", "str"),
    "remediation_out": ("checker_remediation_out", "str"),
}
COMMA_LISTS = ("tags", "skip_tags", "rule_ids")  # "-e checker_tags=a,b" as the CLI takes them
SETTINGS_SPEC: dict[str, dict[str, Any]] = {
    arg: {"type": kind, "elements": "str"} if kind == "list" else {"type": kind}
    for arg, (_, kind) in SETTINGS.items()
}

# The run-once actions after the gather tasks also name the variable those registered.
GATHERED_SPEC = {**SETTINGS_SPEC, "gathered": {"type": "str", "default": GATHERED_VAR}}

# Ansible's special variables (docs: "Special Variables") and the results the actions
# register: they are not host variables, so rules never see them.
SPECIAL = frozenset({
    "ansible_check_mode", "ansible_collection_name", "ansible_config_file",
    "ansible_dependent_role_names", "ansible_diff_mode", "ansible_facts", "ansible_forks",
    "ansible_index_var", "ansible_inventory_sources", "ansible_limit", "ansible_local",
    "ansible_loop", "ansible_loop_var", "ansible_parent_role_names", "ansible_parent_role_paths",
    "ansible_play_batch", "ansible_play_hosts", "ansible_play_hosts_all", "ansible_play_name",
    "ansible_play_role_names", "ansible_playbook_python", "ansible_role_name",
    "ansible_role_names", "ansible_run_tags", "ansible_search_path", "ansible_skip_tags",
    "ansible_verbosity", "ansible_version", "environment", "groups", "hostvars",
    "inventory_hostname_short", "omit", "play_hosts", "playbook_dir", "role_name", "role_names",
    "role_path", "role_uuid", PLAN_VAR, GATHERED_VAR, SHARED_VAR,
    *(var for var, _ in SETTINGS.values()),
})
# A variable checker reads to connect: if it cannot be resolved, the input is bad (exit 3).
CONNECTION_PREFIXES = ("ansible_", "checker_")


def require_checker() -> None:
    if IMPORT_ERROR is not None:
        raise AnsibleError(
            "checker.identity needs the checker package in the Python that runs Ansible "
            f"(pip install checker into that environment): {IMPORT_ERROR}")


def settings(args: Mapping[str, Any], task_vars: Mapping[str, Any], templar: Any) -> Any:
    """api.Settings from the action's arguments, else the checker_* variables; forks from
    Ansible's -f/--forks."""
    values: dict[str, Any] = {}
    for arg, (var, kind) in SETTINGS.items():
        value = args.get(arg)
        if value is None and var in task_vars:
            value = templar.template(task_vars[var])
        if value is None or value == "":
            continue
        values[arg] = _coerce(arg, kind, value)
    if task_vars.get("ansible_forks"):  # -f: what checker gathers itself runs as wide
        values["forks"] = int(task_vars["ansible_forks"])
    return api.Settings(**values)


def _coerce(arg: str, kind: str, value: Any) -> Any:
    if kind == "list":
        items = [value] if isinstance(value, str) else list(value)
        if arg in COMMA_LISTS:
            items = [part.strip() for item in items for part in str(item).split(",")]
        return tuple(str(i) for i in items if str(i).strip())
    if kind == "bool":
        from ansible.module_utils.parsing.convert_bool import boolean

        return boolean(value)
    if kind == "float":
        return float(value)
    return str(value)


def plain(value: Any) -> Any:
    """Ansible's (tagged) values as plain Python: what checker's transports expect."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return str(value)


def host_vars(hostvars: Any, host: str, loader: Any) -> tuple[dict[str, Any], list[str], list[str]]:
    """One host's variables as Ansible resolves them for that host (what `hostvars[host][name]`
    gives: inventory, group_vars/host_vars, vault, extra vars, templated in that host's
    context). Returns (variables, problems, skipped): a connection variable (ansible_*,
    checker_*) that cannot be resolved is a problem (bad input); any other is skipped with a
    warning, since Ansible too resolves a variable only when something uses it."""
    return _resolve(hostvars.raw_get(host), host, loader)


def _resolve(raw: Mapping[str, Any], host: str, loader: Any,
             ) -> tuple[dict[str, Any], list[str], list[str]]:
    from ansible.template import Templar

    templar = Templar(loader=loader, variables=raw)
    out: dict[str, Any] = {}
    problems: list[str] = []
    skipped: list[str] = []
    for name, value in raw.items():
        if name in SPECIAL:
            continue
        try:
            out[name] = plain(templar.template(value))
        except AnsibleError as e:
            reason = f"host {host}: variable {name}: {getattr(e, 'message', e)}"
            (problems if name.startswith(CONNECTION_PREFIXES) else skipped).append(reason)
    if isinstance(out.get("group_names"), list):  # the host's own groups, not gate.yml's
        out["group_names"] = [g for g in out["group_names"] if g != WAITING_GROUP]
    return out, problems, skipped


def estate(task_vars: Mapping[str, Any], loader: Any, registered: str = GATHERED_VAR,
           ) -> tuple[Any, list[str], dict[str, Any]]:
    """The play's inventory as checker.api.Estate, the warnings met on the way, and each
    host's `registered` result read raw (gathered values are data, never templated). Raises
    InputError listing every unresolvable connection variable."""
    hostvars = task_vars["hostvars"]
    groups = {str(g): [str(h) for h in hs] for g, hs in plain(task_vars["groups"]).items()
              if g != WAITING_GROUP}
    resolved: dict[str, dict[str, Any]] = {}
    results: dict[str, Any] = {}
    problems: list[str] = []
    warnings: list[str] = []
    for name in groups.get("all", []):
        raw = hostvars.raw_get(name)  # once per host: Ansible computes all its variables
        results[name] = raw.get(registered)
        resolved[name], bad, skipped = _resolve(raw, name, loader)
        problems += bad
        warnings += skipped
    if problems:
        raise InputError("\n".join(problems))
    under_test = [str(h) for h in task_vars.get("ansible_play_hosts_all", [])]
    sources = plain(task_vars.get("ansible_inventory_sources") or [])
    source = ",".join(sources) if isinstance(sources, list) else str(sources)
    limit = task_vars.get("ansible_limit")
    estate = api.Estate.of(groups, resolved, under_test, source, limit and str(limit))
    return estate, warnings, results


def registered(results: Mapping[str, Any], prepared: Any, field: str) -> dict[str, Any]:
    """What each planned host's gather task registered under `field`: its fact rows
    (checker_facts), or the facts it left to one host of its domain (checker_shared)."""
    out: dict[str, Any] = {}
    for hp in prepared.plan.hosts:
        raw = results.get(hp.host.name)
        rows = raw.get(field) if hp.facts and isinstance(raw, Mapping) else None
        if rows:
            out[hp.host.name] = rows
    return out


def gathered_run(args: Mapping[str, Any], task_vars: Mapping[str, Any], templar: Any,
                 loader: Any) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    """For the run-once actions after the gather tasks: the settings, the run prepared again
    (as the plan prepared it), and what the gather tasks registered per host: fact rows
    (checker_facts) and the share keys left to one host of a domain (checker_shared).
    Raises InputError."""
    checker_settings = settings(args, task_vars, templar)
    play, _, results = estate(task_vars, loader, args["gathered"])
    prepared = api.prepare(checker_settings, play)
    return (checker_settings, prepared, registered(results, prepared, "checker_facts"),
            registered(results, prepared, "checker_shared"))


def errors_text(errors: Mapping[str, Any]) -> str:
    """One line per host whose facts a run-once task gathered could not be gathered."""
    return "".join(f"\n{host}: facts could not be gathered (their rules are `error`): "
                   f"{'; '.join(why)}" for host, why in errors.items())


def input_failure(error: Exception) -> dict[str, Any]:
    """Bad input, as `checker apply` reports it: exit 3, one line per problem."""
    problems = getattr(error, "problems", None) or [error]
    lines = [str(p) for p in problems]
    return {"failed": True, "rc": EXIT_INPUT, "exit_code": EXIT_INPUT,
            "msg": f"checker: invalid input, nothing was contacted; exit code {EXIT_INPUT}\n"
                   + "\n".join(lines),
            "problems": lines}


class CheckerAction(ActionBase):
    """The frame of the four actions: run on the controller, never use the connection."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGS: dict[str, dict[str, Any]] = {}

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(self.ARGS)
        require_checker()
        return self.act(args, task_vars or {}, result)

    def act(self, args: dict[str, Any], task_vars: dict[str, Any],
            result: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError
