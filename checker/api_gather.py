"""The gathering steps of checker.api: one host (`gather_host`), and once, between the
engine's per-host gathers, what no per-host step can gather (`gather_shared`).

`checker apply` gathers in two waves (checker.gather_inputs): every host that waits for no
other host, each fact a domain's DCs give alike read once after them (checker.gather), then
the hosts whose requests are built from those facts. An engine that fans out per host runs
the same waves: its per-host step over the first hosts, `gather_shared` once, its per-host
step over the waiting hosts (their requests completed here, gathered there), so each host
is gathered exactly once and the facts are those of `checker apply`. What a step of the
engine left out is gathered by `gather_rest`, which `conclude` runs as a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker import evidence
from checker.errors import InputError
from checker.facts.model import FactKey, FactStatus, FactStore
from checker.facts.records import to_json
from checker.gather import Deferred, first_pass, read_shared
from checker.gather import gather_host as gather_planned
from checker.gather_inputs import Asked, as_asked, gather_waiting, waits, with_inputs
from checker.inventory.model import Host
from checker.plan import HostPlan, Plan
from checker.redact import Redactor
from checker.runner import Prepared

FactRows = Sequence[Mapping[str, Any]]  # one host's facts as JSON rows (evidence form)


def gather_host(
    name: str,
    hostvars: Mapping[str, Any],
    facts: Sequence[Mapping[str, Any]],
    timeout: float = 60.0,
    secrets: Sequence[str] = (),
    shared: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Gather `facts` (as `planned_facts`, or `SharedRead.waiting`, gives them) from one host
    with checker's own transport for its `ansible_connection`, in one connection. Never
    raises for an unreachable host: its facts come back with status `error`. Secret values
    (the host's own, and `secrets`) are masked in every row. A fact given with `asked` comes
    back under the params its rule asked for. With `shared` (a list), a fact every DC of the
    host's domain (or forest) gives alike is not read: `{"collector", "params", "share"}` is
    appended to `shared` instead, for `gather_shared`."""
    host = Host(name, dict(hostvars), ("all",))
    keys = tuple(_key(f, "params") for f in facts)
    asked: Asked = {k: _key(f, "asked") for k, f in zip(keys, facts, strict=True) if "asked" in f}
    redactor = Redactor({*host.secret_values(), *secrets})
    defer: dict[FactKey, str] | None = None if shared is None else {}
    gathered = gather_planned(HostPlan(host, host.connection, keys, ()), timeout, redactor,
                              defer)
    if shared is not None and defer:
        shared.extend({"collector": k.collector, "params": to_json(k.param_dict), "share": s}
                      for k, s in ((asked.get(k, k), s) for k, s in defer.items()))
    return rows_of(name, as_asked(gathered, asked), redactor)


def _key(fact: Mapping[str, Any], params: str) -> FactKey:
    return FactKey.of(fact["collector"], fact.get(params) or {})


@dataclass(frozen=True)
class SharedRead:
    """What `gather_shared` read and completed."""

    # host -> fact rows it added: shared facts (read on one DC, `unavailable` naming it on
    # the others), and every fact of hosts outside the engine's play that the play needs
    facts: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    # host under test that waits -> its facts for `gather_host`, requests completed
    waiting: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    # host -> why facts read here could not be read (their rules are `error`)
    errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def gather_shared(prepared: Prepared, gathered: Mapping[str, FactRows],
                  shared: Mapping[str, FactRows]) -> SharedRead:
    """Once, after the engine gathered every host under test that waits for none
    (`gathered`, and the share keys `gather_host(shared=...)` left in `shared`): what
    `gather_rest` reads, and each waiting host under test's requests, completed from the
    facts now in (the collector's pure `select()`), for the engine's per-host step."""
    store = store_of(gathered)
    added = gather_rest(prepared, store, deferred_of(shared), under_test=False)
    return SharedRead(
        facts={host: rows_of(host, facts, prepared.redactor) for host, facts in added.items()},
        waiting={hp.host.name: _requests(hp, prepared, store) for hp in prepared.plan.hosts
                 if hp.host.name in prepared.under_test and hp.host.name not in store
                 and waits(hp)},
        errors=errors_of(added))


def gather_rest(prepared: Prepared, store: FactStore, deferred: Deferred,
                under_test: bool) -> FactStore:
    """What the engine's per-host steps left, gathered as `checker apply` gathers it, with
    checker's transports, `-f` forks at a time: the hosts outside the engine's play whose
    facts it needs (its --limit left them out); each shared fact not yet read, on its owner
    chosen over the whole plan (checker.gather.read_shared); then the waiting hosts not yet
    gathered outside the play (and, with `under_test`, in it: a fallback for an engine
    without a per-host step for them). `store` is updated; returns the facts added."""
    opts, redactor, plan = prepared.options, prepared.redactor, prepared.plan
    before = {host: dict(facts) for host, facts in store.items()}
    missing = [hp for hp in plan.hosts if hp.facts and hp.host.name not in store
               and hp.host.name not in prepared.under_test and not waits(hp)]
    if missing:
        more, later = first_pass(Plan(tuple(missing)), opts.forks, opts.timeout, redactor)
        store.update(more)
        deferred.update(later)
    read_shared(plan, store, deferred, opts.forks, opts.timeout, redactor)
    rest = [hp for hp in plan.hosts if hp.host.name not in store
            and (under_test or hp.host.name not in prepared.under_test)]
    gather_waiting(Plan(tuple(rest)), prepared.inventory, store, opts.forks, opts.timeout,
                   redactor)
    return _added(before, store)


def _requests(hp: HostPlan, prepared: Prepared, store: FactStore) -> list[dict[str, Any]]:
    """A waiting host's facts for `gather_host`: each request completed from `store`, with
    the params its rule asked for when they differ."""
    completed, asked = with_inputs(hp, prepared.inventory, store)
    return [{"collector": k.collector, "params": to_json(k.param_dict),
             **({"asked": to_json(asked[k].param_dict)} if k in asked else {})}
            for k in completed.facts]


def _added(before: FactStore, store: FactStore) -> FactStore:
    """Per host, the facts in `store` that are not in `before`."""
    out: FactStore = {}
    for host, facts in store.items():
        had = before.get(host, {})
        new = {k: f for k, f in facts.items() if had.get(k) is not f}
        if new:
            out[host] = new
    return out


def errors_of(added: FactStore) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for host, facts in added.items():
        reasons = {(f.provenance.error if f.provenance else None) or "error"
                   for f in facts.values() if f.status is FactStatus.ERROR}
        if reasons:
            out[host] = tuple(sorted(reasons))
    return out


def rows_of(host: str, facts: Mapping[FactKey, Any], redactor: Redactor) -> list[dict[str, Any]]:
    return list(evidence.dump({host: facts}, redactor)["hosts"][host]["facts"])


def deferred_of(shared: Mapping[str, FactRows]) -> Deferred:
    try:
        return {host: {FactKey.of(r["collector"], r.get("params") or {}): str(r["share"])
                       for r in rows} for host, rows in shared.items()}
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"a shared fact's key is malformed: {e}") from None


def store_of(gathered: Mapping[str, FactRows]) -> FactStore:
    """Fact rows (evidence form) per host as a fact store; a host's later rows win."""
    store: FactStore = {}
    for host, rows in gathered.items():
        facts = (evidence.fact_from_row(row, host) for row in rows)
        store[host] = {f.key: f for f in facts}
    return store
