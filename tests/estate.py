"""Build small recorded estates (inventory + facts file) in a temp dir for tests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml


def fact_row(collector: str, value: Any, status: str = "ok", error: str | None = None,
             params: Mapping[str, Any] | None = None) -> dict:
    return {
        "collector": collector,
        "params": dict(params or {}),
        "status": status,
        "value": value,
        "provenance": {
            "host": "",
            "collector": collector,
            "transport": "test",
            "request": collector,
            "started_at": "2026-11-27T08:00:00Z",
            "duration_s": 0.0,
            "error": error,
        },
    }


def write_estate(
    root: Path,
    hosts: Mapping[str, Mapping[str, Any]],
    extra_vars: Mapping[str, Any] | None = None,
) -> Path:
    """hosts: {name: {"group": str, "facts": [rows], "vars": {...}}} -> inventory path."""
    facts = {"format": "checker-facts/1", "hosts": {}}
    groups: dict[str, dict[str, Any]] = {}
    for name, spec in hosts.items():
        facts["hosts"][name] = {"facts": list(spec.get("facts", []))}
        hv = dict(spec.get("vars", {}))
        groups.setdefault(spec["group"], {"hosts": {}})["hosts"][name] = hv or None
    (root / "facts.json").write_text(json.dumps(facts), encoding="utf-8")
    inv = {
        "all": {
            "vars": {
                "ansible_connection": "snapshot",
                "checker_facts_file": "facts.json",
                **(extra_vars or {}),
            },
            "children": groups,
        }
    }
    path = root / "inventory.yml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False), encoding="utf-8")
    return path


def write_rules(root: Path, rules: Sequence[Mapping[str, Any]]) -> Path:
    path = root / "rules.yml"
    path.write_text(yaml.safe_dump(list(rules), sort_keys=False), encoding="utf-8")
    return path


# A per-object Exchange rule with a `cmdlet` remediation: MRSProxy off on an EWS vdir.
MRS_PROXY_RULE = {
    "id": "T-MRS", "title": "t", "severity": "high", "hosts": "exchange_servers",
    "facts": {"vdirs": "exchange.ews_virtual_directories"}, "for_each": "{{ vdirs }}",
    "expect": [{"key": "item.mrs_proxy_enabled", "op": "eq", "value": True}],
    "remediation": [{"name": "Enable MRSProxy", "kind": "cmdlet",
                     "cmdlet": "Set-WebServicesVirtualDirectory",
                     "parameters": {"Identity": "{{ item.identity }}", "MRSProxyEnabled": True}}],
}


def ews_vdir_row(identity: str) -> dict:
    """An exchange.ews_virtual_directories fact: one virtual directory with MRSProxy off."""
    vdir = {"identity": identity, "server": "EX01", "mrs_proxy_enabled": False}
    return fact_row("exchange.ews_virtual_directories", [vdir])
