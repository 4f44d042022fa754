"""Resolve the facts a rule needs for one host into an expression context (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from checker.facts.model import Fact, FactStatus, FactStore, Provenance
from checker.inventory.model import Host, Inventory
from checker.ruleset.model import FactRef, Rule


@dataclass
class Resolved:
    """The context for one (rule, host), or why it could not be built."""

    context: dict[str, Any] = field(default_factory=dict)
    used: list[Provenance] = field(default_factory=list)
    error: str | None = None  # -> `error`
    unavailable: str | None = None  # -> `skipped`


def resolve_facts(
    rule: Rule, host: Host, inventory: Inventory, facts: FactStore, now: dt.datetime
) -> Resolved:
    """Every fact the rule names. A fact that is missing, failed or unavailable is left out
    of the context and the first such reason is kept, but the others still resolve: a false
    `when` that does not need the missing fact still decides the row (see the engine)."""
    out = Resolved({"host": host.name, "vars": host.public_vars(), "now": now})
    for ref in rule.facts:
        if ref.from_pattern is not None and ref.all_hosts:
            _all_hosts(ref, [h.name for h in inventory.select(ref.from_pattern)], facts, out)
            continue
        fact = _one(ref, host, inventory, facts, out)
        if fact is None:
            continue
        if fact.provenance:
            out.used.append(fact.provenance)
        if fact.status is FactStatus.ERROR:
            where = fact.provenance.host if fact.provenance else host.name
            reason = fact.provenance.error if fact.provenance else "unknown error"
            _problem(out, error=f"fact {ref.collector} on {where}: {reason}")
        elif fact.status is FactStatus.UNAVAILABLE:
            reason = fact.provenance.error if fact.provenance else "not available"
            _problem(out, unavailable=f"fact {ref.collector} is not available: {reason}")
        else:
            out.context[ref.name] = fact.value
    return out


def _problem(out: Resolved, error: str | None = None, unavailable: str | None = None) -> None:
    """Keep the first reason, in the rule's fact order, that the row cannot be decided."""
    if out.error or out.unavailable:
        return
    out.error, out.unavailable = error, unavailable


def _one(ref: FactRef, host: Host, inventory: Inventory, facts: FactStore,
         out: Resolved) -> Fact | None:
    if ref.from_pattern is None:
        fact = facts.get(host.name, {}).get(ref.key)
        if fact is None:
            _problem(out, error=f"fact {ref.collector} was not gathered on {host.name}")
        return fact
    sources = [h.name for h in inventory.select(ref.from_pattern)]
    if not sources:
        _problem(out, unavailable=f"no host in the inventory matches {ref.from_pattern!r} "
                                  f"(needed for fact {ref.name}: {ref.collector})")
        return None
    fact = _first_usable([facts.get(s, {}).get(ref.key) for s in sources])
    if fact is None:
        _problem(out, error=f"fact {ref.collector} was not gathered on {', '.join(sources)}")
    return fact


def _all_hosts(ref: FactRef, sources: list[str], facts: FactStore, out: Resolved) -> None:
    """`{host: value}` of every source host; any host that could not say is an error (a
    convergence check cannot pass over a DC it did not hear from)."""
    if not sources:
        _problem(out, unavailable=f"no host in the inventory matches {ref.from_pattern!r} "
                                  f"(needed for fact {ref.name}: {ref.collector})")
        return
    values: dict[str, Any] = {}
    for name in sources:
        fact = facts.get(name, {}).get(ref.key)
        if fact is not None and fact.provenance:
            out.used.append(fact.provenance)
        if fact is None or not fact.ok:
            reason = fact.provenance.error if fact and fact.provenance else "not gathered"
            _problem(out, error=f"fact {ref.collector} on {name}: {reason}")
            return
        values[name] = fact.value
    out.context[ref.name] = values


def _first_usable(candidates: list[Fact | None]) -> Fact | None:
    """The first gathered OK fact; else the first error (or unavailable) to explain why."""
    present = [f for f in candidates if f is not None]
    for f in present:
        if f.ok:
            return f
    errors = [f for f in present if f.status is FactStatus.ERROR]
    return errors[0] if errors else (present[0] if present else None)
