"""History benchmark: SQLite and PostgreSQL side by side, in one run.

    python benchmarks/history.py [--objects 100000] [--runs 30]

Stores `--runs` nightly runs of one estate, each with `--objects` failing objects (10 rules x
N/10 objects, 1% of them changing every night, plus 190 passing rule x host rows), in a fresh
SQLite file and in a fresh database on a PostgreSQL server started for the run (as in the
tests). For each backend it prints:
- store: seconds per run (median and worst), and the ratio to the baseline: the same rows
  written as JSON lines to a file and fsync'd (what the json report costs);
- drift (latest night against the one before): seconds in-process (pick + load two runs +
  classify), and the ratio to loading the two runs alone;
- peak RSS of `checker drift` (the real command, rendering json) after 10 runs and after
  `--runs` runs: it must not grow with the number of stored runs.
Targets: store <= 10 s on either backend, drift <= 2 s, RSS independent of stored runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checker.history.drift import drift, pick
from checker.history.store import open_store, result_rows
from checker.redact import Redactor
from checker.results import Result, RunReport, Status
from checker.ruleset.model import Severity
from tests.lab import postgres

T0 = dt.datetime(2026, 1, 1, 2, 30, tzinfo=dt.timezone.utc)
RULES = 10
ESTATE = "bench"


def night(n: int, objects: int) -> RunReport:
    """Night n: objects [n*1%, n*1% + objects) fail, spread over RULES rules on dc01."""
    per_rule, shift = objects // RULES, objects // 100 * n
    rows = [Result(f"HYG-RULE-{r:02d}", "dc01.lab.example.com", Status.FAIL, Severity.MEDIUM,
                   "t", f"{per_rule} of {per_rule + 50} objects failed",
                   counts={"total": per_rule + 50, "failed": per_rule, "errors": 0},
                   failed_objects=tuple(f"CN=user{shift + r * per_rule + i:07d},OU=Staff,"
                                        "DC=lab,DC=example,DC=com" for i in range(per_rule)))
            for r in range(RULES)]
    rows += [Result(f"AD-RULE-{i:03d}", f"dc{i % 19:02d}", Status.PASS, Severity.LOW, "t", "ok")
             for i in range(190)]
    t = T0 + dt.timedelta(days=n)
    return RunReport(t, t + dt.timedelta(minutes=3), "inventory.yml", tuple(rows),
                     tuple(sorted({r.host for r in rows})))


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def baseline_store(report: RunReport, folder: Path) -> float:
    def write() -> None:
        with open(folder / "run.jsonl", "w", encoding="utf-8") as f:
            for row in result_rows(report.results, Redactor()):
                f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())

    return timed(write)


def drift_in_process(target: str) -> tuple[float, float, float, int]:
    """(drift seconds, its CPU seconds in this process, seconds to load the two runs alone,
    items). On a shared machine the CPU figure shows what the wall clock hides."""
    with open_store(target) as store:
        t0, c0 = time.perf_counter(), time.process_time()
        before, after = pick(store.runs(), estate=ESTATE)
        assert before is not None
        report = drift(store.load(before.id), store.load(after.id))
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        load = timed(lambda: (store.load(before.id), store.load(after.id)))
    return took, cpu, load, len(report.items)


def drift_rss_mb(target: str) -> float:
    """Peak RSS of the real `checker drift` command (json report to /dev/null)."""
    proc = subprocess.Popen([sys.executable, "-m", "checker", "drift", "--history", target,
                             "--estate", ESTATE, "--report", "json:/dev/null"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"checker drift failed: {proc.stderr.read() if proc.stderr else ''}")
    return usage.ru_maxrss / 1024


def bench(name: str, target: str, args: argparse.Namespace, baseline: float) -> dict[str, str]:
    stores, rss = [], {}
    for n in range(1, args.runs + 1):
        report = night(n, args.objects)
        with open_store(target) as store:
            stores.append(timed(lambda s=store, r=report: s.save(r, ESTATE, Redactor())))
        if n in (10, args.runs):
            rss[n] = drift_rss_mb(target)
        print(f"  {name}: stored night {n}/{args.runs} in {stores[-1]:.2f} s", file=sys.stderr)
    took, cpu, load, items = drift_in_process(target)
    return {
        "store median s": f"{statistics.median(stores):.2f}",
        "store worst s": f"{max(stores):.2f}",
        "store / baseline": f"{statistics.median(stores) / baseline:.1f}x",
        "drift s (pick+load+diff)": f"{took:.2f}",
        "drift cpu s (client)": f"{cpu:.2f}",
        "load two runs s": f"{load:.2f}",
        "drift / load": f"{took / load:.2f}x",
        "drift items": str(items),
        "rss 10 runs MB": f"{rss[10]:.0f}",
        f"rss {args.runs} runs MB": f"{rss[args.runs]:.0f}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    if args.runs < 10:
        raise SystemExit("--runs: at least 10 (RSS is compared after 10 runs)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        baseline = baseline_store(night(1, args.objects), folder)
        server = postgres.start()
        try:
            os.environ["PGPASSWORD"] = postgres.PASSWORD
            results = {
                "sqlite": bench("sqlite", str(folder / "history.db"), args, baseline),
                "postgres": bench("postgres", server.create_database("bench"), args, baseline),
            }
        finally:
            postgres.remove(server)
    print(f"history benchmark: {args.runs} nightly runs x {args.objects} failing objects; "
          f"baseline (json lines + fsync of one run) {baseline:.2f} s")
    print(f"{'':26}{'sqlite':>12}{'postgres':>12}")
    for key in results["sqlite"]:
        print(f"{key:26}{results['sqlite'][key]:>12}{results['postgres'][key]:>12}")


if __name__ == "__main__":
    main()
