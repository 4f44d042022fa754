"""The generated playbook under the real ansible-playbook and ansible-lint.

A playbook generated from hostile directory data runs for real against hosts Ansible reaches
locally (`ansible_connection: local`), with ansible.windows.win_powershell swapped for a
module that echoes its script (no PowerShell on a Linux controller): no lookup runs, every
value arrives verbatim, the domain controller (`ansible_connection: ldap`) is never
connected to (its tasks run on `checker_ad_management_host`), and a manual step stops the
non-interactive run unless `-e checker_confirm_manual=true` confirms it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from checker.remediation.render import write_remediation
from tests.ansible_yaml import load_playbook
from tests.hostile_estate import build, payload

LIBRARY = Path(__file__).parent.parent / "data" / "ansible_library"
DC = "dc01,aadc01*"  # pattern characters: the play must still target only this host
AADC = "aadc01"


def _tool(name: str) -> str:
    exe = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: pip install '.[dev]' installs it")
        pytest.skip(f"{name} is not installed (dev extra)")
    return exe


def _estate(work: Path, evil: str) -> Path:
    prepared, report = build(work, evil, "s3cr\\et'pw&<x>", DC, AADC)
    write_remediation(report, work / "out", prepared.redactor, {DC: "ldap", AADC: "psrp"})
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {AADC: local, "mgmt": local, "bystander": local,
             DC: {"ansible_connection": "ldap", "checker_ad_management_host": "mgmt"}}
    (work / "ansible.cfg").write_text("[defaults]\n")  # ours, not one from the environment
    (work / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    text = (work / "out" / "playbook.yml").read_text(encoding="utf-8")
    (work / "run.yml").write_text(text.replace("ansible.windows.win_powershell:",
                                               "win_powershell_echo:"), encoding="utf-8")
    return work


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("hostile-playbook")
    return _estate(work, payload(work / "PWNED"))


def _play(work: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_LIBRARY": str(LIBRARY), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_STDOUT_CALLBACK": "json", "ANSIBLE_CONFIG": str(work / "ansible.cfg"),
           "ANSIBLE_LOCAL_TEMP": str(work / ".ansible-tmp")}
    return subprocess.run([_tool("ansible-playbook"), "-i", "hosts.yml", "run.yml", *extra],
                          cwd=work, capture_output=True, text=True, timeout=180, env=env,
                          stdin=subprocess.DEVNULL)


def _results(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    return {task["task"]["name"]: task["hosts"] for play in doc["plays"]
            for task in play["tasks"]}


def test_hostile_playbook_runs_and_executes_nothing(hostile: Path) -> None:
    proc = _play(hostile, "-e", "checker_confirm_manual=true")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert not (hostile / "PWNED").exists()
    plays = load_playbook((hostile / "out" / "playbook.yml").read_text(encoding="utf-8"))
    wanted = {t["name"]: t["ansible.windows.win_powershell"]["script"]
              for p in plays for t in p["tasks"] if "ansible.windows.win_powershell" in t}
    ran = _results(proc)
    assert len(wanted) == 2
    for name, script in wanted.items():
        hosts = ran[name]
        assert list(hosts) in ([AADC], [DC])
        assert next(iter(hosts.values()))["script"] == script  # verbatim, never templated
    assert "ldap" not in proc.stderr  # the DC's own connection was never used


def test_manual_step_stops_a_non_interactive_run(hostile: Path) -> None:
    proc = _play(hostile)
    assert proc.returncode != 0
    assert "was not confirmed" in proc.stdout
    assert not (hostile / "PWNED").exists()
    ran = _results(proc)
    assert not [n for n in ran if n.startswith("Step 2:")]  # nothing after the manual step


def test_ansible_lint_production_profile(tmp_path: Path) -> None:
    work = _estate(tmp_path, "forest.example.com")
    proc = subprocess.run([_tool("ansible-lint"), "--offline", "--profile", "production",
                           "--nocolor", "playbook.yml"], cwd=work / "out", capture_output=True,
                          text=True, timeout=300, env={**os.environ, "NO_COLOR": "1",
                                                       "ANSIBLE_CONFIG": str(work / "ansible.cfg")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
