"""The CLI as a user runs it: the demo, plan, validate, schema, gather/replay, reports."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).parent.parent.parent
DEMO = ROOT / "inventories" / "demo" / "inventory.yml"


def checker(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_demo_shows_the_incident_and_exits_1(tmp_path: Path) -> None:
    proc = checker("apply", str(DEMO), "--report", "console",
                   "--report", f"json:{tmp_path}/r.json", "--report", f"junit:{tmp_path}/r.xml")
    assert proc.returncode == 1, proc.stderr
    assert "AADC-CONNECTOR-SCHEMA-EXCHANGE" in proc.stdout
    assert "Start-ADSyncSyncCycle -PolicyType Initial" in proc.stdout
    assert "Refresh the directory schema" in proc.stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    assert set(doc["summary"]) >= {"pass", "fail", "error", "skipped", "blocked", "waived",
                                   "exit_code"}
    assert doc["summary"]["exit_code"] == 1
    row = next(r for r in doc["results"] if r["rule_id"] == "AADC-CONNECTOR-SCHEMA-EXCHANGE")
    assert row["status"] == "fail" and row["severity"] == "critical"
    assert [t["kind"] for t in row["remediation"]] == ["manual", "powershell"]
    plan = doc["remediation_plan"]["aadc01.lab.example.com"]
    assert plan[0]["kind"] == "manual" and "Refresh" in plan[0]["name"]
    assert "Start-ADSyncSyncCycle -PolicyType Initial" in plan[1]["script"]
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) >= 2


def test_plan_contacts_nothing_and_lists_distinct_facts() -> None:
    proc = checker("plan", str(DEMO))
    assert proc.returncode == 0, proc.stderr
    assert "adsync.connectors" in proc.stdout and "nothing is contacted" in proc.stdout


@pytest.mark.parametrize(("what", "second"), [("rules", " critical "),
                                              ("collectors", " ldap ")])
def test_list_keeps_its_columns_aligned(what: str, second: str) -> None:
    """The second column starts at one offset on every line (a 43-character rule id,
    AADC-EXCHANGE-ATTRIBUTES-IN-CONNECTOR-SPACE, used to push its row out of line)."""
    proc = checker("list", what)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) > 10
    starts = {len(line) - len(line.split(" ", 1)[1].lstrip()) for line in lines}
    assert len(starts) == 1, lines
    assert any(second in line for line in lines)


def test_validate_the_shipped_rules() -> None:
    proc = checker("validate", "rules", "-i", str(DEMO))
    assert proc.returncode == 0, proc.stderr
    assert "rule(s) valid" in proc.stdout


def test_generated_schema_accepts_every_shipped_rule() -> None:
    proc = checker("schema", "rules")
    schema = json.loads(proc.stdout)
    for f in sorted((ROOT / "rules").rglob("*.yml")):
        if f.name == "profiles.yml":
            continue
        jsonschema.validate(yaml.safe_load(f.read_text()), schema)


def test_gather_then_replay_gives_the_same_results(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    proc = checker("gather", str(DEMO), "-o", str(facts), "--rule", "AADC-SUPPORTED-BUILD")
    assert proc.returncode == 0, proc.stderr
    replay = checker("apply", str(DEMO), "--from-facts", str(facts), "--rule",
                     "AADC-SUPPORTED-BUILD", "--report", f"json:{tmp_path}/r.json")
    assert replay.returncode == 0, replay.stdout + replay.stderr
    rows = json.loads((tmp_path / "r.json").read_text())["results"]
    assert [(r["rule_id"], r["status"]) for r in rows] == [("AADC-SUPPORTED-BUILD", "pass")]
    prov = rows[0]["facts"][0]
    assert prov["collector"] == "adsync.global_settings" and prov["host"] == "aadc01.lab.example.com"


def test_usage_errors_exit_3() -> None:
    assert checker("apply").returncode == 3
    assert checker("apply", str(DEMO), "--report", "pdf").returncode == 3
    assert checker("apply", str(DEMO), "--rule", "NO-SUCH-RULE").returncode == 3
    assert checker("apply", str(DEMO), "--limit", "nohost").returncode == 3


def test_fail_on_and_profiles_gate_the_exit_code(tmp_path: Path) -> None:
    # the demo fails a critical rule and a high one
    assert checker("apply", str(DEMO), "--fail-on", "critical").returncode == 1
    high_only = ["--rule", "AADC-CONNECTOR-SCHEMA-REFRESHED", "--report", f"json:{tmp_path}/r.json"]
    assert checker("apply", str(DEMO), *high_only).returncode == 1
    gated = checker("apply", str(DEMO), *high_only, "--fail-on", "critical")
    assert gated.returncode == 0, gated.stdout  # a high fail under a critical gate
    row = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert row["status"] == "fail"  # still reported
    incident = checker("apply", str(DEMO), "--profile", "incident", "--report",
                       f"json:{tmp_path}/p.json")
    rules = {r["rule_id"] for r in json.loads((tmp_path / "p.json").read_text())["results"]}
    assert incident.returncode == 1 and "HYG-UPN-FORMAT" not in rules
    assert "AADC-CONNECTOR-SCHEMA-EXCHANGE" in rules
    assert checker("apply", str(DEMO), "--profile", "nope").returncode == 3


def test_insecure_settings_warn_on_stderr_and_in_the_report(tmp_path, monkeypatch, capsys):
    """The transport hook: every insecure setting a transport names is a warning on stderr and
    in the report's warnings, on every run (a fake transport names one for its host)."""
    import json as _json

    from checker.transports import base
    from checker.transports.snapshot import SnapshotTransport

    class Loud(SnapshotTransport):
        @classmethod
        def insecure_settings(cls, hostvars):
            return ["checker_demo_insecure: true sends the password in clear text"]

    monkeypatch.setitem(base.transports._items, "snapshot", Loud)
    out = tmp_path / "r.json"
    from checker.cli import main

    code = main(["apply", str(DEMO), "--report", f"json:{out}"])
    err = capsys.readouterr().err
    assert code in (0, 1)
    assert "warning: host aadc01.lab.example.com: checker_demo_insecure: true sends" in err
    warnings = _json.loads(out.read_text())["warnings"]
    assert any("checker_demo_insecure" in w for w in warnings)


def test_an_insecure_setting_warning_on_stderr_is_one_inert_line(tmp_path, monkeypatch, capsys):
    """The stderr warning names the host as the inventory spells it: its escape sequences
    reached the terminal and a line break in it printed a line that read as checker's."""
    from checker.transports import base
    from checker.transports.snapshot import SnapshotTransport

    class Loud(SnapshotTransport):
        @classmethod
        def insecure_settings(cls, hostvars):
            return ["clear text\x1b]0;PWNED\x07\r\nSummary: 0 fail. Exit code 0."]

    monkeypatch.setitem(base.transports._items, "snapshot", Loud)
    from checker.cli import main

    main(["apply", str(DEMO), "--report", f"json:{tmp_path / 'r.json'}"])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert not [line for line in err.splitlines() if line.startswith("Summary")], err


def test_a_reader_that_goes_away_does_not_turn_the_run_into_an_error(tmp_path: Path) -> None:
    """`checker ... | head`: the run finishes, writes its file reports and keeps its verdict."""
    for args, code in ((["schema", "rules"], 0),
                       (["apply", str(DEMO), "--report", "json", "--report",
                         f"json:{tmp_path}/r.json"], 1)):
        proc = subprocess.Popen([sys.executable, "-m", "checker", *args], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(10)
        proc.stdout.close()  # the reader is gone before checker has written everything
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == code, err
        assert "internal error" not in err and "BrokenPipe" not in err
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["exit_code"] == 1
