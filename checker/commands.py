"""The subcommands. Each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from checker.cli_inventory import color as _color
from checker.cli_inventory import forks as _forks
from checker.cli_inventory import load as _load
from checker.cli_inventory import sources_and_options as _inventory
from checker.cli_inventory import split as _split
from checker.cli_inventory import warn as _warn
from checker.paths import default_rules_dirs

if TYPE_CHECKING:
    from checker.reporters.progress import HostLines, LiveLine
    from checker.results import RunReport
    from checker.runner import Options, Prepared


def _options(args: argparse.Namespace, **extra: object) -> Options:
    from checker.runner import make_options

    sources, load = _inventory(args)
    return make_options(
        ",".join(sources),
        rules=args.rules,
        profile=getattr(args, "profile", None),
        tags=_split(args.tags),
        skip_tags=_split(args.skip_tags),
        rule_ids=args.rule_ids,
        fail_on=getattr(args, "fail_on", None),
        limit=args.limit,
        forks=_forks(args),
        timeout=getattr(args, "timeout", 60.0),
        sources=sources,
        inventory_options=load,
        **extra,
    )


def _progress(prepared: Prepared, verbose: int) -> LiveLine | HostLines | None:
    """-v: a line per host; on a terminal: a live status line; else nothing. -vvv also
    names every host to contact first."""
    from checker.reporters.progress import progress_for

    if verbose >= 3:
        _describe_plan(prepared)
    if prepared.options.from_facts:
        return None
    return progress_for(len([h for h in prepared.plan.hosts if h.facts]), verbose >= 1)


def _describe_plan(prepared: Prepared) -> None:
    """-vvv: every host to contact, how, and what for."""
    from checker.transports.base import get_transport

    for hp in prepared.plan.hosts:
        if not hp.facts:
            continue
        transport = get_transport(hp.transport)(hp.host.name, hp.host.vars,
                                                prepared.options.timeout)
        print(f"{hp.host.name}: {hp.transport} {transport.target()}, {len(hp.facts)} fact(s): "
              f"{', '.join(str(k) for k in hp.facts)}", file=sys.stderr)


def _warn_insecure(prepared: Prepared) -> None:
    """Every insecure connection setting, on stderr, on every run that contacts hosts."""
    if prepared.options.from_facts:
        return
    from checker.reporters.terminal import line

    for warning in prepared.plan.warnings:  # they name hosts: inventory data, not terminal control
        print(line(f"warning: {warning}"), file=sys.stderr)


def _check_outputs(specs: list[tuple[str, str | None]], args: argparse.Namespace,
                   sources: Sequence[str]) -> None:
    """Every file a run will write, checked before anything is contacted (--remediation-out
    has its own check)."""
    from checker.paths import check_outputs

    inputs = [("the inventory", source) for source in sources]
    inputs += [(flag, value) for flag, value in (("--from-facts", args.from_facts),
               ("--waivers", args.waivers)) if value]
    check_outputs(specs, save_facts=args.save_facts, history=args.history,
                  remediation_out=args.remediation_out, inputs=inputs)


def cmd_apply(args: argparse.Namespace) -> int:
    from checker.delivery import check_remediation_out, deliver
    from checker.reporters.base import report_specs
    from checker.runner import prepare, run

    specs = report_specs(args.report)
    opts = _options(args, save_facts=args.save_facts, from_facts=args.from_facts,
                    waivers=args.waivers, strict_waivers=args.strict_waivers,
                    history=args.history, estate=args.estate)
    _check_outputs(specs, args, opts.sources)
    if args.remediate and not args.yes and not sys.stdin.isatty():
        from checker.errors import InputError

        raise InputError("--remediate asks for confirmation: add --yes when not interactive")
    check_remediation_out(args.remediation_out)
    prepared = prepare(opts, _warn)
    _warn_insecure(prepared)
    progress = _progress(prepared, args.verbose)
    try:
        report, _ = run(prepared, progress)
    finally:
        if progress is not None:
            progress.close()
    color = _color(args)
    if args.remediate:
        from checker.remediate import remediate

        report = remediate(prepared, report, args.yes, color)
    skip_console = args.remediate  # remediate has shown the console view already
    final, code = deliver(prepared, report, specs, _note, color, skip_console,
                          args.remediation_out)
    if code != report.exit_code and (args.remediate or ("console", None) in specs):
        _console_epilogue(prepared, report, final, code)
    return code


def _console_epilogue(prepared: Prepared, shown: RunReport, final: RunReport, code: int) -> None:
    """The console view ended with its exit code before the history, a report file or the
    plan failed: a log of stdout alone must not end on a code the run did not exit with."""
    for row in final.results[len(shown.results):]:
        print(prepared.redactor.text(f"ERROR {row.rule_id}: {row.message}"))
    print(f"Exit code {code}: an output failed after the summary above (see stderr).")


def _note(line: str) -> None:
    print(line, file=sys.stderr)


def cmd_gather(args: argparse.Namespace) -> int:
    from checker import evidence
    from checker.gather_inputs import gather_with_inputs
    from checker.paths import check_output_file
    from checker.runner import prepare

    check_output_file(args.output, "--output")
    prepared = prepare(_options(args), _warn)
    _warn_insecure(prepared)
    opts = prepared.options
    progress = _progress(prepared, args.verbose)
    try:
        store = gather_with_inputs(prepared.plan, prepared.inventory, opts.forks, opts.timeout,
                                   prepared.redactor, progress)
    finally:
        if progress is not None:
            progress.close()
    evidence.save(store, args.output, prepared.redactor)
    failed = sum(1 for facts in store.values() for f in facts.values() if not f.ok)
    total = sum(len(f) for f in store.values())
    print(f"gathered {total - failed}/{total} facts from {len(store)} host(s) -> {args.output}")
    return 2 if failed else 0


def cmd_plan(args: argparse.Namespace) -> int:
    from checker.runner import prepare

    prepared = prepare(_options(args), _warn)
    plan = prepared.plan
    print(f"{len(plan.hosts)} host(s), {len(prepared.ruleset.rules)} rule(s), "
          f"{plan.fact_count} distinct fact(s); nothing is contacted")
    for hp in plan.hosts:
        print(f"\n{hp.host.name}  ({hp.transport})")
        for key in hp.facts:
            print(f"  fact  {key}")
        for rule in hp.rules:
            print(f"  rule  {rule}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from checker.ruleset.loader import load_rules

    ruleset = load_rules(args.paths or default_rules_dirs())
    line = f"{len(ruleset.rules)} rule(s) valid"
    if args.waivers:
        from checker.waivers import load_waivers

        waivers = load_waivers(args.waivers, [r.id for r in ruleset.rules])
        line += f"; {len(waivers)} waiver(s) valid"
    if args.inventories:
        from checker import thresholds
        from checker.errors import InputErrors
        from checker.plan import build_plan

        inventory = _load(args)
        problems = thresholds.check(inventory, ruleset)
        if problems:
            raise InputErrors(problems)
        build_plan(ruleset, inventory, list(inventory.hosts))
        line += f"; inventory valid ({len(inventory.hosts)} host(s))"
    print(line)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    if args.what == "collectors":
        from checker.collectors.base import load_all

        found = dict(load_all().items())
        width = max(map(len, found), default=0)
        for name, cls in found.items():
            print(f"{name:{width}} {','.join(cls.transports):24} {cls.description}")
    elif args.what == "rules":
        from checker.ruleset.loader import load_rules

        rules = load_rules(args.rules or default_rules_dirs()).rules
        width = max((len(r.id) for r in rules), default=0)  # the columns stay aligned
        for r in rules:
            print(f"{r.id:{width}} {r.severity.value:9} {r.hosts:20} {r.title}")
    elif args.what == "groups":
        print("\n".join(_load(args).graph()))
    else:
        inventory = _load(args)
        names = inventory.limit(args.limit, _warn) if args.limit else list(inventory.hosts)
        for name in names:
            h = inventory.hosts[name]
            groups = ",".join(g for g in h.groups if g != "all")
            print(f"{h.name:24} {h.connection:14} {groups}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from checker.collectors.base import load_all
    from checker.lang.operators import OPERATORS
    from checker.ruleset.schema import inventory_schema, rules_file_schema
    from checker.transports.base import connection_names

    if args.what == "rules":
        doc = rules_file_schema(dict(load_all().items()), OPERATORS)
    elif args.what == "waivers":
        from checker.waivers import WAIVERS_SCHEMA

        doc = WAIVERS_SCHEMA
    elif args.what == "profiles":
        from checker.profiles import PROFILES_SCHEMA

        doc = PROFILES_SCHEMA
    else:
        from checker.transports.variables import transport_tables

        names: dict[str, object] = {}
        for table in transport_tables():
            names.update(table.json_schema())
        doc = inventory_schema(connection_names(), names)
    print(json.dumps(doc, indent=2))
    return 0


def _history_command(name: str) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        from checker import history_commands

        return getattr(history_commands, name)(args)

    return command


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "apply": cmd_apply,
    "gather": cmd_gather,
    "plan": cmd_plan,
    "validate": cmd_validate,
    "list": cmd_list,
    "schema": cmd_schema,
    "drift": _history_command("cmd_drift"),
    "history": _history_command("cmd_history"),
}
