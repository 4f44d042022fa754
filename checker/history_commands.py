"""`checker drift` and `checker history list|show|prune`: read (and prune) a stored history."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from checker.errors import InputError
from checker.history.model import RunInfo, StoredRun
from checker.history.store import HistoryStore, open_store

COUNTED = ("pass", "fail", "error", "waived", "skipped", "blocked")


def open_existing(target: str) -> HistoryStore:
    """A store to read: a SQLite path must name an existing file (nothing is created)."""
    if "://" not in target and not Path(target).is_file():
        raise InputError("no such history database", target)
    return open_store(target)


def cmd_drift(args: argparse.Namespace) -> int:
    from checker.history.drift import drift, pick
    from checker.paths import check_report_files
    from checker.reporters.base import get_reporter, report_specs

    specs = report_specs(args.report)
    check_report_files(specs)
    with open_existing(args.history) as store:
        before, after = pick(store.runs(), args.since, args.until, args.estate)
        report = drift(store.load(before.id) if before else None, store.load(after.id))
    from checker.inventory.config import color_wanted

    color = color_wanted(sys.stdout.isatty(), getattr(args, "no_color", False))
    for name, path in specs:
        get_reporter(name)(color=color and path is None).write_drift(report, path)
    return report.exit_code


def cmd_history(args: argparse.Namespace) -> int:
    with open_existing(args.history) as store:
        if args.action == "list":
            print_runs(store.runs(args.estate))
        elif args.action == "show":
            print_run(store.load(args.run))
        else:
            prune(store, args.keep, args.estate)
    return 0


def _say(line: str) -> None:
    """One line for the terminal: stored hosts, objects and messages come from the directory
    and may hold escape sequences, control characters or line breaks (removed, as the console
    does: a CN holding a line break would otherwise print a row of its own)."""
    from checker.reporters.terminal import line as terminal_line

    print(terminal_line(line))


def print_runs(runs: list[RunInfo]) -> None:
    print(f"{'run':>6}  {'started (UTC)':16}  exit  {'pass':>5} {'fail':>5} {'error':>5}  "
          f"{'node':16}  estate")
    for r in runs:
        s = r.summary
        _say(f"{r.id:>6}  {_when(r.started_at)}  {r.exit_code:>4}  {s.get('pass', 0):>5} "
              f"{s.get('fail', 0):>5} {s.get('error', 0):>5}  {r.node or '-':16}  {r.estate}")
    print(f"{len(runs)} run(s)")


def print_run(run: StoredRun) -> None:
    info = run.info
    counts = ", ".join(f"{info.summary[k]} {k}" for k in COUNTED if info.summary.get(k))
    _say(f"run {info.id}: estate {info.estate}; node {info.node or '-'}; "
          f"inventory {info.inventory}")
    print(f"started {_when(info.started_at)} UTC; exit {info.exit_code}; {counts or 'no results'}")
    _say(f"hosts: {', '.join(sorted(run.hosts)) or '-'}")
    for row in run.rows:
        if row.status != "pass":
            where = f"{row.host} / {row.object}" if row.object else row.host
            _say(f"  {row.status:8} {row.rule_id}  {where}  [{row.severity}]  {row.message}")


def prune(store: HistoryStore, keep: str, estate: str | None) -> None:
    from checker.history.store import parse_keep

    cutoff = dt.datetime.now(dt.timezone.utc) - parse_keep(keep)
    gone = store.prune(cutoff, estate)
    print(f"pruned {gone} run(s) started before {_when(cutoff)} UTC "
          "(the latest run of each estate is always kept)")


def _when(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")
