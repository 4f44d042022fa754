"""Run history in SQLite (standard library): WAL mode, one transaction per run.

A run is written whole or not at all: a kill -9 in the middle of a write leaves the
committed runs intact and the database consistent (SQLite's journal rolls the partial
transaction back on the next open).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from checker import __version__
from checker.errors import InputError
from checker.facts.records import parse_datetime, to_json
from checker.history.model import RunInfo
from checker.redact import Redactor
from checker.results import Result, RunReport

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    inventory TEXT NOT NULL,
    checker_version TEXT NOT NULL,
    exit_code INTEGER NOT NULL,
    fail_on TEXT NOT NULL,
    summary TEXT NOT NULL,
    rule_versions TEXT NOT NULL,
    hosts TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    rule_id TEXT NOT NULL,
    host TEXT NOT NULL,
    object TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    original_status TEXT,
    severity TEXT NOT NULL,
    rule_version INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS results_by_run ON results(run_id);
"""


@dataclass(frozen=True)
class StoredRow:
    rule_id: str
    host: str
    object: str  # '' for the rule x host row; an object name for a failing object
    status: str
    severity: str
    message: str


def connect(path: str | Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(SCHEMA)
    except sqlite3.DatabaseError as e:
        raise InputError(f"history database cannot be used: {e}", str(path)) from None
    return conn


Row = tuple[str, str, str, str, str | None, str, int, str]


def _rows(result: Result) -> Iterator[Row]:
    original = result.original_status.value if result.original_status else None
    sev, ver = result.severity.value, result.rule_version
    yield result.rule_id, result.host, "", result.status.value, original, sev, ver, result.message
    for obj in result.failed_objects:  # per-object drift: every failing object, uncapped
        yield result.rule_id, result.host, obj, "fail", None, sev, ver, ""
    if result.waiver is not None:
        for obj in result.waiver.objects:
            yield result.rule_id, result.host, obj, "waived", "fail", sev, ver, ""


def save_run(path: str | Path, report: RunReport, redactor: Redactor) -> int:
    """Store one run in one transaction; returns its id."""
    summary = {**report.counts(), "exit_code": report.exit_code}
    versions = {r.rule_id: r.rule_version for r in report.results}
    with closing(connect(path)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "INSERT INTO runs (started_at, finished_at, inventory, checker_version, "
                "exit_code, fail_on, summary, rule_versions, hosts) VALUES (?,?,?,?,?,?,?,?,?)",
                (to_json(report.started_at), to_json(report.finished_at), report.inventory,
                 __version__, report.exit_code, report.fail_on.value, json.dumps(summary),
                 json.dumps(versions), json.dumps(list(report.hosts))),
            )
            run_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO results (run_id, rule_id, host, object, status, original_status, "
                "severity, rule_version, message) VALUES (?,?,?,?,?,?,?,?,?)",
                ((run_id, *row[:7], redactor.text(row[7])) for r in report.results
                 for row in _rows(r)),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return run_id


def run_info(conn: sqlite3.Connection, run_id: int) -> RunInfo:
    row = conn.execute(
        "SELECT id, started_at, inventory, exit_code, summary FROM runs WHERE id = ?", (run_id,)
    ).fetchone()
    if row is None:
        raise InputError(f"no run {run_id} in the history")
    return RunInfo(row[0], parse_datetime(row[1]), row[2], row[3], json.loads(row[4]))


def run_ids(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM runs ORDER BY id")]


def run_hosts(conn: sqlite3.Connection, run_id: int) -> list[str]:
    row = conn.execute("SELECT hosts FROM runs WHERE id = ?", (run_id,)).fetchone()
    return list(json.loads(row[0])) if row else []


def run_rows(conn: sqlite3.Connection, run_id: int) -> list[StoredRow]:
    return [
        StoredRow(*r)
        for r in conn.execute(
            "SELECT rule_id, host, object, status, severity, message FROM results "
            "WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        )
    ]

