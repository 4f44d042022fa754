"""A small, stable API for running checker inside another engine: the Ansible collection
`checker.identity` uses nothing else. The engine resolves the inventory (Ansible: vault,
templating, credentials); checker does the rest exactly as `checker apply` does.

    settings = Settings(rules=("rules",), profile="pre-migration", reports=("json:out.json",))
    estate = Estate.of(groups, hostvars, under_test, source="inventory.yml")
    prepared = prepare(settings, estate)     # validates everything; raises InputError
    shared = {"dc01": []}                    # facts a domain's DCs give alike, left out
    rows = gather_host("dc01", hostvars["dc01"], planned_facts(prepared, "dc01"),
                       shared=shared["dc01"])  # [] facts: a host that waits for others
    outcome = conclude(prepared, {"dc01": rows, ...}, settings, shared=shared)
    outcome.exit_code                        # 0 / 1 / 2, as `checker apply`

Facts travel between the steps as JSON rows (the evidence-file form, secrets masked), so an
engine can carry them between processes. Every step except `gather_host` is pure apart
from the reports and history it is asked to write, and from what `conclude` gathers last as
`checker apply` does: the facts every DC of a domain gives alike (read once, by the first
host in plan order that reached it), hosts outside the engine's play that serve `from:`
facts, and hosts whose requests are built from other hosts' facts (`waits_for_others`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker import evidence
from checker.collectors.base import load_all
from checker.delivery import check_remediation_out, deliver
from checker.errors import InputError
from checker.facts.model import FactKey, FactStatus, FactStore
from checker.facts.records import to_json
from checker.gather import Deferred, first_pass, read_shared
from checker.gather import gather_host as gather_planned
from checker.gather_inputs import gather_waiting, waits
from checker.inventory.model import Host, Inventory
from checker.paths import check_outputs
from checker.plan import HostPlan, Plan
from checker.redact import Redactor
from checker.reporters.base import parse_spec
from checker.results import RunReport
from checker.runner import Options, Prepared, make_options, prepare_for
from checker.runner import conclude as conclude_run
from checker.transports.base import get_transport, known_transports

FactRows = Sequence[Mapping[str, Any]]  # one host's facts as JSON rows (evidence form)


@dataclass(frozen=True)
class Settings:
    """The options of `checker apply` that are not about the inventory or the hosts."""

    rules: Sequence[str] = ()
    profile: str | None = None
    tags: Sequence[str] = ()
    skip_tags: Sequence[str] = ()
    rule_ids: Sequence[str] = ()
    fail_on: str | None = None
    waivers: str | None = None
    strict_waivers: bool = False
    history: str | None = None
    estate: str | None = None  # the history's estate name (default: node and inventory)
    reports: Sequence[str] = ()
    timeout: float = 60.0
    # for what `conclude` gathers itself: shared facts, hosts outside the engine's play
    forks: int = 10
    save_facts: str | None = None
    remediation_out: str | None = None


@dataclass(frozen=True)
class Estate:
    """An inventory resolved by another engine: groups and every host's final variables."""

    inventory: Inventory
    under_test: tuple[str, ...]
    limit: str | None = None  # the engine's --limit, which names the history's estate

    @classmethod
    def of(
        cls,
        groups: Mapping[str, Sequence[str]],
        hostvars: Mapping[str, Mapping[str, Any]],
        under_test: Sequence[str],
        source: str = "",
        limit: str | None = None,
    ) -> Estate:
        """`groups` as Ansible's `groups` (group -> hosts, `all` in inventory order);
        `hostvars` host -> resolved variables (secrets included: they are masked, never
        written); `under_test` the play's hosts (after --limit)."""
        order = list(groups.get("all", ())) or list(hostvars)
        members = {g: tuple(hosts) for g, hosts in groups.items()}
        hosts = {
            name: Host(name, dict(hostvars.get(name, {})), _groups_of(name, members))
            for name in order
        }
        unknown = [h for h in under_test if h not in hosts]
        if unknown:
            raise InputError(f"hosts under test not in the inventory: {', '.join(unknown)}")
        return cls(Inventory(source, hosts, members), tuple(under_test), limit or None)


def _groups_of(name: str, members: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    return ("all", *sorted(g for g, hosts in members.items() if g != "all" and name in hosts))


def options_of(settings: Settings, estate: Estate) -> Options:
    return make_options(
        estate.inventory.path, rules=settings.rules, profile=settings.profile,
        tags=settings.tags, skip_tags=settings.skip_tags, rule_ids=settings.rule_ids,
        fail_on=settings.fail_on, waivers=settings.waivers,
        strict_waivers=settings.strict_waivers, history=settings.history,
        estate=settings.estate, limit=estate.limit, timeout=settings.timeout,
        forks=settings.forks, save_facts=settings.save_facts)


def prepare(settings: Settings, estate: Estate) -> Prepared:
    """Validate the rules, profile, waivers, report specs, history, remediation folder and
    every host's variables, and plan the facts, exactly as `checker apply` does before it
    contacts anything. Raises InputError (exit 3) on bad input."""
    specs = [parse_spec(spec) for spec in settings.reports]
    check_remediation_out(settings.remediation_out)
    inputs = [("the inventory", estate.inventory.path)] if estate.inventory.path else []
    inputs += [("checker_waivers", settings.waivers)] if settings.waivers else []
    check_outputs(specs, save_facts=settings.save_facts, history=settings.history,
                  remediation_out=settings.remediation_out, inputs=inputs)
    options = options_of(settings, estate)
    return prepare_for(options, estate.inventory, estate.under_test)


def planned_facts(prepared: Prepared, host: str) -> list[dict[str, Any]]:
    """The facts the engine gathers on `host` as JSON (`[{"collector", "params"}]`), [] when
    none, and [] for a host that waits for other hosts' facts (`waits`): `conclude` gathers
    that one, after them, in one connection, as `checker apply` does."""
    hp = _host_plan(prepared, host)
    if hp is None or waits(hp):
        return []
    return [{"collector": k.collector, "params": k.param_dict} for k in hp.facts]


def waits_for_others(prepared: Prepared, host: str) -> bool:
    """Whether `conclude` gathers `host` (its requests are built from other hosts' facts)."""
    hp = _host_plan(prepared, host)
    return hp is not None and waits(hp)


def _host_plan(prepared: Prepared, host: str) -> HostPlan | None:
    return next((hp for hp in prepared.plan.hosts if hp.host.name == host), None)


def preload() -> None:
    """Import every collector and transport (and its client library) now. An engine that
    forks a worker per host calls this once in its parent: the workers inherit the modules."""
    load_all()
    for name in known_transports():
        get_transport(name).preload()


def gather_host(
    name: str,
    hostvars: Mapping[str, Any],
    facts: Sequence[Mapping[str, Any]],
    timeout: float = 60.0,
    secrets: Sequence[str] = (),
    shared: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Gather `facts` (as `planned_facts` gives them) from one host with checker's own
    transport for its `ansible_connection`. Never raises for an unreachable host: its facts
    come back with status `error`. Secret values (the host's own, and `secrets`) are
    masked in every row. With `shared` (a list), a fact every DC of the host's domain (or
    forest) gives alike is not read: `{"collector", "params", "share"}` is appended to
    `shared` instead, and `conclude(..., shared=...)` has it read once, as `checker apply`
    reads it."""
    host = Host(name, dict(hostvars), ("all",))
    keys = tuple(FactKey.of(f["collector"], f.get("params") or {}) for f in facts)
    redactor = Redactor({*host.secret_values(), *secrets})
    defer: dict[FactKey, str] | None = None if shared is None else {}
    gathered = gather_planned(HostPlan(host, host.connection, keys, ()), timeout, redactor,
                              defer)
    if shared is not None and defer:
        shared.extend({"collector": k.collector, "params": to_json(k.param_dict), "share": s}
                      for k, s in defer.items())
    return list(evidence.dump({name: gathered}, redactor)["hosts"][name]["facts"])


@dataclass(frozen=True)
class Outcome:
    """The end of a run: the report, the exit code (the gate contract), what `checker apply`
    would have printed on stdout (reports without a path) and on stderr (notes)."""

    report: RunReport
    exit_code: int
    stdout: str = ""
    notes: tuple[str, ...] = ()
    # host -> why facts `conclude` gathered itself could not be gathered (their rules: error)
    gather_errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return {**self.report.counts(), "exit_code": self.exit_code}


def conclude(
    prepared: Prepared,
    gathered: Mapping[str, FactRows],
    settings: Settings | None = None,
    started: dt.datetime | None = None,
    shared: Mapping[str, FactRows] | None = None,
) -> Outcome:
    """Evaluate every selected rule over the gathered facts; then write the reports, store
    the history and write the remediation plan as `checker apply` does. First, what the
    engine left (`_gather_rest`) is gathered with checker's transports and forks; a host
    under test missing from `gathered` is not: its rules are `error`. `shared`: each host's
    share keys from `gather_host(shared=...)`. `started` is when the run began, before
    gathering (as `checker apply` counts it); now when not given."""
    settings = settings or Settings()
    started = started or dt.datetime.now(dt.timezone.utc)
    store = _store(gathered)
    before = {host: dict(facts) for host, facts in store.items()}
    _gather_rest(prepared, store, _deferred(shared or {}))
    report = conclude_run(prepared, store, started)
    notes: list[str] = []
    specs = [parse_spec(s) for s in settings.reports]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        report, code = deliver(prepared, report, specs, notes.append,
                               remediation_out=settings.remediation_out)
    return Outcome(report, code, out.getvalue(), tuple(notes), _errors_since(before, store))


def _gather_rest(prepared: Prepared, store: FactStore, deferred: Deferred) -> None:
    """What the engine's per-host gather leaves, gathered as `checker apply` gathers it:
    hosts outside `under_test` that serve `from:` facts (the engine's --limit left them out);
    every shared fact on its owner, chosen over the whole plan (checker.gather.read_shared);
    last, the hosts that wait for the others' facts. `store` is updated."""
    opts, redactor, plan = prepared.options, prepared.redactor, prepared.plan
    missing = [hp for hp in plan.hosts if hp.facts and hp.host.name not in store
               and hp.host.name not in prepared.under_test and not waits(hp)]
    if missing:
        more, later = first_pass(Plan(tuple(missing)), opts.forks, opts.timeout, redactor)
        store.update(more)
        deferred.update(later)
    read_shared(plan, store, deferred, opts.forks, opts.timeout, redactor)
    gather_waiting(plan, prepared.inventory, store, opts.forks, opts.timeout, redactor)


def _errors_since(before: FactStore, store: FactStore) -> dict[str, tuple[str, ...]]:
    """Per host, the reasons of the `error` facts in `store` that are not in `before`."""
    out: dict[str, tuple[str, ...]] = {}
    for host, facts in store.items():
        had = before.get(host, {})
        new = [f for k, f in facts.items() if had.get(k) is not f]
        reasons = {(f.provenance.error if f.provenance else None) or "error"
                   for f in new if f.status is FactStatus.ERROR}
        if reasons:
            out[host] = tuple(sorted(reasons))
    return out


def _deferred(shared: Mapping[str, FactRows]) -> Deferred:
    try:
        return {host: {FactKey.of(r["collector"], r.get("params") or {}): str(r["share"])
                       for r in rows} for host, rows in shared.items()}
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"a shared fact's key is malformed: {e}") from None


def _store(gathered: Mapping[str, FactRows]) -> FactStore:
    store: FactStore = {}
    for host, rows in gathered.items():
        facts = (evidence.fact_from_row(row, host) for row in rows)
        store[host] = {f.key: f for f in facts}
    return store
