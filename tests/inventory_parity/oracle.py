"""The reference: ansible-core's own inventory code, run once for every parity case.

Reads a JSON list of cases on stdin, prints a JSON list of results. For each case it uses
the objects `ansible-inventory` and `ansible --list-hosts` use (InventoryManager,
VariableManager, Templar), so one process serves every case; test_inventory_parity checks
on a few cases that the real command lines print the same.

Run with the Python that has ansible-core (a dev dependency): never imported by checker.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from ansible import constants as C
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader()

from ansible import context  # noqa: E402
from ansible._internal._datatag._tags import TrustedAsTemplate  # noqa: E402
from ansible.cli import CLI  # noqa: E402
from ansible.inventory.manager import InventoryManager  # noqa: E402
from ansible.module_utils.common.collections import ImmutableDict  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.parsing.vault import VaultSecretsContext  # noqa: E402
from ansible.template import Templar  # noqa: E402
from ansible.utils import display as display_module  # noqa: E402
from ansible.utils.vars import load_extra_vars  # noqa: E402
from ansible.vars.hostvars import HostVars  # noqa: E402
from ansible.vars.manager import VariableManager  # noqa: E402
from typed import typed  # noqa: E402 - the module beside this script

WARNINGS: list[str] = []
display_module.Display.warning = lambda self, msg, *a, **k: WARNINGS.append(str(msg))  # type: ignore[method-assign]
C.INVENTORY_ANY_UNPARSED_IS_FAILED = True  # a source that does not parse is an error
SKIP = set(C.INTERNAL_STATIC_VARS) | {"inventory_hostname_short", "group_names", "groups",
                                      "playbook_dir", "ansible_playbook_python",
                                      "ansible_config_file", "omit", "ansible_version",
                                      "ansible_check_mode", "ansible_diff_mode", "hostvars",
                                      "ansible_run_tags", "ansible_skip_tags", "environment",
                                      "vars", "role_names", "ansible_verbosity"}


def graph(group: Any, depth: int = 0) -> list[str]:
    """ansible-inventory --graph (InventoryCLI._graph_group without --vars)."""
    lines = [("  |" * depth + "--" if depth else "") + f"@{group.name}:"]
    for kid in group.child_groups:
        lines += graph(kid, depth + 1)
    if group.name != "all":
        lines += ["  |" * (depth + 1) + "--" + h.name for h in group.hosts]
    return lines


def deterministic(group: Any) -> bool:
    """Group.get_hosts orders grandchildren through a set: only a chain is stable."""
    level = [group]
    while level:
        if sum(1 for g in level if g.child_groups) > 1:
            return False
        level = [k for g in level for k in g.child_groups]
    return True


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    os.chdir(case["dir"])
    loader = DataLoader()
    files = [case["vault_password_file"]] if case.get("vault_password_file") else []
    secrets = CLI.setup_vault_secrets(loader, list(case.get("vault_ids", [])), files,
                                      auto_prompt=False, initialize_context=False)
    VaultSecretsContext._current = VaultSecretsContext(secrets)  # one process, many cases
    WARNINGS.clear()
    try:
        # absolute, as the CLIs make them (host_group_vars caches by source folder)
        sources = [s if "," in s else os.path.abspath(s) for s in case["sources"]]
        inv = InventoryManager(loader=loader, sources=sources)
    except Exception as e:  # the source does not parse
        return {"error": f"{type(e).__name__}: {e}"}
    vm = VariableManager(loader=loader, inventory=inv)
    vm._extra_vars = case.get("extra_vars") or extra_args(loader, case.get("extra_args", []))
    out: dict[str, Any] = {"warnings": list(WARNINGS), "hosts": list(inv.hosts),
                           "graph": graph(inv.groups["all"]), "groups": {}, "vars": {},
                           "patterns": {}, "limits": {}}
    for name, group in inv.groups.items():
        out["groups"][name] = {"hosts": [h.name for h in group.get_hosts()],
                               "ordered": deterministic(group)}
    for host in inv.hosts.values():
        out["vars"][host.name] = host_vars(inv, vm, loader, host)
    for pattern in case.get("patterns", []):
        out["patterns"][pattern] = listing(inv, pattern, None)
    for limit in case.get("limits", []):
        out["limits"][limit] = listing(inv, "all", limit)
    return out


def extra_args(loader: Any, args: list[str]) -> dict[str, Any]:
    """`-e` options as the CLIs read them (load_extra_vars reads context.CLIARGS, once)."""
    trusted = tuple(TrustedAsTemplate().tag(a) for a in args)  # as the CLI's parser tags them
    context.CLIARGS = ImmutableDict(extra_vars=trusted)
    load_extra_vars.extra_vars = None  # type: ignore[attr-defined]
    return load_extra_vars(loader)


def host_vars(inv: Any, vm: Any, loader: Any, host: Any) -> dict[str, Any]:
    variables = vm.get_vars(host=host)
    variables["hostvars"] = HostVars(inventory=inv, variable_manager=vm, loader=loader)
    templar = Templar(loader=loader, variables=variables)
    result = {}
    for name in variables:
        if name in SKIP:
            continue
        try:
            result[name] = typed(templar.template(variables[name]))
        except Exception as e:
            result[name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0]}"}
    return result


def listing(inv: Any, pattern: str, limit: str | None) -> dict[str, Any]:
    WARNINGS.clear()
    inv.clear_caches()
    inv.clear_pattern_cache()
    try:
        inv.subset(limit)
        hosts = [h.name for h in inv.list_hosts(pattern)]
        inv.subset(None)
        return {"hosts": hosts, "warnings": list(WARNINGS)}
    except Exception as e:
        inv.subset(None)
        return {"error": f"{type(e).__name__}: {e}", "warnings": list(WARNINGS)}


def main() -> None:
    cases = json.load(sys.stdin)
    json.dump([run_case(c) for c in cases], sys.stdout, default=str)


if __name__ == "__main__":
    main()
