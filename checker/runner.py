"""The run: validate everything, plan, gather (or replay), evaluate, build the report.

All validation happens in `prepare`, before any connection opens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from checker import evidence, thresholds
from checker.errors import CheckerError, InputError, InputErrors, OutputError
from checker.evaluate.engine import Scope, evaluate
from checker.gather import FactStore, Progress
from checker.gather_inputs import gather_with_inputs
from checker.inventory import Inventory, LoadOptions, load_inventory
from checker.paths import default_rules_dirs
from checker.plan import Plan, build_plan
from checker.profiles import Profile, load_profile
from checker.redact import Redactor
from checker.results import Result, RunReport, Status
from checker.ruleset.loader import load_rules
from checker.ruleset.model import Rule, RuleSet, Severity
from checker.waivers import Waiver, Waivers, load_waivers


@dataclass(frozen=True)
class Options:
    inventory: str
    rules: Sequence[str] = ()
    limit: str | None = None
    tags: Sequence[str] = ()
    skip_tags: Sequence[str] = ()
    rule_ids: Sequence[str] = ()
    forks: int = 10
    timeout: float = 60.0
    from_facts: str | None = None
    save_facts: str | None = None
    fail_on: Severity = Severity.INFO
    waivers: str | None = None
    strict_waivers: bool = False
    history: str | None = None
    estate: str | None = None
    # several inventory sources (-i A -i B), vault passwords, extra vars (checker.inventory)
    sources: Sequence[str] = ()
    inventory_options: LoadOptions | None = None


def estate_of(options: Options) -> str:
    from checker.history.store import check_estate, default_estate

    if options.estate is not None:
        return check_estate(options.estate)
    return default_estate(options.inventory, options.limit)


@dataclass(frozen=True)
class Prepared:
    options: Options
    inventory: Inventory
    ruleset: RuleSet
    under_test: tuple[str, ...]
    plan: Plan
    redactor: Redactor = field(default_factory=Redactor)
    waivers: tuple[Waiver, ...] = ()


def make_options(
    inventory: str,
    rules: Sequence[str] = (),
    profile: str | None = None,
    tags: Sequence[str] = (),
    skip_tags: Sequence[str] = (),
    rule_ids: Sequence[str] = (),
    fail_on: str | None = None,
    **extra: Any,
) -> Options:
    """The options of one run as `checker apply` resolves them: a profile supplies tags, rule
    ids and fail_on; values given explicitly win over the profile."""
    rules = list(rules) or default_rules_dirs()
    chosen = load_profile(profile, rules) if profile else Profile("")
    return Options(
        inventory=inventory,
        rules=rules,
        tags=list(tags) or chosen.tags,
        skip_tags=list(skip_tags) or chosen.skip_tags,
        rule_ids=list(rule_ids) or chosen.rules,
        fail_on=Severity(fail_on) if fail_on else (chosen.fail_on or Severity.INFO),
        **extra,
    )


def prepare(options: Options, warn: Callable[[str], None] | None = None) -> Prepared:
    """`warn` receives the inventory's warnings, and Ansible's for a `--limit` term that
    matches nothing."""
    inventory = load_inventory(options.sources or [options.inventory], options.inventory_options)
    for warning in inventory.warnings:
        (warn or _ignore)(warning)
    hosts = list(inventory.hosts)
    if options.limit:
        hosts = inventory.limit(options.limit, warn)
    return prepare_for(options, inventory, hosts)


def _ignore(_: str) -> None:
    return None


def prepare_for(options: Options, inventory: Inventory, under_test: Sequence[str]) -> Prepared:
    """History, rules, waivers and the plan for an inventory already loaded (by checker, or
    by another engine through checker.api). Raises InputError before anything is contacted."""
    if options.history:
        from checker.history.store import preflight

        estate_of(options)
        preflight(options.history)  # a foreign or newer schema stops here, before any host
    everything = load_rules(options.rules or default_rules_dirs())
    waivers: list[Waiver] = []
    if options.waivers:
        waivers = load_waivers(options.waivers, [r.id for r in everything.rules])
    problems = thresholds.check(inventory, everything)
    if problems:
        raise InputErrors(problems)
    ruleset = select_rules(everything, options)
    plan = build_plan(ruleset, inventory, under_test)
    check_work(ruleset, plan, options, len(under_test))
    return Prepared(options, inventory, ruleset, tuple(under_test), plan,
                    Redactor(inventory.secret_values()), tuple(waivers))


def select_rules(ruleset: RuleSet, options: Options) -> RuleSet:
    def chosen(rule: Rule) -> bool:
        if options.rule_ids and rule.id not in options.rule_ids:
            return False
        if options.tags and "all" not in options.tags and not set(options.tags) & set(rule.tags):
            return False
        if "all" in options.skip_tags:  # Ansible's --skip-tags all skips everything
            return False
        return not set(options.skip_tags) & set(rule.tags)

    unknown = set(options.rule_ids) - {r.id for r in ruleset.rules}
    if unknown:
        raise InputError(f"--rule: unknown rule id(s): {', '.join(sorted(unknown))}")
    check_tags(ruleset, options)
    return RuleSet(tuple(r for r in ruleset.rules if chosen(r)))


def check_tags(ruleset: RuleSet, options: Options) -> None:
    """A tag no rule carries is a typo, not an empty selection: exit 3 naming the known tags
    (Ansible would run nothing and pass)."""
    known = {t for r in ruleset.rules for t in r.tags}
    for flag, tags in (("--tags", options.tags), ("--skip-tags", options.skip_tags)):
        unknown = sorted(set(tags) - known - {"all"})
        if unknown:
            raise InputError(f"{flag}: unknown tag(s) {', '.join(unknown)} "
                             f"(known tags: {', '.join(sorted(known)) or 'none'})")


def check_work(ruleset: RuleSet, plan: Plan, options: Options, hosts: int) -> None:
    """A gate that would evaluate nothing, or less than it was asked to, is refused before
    anything is contacted: an empty selection must never pass for "all passed"."""
    if not ruleset.rules:
        raise InputError("no rule is selected (--tags, --skip-tags, --rule or --profile "
                         "leave none): nothing would be evaluated")
    planned = {rule for hp in plan.hosts for rule in hp.rules}
    if not planned:
        raise InputError(f"none of the {len(ruleset.rules)} selected rule(s) applies to the "
                         f"{hosts} selected host(s): nothing would be evaluated")
    missing = [r for r in ruleset.rules if r.id in options.rule_ids and r.id not in planned]
    if missing:
        raise InputError("; ".join(f"rule {r.id} applies to none of the selected hosts "
                                   f"(its hosts: {r.hosts})" for r in missing))


def collect(prepared: Prepared, progress: Progress | None = None) -> FactStore:
    opts = prepared.options
    if opts.from_facts:
        return evidence.load_store(opts.from_facts, [hp.host.name for hp in prepared.plan.hosts])
    return gather_with_inputs(prepared.plan, prepared.inventory, opts.forks, opts.timeout,
                              prepared.redactor, progress)


def evaluation_time(prepared: Prepared, facts: FactStore, started: dt.datetime) -> dt.datetime:
    """The `now` rules see. A replay (--from-facts, or every host a snapshot) is judged as of
    when its facts were gathered, so "the last cycle is recent" means the same next month."""
    replay = prepared.options.from_facts or all(
        hp.transport == "snapshot" for hp in prepared.plan.hosts if hp.facts)
    stamps = [f.provenance.started_at for host in facts.values() for f in host.values()
              if f.provenance is not None]
    if not replay or not stamps:
        return started
    return max(stamps)


def run(prepared: Prepared, progress: Progress | None = None) -> tuple[RunReport, FactStore]:
    started = dt.datetime.now(dt.timezone.utc)
    facts = collect(prepared, progress)
    return conclude(prepared, facts, started), facts


def conclude(prepared: Prepared, facts: FactStore, started: dt.datetime) -> RunReport:
    """Everything after gathering: save the facts, evaluate, waive, build the report."""
    unsaved: tuple[Result, ...] = ()
    if prepared.options.save_facts:
        try:
            evidence.save(facts, prepared.options.save_facts, prepared.redactor)
        except OutputError as e:  # the verdict is still worth its reports
            unsaved = (run_error("checker.save-facts", "Saved facts", str(e)),)
    now = evaluation_time(prepared, facts, started)
    scope = Scope(prepared.inventory, prepared.under_test, now)
    waive = Waivers(prepared.waivers, prepared.inventory, started.date())
    rows = evaluate(prepared.ruleset, scope, facts, waive)
    warnings, waiver_rows = waive.report(prepared.options.strict_waivers)
    report = RunReport(
        started_at=started,
        finished_at=dt.datetime.now(dt.timezone.utc),
        inventory=prepared.options.inventory,
        results=(*rows, *waiver_rows, *unsaved),
        hosts=prepared.under_test,
        fail_on=prepared.options.fail_on,
        warnings=(*([] if prepared.options.from_facts else prepared.plan.warnings), *warnings),
    )
    return report


def record(prepared: Prepared, report: RunReport) -> tuple[RunReport, int | None]:
    """Store the run in --history (after its reports are written): (report, run id). A store
    that fails adds an `error` row naming the cause (exit 2 unless a check failed) and gives
    no id: the verdict itself is never lost."""
    from checker.history.store import open_store, safe_target

    target = prepared.options.history
    assert target is not None
    try:
        with open_store(target) as store:
            run_id = store.save(report, estate_of(prepared.options), prepared.redactor)
    except CheckerError as e:
        row = run_error("checker.history", "Run history",
                        f"the run was not stored in the history {safe_target(target)}: {e}")
        return replace(report, results=(*report.results, row)), None
    return report, run_id


def run_error(rule_id: str, title: str, message: str) -> Result:
    """An `error` row about the run itself (its history, a report, its saved facts): the
    run exits 2 unless a check failed, and the verdicts beside it are kept."""
    return Result(rule_id=rule_id, host="-", status=Status.ERROR, severity=Severity.INFO,
                  title=title, message=message)
