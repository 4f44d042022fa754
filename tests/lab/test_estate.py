"""The whole estate (Samba DC + WSMan/PSRP endpoint) per scenario, through `checker apply`:
exactly the expected failing rules and remediation tasks; the incident's plan; opt-in
remediation turning it green; and a default run that changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ldap3
import pytest

from tests.lab import estate, samba

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]
# The Connect server's time zone changes nothing in a verdict. The whole matrix runs west of
# UTC; the scenarios whose verdicts turn on times also run east of it.
WEST, EAST = "America/Los_Angeles", "Asia/Tokyo"
TIME_BOUND = ["healthy", "connector-schema-stale", "no-full-sync-after-refresh",
              "full-sync-purged", "cycle-in-progress", "two-forests-one-stale"]
MATRIX = [(n, WEST) for n in estate.names()] + [(n, EAST) for n in TIME_BOUND]


@pytest.fixture
def lab(estate_templates: Path, tmp_path: Path) -> Iterator[Any]:
    started: list[Path] = []

    def up(name: str, timezone: str | None = None) -> estate.Lab:
        folder = tmp_path / name
        started.append(folder)
        return estate.up(name, folder, estate_templates, timezone)

    yield up
    for folder in started:
        estate.down(folder)


def checker(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=300)


def apply(lab: estate.Lab, *args: str) -> tuple[int, dict[str, Any], str]:
    out = lab.dir / "report.json"
    proc = checker("apply", str(lab.inventory), "--report", f"json:{out}", *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(out.read_text()), proc.stdout


def statuses(doc: dict[str, Any], status: str) -> list[str]:
    return sorted({r["rule_id"] for r in doc["results"] if r["status"] == status})


@pytest.mark.parametrize(("name", "zone"), MATRIX, ids=[f"{n}@{z}" for n, z in MATRIX])
def test_scenario_gives_exactly_its_failures_and_tasks(lab: Any, name: str, zone: str) -> None:
    spec = estate.load(name)
    env = lab(name, zone)
    code, doc, _ = apply(env)
    assert statuses(doc, "fail") == sorted(spec["expected_failures"])
    assert statuses(doc, "error") == []
    tasks = {h: [t["name"] for t in ts] for h, ts in doc["remediation_plan"].items()}
    assert tasks == (spec["expected_tasks"] or {})
    assert set(spec.get("expected_blocked", [])) <= set(statuses(doc, "blocked"))
    assert set(spec.get("expected_skipped", [])) <= set(statuses(doc, "skipped"))
    assert set(spec.get("expected_pass", [])) <= set(statuses(doc, "pass"))
    rows = {r["rule_id"]: r for r in doc["results"]}
    for rule, objects in (spec.get("expected_offenders") or {}).items():
        assert sorted(o["object"] for o in rows[rule]["offenders"]) == objects
    for rule, note in (spec.get("expected_notes") or {}).items():
        assert any(note in n for n in rows[rule].get("notes", [])), rows[rule]
    steps = " ".join(t.get("steps") or t.get("script") or ""
                     for ts in doc["remediation_plan"].values() for t in ts)
    for text in spec.get("expected_in_plan", []):
        assert text in " ".join(steps.split()), steps
    for text in spec.get("expected_not_in_plan", []):
        assert text not in " ".join(steps.split()), steps
    assert code == (1 if spec["expected_failures"] else 0)
    if name == "healthy":
        assert doc["summary"]["fail"] == 0 and doc["summary"]["error"] == 0


def test_incident_plan_refresh_then_full_sync(lab: Any) -> None:
    env = lab("connector-schema-stale")
    out = env.dir / "plan"
    code, _, _ = apply(env, "--remediation-out", str(out))
    assert code == 1
    md = (out / "plan.md").read_text()
    assert md.index("Refresh the directory schema") < md.index(
        "Start-ADSyncSyncCycle -PolicyType Initial")
    assert "DirectorySyncClientCmd" not in md
    assert (out / "aadc01.lab.example.com.ps1").is_file() and (out / "playbook.yml").is_file()


def test_incident_plan_on_a_legacy_build(lab: Any) -> None:
    """A retired build: the upgrade first, then the refresh, then the upgraded build's full
    sync (the legacy DirectorySyncClientCmd.exe is no remedy on a build that no longer
    synchronizes)."""
    env = lab("connector-schema-stale-legacy")
    out = env.dir / "plan"
    _, report, _ = apply(env, "--remediation-out", str(out))
    md = (out / "plan.md").read_text()
    assert md.index("Upgrade Entra Connect Sync") < md.index("Refresh the directory schema") \
        < md.index("Start-ADSyncSyncCycle -PolicyType Initial")
    # the build's own legacy command is named, and why it is not the remedy; nothing runs it
    assert "DirectorySyncClientCmd.exe\" Initial" in md and "not the remedy" in md
    runnable = [t for tasks in report["remediation_plan"].values() for t in tasks
                if t["kind"] != "manual"]
    assert not any("DirectorySyncClientCmd" in t.get("script", "")
                   for t in runnable)


def test_remediate_turns_the_incident_green(lab: Any) -> None:
    env = lab("connector-schema-stale")
    estate.refresh_schema(env.dir)  # the admin's manual wizard step
    code, before, _ = apply(env)
    # the refresh brought the attributes into the schema, not yet into the connector space
    assert statuses(before, "fail") == ["AADC-EXCHANGE-ATTRIBUTES-IN-CONNECTOR-SPACE",
                                        "AADC-FULL-SYNC-AFTER-REFRESH"]
    code, after, stdout = apply(env, "--remediate", "--yes")
    assert code == 0, stdout
    assert statuses(after, "fail") == []
    ran = after["remediation"]["tasks"]
    assert [(t["name"], t["status"]) for t in ran] == [("Run a full synchronization", "done")]
    assert after["remediation"]["before"]["AADC-FULL-SYNC-AFTER-REFRESH@aadc01.lab.example.com"] == "fail"
    assert "Before and after" in stdout
    assert "AADC-FULL-SYNC-AFTER-REFRESH" in stdout and "fail -> pass" in stdout
    journal = (env.dir / "psrp-journal.log").read_text()
    assert "Start-ADSyncSyncCycle -PolicyType Initial" in journal


def test_remediate_without_confirmation_runs_nothing(lab: Any) -> None:
    env = lab("no-full-sync-after-refresh")
    proc = checker("apply", str(env.inventory), "--remediate", stdin="no\n")
    assert proc.returncode == 3  # not interactive and no --yes: refused before anything
    assert not (env.dir / "psrp-journal.log").exists()


def _usn(env: estate.Lab) -> int:
    state = env.state()
    dc = samba.SambaDC(Path(state["dc"]["root"]), state["dc"]["ip"])
    conn: Any = dc.admin_connection()
    conn.search("", "(objectClass=*)", ldap3.BASE, attributes=["highestCommittedUSN"])
    usn = int(conn.entries[0]["highestCommittedUSN"].value)
    conn.unbind()
    return usn


def test_default_run_is_read_only(lab: Any) -> None:
    env = lab("connector-schema-stale")
    usn = _usn(env)
    code, _, _ = apply(env, "--remediation-out", str(env.dir / "plan"))
    assert code == 1
    proc = checker("gather", str(env.inventory), "-o", str(env.dir / "facts.json"))
    assert proc.returncode == 0, proc.stderr
    assert _usn(env) == usn  # the directory did not change
    assert not (env.dir / "psrp-journal.log").exists()  # nor did the sync server
    assert not (env.dir / "exchange-journal.log").exists()  # nor the Exchange organization


def test_lab_command_up_list_down(estate_templates: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = [sys.executable, "-m", "tests.lab"]
    listing = subprocess.run([*run, "list"], capture_output=True, text=True, env=env, cwd=REPO)
    assert "connector-schema-stale" in listing.stdout
    folder = tmp_path / "cli"
    up = subprocess.run([*run, "up", "--scenario", "healthy", "--dir", str(folder),
                         "--templates", str(estate_templates)],
                        capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    try:
        assert up.returncode == 0, up.stderr
        assert samba.PASSWORD not in (folder / "inventory.yml").read_text()
        proc = checker("apply", str(folder / "inventory.yml"))
        assert proc.returncode == 0, proc.stdout
    finally:
        subprocess.run([*run, "down", "--dir", str(folder)], env=env, cwd=REPO, timeout=120)
    assert not (folder / "lab.json").exists()


def test_remediate_runs_exchange_cmdlets_as_commands(lab: Any) -> None:
    """MRSProxy off -> --remediate sends Set-WebServicesVirtualDirectory through the
    NoLanguage Microsoft.Exchange endpoint as a command (a script would be refused)."""
    env = lab("exchange-mrsproxy-off")
    code, after, stdout = apply(env, "--remediate", "--yes")
    assert code == 0, stdout
    assert [(t["name"], t["status"]) for t in after["remediation"]["tasks"]] == [
        ("Enable MRSProxy on EX01\\EWS (Default Web Site)", "done")]
    journal = (env.dir / "exchange-journal.log").read_text()
    assert "Set-WebServicesVirtualDirectory -Identity EX01\\EWS (Default Web Site) " \
           "-MRSProxyEnabled True" in journal
    assert not (env.dir / "psrp-journal.log").exists()  # nothing else was changed
