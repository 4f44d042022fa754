"""Which facts to gather from which hosts, decided before any connection opens.

Facts are deduplicated across rules. Facts a rule takes `from:` other hosts are gathered on
every host of that pattern (so a second DC can stand in for a first one that is down),
even when --limit leaves those hosts out of the hosts under test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker.collectors.base import load_all
from checker.errors import CheckerError, InputError, InputErrors
from checker.facts.model import FactKey
from checker.inventory.model import Host, Inventory
from checker.ruleset.model import FactRef, RuleSet
from checker.transports.base import (
    Transport,
    canonical_connection,
    connection_names,
    get_transport,
)


@dataclass(frozen=True)
class HostPlan:
    host: Host
    transport: str
    facts: tuple[FactKey, ...]
    rules: tuple[str, ...]  # rules evaluated on this host (it may only serve `from:` facts)


@dataclass(frozen=True)
class Plan:
    hosts: tuple[HostPlan, ...]
    # "host: setting: risk" for every insecure connection setting of a planned host
    warnings: tuple[str, ...] = ()

    @property
    def fact_count(self) -> int:
        return sum(len(h.facts) for h in self.hosts)


def build_plan(ruleset: RuleSet, inventory: Inventory, under_test: Sequence[str]) -> Plan:
    facts: dict[str, dict[FactKey, None]] = {}
    rules: dict[str, list[str]] = {}
    for rule in ruleset.ordered():
        for host in inventory.select(rule.hosts):
            if host.name not in under_test:
                continue
            rules.setdefault(host.name, []).append(rule.id)
            for ref in rule.local_facts:
                facts.setdefault(host.name, {})[ref.key] = None
                for pattern, source in _inputs(ref):
                    for src in inventory.select(pattern):
                        facts.setdefault(src.name, {})[FactKey.of(source)] = None
            for ref in rule.remote_facts:
                for src in inventory.select(ref.from_pattern or ""):
                    facts.setdefault(src.name, {})[ref.key] = None
    plans: list[HostPlan] = []
    problems: list[CheckerError] = []
    for name, host in inventory.hosts.items():
        if name not in facts and name not in rules:
            continue
        keys = tuple(facts.get(name, {}))
        found = _check_host(host, keys)
        if found:
            problems += found
            continue
        plans.append(HostPlan(host, canonical_connection(host.connection), keys,
                              tuple(rules.get(name, ()))))
    if problems:
        raise InputErrors(problems)
    return Plan(tuple(plans), insecure_settings(plans))


def _inputs(ref: FactRef) -> list[tuple[str, str]]:
    """Facts of other hosts a fact's request is built from (a collector's `inputs`)."""
    cls = load_all().get(ref.collector)
    return cls().input_facts(ref.params) if cls.inputs else []


def insecure_settings(plans: Sequence[HostPlan]) -> tuple[str, ...]:
    """Every weakened security setting of the hosts to contact, worded for a warning."""
    return tuple(
        f"host {hp.host.name}: {risk}"
        for hp in plans if hp.facts
        for risk in _risks_and_notes(get_transport(hp.transport), hp.host.vars)
    )


def _risks_and_notes(transport: type[Transport], hostvars: Mapping[str, Any]) -> list[str]:
    return [*transport.insecure_settings(hostvars), *transport.setting_notes(hostvars)]


def _check_host(host: Host, keys: Sequence[FactKey]) -> list[CheckerError]:
    """Each problem with the host's connection variables, at the file and line of the
    variable it names (a group_vars file, -e), else at the host's inventory file."""
    if host.connection not in connection_names():
        return [_at(host, f"ansible_connection {host.connection!r} is not supported "
                          f"(use one of: {', '.join(connection_names())})")]
    transport = get_transport(host.connection)
    problems = list(transport.check_vars(host.vars))
    registry = load_all()
    for key in keys:
        collector = registry.get(key.collector)
        if not transport.replays and transport.protocol() not in collector.transports:
            problems.append(
                f"collector {key.collector} cannot run over {host.connection} "
                f"(it runs over {', '.join(collector.transports)})"
            )
            continue
        refused = transport.refuses(host.vars, collector.request_type)
        if refused:
            problems.append(f"collector {key.collector}: {refused}")
    return [_at(host, problem) for problem in problems]


def _at(host: Host, problem: str) -> InputError:
    """`problem` (which starts with the variable it is about, if any) located."""
    name = _VARIABLE.match(problem)
    where = getattr(host.vars, "where", None)  # a resolved inventory (not an engine's dict)
    found = where(name.group(1)) if where and name else None
    if found is not None and found.file != "<inventory>":
        return InputError(f"host {host.name}: {problem}", found.file, found.line)
    return InputError(f"host {host.name}: {problem}", inventory_file(host))


_VARIABLE = re.compile(r"((?:ansible|checker)_\w+)\b")


def inventory_file(host: Host) -> str | None:
    value = host.vars.get("inventory_file")
    return str(value) if value else None
