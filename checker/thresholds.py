"""Per-estate thresholds: an inventory sets a per-object rule's `max_failures` and
`max_failure_pct` for a host or a group, without forking the rule pack (pure).

```yaml
all:
  children:
    domain_controllers:
      vars:
        checker_rule_thresholds:
          EXCH-MAILUSER-NICKNAME: {max_failures: 5}
          HYG-UPN-FORMAT: {max_failure_pct: 0.5}
```

The variable follows Ansible's precedence like any other (host_vars over group_vars over
`all`); as in Ansible, a dictionary set at a closer level replaces the whole dictionary.
`checker validate -i INVENTORY` and every run check it before anything is contacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from checker.errors import CheckerError, InputError
from checker.inventory.model import Inventory
from checker.ruleset.model import Rule, RuleSet

VAR = "checker_rule_thresholds"
KEYS = {"max_failures", "max_failure_pct"}


def check(inventory: Inventory, ruleset: RuleSet) -> list[CheckerError]:
    """Every host's thresholds: known per-object rules, known keys, sane numbers."""
    rules = ruleset.by_id()
    problems: list[CheckerError] = []
    seen: set[int] = set()  # a group's dictionary is shared by its hosts: report it once
    for host in inventory.hosts.values():
        value = host.vars.get(VAR)
        if value is None or id(value) in seen:
            continue
        seen.add(id(value))
        where = str(host.vars.get("inventory_file") or "") or None
        problems += [InputError(f"host {host.name}: {VAR}: {p}", where)
                     for p in _problems(value, rules)]
    return problems


def _problems(value: Any, rules: Mapping[str, Rule]) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"expected a mapping of rule id to thresholds, got {type(value).__name__}"]
    out = []
    for rule_id, limits in value.items():
        rule = rules.get(str(rule_id))
        if rule is None:
            out.append(f"{rule_id}: no such rule")
        elif not rule.for_each:
            out.append(f"{rule_id}: not a per-object rule (no for_each): thresholds do not apply")
        elif not isinstance(limits, Mapping) or not limits:
            out.append(f"{rule_id}: expected {{max_failures: N}} and/or {{max_failure_pct: P}}")
        else:
            out += [f"{rule_id}: {p}" for p in _limit_problems(limits)]
    return out


def _limit_problems(limits: Mapping[str, Any]) -> list[str]:
    out = [f"unknown key {k!r} (use max_failures, max_failure_pct)" for k in limits
           if k not in KEYS]
    if "max_failures" in limits and _number(limits["max_failures"], int) is None:
        out.append(f"max_failures: expected a whole number >= 0, got {limits['max_failures']!r}")
    pct = _number(limits.get("max_failure_pct"), float)
    if "max_failure_pct" in limits and (pct is None or pct > 100):
        out.append(f"max_failure_pct: expected a number 0..100, got "
                   f"{limits['max_failure_pct']!r}")
    return out


def _number(value: Any, kind: type[int] | type[float]) -> int | float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number: int | float = kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    if kind is int and isinstance(value, float) and value != int(value):
        return None
    return number if number >= 0 else None


def for_host(rule: Rule, hostvars: Mapping[str, Any]) -> Rule:
    """The rule with this host's thresholds (validated beforehand by `check`)."""
    value = hostvars.get(VAR)
    limits = value.get(rule.id) if isinstance(value, Mapping) and rule.for_each else None
    if not isinstance(limits, Mapping):
        return rule
    changes: dict[str, Any] = {}
    if "max_failures" in limits:
        changes["max_failures"] = _number(limits["max_failures"], int)
    if "max_failure_pct" in limits:
        changes["max_failure_pct"] = _number(limits["max_failure_pct"], float)
    return replace(rule, **changes)
