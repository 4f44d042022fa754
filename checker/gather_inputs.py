"""Facts whose request is built from other hosts' facts (a collector's `inputs`).

The Connect server is asked about the Mail Users the domain controllers report: its fact
can only be requested once theirs are in. Hosts with such a fact wait: every other host is
gathered first; then each waiting host's requests are completed by the collector's pure
`select()` from those facts, and the host is gathered as usual, all its facts in one
connection. The fact keeps the key its rule asked for (what was selected shows in its
request). A host that replays recorded facts waits for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from checker.collectors.base import Collector, load_all
from checker.facts.model import Fact, FactKey, FactStore
from checker.gather import Progress, gather
from checker.inventory.model import Inventory
from checker.plan import HostPlan, Plan
from checker.redact import Redactor
from checker.transports.base import get_transport


def gather_with_inputs(plan: Plan, inventory: Inventory, forks: int = 10, timeout: float = 60.0,
                       redactor: Redactor | None = None,
                       progress: Progress | None = None) -> FactStore:
    first = replace(plan, hosts=tuple(hp for hp in plan.hosts if not waits(hp)))
    store = gather(first, forks, timeout, redactor, progress)
    return gather_waiting(plan, inventory, store, forks, timeout, redactor, progress)


def gather_waiting(plan: Plan, inventory: Inventory, store: FactStore, forks: int = 10,
                   timeout: float = 60.0, redactor: Redactor | None = None,
                   progress: Progress | None = None) -> FactStore:
    """The hosts of `plan` that wait (`waits`), each gathered whole in one connection, once
    every other host's facts are in `store`. `store` is updated. The second wave of
    `checker apply`; an engine that gathers each host on its own completes each waiting
    host's requests with `with_inputs` and gathers it like any other (checker.api)."""
    waiting = [with_inputs(hp, inventory, store) for hp in plan.hosts if waits(hp)]
    if not waiting:
        return store
    gathered = gather(replace(plan, hosts=tuple(hp for hp, _ in waiting)), forks, timeout,
                      redactor, progress)
    asked = {hp.host.name: keys for hp, keys in waiting}
    for host, facts in gathered.items():
        store.setdefault(host, {}).update(as_asked(facts, asked.get(host, {})))
    return store


Asked = dict[FactKey, FactKey]  # the key gathered (its request completed) -> the rule's key


def with_inputs(hp: HostPlan, inventory: Inventory, store: FactStore) -> tuple[HostPlan, Asked]:
    """`hp` with each fact's request completed from the facts in `store` of the hosts its
    inputs name (the collector's pure `select()`), and which key each one was asked as."""
    asked = {_completed(key, inventory, store): key for key in hp.facts}
    return replace(hp, facts=tuple(asked)), {k: v for k, v in asked.items() if k != v}


def as_asked(facts: Mapping[FactKey, Fact], asked: Mapping[FactKey, FactKey],
             ) -> dict[FactKey, Fact]:
    """Gathered facts under the keys their rules asked for (what was selected shows in the
    request)."""
    return {asked.get(k, k): replace(f, key=asked.get(k, k)) for k, f in facts.items()}


def needs_inputs(key: FactKey) -> bool:
    return bool(_collector(key).inputs)


def _collector(key: FactKey) -> Collector:
    return load_all().get(key.collector)()


def waits(hp: HostPlan) -> bool:
    """Whether a host's requests are built from other hosts' facts (a Connect server asked
    about the Mail Users the DCs report): it is gathered after them. A replay waits for
    nothing."""
    if get_transport(hp.transport).replays:
        return False
    return any(needs_inputs(k) for k in hp.facts)


def _completed(key: FactKey, inventory: Inventory, store: FactStore) -> FactKey:
    collector = _collector(key)
    if not collector.inputs:
        return key
    params = key.param_dict
    values: dict[str, Mapping[str, Any]] = {}
    for param, source in collector.inputs.items():
        wanted = FactKey.of(source)
        hosts = inventory.select(str(params.get(param, ""))) if params.get(param) else []
        values[param] = {h.name: fact.value for h in hosts
                         if (fact := store.get(h.name, {}).get(wanted)) is not None and fact.ok}
    return FactKey.of(key.collector, {**params, **collector.select(params, values)})
