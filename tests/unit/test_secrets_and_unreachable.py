"""A secret never reaches stdout, stderr, the reports or the saved snapshot, and an
unreachable host gives `error` rows and exit 2 (a closed port on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from tests.estate import fact_row

SECRET = "Tr0ub4dor&3-do-not-leak"


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now: connections are refused
    return port


def test_secret_never_leaks_and_unreachable_is_error(tmp_path: Path) -> None:
    port = closed_port()
    # A recorded host whose facts happen to contain the secret: redaction must mask it.
    facts = {"format": "checker-facts/1", "hosts": {"aadc-rec": {"facts": [
        fact_row("adsync.global_settings", {"version": "2.5.79.0", "hybrid_exchange": True,
                                            "parameters": {"leaked": f"pw={SECRET}"}})]}}}
    (tmp_path / "facts.json").write_text(json.dumps(facts))
    secret_var = "{{ lookup('env', 'CHECKER_SECRET') }}"
    inv = {"all": {"children": {
        "aadconnect": {"hosts": {
            "aadc-live": {"ansible_connection": "psrp", "ansible_host": "127.0.0.1",
                          "ansible_port": port, "ansible_psrp_protocol": "http",
                          "ansible_psrp_auth": "ntlm", "ansible_user": "LAB\\svc",
                          "ansible_password": secret_var, "ansible_psrp_connection_timeout": 5},
            "aadc-rec": {"ansible_connection": "snapshot", "checker_facts_file": "facts.json",
                         "ansible_password": secret_var}}},
        "domain_controllers": {"hosts": {
            "dc-live": {"ansible_connection": "ldap", "ansible_host": "127.0.0.1",
                        "checker_ldap_url": f"ldap://127.0.0.1:{port}",
                        "ansible_user": "Administrator@lab.example.com",
                        "ansible_password": secret_var}}}}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inv))
    rules = [{"id": "T-VERSION", "title": "version", "severity": "high", "hosts": "aadconnect",
              "facts": {"adsync": "adsync.global_settings"},
              "expect": [{"key": "adsync.parameters", "op": "empty", "value": True,
                          "msg": "parameters: {{ adsync.parameters }}"}]},
             {"id": "T-SCHEMA", "title": "schema", "severity": "high",
              "hosts": "domain_controllers", "facts": {"x": "ad.exchange_schema"},
              "expect": [{"key": "x.present", "op": "eq", "value": True}]}]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    env = {**os.environ, "CHECKER_SECRET": SECRET}
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "apply", "inventory.yml", "-r", "rules.yml", "-v",
         "--timeout", "20", "--report", "console", "--report", "json:out.json",
         "--report", "junit:out.xml", "--save-facts", "saved.json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the recorded fail wins over errors
    outputs = [proc.stdout, proc.stderr] + [
        (tmp_path / f).read_text() for f in ("out.json", "out.xml", "saved.json")
    ]
    for text in outputs:
        assert SECRET not in text
    assert "pw=********" in (tmp_path / "out.json").read_text()  # redaction did happen
    report = json.loads((tmp_path / "out.json").read_text())
    status = {(r["rule_id"], r["host"]): r["status"] for r in report["results"]}
    assert status == {("T-VERSION", "aadc-live"): "error", ("T-VERSION", "aadc-rec"): "fail",
                      ("T-SCHEMA", "dc-live"): "error"}
    assert "Traceback" not in proc.stderr


def test_unreachable_alone_exits_2(tmp_path: Path) -> None:
    inv = {"all": {"children": {"aadconnect": {"hosts": {"aadc1": {
        "ansible_connection": "psrp", "ansible_host": "127.0.0.1", "ansible_port": closed_port(),
        "ansible_psrp_protocol": "http", "ansible_psrp_auth": "ntlm", "ansible_user": "u",
        "ansible_password": "p"}}}}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inv))
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "apply", "inventory.yml", "--rule",
         "AADC-SUPPORTED-BUILD", "--report", "json:out.json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ}, check=False,
    )
    # run from tmp_path: the bundled rule packs are used (no ./rules here)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "out.json").read_text())["summary"]
    assert summary["error"] == 1 and summary["pass"] == 0 and summary["exit_code"] == 2
