"""The history store on both backends: drift over stored runs, estates, migrations, prune."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checker.errors import InputError
from checker.history import schema
from checker.history.drift import drift, pick
from checker.history.model import Change
from checker.history.store import HistoryStore, open_store
from checker.redact import Redactor
from checker.results import Offender, Result, RunReport, Status
from checker.ruleset.model import Severity
from tests.history.conftest import Backend
from tests.lab import postgres

T0 = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.timezone.utc)


def row(rule: str, host: str, status: str, failed: tuple[str, ...] = (), msg: str = "") -> Result:
    counts = {"total": 10, "failed": len(failed), "errors": 0} if failed else None
    return Result(rule, host, Status(status), Severity.HIGH, rule, msg or f"{rule} {status}",
                  counts=counts, failed_objects=failed)


def report(rows: list[Result], hosts: tuple[str, ...], minutes: int = 0) -> RunReport:
    t = T0 + dt.timedelta(minutes=minutes)
    return RunReport(t, t, "inv.yml", tuple(rows), hosts)


def save(target: str, rep: RunReport, estate: str = "lab", redactor: Redactor | None = None
         ) -> int:
    with open_store(target) as store:
        return store.save(rep, estate, redactor or Redactor())


def compare(store: HistoryStore, **kw: Any) -> Any:
    before, after = pick(store.runs(), **kw)
    return drift(store.load(before.id) if before else None, store.load(after.id))


def checker(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", *argv], capture_output=True,
                          text=True, timeout=120)


def test_drift_between_stored_runs(backend: Backend) -> None:
    first = [row("R-FIX", "a", "fail"), row("R-REG", "a", "pass"), row("R-STILL", "a", "fail"),
             row("R-WAIVE", "a", "waived"), row("R-DOWN", "a", "pass"), row("R-GONE", "a", "pass"),
             row("R-OBJ", "a", "fail", ("u1", "u2"))]
    second = [row("R-FIX", "a", "pass"), row("R-REG", "a", "fail"), row("R-STILL", "a", "fail"),
              row("R-WAIVE", "a", "fail"), row("R-DOWN", "a", "error"), row("R-NEW", "a", "fail"),
              row("R-OBJ", "a", "fail", ("u2", "u3")), row("R-FIX", "b", "fail")]
    save(backend.target, report(first, ("a",)))
    save(backend.target, report(second, ("a", "b"), 60))
    with open_store(backend.target) as store:
        d = compare(store)
        same = compare(store, since=2, until=2)
    assert [(i.rule_id, i.host, i.object, i.change) for i in d.items] == [  # stored order kept
        ("R-FIX", "a", None, Change.FIXED),
        ("R-REG", "a", None, Change.REGRESSED),
        ("R-STILL", "a", None, Change.STILL_FAILING),
        ("R-WAIVE", "a", None, Change.WAIVER_EXPIRED),
        ("R-DOWN", "a", None, Change.BECAME_UNREACHABLE),
        ("R-NEW", "a", None, Change.NEW_FAIL),
        ("R-OBJ", "a", None, Change.STILL_FAILING),
        ("R-OBJ", "a", "u2", Change.STILL_FAILING),
        ("R-OBJ", "a", "u3", Change.NEW_FAIL),
        ("R-FIX", "b", None, Change.NEW_HOST),
        ("R-GONE", "a", None, Change.GONE),
        ("R-OBJ", "a", "u1", Change.FIXED),
    ]
    assert d.exit_code == 1 and d.before and d.before.started_at == T0
    assert same.exit_code == 0  # a run against itself: nothing got worse
    assert {i.change for i in same.items} == {Change.STILL_FAILING}


def test_stored_text_is_redacted_and_kept_whole(backend: Backend) -> None:
    hostile = "CN=a\x00b,OU=\"x\" <script>s3cret-value</script> ünïcode"
    save(backend.target, report([row("R", "a", "fail", (hostile,), msg=hostile)], ("a",)),
         redactor=Redactor(["s3cret-value"]))
    with open_store(backend.target) as store:
        rows = store.load(1).rows
    assert "s3cret" not in rows[0].message and "********" in rows[0].message
    # PostgreSQL text cannot hold NUL: it becomes U+FFFD; SQLite keeps it
    # the object keeps every character, but never a secret: directory data can carry one
    assert rows[1].object.replace("\ufffd", "\x00") == hostile.replace("s3cret-value", "********")


def test_a_failing_object_keeps_why_it_failed(backend: Backend) -> None:
    """`history show` and drift printed a failing object with no message: the offender's
    message (what the console and the reports say of it) is stored with the object; an object
    past the offenders cap has none to keep."""
    bad = dataclasses.replace(
        row("R-OBJ", "a", "fail", ("lab.example.com", "u2")),
        offenders=(Offender("lab.example.com", "the schema lacks mailNickname", None),))
    save(backend.target, report([bad], ("a",)))
    save(backend.target, report([bad], ("a",), 60))
    with open_store(backend.target) as store:
        rows = store.load(1).rows
        d = compare(store)
    assert [(r.object, r.message) for r in rows[1:]] == [
        ("lab.example.com", "the schema lacks mailNickname"), ("u2", "")]
    assert [(i.object, i.message) for i in d.items if i.object] == [
        ("lab.example.com", "the schema lacks mailNickname"), ("u2", "")]


def test_drift_compares_runs_of_one_estate(backend: Backend) -> None:
    for minutes, estate, status in [(0, "site-a", "pass"), (1, "site-b", "fail"),
                                    (2, "site-a", "fail"), (3, "site-b", "fail")]:
        save(backend.target, report([row("R", "dc", status)], ("dc",), minutes), estate)
    with open_store(backend.target) as store:
        latest = compare(store)  # the latest run is site-b's: compared with site-b's previous
        site_a = compare(store, estate="site-a")
        with pytest.raises(InputError, match="drift compares runs of one estate only"):
            compare(store, since=1, until=4)
        with pytest.raises(InputError, match="no runs of estate 'nowhere'"):
            compare(store, estate="nowhere")
        assert [r.estate for r in store.runs("site-a")] == ["site-a", "site-a"]
    assert (latest.before.id, latest.after.id) == (2, 4)
    assert [i.change for i in latest.items] == [Change.STILL_FAILING]
    assert (site_a.before.id, site_a.after.id) == (1, 3)
    assert [i.change for i in site_a.items] == [Change.REGRESSED]


def test_cli_drift_exit_codes(backend: Backend, tmp_path: Path) -> None:
    save(backend.target, report([row("R", "a", "fail")], ("a",)))
    save(backend.target, report([row("R", "a", "pass")], ("a",), 5))
    out = f"json:{tmp_path}/d.json"
    proc = checker("drift", "--history", backend.target, "--report", out)
    assert proc.returncode == 0, proc.stderr  # only a fix: nothing got worse
    assert "fixed" in proc.stdout  # a report to a file keeps the console view (cron logs)
    proc = checker("drift", "--history", backend.target, "--since", "2", "--until", "1",
                   "--report", out)
    assert proc.returncode == 1, proc.stderr  # read backwards, the fix is a regression
    proc = checker("drift", "--history", backend.target, "--since", "9")
    assert proc.returncode == 3 and "no run 9 in the history" in proc.stderr
    proc = checker("drift", "--history", backend.target, "--report", f"json:{tmp_path}")
    assert proc.returncode == 3, proc.stderr  # was an internal error after reading the runs
    assert f"--report json: {tmp_path} is a folder; give a file name" in proc.stderr


def test_cli_drift_missing_sqlite_file_is_exit_3(tmp_path: Path) -> None:
    proc = checker("drift", "--history", str(tmp_path / "none.db"))
    assert proc.returncode == 3 and "no such history database" in proc.stderr
    assert not (tmp_path / "none.db").exists()


def test_history_list_show_prune(backend: Backend) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    for days, estate in [(200, "a"), (120, "a"), (100, "b"), (10, "a")]:
        t = now - dt.timedelta(days=days)
        save(backend.target, RunReport(t, t, "inv.yml", (row("R", "dc", "fail"),), ("dc",)),
             estate)
    listed = checker("history", "list", "--history", backend.target)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[-1] == "4 run(s)"
    shown = checker("history", "show", "2", "--history", backend.target)
    assert shown.returncode == 0 and "run 2: estate a" in shown.stdout
    assert "fail     R  dc  [high]  R fail" in shown.stdout
    bad = checker("history", "prune", "--keep", "ninety", "--history", backend.target)
    assert bad.returncode == 3 and "--keep: a duration such as 90d" in bad.stderr
    pruned = checker("history", "prune", "--keep", "90d", "--history", backend.target)
    assert pruned.returncode == 0 and "pruned 2 run(s)" in pruned.stdout, pruned.stderr
    with open_store(backend.target) as store:  # b's only run is old, but its latest: kept
        assert [(r.id, r.estate) for r in store.runs()] == [(3, "b"), (4, "a")]
        assert len(store.load(3).rows) == 1


def _raw(backend: Backend) -> Any:
    """A plain driver connection (autocommit) to the backend's database."""
    if backend.name == "sqlite":
        return sqlite3.connect(backend.target, isolation_level=None)
    import psycopg

    return psycopg.connect(backend.target, password=postgres.PASSWORD, autocommit=True)


def _version_1_history(backend: Backend, runs: int = 1) -> None:
    """A history as checker 0.1 wrote it (no version table, no estate): `runs` runs of
    old.yml, the first failing R on dc, the others passing it."""
    ddl = schema.SQLITE if backend.name == "sqlite" else schema.POSTGRES
    conn = _raw(backend)
    for statement in ddl[1]:
        conn.execute(statement)
    pos = "" if backend.name == "sqlite" else "pos, "
    for n in range(1, runs + 1):
        stamp = f"2026-11-0{n}T02:00:00Z"
        status = "fail" if n == 1 else "pass"
        conn.execute("INSERT INTO runs (started_at, finished_at, inventory, checker_version, "
                     "exit_code, fail_on, summary, rule_versions, hosts) VALUES "
                     f"('{stamp}', '{stamp}', 'old.yml', '0.1.0', {int(n == 1)}, 'info', "
                     f"""'{{"{status}": 1}}', '{{"R": 1}}', '["dc"]')""")
        conn.execute(f"INSERT INTO results (run_id, {pos}rule_id, host, object, status, "
                     "original_status, severity, rule_version, message) VALUES "
                     f"({n}, {'' if not pos else '0, '}'R', 'dc', '', '{status}', NULL, "
                     "'high', 1, 'm')")
    conn.close()


def _tables(backend: Backend) -> set[str]:
    conn = _raw(backend)
    sql = ("SELECT name FROM sqlite_master" if backend.name == "sqlite" else
           "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    names = {r[0] for r in conn.execute(sql).fetchall()}
    conn.close()
    return names


def test_a_version_1_history_is_migrated(backend: Backend) -> None:
    """A history written by checker 0.1 (no version table, no estate): migrated on first use,
    its runs keep their inventory as their estate."""
    _version_1_history(backend)
    save(backend.target, report([row("R", "dc", "pass")], ("dc",)), estate="old.yml")
    with open_store(backend.target) as store:
        d = compare(store)
    assert [(i.rule_id, i.change) for i in d.items] == [("R", Change.FIXED)]
    assert d.before and d.before.estate == "old.yml" and d.before.inventory == "old.yml"
    conn = _raw(backend)
    assert conn.execute("SELECT version FROM checker_schema").fetchall() == [(schema.CURRENT,)]
    conn.close()


def test_reading_a_version_1_history_writes_nothing(backend: Backend) -> None:
    """drift and history list|show only read: on a schema-1 history they used to migrate it,
    so an admin's newer checker upgraded a shared history under the nodes still writing to
    it (which then stop with "newer than this checker knows"), and a read-only login failed.
    They now read schema 1 as it is, its inventory standing for its estate."""
    _version_1_history(backend, runs=2)
    before = _tables(backend)
    listed = checker("history", "list", "--history", backend.target, "--estate", "old.yml")
    assert listed.returncode == 0 and "2 run(s)" in listed.stdout, listed.stderr
    assert re.search(r"\n +2  2026-11-02 02:00 +0 +1 +0 +0  - +old\.yml\n", listed.stdout)
    shown = checker("history", "show", "1", "--history", backend.target)
    assert shown.returncode == 0 and "run 1: estate old.yml; node -" in shown.stdout
    drifted = checker("drift", "--history", backend.target)
    assert drifted.returncode == 0 and "fixed" in drifted.stdout, drifted.stderr
    assert _tables(backend) == before and "checker_schema" not in before


@pytest.mark.parametrize(("sql", "message"), [
    ("CREATE TABLE runs (id INTEGER, payload TEXT)",
     "tables runs were not created by checker (foreign schema)"),
    ("CREATE TABLE checker_schema (version INTEGER); INSERT INTO checker_schema VALUES (99)",
     "schema version 99, newer than this checker knows (2): upgrade checker"),
    ("CREATE TABLE checker_schema (version TEXT); INSERT INTO checker_schema VALUES ('two')",
     "checker_schema holds 'two', not a schema version"),  # was an internal error
])
def test_foreign_or_newer_schema_stops_before_any_host(backend: Backend, tmp_path: Path,
                                                       sql: str, message: str) -> None:
    conn = _raw(backend)
    for statement in sql.split(";"):
        conn.execute(statement)
    conn.close()
    out = tmp_path / "r.json"
    proc = checker("apply", "inventories/demo/inventory.yml", "--history", backend.target,
                   "--report", f"json:{out}")
    assert proc.returncode == 3, proc.stderr
    assert message in proc.stderr and "nothing was contacted" in proc.stderr
    assert not out.exists()


def test_sqlite_file_of_another_program_is_foreign(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(InputError, match=r"not a checker history \(it has tables invoices\)"):
        open_store(str(db)).check()


@pytest.mark.parametrize("damage", ["summary = '{\"pass\": 1'", "hosts = '\"dc\"'"])
def test_a_damaged_stored_run_is_named_not_an_internal_error(backend: Backend,
                                                              damage: str) -> None:
    """A value of a stored run that no longer decodes (edited by hand, half-restored) makes
    reading the history an error (exit 2) that names the run, never an internal error."""
    save(backend.target, report([row("R", "a", "fail")], ("a",)))
    save(backend.target, report([row("R", "a", "pass")], ("a",), 5))
    conn = _raw(backend)
    conn.execute(f"UPDATE runs SET {damage} WHERE id = 1")
    conn.close()
    for argv in (("drift",), ("history", "show", "1") if "hosts" in damage else ("history", "list")):
        proc = checker(*argv, "--history", backend.target)
        assert proc.returncode == 2, proc.stderr
        assert "run 1 is damaged" in proc.stderr and "internal error" not in proc.stderr


def test_history_show_prints_directory_data_as_text(backend: Backend) -> None:
    """A stored host, object or message holds what the directory held: `history show` used
    to print its escape sequences (window title, clear screen, colours) to the terminal."""
    evil = "CN=x\x1b]0;PWNED\x07\x1b[2J\x1b[31mred\x9b31m\x08\u202eevil"
    save(backend.target, report([row("R", f"dc{evil}", "fail", (evil,), msg=evil)],
                                (f"dc{evil}",)))
    shown = checker("history", "show", "1", "--history", backend.target)
    assert shown.returncode == 0, shown.stderr
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", shown.stdout)
    assert "CN=x" in shown.stdout and "red" in shown.stdout and "evil" in shown.stdout


def test_history_show_keeps_each_stored_row_on_one_line(backend: Backend) -> None:
    """A failing object's message is stored since 3239863: a CN holding a line break printed
    the rest of the row as a row of its own, such as a forged 'pass' line."""
    forged = "  pass     R-FORGED  dc01  [high]  all good"
    evil = f"CN=x\r\n{forged}\r{forged}\n{forged}"
    bad = dataclasses.replace(row("R", f"dc\n{forged}", "fail", (evil,), msg=evil),
                              offenders=(Offender(evil, f"Mail User {evil} has no address", None),))
    save(backend.target, report([bad], (f"dc\n{forged}",)))
    shown = checker("history", "show", "1", "--history", backend.target)
    assert shown.returncode == 0, shown.stderr
    assert forged not in shown.stdout.splitlines(), shown.stdout
    assert shown.stdout.count(forged.strip()) >= 3  # kept as text, on the row that holds it
