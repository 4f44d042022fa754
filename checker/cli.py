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
    _limit(p)
    p.add_argument("-t", "--tags", action="append", default=[], metavar="TAGS",
                   help="only rules with one of these tags (comma-separated, repeatable)")
    p.add_argument("--skip-tags", action="append", default=[], metavar="TAGS",
                   help="leave out rules with these tags (comma-separated, repeatable)")
    p.add_argument("--rule", action="append", default=[], dest="rule_ids", metavar="ID",
                   help="only this rule id (repeatable)")


def _limit(p: argparse.ArgumentParser) -> None:
    p.add_argument("-l", "--limit", metavar="PATTERN",
                   help="further limit the hosts to an Ansible pattern (@FILE: one per line)")


def _inventory(p: argparse.ArgumentParser, positional: bool) -> None:
    """Ansible's inventory options: -i (repeatable; also the positional form), vault
    passwords and extra vars. Without any, ANSIBLE_INVENTORY or ansible.cfg names it."""
    if positional:
        p.add_argument("inventory", nargs="?", metavar="INVENTORY",
                       help="inventory file, folder or host list (same as -i)")
    p.add_argument("-i", "--inventory", "--inventory-file", action="append", default=[],
                   dest="inventories", metavar="INVENTORY",
                   help="inventory source (repeatable; default: ANSIBLE_INVENTORY or "
                        "ansible.cfg)")
    p.add_argument("-e", "--extra-vars", action="append", default=[], metavar="VARS",
                   help="variables as key=value, YAML/JSON, or @FILE; they win over the "
                        "inventory (repeatable)")
    p.add_argument("--vault-id", action="append", default=[], metavar="[LABEL@]SOURCE",
                   help="vault password: a file, an executable, or 'prompt' (repeatable)")
    p.add_argument("--vault-password-file", "--vault-pass-file", action="append", default=[],
                   dest="vault_password_files", metavar="FILE", help="vault password file")
    p.add_argument("-J", "--ask-vault-password", "--ask-vault-pass", action="store_true",
                   dest="ask_vault_pass", help="ask for the vault password")


def _output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-color", action="store_true",
                   help="no colour (also NO_COLOR, TERM=dumb, ANSIBLE_NOCOLOR)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="more detail on stderr: -v progress, -vv sources and settings, "
                        "-vvv connections and timings")


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
    p.add_argument("-f", "--forks", type=_positive_int, default=None,
                   help="hosts gathered at once (default: forks in ansible.cfg, else 10)")
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
    _output(drift)
    history = sub.add_parser("history", help="list, show or prune stored runs")
    actions = history.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("list", "stored runs, oldest first"), ("show", "one run's results"),
                       ("prune", "delete old runs (each estate keeps its latest)")):
        p = actions.add_parser(name, help=text)
        p.add_argument("--history", required=True, metavar="DB|URL", help=HISTORY_HELP)
        if name != "show":
            p.add_argument("--estate", metavar="NAME", help="only this estate")
        _output(p)
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
    _inventory(apply, positional=True)
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
    _output(apply)

    validate = sub.add_parser("validate", help="check rule files (and an inventory) and exit")
    validate.add_argument("paths", nargs="*", help="rule files or directories (default ./rules)")
    _inventory(validate, positional=False)
    validate.add_argument("--waivers", metavar="W.yml", help="also validate a waivers file")
    _output(validate)

    _history_parsers(sub)

    gather = sub.add_parser("gather", help="collect facts only (evidence bundle)")
    _inventory(gather, positional=True)
    gather.add_argument("-o", "--output", required=True, metavar="F.json")
    _selection(gather)
    _gathering(gather)
    _output(gather)

    plan = sub.add_parser("plan", help="show hosts, rules and facts without connecting")
    _inventory(plan, positional=True)
    _selection(plan)
    _output(plan)

    lister = sub.add_parser("list", help="list rules, collectors, hosts or the group graph")
    lister.add_argument("what", choices=("rules", "collectors", "hosts", "groups"))
    _inventory(lister, positional=False)
    _limit(lister)
    lister.add_argument("-r", "--rules", action="append", default=[])
    _output(lister)

    schema = sub.add_parser("schema", help="print a JSON Schema generated from the registries")
    schema.add_argument("what", nargs="?", default="rules",
                        choices=("rules", "inventory", "waivers", "profiles"))
    _output(schema)
    return parser


class _ClosedPipeSafe:
    """stdout that survives its reader going away (`checker apply ... | head`): the first
    BrokenPipeError sends the rest of the output to /dev/null, so the run still finishes,
    writes its file reports and exits with its real verdict, as a gate needs."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self.stream.write(text))
        except BrokenPipeError:
            self._divert()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._divert()

    def isatty(self) -> bool:
        return bool(self.stream.isatty())

    def fileno(self) -> int:
        return int(self.stream.fileno())

    def _divert(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self.stream.fileno())
        finally:
            os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    if not isinstance(sys.stdout, _ClosedPipeSafe) and hasattr(sys.stdout, "fileno"):
        try:
            sys.stdout.fileno()
            sys.stdout = _ClosedPipeSafe(sys.stdout)
        except (OSError, ValueError):  # captured (pytest) or detached: nothing to guard
            pass
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
