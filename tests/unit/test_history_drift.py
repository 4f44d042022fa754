"""History and drift: every transition, stored runs, and a kill -9 in the middle of writes."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest

from checker.history.drift import classify, drift
from checker.history.model import Change
from checker.history.store import connect, run_ids, run_rows, save_run
from checker.redact import Redactor
from checker.results import Result, RunReport, Status
from checker.ruleset.model import Severity

T0 = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(("before", "after", "new_host", "change"), [
    (None, "fail", False, Change.NEW_FAIL),
    ("error", "fail", False, Change.NEW_FAIL),
    ("fail", "pass", False, Change.FIXED),
    ("error", "pass", False, Change.FIXED),
    ("pass", "fail", False, Change.REGRESSED),
    ("fail", "fail", False, Change.STILL_FAILING),
    ("waived", "fail", False, Change.WAIVER_EXPIRED),
    ("pass", "error", False, Change.BECAME_UNREACHABLE),
    ("fail", "error", False, Change.BECAME_UNREACHABLE),
    (None, "pass", True, Change.NEW_HOST),
    ("pass", None, False, Change.GONE),
    ("pass", "pass", False, None),
    ("error", "error", False, None),
])
def test_every_transition(before: str | None, after: str | None, new_host: bool,
                          change: Change | None) -> None:
    assert classify(before, after, new_host) is change


def row(rule: str, host: str, status: str, failed: tuple[str, ...] = ()) -> Result:
    counts = {"total": 10, "failed": len(failed), "errors": 0} if failed or rule.endswith("OBJ") else None
    return Result(rule, host, Status(status), Severity.HIGH, rule, f"{rule} {status}",
                  counts=counts, failed_objects=failed)


def report(rows: list[Result], hosts: tuple[str, ...], minutes: int = 0) -> RunReport:
    t = T0 + dt.timedelta(minutes=minutes)
    return RunReport(t, t, "inv.yml", tuple(rows), hosts)


def test_drift_between_stored_runs(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    first = [row("R-FIX", "a", "fail"), row("R-REG", "a", "pass"), row("R-STILL", "a", "fail"),
             row("R-WAIVE", "a", "waived"), row("R-DOWN", "a", "pass"), row("R-GONE", "a", "pass"),
             row("R-OBJ", "a", "fail", ("u1", "u2"))]
    second = [row("R-FIX", "a", "pass"), row("R-REG", "a", "fail"), row("R-STILL", "a", "fail"),
              row("R-WAIVE", "a", "fail"), row("R-DOWN", "a", "error"), row("R-NEW", "a", "fail"),
              row("R-OBJ", "a", "fail", ("u2", "u3")), row("R-FIX", "b", "fail")]
    save_run(db, report(first, ("a",)), Redactor())
    save_run(db, report(second, ("a", "b"), 60), Redactor())
    with closing(connect(db)) as conn:
        d = drift(conn)
    got = {(i.rule_id, i.host, i.object): i.change for i in d.items}
    assert got == {
        ("R-FIX", "a", None): Change.FIXED,
        ("R-REG", "a", None): Change.REGRESSED,
        ("R-STILL", "a", None): Change.STILL_FAILING,
        ("R-WAIVE", "a", None): Change.WAIVER_EXPIRED,
        ("R-DOWN", "a", None): Change.BECAME_UNREACHABLE,
        ("R-NEW", "a", None): Change.NEW_FAIL,
        ("R-OBJ", "a", None): Change.STILL_FAILING,
        ("R-OBJ", "a", "u1"): Change.FIXED,
        ("R-OBJ", "a", "u2"): Change.STILL_FAILING,
        ("R-OBJ", "a", "u3"): Change.NEW_FAIL,
        ("R-FIX", "b", None): Change.NEW_HOST,
        ("R-GONE", "a", None): Change.GONE,
    }
    assert d.exit_code == 1
    with closing(connect(db)) as conn:
        same = drift(conn, since=2, until=2)
    assert same.exit_code == 0  # a run against itself: nothing got worse
    assert {i.change for i in same.items} == {Change.STILL_FAILING}


def test_cli_drift_exit_codes(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    save_run(db, report([row("R", "a", "fail")], ("a",)), Redactor())
    save_run(db, report([row("R", "a", "pass")], ("a",), 5), Redactor())
    proc = subprocess.run([sys.executable, "-m", "checker", "drift", "--history", str(db),
                           "--report", f"json:{tmp_path}/d.json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr  # only a fix: nothing got worse
    proc = subprocess.run([sys.executable, "-m", "checker", "drift", "--history", str(db),
                           "--since", "2", "--until", "1", "--report", f"json:{tmp_path}/d.json"],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr  # read backwards, the fix is a regression
    missing = subprocess.run([sys.executable, "-m", "checker", "drift", "--history",
                              str(tmp_path / "none.db")], capture_output=True, text=True)
    assert missing.returncode == 3


WRITER = textwrap.dedent("""
    import datetime as dt, sys
    from checker.history.store import save_run
    from checker.redact import Redactor
    from checker.results import Result, RunReport, Status
    from checker.ruleset.model import Severity
    rows = tuple(Result(f"R-{i:04d}", "h", Status.FAIL, Severity.LOW, "t", "m" * 200,
                        counts={"total": 50, "failed": 50, "errors": 0},
                        failed_objects=tuple(f"CN=user{j},OU=x" for j in range(50)))
                 for i in range(300))
    t = dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc)
    while True:
        run_id = save_run(sys.argv[1], RunReport(t, t, "inv", rows, ("h",)), Redactor())
        print(run_id, flush=True)
""")


def test_kill_9_mid_write_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    rows_per_run = 300 * 51
    for attempt in range(3):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout is not None
        committed = [int(proc.stdout.readline()) for _ in range(2 + attempt)]
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of the next run's transaction
        proc.wait(10)
        committed += [int(x) for x in proc.stdout.read().split()]
        with closing(sqlite3.connect(db)) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with closing(connect(db)) as conn:
            ids = run_ids(conn)
            assert set(committed) <= set(ids)
            for run_id in ids:  # every stored run is whole: never a partial one
                assert len(run_rows(conn, run_id)) == rows_per_run
