"""What goes to stdout: the console view stays there when reports go to files (a cron job's
log still shows the run), and only a report written to stdout replaces it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
DEMO = str(ROOT / "inventories" / "demo" / "inventory.yml")


def checker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_a_report_to_a_file_keeps_the_console_on_stdout(tmp_path: Path) -> None:
    proc = checker("apply", DEMO, "--report", f"json:{tmp_path}/r.json",
                   "--report", f"html:{tmp_path}/r.html")
    assert proc.returncode == 1
    assert "Summary: " in proc.stdout and "AADC-CONNECTOR-SCHEMA-EXCHANGE" in proc.stdout
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["exit_code"] == 1


def test_a_report_to_stdout_replaces_the_console(tmp_path: Path) -> None:
    proc = checker("apply", DEMO, "--report", "json", "--report", f"junit:{tmp_path}/r.xml")
    assert json.loads(proc.stdout)["summary"]["exit_code"] == 1  # stdout is only the JSON
    dash = checker("apply", DEMO, "--report", "markdown:-")
    assert dash.stdout.startswith("## ") or dash.stdout.startswith("# ")
    assert "Summary: " not in dash.stdout
