"""--remediation-out DIR: symlinks are replaced, never followed; file names never collide
(case-insensitively either) and fit NAME_MAX; the last run's files that this run does not
write again are removed; plan files no manifest explains are refused before anything runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.redact import Redactor
from checker.remediation.outdir import MANIFEST, RemediationOutError, write_files
from checker.remediation.render import render_files
from checker.remediation.text import NAME_MAX, file_stems
from checker.results import RenderedTask, Result, RunReport, Severity, Status

ROOT = Path(__file__).parent.parent.parent
DEMO = ROOT / "inventories" / "demo" / "inventory.yml"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _report(*hosts: str) -> RunReport:
    rows = tuple(Result("R-1", h, Status.FAIL, Severity.HIGH, "t", "m", remediation=(
        RenderedTask("Fix it", "powershell", "R-1", h, script="Write-Output 1"),)) for h in hosts)
    return RunReport(T0, T0, "inv.yml", rows)


def test_symlinks_in_dir_are_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps(["plan.md", "h1.ps1"]))
    for name in ("plan.md", "h1.ps1", "playbook.yml"):
        (out / name).symlink_to(victim)
    write_files(out, render_files(_report("h1"), Redactor(), {}))
    assert victim.read_text() == "keep"
    for name in ("plan.md", "h1.ps1", "playbook.yml"):
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0


def test_colliding_and_long_names_get_distinct_short_stems() -> None:
    hosts = ["DC1", "dc1", "a/b", "a_b", "a:b", "CON", "con.example.com", ".hidden", "..",
             "x" * 300, "x" * 300 + "y", "é.example"]
    stems = file_stems(hosts, ".ps1")
    names = [stems[h] + ".ps1" for h in hosts]
    assert len({n.casefold() for n in names}) == len(hosts)
    assert all(len(n.encode()) <= NAME_MAX and n.isascii() for n in names)
    assert all(not n.startswith(".") and n.split(".")[0].upper() not in ("CON", "NUL")
               for n in names)
    assert stems["a_b"] == "a_b" and stems["a/b"] != "a_b"


def test_a_hashed_name_that_is_another_hosts_name_is_hashed_again(tmp_path: Path) -> None:
    """`a b` becomes `a_b-<hash>`; a host really named so, and one named like its new stem,
    used to share a script with it (one host's plan overwrote the other's)."""
    first = file_stems(["a b"], ".ps1")["a b"]
    second = file_stems(["a b", first], ".ps1")[first]
    hosts = ["a b", first, second]
    stems = file_stems(hosts, ".ps1")
    assert len({stem.casefold() for stem in stems.values()}) == 3
    write_files(tmp_path, render_files(_report(*hosts), Redactor(), {}))
    assert len(list(tmp_path.glob("*.ps1"))) == 3


def test_hosts_colliding_case_insensitively_write_two_scripts(tmp_path: Path) -> None:
    files = render_files(_report("DC1", "dc1", "x" * 400), Redactor(), {})
    write_files(tmp_path, files)
    assert len(list(tmp_path.glob("*.ps1"))) == 3
    md = (tmp_path / "plan.md").read_text()
    assert all(name in md.replace("\\", "") for name in files if name.endswith(".ps1"))


def test_stale_files_of_the_last_run_are_removed(tmp_path: Path) -> None:
    write_files(tmp_path, render_files(_report("h1", "h2"), Redactor(), {}))
    (tmp_path / "notes.txt").write_text("mine")
    write_files(tmp_path, render_files(_report("h2"), Redactor(), {}))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        MANIFEST, "h2.ps1", "notes.txt", "plan.md", "playbook.yml"]
    write_files(tmp_path, render_files(_report(), Redactor(), {}))
    assert not list(tmp_path.glob("*.ps1"))
    assert "Nothing to do" in (tmp_path / "plan.md").read_text()


def test_a_tampered_manifest_never_removes_outside_dir(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "precious.ps1").write_text("keep")
    (out / MANIFEST).write_text(json.dumps(["../precious.ps1", "/etc/passwd", ".bashrc"]))
    write_files(out, render_files(_report("h1"), Redactor(), {}))
    assert (tmp_path / "precious.ps1").read_text() == "keep"


def test_plan_files_without_a_manifest_are_refused(tmp_path: Path) -> None:
    (tmp_path / "old-host.ps1").write_text("Write-Output 'from someone else'")
    with pytest.raises(RemediationOutError, match=r"old-host\.ps1"):
        write_files(tmp_path, render_files(_report("h1"), Redactor(), {}))
    assert (tmp_path / "old-host.ps1").exists() and not (tmp_path / "plan.md").exists()


def test_cli_refuses_a_foreign_dir_before_running(tmp_path: Path) -> None:
    (tmp_path / "plan.md").write_text("someone's plan")
    proc = subprocess.run([sys.executable, "-m", "checker", "apply", str(DEMO), "--tags",
                           "incident", "--remediation-out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 3, proc.stderr
    assert "plan.md" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "plan.md").read_text() == "someone's plan"
    assert proc.stdout == ""  # refused before the run: no report
