"""Every history test runs on both backends: a SQLite file, and a database of its own on a
real PostgreSQL server that the session starts (initdb, pg_ctl on a free loopback port) and
stops. Missing PostgreSQL binaries fail the tests: they never skip (CI must run them)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lab import postgres

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.PostgresServer]:
    server = postgres.start()
    yield server
    postgres.remove(server)


@dataclass(frozen=True)
class Backend:
    name: str
    target: str  # what --history takes
    server: postgres.PostgresServer | None = None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.lab)])
def backend(request: pytest.FixtureRequest, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Backend:
    """A fresh, empty history; PGPASSWORD is set for this process and its children."""
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "history.db"))
    server: postgres.PostgresServer = request.getfixturevalue("pg_server")
    monkeypatch.setenv("PGPASSWORD", postgres.PASSWORD)
    return Backend("postgres", server.create_database(f"h{next(_names)}"), server)
