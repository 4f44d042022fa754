"""playbooks/gate.yml on the lab estate (Samba AD DC + WSMan/PSRP endpoint), against
`checker apply` on the same estate: the same result set and gate on every scenario, a host
that is down, two DCs of one domain (its objects read once), and the run through
ansible-runner (what AWX executes)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ansible.play import (
    BIN,
    COLLECTIONS,
    REPO,
    ansible_env,
    apply,
    assert_same_run,
    gate,
    gate_exit_code,
    result_set,
)
from tests.lab import estate, samba
from tests.lab.net import lab_ip

pytestmark = pytest.mark.lab
AADC = estate.AADC_NAME


@pytest.fixture(scope="module")
def labs(estate_templates: Path) -> Iterator[Callable[[str], estate.Lab]]:
    """`labs(name)` -> that scenario's estate, started once for this module."""
    root = Path(tempfile.mkdtemp(prefix="checker-gate-"))
    running: dict[str, estate.Lab] = {}

    def get(name: str) -> estate.Lab:
        if name not in running:
            running[name] = estate.up(name, root / name, estate_templates)
        return running[name]

    yield get
    for lab in running.values():
        estate.down(lab.dir)
    shutil.rmtree(root, ignore_errors=True)


def secrets_of(lab: estate.Lab) -> list[str]:
    return [f.read_text() for f in (lab.dir / "credentials").iterdir()]


def assert_no_secret(lab: estate.Lab, *texts: str) -> None:
    for secret in secrets_of(lab):
        for text in texts:
            assert secret not in text


# The whole matrix costs ~20 s a scenario: CI runs the healthy estate, the incident and an
# Exchange scenario; CHECKER_GATE_ALL_SCENARIOS=1 runs every one (all agreed when written).
SCENARIOS = estate.names() if os.environ.get("CHECKER_GATE_ALL_SCENARIOS") else [
    "healthy", "connector-schema-stale", "exchange-no-hybrid"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_gate_and_apply_agree(labs: Any, name: str, tmp_path: Path) -> None:
    lab = labs(name)
    spec = estate.load(name)
    code, cli = apply(lab.inventory, tmp_path / "cli.json")
    proc, play = gate(lab.inventory, tmp_path / "play.json", "-vvv")
    assert code == gate_exit_code(proc) == (1 if spec["expected_failures"] else 0)
    assert sorted({r for r, _, s in result_set(play) if s == "fail"}) == sorted(
        spec["expected_failures"])
    assert_same_run(cli, play)
    assert_no_secret(lab, proc.stdout, proc.stderr, (tmp_path / "play.json").read_text())


def test_vaulted_passwords_bind_to_the_real_estate(labs: Any, tmp_path: Path) -> None:
    """Every password as a real `ansible-vault` value: Ansible decrypts them, checker's LDAP
    and PSRP transports bind with them, and the results are those of `checker apply`."""
    lab = labs("healthy")
    vault_pass = tmp_path / "vault-pass"
    vault_pass.write_text("lab-vault-pw-6120\n")
    doc = yaml.safe_load(lab.inventory.read_text())
    blocks: dict[str, str] = {}
    for group in doc["all"]["children"].values():
        for hostvars in group["hosts"].values():
            path = re.search(r"lookup\('file', '([^']+)'\)", hostvars["ansible_password"])
            assert path, hostvars["ansible_password"]
            marker = hostvars["ansible_password"] = f"VAULTED_{len(blocks)}"
            blocks[marker] = subprocess.run(
                [str(BIN / "ansible-vault"), "encrypt_string", "--vault-password-file",
                 str(vault_pass), Path(path[1]).read_text()],
                check=True, capture_output=True, text=True, env=ansible_env()).stdout
    text = yaml.safe_dump(doc, sort_keys=False)
    for marker, vaulted in blocks.items():
        text = _put_vault(text, marker, vaulted)
    (tmp_path / "inventory.yml").write_text(text)
    code, cli = apply(lab.inventory, tmp_path / "cli.json")
    proc, play = gate(tmp_path / "inventory.yml", tmp_path / "play.json",
                      "--vault-password-file", str(vault_pass))
    assert code == gate_exit_code(proc) == 0
    assert_same_run(cli, play)
    assert_no_secret(lab, proc.stdout, proc.stderr)


def _put_vault(text: str, marker: str, vaulted: str) -> str:
    """Replace `key: MARKER` by the `!vault |` block, indented under the key."""
    line = next(ln for ln in text.splitlines() if ln.rstrip().endswith(marker))
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    body = vaulted.strip().splitlines()
    block = line.replace(marker, body[0]) + "".join(f"\n{indent}{b.strip()}" for b in body[1:])
    return text.replace(line, block)


def test_a_host_that_is_down_is_error_in_both(labs: Any, tmp_path: Path) -> None:
    lab = labs("healthy")
    with socket.socket() as s:  # a port nothing listens on: the sync server is down
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    doc = yaml.safe_load(lab.inventory.read_text())
    doc["all"]["children"]["aadconnect"]["hosts"][AADC]["ansible_port"] = closed
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
    code, cli = apply(inventory, tmp_path / "cli.json")
    proc, play = gate(inventory, tmp_path / "play.json")
    assert code == gate_exit_code(proc) == 2
    assert_same_run(cli, play)
    by_host = {h: {s for _, host, s in result_set(play) if host == h} for h in play["hosts"]}
    assert "error" in by_host[AADC] and not by_host[AADC] & {"pass", "fail"}
    assert by_host[estate.DC_NAME] - {"error", "blocked"}  # the DC is still judged
    # The play says why, per host: the Connect server waits for the DC's Mail Users, so its
    # own per-host task gathers it after the DC (apply's second wave); the evaluate gathers
    # nothing
    waiting = proc.stdout.split("PLAY [Checker gate - gather the hosts that wait for the")[1]
    assert re.search(rf"fatal: \[{re.escape(AADC)} -> localhost\]: FAILED! => .*"
                     r"\d+ of \d+ fact\(s\) could not be gathered", waiting)
    assert '"gather_errors": {}' in waiting.split("PLAY [Checker gate - evaluate]")[1]


def test_ansible_runner_runs_the_gate_as_awx_does(
    labs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ansible_runner

    # ansible-runner records the whole process environment in artifacts/*/command; the lab
    # fixtures' own LAB_AD_PASSWORD must not stand in for a leak of ours.
    monkeypatch.delenv("LAB_AD_PASSWORD", raising=False)
    lab = labs("connector-schema-stale")
    code, cli = apply(lab.inventory, tmp_path / "cli.json")
    data = tmp_path / "runner"
    (data / "inventory").mkdir(parents=True)
    # AWX hands a job its synced inventory as an executable that prints the JSON
    # `ansible-inventory --list` made at sync time, template strings unrendered.
    listed = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(lab.inventory), "--list"],
                            check=True, capture_output=True, text=True, env=ansible_env()).stdout
    assert "lookup('file'" in listed
    (tmp_path / "synced.json").write_text(listed)
    script = data / "inventory" / "hosts"
    script.write_text(f"#!/bin/sh\ncat {tmp_path / 'synced.json'}\n")
    script.chmod(0o755)
    report = tmp_path / "play.json"
    run = ansible_runner.run(
        private_data_dir=str(data), project_dir=str(REPO), playbook="playbooks/gate.yml",
        extravars={"checker_report": f"json:{report}"},
        envvars={"ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS)}, quiet=True)
    assert run.status == "failed" and run.rc == 2
    verdicts = [e["event_data"]["res"] for e in run.events
                if e.get("event") == "runner_on_failed"
                and e["event_data"].get("task", "").startswith("Evaluate")]
    assert [(v["exit_code"], v["summary"]["fail"]) for v in verdicts] == [
        (code, cli["summary"]["fail"])]
    assert_same_run(cli, json.loads(report.read_text()))
    artifacts = "".join(p.read_text(errors="replace") for p in (data / "artifacts").rglob("*")
                        if p.is_file())
    assert "Evaluate every rule" in artifacts  # the job events AWX would store
    assert_no_secret(lab, artifacts)


# --- Two DCs of one domain: its objects are read once, by the first DC that reached it -----

NICKNAMES = "mailuser-no-nickname"  # three Mail Users without mailNickname (per-object fails)


@pytest.fixture(scope="module")
def one_domain(lab_templates: samba.Templates,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two DCs of one domain, the second with its own server object and dsServiceName
    (samba.become_second_dc), as an inventory document: dc1 then dc2."""
    root = tmp_path_factory.mktemp("gate-one-domain")
    secret = root / "ad.password"
    secret.write_text(samba.PASSWORD)
    dcs = []
    for n, ip in enumerate((lab_ip(34), lab_ip(35))):
        dc = samba.start_scenario(lab_templates, NICKNAMES, root / f"dc{n}", ip)
        if n:
            dc.stop()
            samba.become_second_dc(dc)
            dc.start()
        dcs.append(dc)
    hosts = {f"dc{n + 1}": {"ansible_host": dc.ip, "checker_ldap_ca_file": str(dc.ca_file)}
             for n, dc in enumerate(dcs)}
    yield {"all": {"children": {"domain_controllers": {"hosts": hosts, "vars": {
        "ansible_connection": "ldap", "ansible_user": samba.ADMIN,
        "ansible_password": f"{{{{ lookup('file', '{secret}') }}}}"}}}}}
    for dc in dcs:
        dc.stop()


def _both(doc: dict[str, Any], tmp_path: Path) -> tuple[int, dict[str, Any], dict[str, Any],
                                                        subprocess.CompletedProcess[str]]:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
    code, cli = apply(inventory, tmp_path / "cli.json")
    proc, play = gate(inventory, tmp_path / "play.json")
    assert_same_run(cli, play)
    assert "Traceback" not in proc.stdout + proc.stderr and samba.PASSWORD not in proc.stdout
    return code, cli, play, proc


def _failed_objects(doc: dict[str, Any]) -> list[str]:
    return sorted(o for r in doc["results"] for o in r.get("failed_objects") or ())


def test_two_dcs_of_one_domain_read_it_once(one_domain: dict[str, Any], tmp_path: Path) -> None:
    code, cli, play, proc = _both(one_domain, tmp_path)
    assert code == gate_exit_code(proc) == 1
    rows = {(r["rule_id"], r["host"]): r for r in play["results"]}
    assert rows[("EXCH-MAILUSER-NICKNAME", "dc1")]["status"] == "fail"
    skipped = rows[("EXCH-MAILUSER-NICKNAME", "dc2")]
    assert skipped["status"] == "skipped"
    assert "dc1 reads it for the domain lab.example.com" in skipped["message"]
    assert _failed_objects(play) == _failed_objects(cli) == [
        "nonick000", "nonick001", "nonick002"]  # each one once, not once per DC
    assert not [r for r in play["results"] if r["status"] == "error"]


def test_the_first_dc_down_leaves_the_domain_to_the_second(
        one_domain: dict[str, Any], tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on: dc1 is down
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    doc = json.loads(json.dumps(one_domain))
    doc["all"]["children"]["domain_controllers"]["hosts"]["dc1"].update(
        ansible_host="127.0.0.1", ansible_port=closed)
    code, _, play, proc = _both(doc, tmp_path)
    assert code == gate_exit_code(proc) == 1
    on_dc1 = {s for _, host, s in result_set(play) if host == "dc1"}
    assert "error" in on_dc1 and not on_dc1 & {"pass", "fail"}
    assert ("EXCH-MAILUSER-NICKNAME", "dc2", "fail") in result_set(play)
    assert _failed_objects(play) == ["nonick000", "nonick001", "nonick002"]
