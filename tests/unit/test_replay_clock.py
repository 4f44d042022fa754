"""Recorded facts are judged as of their recording: the demo, a snapshot inventory and a
`--from-facts` replay give the same verdicts with the clock moved months ahead (libfaketime
moves the real clock of the checker process; nothing in checker is told about it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checker.facts.snapshot import recorded_provenance

ROOT = Path(__file__).parent.parent.parent
DEMO = ROOT / "inventories" / "demo" / "inventory.yml"
RECORDED = json.loads((ROOT / "inventories" / "demo" / "facts.json").read_text())["created_at"]


def faketime() -> str:
    path = shutil.which("faketime")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("faketime is missing: .ci/run installs it")
        pytest.skip("faketime is not installed (apt-get install faketime)")
    return path


def verdicts(tmp: Path, *args: str, shift: str | None = None) -> dict[tuple[str, str], str]:
    out = tmp / f"r{shift or 0}.json"
    cmd = [sys.executable, "-m", "checker", "apply", *args, "--report", f"json:{out}"]
    if shift:
        cmd = [faketime(), "-f", shift, *cmd]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    doc: dict[str, Any] = json.loads(out.read_text())
    return {(r["rule_id"], r["host"]): r["status"] for r in doc["results"]}


@pytest.fixture(scope="module")
def today(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    return verdicts(tmp_path_factory.mktemp("today"), str(DEMO))


def test_the_demo_gives_the_same_verdicts_months_later(tmp_path: Path, today) -> None:
    now = today
    assert verdicts(tmp_path, str(DEMO), shift="+200d") == now
    # recorded 20 minutes after the last sync cycle: recent, as of the recording
    assert now[("AADC-SYNC-CYCLE-RECENT", "aadc01.lab.example.com")] == "pass"
    assert sorted(k[0] for k, v in now.items() if v == "fail") == [
        "AADC-CONNECTOR-SCHEMA-EXCHANGE", "AADC-CONNECTOR-SCHEMA-REFRESHED"]


def test_a_gathered_bundle_replays_as_of_its_recording(tmp_path: Path, today) -> None:
    facts = tmp_path / "facts.json"
    gather = subprocess.run([sys.executable, "-m", "checker", "gather", str(DEMO), "-o",
                             str(facts)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert gather.returncode == 0, gather.stderr
    stamps = {row["provenance"]["started_at"]
              for host in json.loads(facts.read_text())["hosts"].values()
              for row in host["facts"]}
    assert max(stamps) <= RECORDED  # re-gathering a snapshot keeps the recorded times
    replay = ("--from-facts", str(facts))
    assert verdicts(tmp_path, str(DEMO), *replay, shift="+400d") == today


def test_a_row_without_provenance_takes_the_document_time() -> None:
    import datetime as dt

    created = dt.datetime(2026, 11, 27, 12, 18, tzinfo=dt.timezone.utc)
    prov = recorded_provenance({"collector": "adsync.scheduler", "provenance": None}, "h", created)
    assert prov.started_at == created
    bad = {"collector": "x", "provenance": {"started_at": "yesterday", "duration_s": "n/a"}}
    assert recorded_provenance(bad, "h", created).started_at == created
