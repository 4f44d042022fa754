"""Run playbooks/gate.yml with the real ansible-playbook, and compare it with `checker apply`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GATE = REPO / "playbooks" / "gate.yml"
COLLECTIONS = REPO / "collections"
BIN = Path(sys.executable).parent


def ansible_env(collections: Path = COLLECTIONS, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    return {**env, "ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_LOCAL_TEMP": str(Path(os.environ.get("TMPDIR", "/tmp")) / "checker-ansible"),
            **extra}


def playbook(inventory: Path, *args: str, playbook: Path = GATE, cwd: Path = REPO,
             env: dict[str, str] | None = None, timeout: float = 300,
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook), *args],
        cwd=cwd, env=env or ansible_env(), capture_output=True, text=True, timeout=timeout)


def gate(inventory: Path, report: Path, *args: str, **kw: Any,
         ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = playbook(inventory, "-v", "-e", f"checker_report=json:{report}", *args, **kw)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    doc = json.loads(report.read_text()) if report.is_file() else {}
    return proc, doc


def apply(inventory: Path, report: Path, *args: str, cwd: Path = REPO,
          ) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "apply", str(inventory), "--report", f"json:{report}",
         *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(report.read_text())


def result_set(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((r["rule_id"], r["host"], r["status"]) for r in doc["results"])


def gate_exit_code(proc: subprocess.CompletedProcess[str]) -> int:
    """The evaluate task's exit code, from its message in the play output (a passing task
    shows it from -v on; a failing one always)."""
    marker = "; exit code "
    tail = proc.stdout.rsplit(marker, 1)
    assert len(tail) == 2, proc.stdout + proc.stderr
    return int(tail[1][0])


def assert_same_run(cli: dict[str, Any], play: dict[str, Any]) -> None:
    """The playbook's JSON report keeps the contract of `checker apply`'s."""
    assert result_set(play) == result_set(cli)
    assert play["summary"] == cli["summary"]
    assert set(play) == set(cli)
    assert set(play["results"][0]) == set(cli["results"][0])
    assert play["remediation_plan"] == cli["remediation_plan"]
    assert play["hosts"] == cli["hosts"]
