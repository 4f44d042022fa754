"""A small, stable API for running checker inside another engine: the Ansible collection
`checker.identity` uses nothing else. The engine resolves the inventory (Ansible: vault,
templating, credentials) and fans out over the hosts; checker does the rest exactly as
`checker apply` does.

    settings = Settings(rules=("rules",), profile="pre-migration", reports=("json:out.json",))
    estate = Estate.of(groups, hostvars, under_test, source="inventory.yml")
    prepared = prepare(settings, estate)     # validates everything; raises InputError
    later = waiting(prepared)                # hosts whose requests need the others' facts
    shared = {"dc01": []}                    # facts a domain's DCs give alike, left out
    rows = {"dc01": gather_host("dc01", hostvars["dc01"], planned_facts(prepared, "dc01"),
                                shared=shared["dc01"])}   # every host not in `later`
    read = gather_shared(prepared, rows, shared)          # once, after them
    for host in later:                       # after gather_shared, one per host
        rows[host] = gather_host(host, hostvars[host], read.waiting[host])
    for host, more in read.facts.items():   # a host's later rows win
        rows[host] = [*rows.get(host, []), *more]
    outcome = conclude(prepared, rows, settings, shared=shared)
    outcome.exit_code                        # 0 / 1 / 2, as `checker apply`

Facts travel between the steps as JSON rows (the evidence-file form, secrets masked), so an
engine can carry them between processes. `gather_host` gathers one host; `gather_shared`
gathers, with checker's own forks, what no per-host step can: each fact every DC of a domain
gives alike (read once, by the first host in plan order that reached it, as `checker apply`
reads it) and the hosts outside the engine's play whose facts the play needs; and it
completes the requests of the hosts that wait (built from the facts now in). Every other
step is pure apart from the reports and history `conclude` is asked to write, and from what
`conclude` gathers as a fallback when the engine skipped a step (`gather_rest`: unread
shared facts, hosts outside the play, waiting hosts never gathered; `Outcome.gather_errors`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.api_gather import (
    FactRows,
    SharedRead,
    deferred_of,
    errors_of,
    gather_host,
    gather_rest,
    gather_shared,
    store_of,
)
from checker.collectors.base import load_all
from checker.delivery import check_remediation_out, deliver
from checker.errors import InputError
from checker.gather_inputs import waits
from checker.inventory.model import Host, Inventory
from checker.paths import check_outputs
from checker.plan import HostPlan
from checker.reporters.base import parse_spec
from checker.results import RunReport
from checker.runner import Options, Prepared, make_options, prepare_for
from checker.runner import conclude as conclude_run
from checker.transports.base import get_transport, known_transports

__all__ = ["Estate", "FactRows", "Outcome", "Settings", "SharedRead", "conclude",
           "gather_host", "gather_shared", "planned_facts", "preload", "prepare", "waiting"]



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
    # for what `gather_shared` gathers itself: shared facts, hosts outside the engine's play
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
    none, and [] for a host that waits for other hosts' facts: `gather_shared` gives its
    facts, requests completed, once the others are in."""
    hp = _host_plan(prepared, host)
    if hp is None or waits(hp):
        return []
    return [{"collector": k.collector, "params": k.param_dict} for k in hp.facts]


def waiting(prepared: Prepared) -> list[str]:
    """The hosts under test whose requests are built from other hosts' facts (a Connect
    server asked about the Mail Users the DCs report), in plan order: the engine gathers
    them after every other host and after `gather_shared`, as `checker apply`'s second
    wave."""
    return [hp.host.name for hp in prepared.plan.hosts
            if hp.host.name in prepared.under_test and waits(hp)]


def _host_plan(prepared: Prepared, host: str) -> HostPlan | None:
    return next((hp for hp in prepared.plan.hosts if hp.host.name == host), None)


def preload() -> None:
    """Import every collector and transport (and its client library) now. An engine that
    forks a worker per host calls this once in its parent: the workers inherit the modules."""
    load_all()
    for name in known_transports():
        get_transport(name).preload()


@dataclass(frozen=True)
class Outcome:
    """The end of a run: the report, the exit code (the gate contract), what `checker apply`
    would have printed on stdout (reports without a path) and on stderr (notes)."""

    report: RunReport
    exit_code: int
    stdout: str = ""
    notes: tuple[str, ...] = ()
    # host -> why facts `conclude` gathered itself (its fallback) could not be gathered
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
    """Evaluate every selected rule over the gathered facts (`gather_host`'s rows per host,
    with `gather_shared`'s added); then write the reports, store the history and write the
    remediation plan as `checker apply` does. A fallback for an engine that skipped a step:
    what is still missing is gathered first (`gather_rest`: shared facts whose keys are in
    `shared` but not read, hosts outside the play, waiting hosts never gathered); a host
    under test that waits for none and is missing from `gathered` is not: its rules are
    `error`. `started` is when the run began, before gathering (as `checker apply` counts
    it); now when not given."""
    settings = settings or Settings()
    started = started or dt.datetime.now(dt.timezone.utc)
    store = store_of(gathered)
    added = gather_rest(prepared, store, deferred_of(shared or {}), under_test=True)
    report = conclude_run(prepared, store, started)
    notes: list[str] = []
    specs = [parse_spec(s) for s in settings.reports]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        report, code = deliver(prepared, report, specs, notes.append,
                               remediation_out=settings.remediation_out)
    return Outcome(report, code, out.getvalue(), tuple(notes), errors_of(added))
