"""Command line. Imports stay lazy so `checker --help` is fast.

Exit codes: 0 all passed (or waived/skipped), 1 a fail at or above --fail-on, 2 an error
(unreachable, auth, timeout, collector failure) and no qualifying fail, 3 invalid input.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

EXIT_INPUT = 3
SEVERITIES = ("info", "low", "medium", "high", "critical")


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("-r", "--rules", action="append", default=[], metavar="RULES",
                   help="rules directory or file (repeatable; default ./rules or bundled)")
    p.add_argument("--limit", metavar="PATTERN", help="Ansible host pattern to restrict hosts")
    p.add_argument("--tags", action="append", default=[], help="only rules with one of these tags")
    p.add_argument("--skip-tags", action="append", default=[], help="leave out these tags")
    p.add_argument("--rule", action="append", default=[], dest="rule_ids", metavar="ID",
                   help="only this rule id (repeatable)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {value})")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds above 0 "
                                         f"(got {text})")
    return value


def _gathering(p: argparse.ArgumentParser) -> None:
    p.add_argument("--forks", type=_positive_int, default=10,
                   help="hosts gathered at once (default 10)")
    p.add_argument("--timeout", type=_seconds, default=60.0,
                   help="per-host budget in seconds for connecting and gathering (default 60)")


HISTORY_HELP = ("run history: a SQLite file, or postgresql://user@host/db (password from "
                "PGPASSWORD, ~/.pgpass or ?password_env=NAME)")


def _history_parsers(sub: Any) -> None:
    drift = sub.add_parser("drift", help="what changed between two stored runs of one estate")
    drift.add_argument("--history", required=True, metavar="DB|URL", help=HISTORY_HELP)
    drift.add_argument("--estate", metavar="NAME", help="the estate (default: the latest run's)")
    drift.add_argument("--since", type=int, metavar="RUN",
                       help="earlier run (default: the estate's previous)")
    drift.add_argument("--until", type=int, metavar="RUN", help="later run id (default: latest)")
    drift.add_argument("--report", action="append", default=[], metavar="FORMAT[:PATH]",
                       help="console (default), json, markdown or html; repeatable")
    history = sub.add_parser("history", help="list, show or prune stored runs")
    actions = history.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("list", "stored runs, oldest first"), ("show", "one run's results"),
                       ("prune", "delete old runs (each estate keeps its latest)")):
        p = actions.add_parser(name, help=text)
        p.add_argument("--history", required=True, metavar="DB|URL", help=HISTORY_HELP)
        if name != "show":
            p.add_argument("--estate", metavar="NAME", help="only this estate")
    actions.choices["show"].add_argument("run", type=int, metavar="RUN")
    actions.choices["prune"].add_argument("--keep", required=True, metavar="AGE",
                                          help="keep runs younger than this: 90d, 12w, 36h")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checker",
        description="Declarative compliance checks for AD, Exchange in AD and Entra Connect Sync.",
        epilog="Exit codes: 0 passed, 1 failed, 2 error (e.g. host unreachable), 3 invalid input.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    apply = sub.add_parser("apply", help="gather facts, evaluate rules, report")
    apply.add_argument("inventory")
    _selection(apply)
    _gathering(apply)
    apply.add_argument("--report", action="append", default=[], metavar="FORMAT[:PATH]",
                       help="console, json, junit, markdown, html or prometheus; repeatable "
                            "(default: console to stdout)")
    apply.add_argument("--save-facts", metavar="F.json", help="also save the gathered facts")
    apply.add_argument("--from-facts", metavar="F.json", help="replay saved facts, contact nothing")
    apply.add_argument("--fail-on", choices=SEVERITIES, default=None,
                       help="lowest severity whose failure fails the run (default info)")
    apply.add_argument("--profile", help="a named selection from rules/profiles.yml")
    apply.add_argument("--waivers", metavar="W.yml", help="approved, expiring exceptions")
    apply.add_argument("--strict-waivers", action="store_true",
                       help="an expired or unmatched waiver is an error")
    apply.add_argument("--history", metavar="DB|URL", help=HISTORY_HELP)
    apply.add_argument("--estate", metavar="NAME",
                       help="what this run checks, for drift (default: this node's inventory)")
    apply.add_argument("--remediation-out", metavar="DIR",
                       help="write plan.md, one <host>.ps1 per host and playbook.yml")
    apply.add_argument("--remediate", action="store_true",
                       help="run the powershell remediation tasks after a confirmation, "
                            "then check the affected rules again")
    apply.add_argument("--yes", action="store_true", help="with --remediate: do not ask")
    apply.add_argument("--no-color", action="store_true", help="no colour in console output")
    apply.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")

    validate = sub.add_parser("validate", help="check rule files (and an inventory) and exit")
    validate.add_argument("paths", nargs="*", help="rule files or directories (default ./rules)")
    validate.add_argument("-i", "--inventory", help="also validate this inventory")
    validate.add_argument("--waivers", metavar="W.yml", help="also validate a waivers file")

    _history_parsers(sub)

    gather = sub.add_parser("gather", help="collect facts only (evidence bundle)")
    gather.add_argument("inventory")
    gather.add_argument("-o", "--output", required=True, metavar="F.json")
    _selection(gather)
    _gathering(gather)

    plan = sub.add_parser("plan", help="show hosts, rules and facts without connecting")
    plan.add_argument("inventory")
    _selection(plan)

    lister = sub.add_parser("list", help="list rules, collectors or hosts")
    lister.add_argument("what", choices=("rules", "collectors", "hosts"))
    lister.add_argument("-i", "--inventory", help="inventory (for hosts)")
    lister.add_argument("-r", "--rules", action="append", default=[])

    schema = sub.add_parser("schema", help="print a JSON Schema generated from the registries")
    schema.add_argument("what", nargs="?", default="rules",
                        choices=("rules", "inventory", "waivers", "profiles"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: usage errors exit 2; ours is 3
        if e.code == 0:
            return 0
        print("nothing was contacted.", file=sys.stderr)
        return EXIT_INPUT
    if args.version:
        from checker import __version__

        print(f"checker {__version__}")
        return 0
    if not args.command:
        parser.print_help()
        return EXIT_INPUT
    from checker.errors import CheckerError, InputError

    try:
        from checker.commands import COMMANDS

        return COMMANDS[args.command](args)
    except InputError as e:
        _print_input_error(e)
        return EXIT_INPUT
    except CheckerError as e:  # e.g. a history that cannot be read: could not decide
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2
    except Exception as e:  # a bug: never let it pass for a verdict (exit 1 means "fail")
        if os.environ.get("CHECKER_DEBUG"):
            raise
        print(f"internal error: {type(e).__name__}: {e}\n(set CHECKER_DEBUG=1 for the "
              "traceback; please report it)", file=sys.stderr)
        return 2


def _print_input_error(e: Any) -> None:
    problems = getattr(e, "problems", None) or [e]
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if len(problems) > 1:
        print(f"{len(problems)} problems; nothing was contacted.", file=sys.stderr)
    else:
        print("nothing was contacted.", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
