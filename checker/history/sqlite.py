"""A history in one SQLite file (standard library): WAL mode, one transaction per run.

A kill -9 in the middle of a write leaves the committed runs intact and the file consistent
(SQLite's journal rolls the partial transaction back on the next open).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from checker.facts.records import parse_datetime, to_json
from checker.history import schema
from checker.history.sql import SqlStore
from checker.history.store import Row

BUSY_TIMEOUT_S = 30.0


class SqliteStore(SqlStore):
    migrations = schema.SQLITE
    exclusive = True
    driver_errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    row_order = "rowid"
    returning_id = ""  # lastrowid: system SQLite libraries older than 3.35 lack RETURNING

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.target, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")  # prune: a run's results go with it
        return conn

    def check(self) -> None:
        if Path(self.target).exists():  # a file that does not exist yet is a new history
            super().check()

    @contextmanager
    def _transaction(self, migrating: bool) -> Iterator[None]:
        if migrating:
            self._wal()
        self._execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._execute("ROLLBACK")
            raise
        self._execute("COMMIT")

    def _wal(self) -> None:
        """WAL mode (persistent: readers never block writers). Switching to it needs an
        exclusive lock, and where waiting could deadlock SQLite answers 'database is
        locked' at once, without its busy handler: ten nodes creating one new history lost
        a run to it. Retried until the connection's own timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                if self._execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self._execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _tables(self) -> tuple[set[str], set[str]]:
        tables = {r[0] for r in self._execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in self._execute("PRAGMA table_info(runs)")}
        return tables, columns

    def _insert_rows(self, run_id: int, rows: Iterable[Row]) -> None:
        self.conn.executemany(
            "INSERT INTO results (run_id, rule_id, host, object, status, original_status, "
            "severity, rule_version, message) VALUES (?,?,?,?,?,?,?,?,?)",
            ((run_id, *row) for row in rows))

    def _stamp(self, value: dt.datetime) -> Any:
        return to_json(value)

    def _when(self, value: Any) -> dt.datetime:
        return parse_datetime(value)
