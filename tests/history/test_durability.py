"""Never lose a run: kill -9 in the middle of a write, ten sites writing at once, and a history
that fails after the run (damaged file, server down, refused login) with every report written."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from checker.history.store import open_store
from tests.history.conftest import Backend
from tests.lab import postgres

WRITER = textwrap.dedent("""
    import datetime as dt, sys
    from checker.history.store import open_store
    from checker.redact import Redactor
    from checker.results import Result, RunReport, Status
    from checker.ruleset.model import Severity
    target, estate, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rows = tuple(Result(f"R-{i:04d}", "h", Status.FAIL, Severity.LOW, "t", "m" * 200,
                        counts={"total": 50, "failed": 50, "errors": 0},
                        failed_objects=tuple(f"CN=user{j},OU=x" for j in range(50)))
                 for i in range(300))
    t = dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc)
    sys.stdin.readline()  # every writer starts at once
    for _ in range(count):
        with open_store(target) as store:
            print(store.save(RunReport(t, t, "inv", rows, ("h",)), estate, Redactor()),
                  flush=True)
""")
ROWS_PER_RUN = 300 * 51
DEMO = "inventories/demo/inventory.yml"
PASSING = ("--rule", "AD-EXCHANGE-SCHEMA-PRESENT", "--rule", "AADC-SUPPORTED-BUILD")


def writer(target: str, estate: str, count: int = 10_000) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, target, estate, str(count)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def assert_whole(target: str, committed: list[int]) -> list[str]:
    """Every committed run is stored, and every stored run is whole; returns their estates."""
    with open_store(target) as store:
        runs = store.runs()
        assert set(committed) <= {r.id for r in runs}
        for run in runs:
            assert len(store.load(run.id).rows) == ROWS_PER_RUN
    return [r.estate for r in runs]


def test_kill_9_mid_write_loses_nothing_committed(backend: Backend) -> None:
    committed: list[int] = []
    for attempt in range(3):
        proc = writer(backend.target, "lab")
        assert proc.stdin and proc.stdout
        proc.stdin.write("go\n")
        proc.stdin.flush()
        committed += [int(proc.stdout.readline()) for _ in range(2 + attempt)]
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of the next run's transaction
        proc.wait(10)
        committed += [int(x) for x in proc.stdout.read().split()]
        if backend.name == "sqlite":
            with sqlite3.connect(backend.target) as raw:
                assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert_whole(backend.target, committed)


def test_ten_sites_write_at_once(backend: Backend) -> None:
    """Ten nodes, one new history: they race to create the schema and to store their runs."""
    procs = [writer(backend.target, f"site-{n}", 2) for n in range(10)]
    for proc in procs:
        assert proc.stdin
        proc.stdin.write("go\n")
        proc.stdin.close()
    ids = []
    for proc in procs:
        assert proc.stdout
        ids += [int(x) for x in proc.stdout.read().split()]
        assert proc.wait(120) == 0
    assert sorted(ids) == list(range(1, 21))
    estates = assert_whole(backend.target, ids)
    assert sorted(estates) == sorted(f"site-{n}" for n in range(10) for _ in range(2))


def apply(history: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", "apply", DEMO, *PASSING,
                           "--history", history, "--report", f"json:{out / 'r.json'}",
                           "--report", f"junit:{out / 'r.xml'}", *extra],
                          capture_output=True, text=True, timeout=120)


def _damage_sqlite(how: str, tmp_path: Path) -> str:
    db = tmp_path / "h.db"
    for _ in range(2):
        assert apply(str(db), tmp_path).returncode == 0
    if how == "truncated":
        with open(db, "r+b") as f:
            f.truncate(db.stat().st_size // 2)
    else:  # garbage over the page that holds the runs table
        with sqlite3.connect(db) as conn:
            page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='runs'").fetchone()[0]
        with open(db, "r+b") as f:
            f.seek((page - 1) * 4096)
            f.write(b"\xa5" * 4096)
    return str(db)


@pytest.mark.parametrize("how", ["truncated", "corrupt-page"])
def test_damaged_sqlite_history_keeps_the_verdict(tmp_path: Path, how: str) -> None:
    history = _damage_sqlite(how, tmp_path)
    check_reports_kept(apply(history, tmp_path), tmp_path, "database disk image is malformed")


@pytest.mark.lab
@pytest.mark.parametrize("how", ["server-down", "wrong-password"])
def test_failing_postgres_history_keeps_the_verdict(
        tmp_path: Path, how: str, pg_server: postgres.PostgresServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_server.create_database(f"fail_{how.replace('-', '_')}")
    if how == "server-down":
        url = url.replace(f":{pg_server.port}/", f":{postgres.free_port(pg_server.ip)}/")
        cause = "Connection refused"
    else:
        monkeypatch.setenv("PGPASSWORD", "not-the-password")
        cause = 'password authentication failed for user "checker"'
    check_reports_kept(apply(url, tmp_path), tmp_path, cause)


def check_reports_kept(proc: subprocess.CompletedProcess[str], out: Path, cause: str) -> None:
    assert proc.returncode == 2, proc.stderr  # every check passed; the history did not
    assert cause in proc.stderr and "the run was not stored in the history" in proc.stderr
    doc = json.loads((out / "r.json").read_text())
    statuses = {r["rule_id"]: r["status"] for r in doc["results"]}
    assert statuses == {"AD-EXCHANGE-SCHEMA-PRESENT": "pass", "AADC-SUPPORTED-BUILD": "pass",
                        "checker.history": "error"}
    history_row = next(r for r in doc["results"] if r["rule_id"] == "checker.history")
    assert cause in history_row["message"] and doc["summary"]["exit_code"] == 2
    assert 'errors="1"' in (out / "r.xml").read_text()


@pytest.mark.lab
def test_password_comes_from_the_environment_only(
        tmp_path: Path, pg_server: postgres.PostgresServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_server.create_database("passwords")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    secret_url = url.replace("checker@", f"checker:{postgres.PASSWORD}@")
    refused = apply(secret_url, tmp_path)
    assert refused.returncode == 3 and "a password in the URL" in refused.stderr
    assert postgres.PASSWORD not in refused.stderr + refused.stdout
    assert not (tmp_path / "r.json").exists()
    monkeypatch.setenv("CHECKER_DB_PASSWORD", postgres.PASSWORD)  # a named variable
    assert apply(f"{url}?password_env=CHECKER_DB_PASSWORD", tmp_path).returncode == 0
    monkeypatch.delenv("CHECKER_DB_PASSWORD")
    pgpass = tmp_path / "pgpass"  # libpq's own password file
    pgpass.write_text(f"{pg_server.ip}:{pg_server.port}:passwords:checker:{postgres.PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert apply(url, tmp_path).returncode == 0
    unset = apply(f"{url}?password_env=NOT_SET_ANYWHERE", tmp_path)
    assert unset.returncode == 3 and "password_env names 'NOT_SET_ANYWHERE'" in unset.stderr
    with open_store(url) as store:
        assert len(store.runs()) == 2
    assert shutil.which("pg_ctl") or postgres.bin_dir()  # the server really was started


@pytest.mark.lab
def test_a_locked_table_is_a_history_error_not_a_hang(
        pg_server: postgres.PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another session holds the results table (a stuck migration, VACUUM FULL): the save
    used to wait forever after the reports were written, and the gate never ended."""
    from checker.history import postgres as backend
    from checker.history.store import HistoryError
    from checker.redact import Redactor
    from checker.results import RunReport

    url = pg_server.create_database("locked")
    monkeypatch.setenv("PGPASSWORD", postgres.PASSWORD)
    monkeypatch.setattr(backend, "LOCK_TIMEOUT_S", 1.0)
    t = dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc)
    with open_store(url) as store:
        store.save(RunReport(t, t, "inv", (), ()), "lab", Redactor())  # creates the schema
    import psycopg

    with psycopg.connect(url) as holder:
        holder.execute("LOCK TABLE results IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        with pytest.raises(HistoryError, match="lock timeout"), open_store(url) as store:
            store.save(RunReport(t, t, "inv", (), ()), "lab", Redactor())
        assert time.monotonic() - started < 30


def test_switching_a_new_history_to_wal_waits_out_a_lock(tmp_path: Path, monkeypatch) -> None:
    """Where waiting for a lock could deadlock, SQLite answers 'database is locked' at once,
    without its busy handler; the switch to WAL mode met it when ten nodes created one new
    history together (CI lost a site's run). The switch is retried, not the run lost."""
    from checker.history.sqlite import SqliteStore
    from tests.history.test_store import report, row, save

    real = SqliteStore._execute
    refused: list[str] = []

    def execute(self, sql, params=()):
        if sql == "PRAGMA journal_mode=WAL" and len(refused) < 3:
            refused.append(sql)
            raise sqlite3.OperationalError("database is locked")
        return real(self, sql, params)

    monkeypatch.setattr(SqliteStore, "_execute", execute)
    target = str(tmp_path / "h.db")
    save(target, report([row("R", "a", "pass")], ("a",)))
    assert len(refused) == 3
    with sqlite3.connect(target) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with open_store(target) as store:
        assert len(store.runs()) == 1
