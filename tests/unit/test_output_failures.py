"""An output that cannot be written (a full disk: /dev/full) costs only itself: the other
reports, the history and the exit code still carry the verdict, and the failure is an
`error` row with its cause, never an internal error that throws the run away."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from checker.cli import main

ROOT = Path(__file__).parent.parent.parent
DEMO = str(ROOT / "inventories" / "demo" / "inventory.yml")
FULL = "/dev/full"  # every write fails with ENOSPC
PASSING = ["--rule", "AD-EXCHANGE-SCHEMA-PRESENT"]


@pytest.fixture(autouse=True)
def _dev_full() -> None:
    assert Path(FULL).exists(), "the tests need Linux's /dev/full"


def _checker_rows(report: Path) -> dict[str, str]:
    doc = json.loads(report.read_text())
    return {r["rule_id"]: r["message"] for r in doc["results"] if r["rule_id"].startswith(
        "checker.")} | {"exit_code": doc["summary"]["exit_code"]}


def test_a_report_on_a_full_disk_leaves_the_others_and_the_history(tmp_path, capsys) -> None:
    out, history = tmp_path / "r.json", tmp_path / "runs.db"
    code = main(["apply", DEMO, *PASSING, "--report", f"junit:{FULL}",
                 "--report", f"json:{out}", "--history", str(history)])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err
    cause = f"--report junit: cannot write {FULL}: No space left on device"
    assert f"error: {cause}" in err
    assert _checker_rows(out) == {"checker.report": cause, "exit_code": 2}
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_saved_facts_on_a_full_disk_keep_the_verdict(tmp_path, capsys) -> None:
    out = tmp_path / "r.json"
    code = main(["apply", DEMO, *PASSING, "--save-facts", FULL, "--report", f"json:{out}"])
    assert code == 2 and "internal error" not in capsys.readouterr().err
    assert _checker_rows(out) == {
        "checker.save-facts": f"cannot write the facts to {FULL}: No space left on device",
        "exit_code": 2}


def test_gather_to_a_full_disk_is_an_error_with_its_cause(capsys) -> None:
    assert main(["gather", DEMO, "-o", FULL]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "No space left on device" in err


def test_stdout_never_ends_on_an_exit_code_the_run_did_not_exit_with(tmp_path, capsys) -> None:
    """The console printed `Exit code 0.` and then the history failed: a cron log of stdout
    ended on 0 for a run that exited 2."""
    damaged = tmp_path / "runs.db"
    damaged.write_text("not a database\n")
    assert main(["apply", DEMO, *PASSING, "--history", str(damaged)]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert "Exit code 0." in out[-3]
    assert out[-2].startswith("ERROR checker.history: the run was not stored in the history")
    assert out[-1].startswith("Exit code 2: ")
