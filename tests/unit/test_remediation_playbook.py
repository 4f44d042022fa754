"""The generated playbook under the real ansible-playbook and ansible-lint.

A playbook generated from hostile directory data runs for real against hosts Ansible reaches
locally (`ansible_connection: local`), with ansible.windows.win_powershell swapped for a
module that echoes its script (no PowerShell on a Linux controller): no lookup runs, every
value arrives verbatim, the domain controller (`ansible_connection: ldap`) is never
connected to (its tasks run on `checker_ad_management_host`), and a manual step stops the
non-interactive run unless `-e checker_confirm_manual=true` confirms it.

Exchange hosts are in the inventory by their restricted endpoint (Microsoft.Exchange at
/PowerShell/, NoLanguage), which no Ansible module can run through. Their plays reach them
through a connection plugin that takes the psrp plugin's own option table and runs locally
(written by the test: no Windows here), so ansible-playbook resolves the same connection
variables it would for psrp, and the plugin records what it resolved.
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

from checker.inventory.loader import load_inventory
from checker.remediation.kinds import script_of
from checker.remediation.render import restricted_hosts, write_remediation
from checker.results import RunReport
from checker.runner import Options, prepare, run
from tests.ansible_yaml import load_playbook
from tests.estate import MRS_PROXY_RULE, ews_vdir_row, write_estate, write_rules
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
           "ANSIBLE_LOCAL_TEMP": str(work / ".ansible-tmp"),
           "ANSIBLE_CONNECTION_PLUGINS": str(work / "connection_plugins"),
           "CHECKER_PROBE_LOG": str(work / "probe.jsonl")}
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
    (tmp_path / "ex").mkdir()
    write_remediation(_exchange_report(tmp_path / "ex", "EX01\\EWS (Default Web Site)"),
                      work / "out" / "ex", None, {}, {"ex01", "ex02"})
    proc = subprocess.run([_tool("ansible-lint"), "--offline", "--profile", "production",
                           "--nocolor", "playbook.yml", "ex/playbook.yml"], cwd=work / "out",
                          capture_output=True,
                          text=True, timeout=300, env={**os.environ, "NO_COLOR": "1",
                                                       "ANSIBLE_CONFIG": str(work / "ansible.cfg")})
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- Exchange: cmdlet tasks on hosts whose inventory endpoint runs commands only ---------

EXCHANGE_VARS = {"ansible_psrp_configuration_name": "Microsoft.Exchange",
                 "ansible_psrp_path": "PowerShell"}
EX1 = {"ansible_port": 80, "ansible_psrp_protocol": "http", **EXCHANGE_VARS}
EX2 = {"ansible_psrp_port": 443, "ansible_psrp_protocol": "https", "checker_winrm_port": 15986,
       **EXCHANGE_VARS}
PROBE = """\
import json
import os

from ansible.plugins.connection.local import Connection as Local

DOCUMENTATION = {doc!r}
RECORDED = ("remote_addr", "configuration_name", "path", "port", "protocol")


class Connection(Local):
    \"\"\"psrp's options, resolved by Ansible; the commands run locally.\"\"\"

    transport = "checker_psrp_probe"

    def exec_command(self, cmd, in_data=None, sudoable=True):
        with open(os.environ["CHECKER_PROBE_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps({{o: self.get_option(o) for o in RECORDED}}) + "\\n")
        return super().exec_command(cmd, in_data, sudoable)
"""


def _probe_plugin(folder: Path) -> None:
    """A connection plugin with the psrp plugin's options (and local's), which runs locally."""
    from ansible.plugins.connection import local, psrp

    doc = yaml.safe_load(psrp.DOCUMENTATION)
    doc["name"] = "checker_psrp_probe"
    doc["options"] |= yaml.safe_load(local.DOCUMENTATION)["options"]
    folder.mkdir()
    (folder / "checker_psrp_probe.py").write_text(PROBE.format(doc=yaml.safe_dump(doc)))


def _exchange_report(work: Path, evil: str) -> RunReport:
    """Two Exchange servers whose EWS virtual directory (named by `evil`) has MRSProxy off."""
    inventory = write_estate(work, {h: {"group": "exchange_servers", "facts": [ews_vdir_row(evil)]}
                                    for h in ("ex01", "ex02")})
    rules = write_rules(work, [MRS_PROXY_RULE])
    report, _ = run(prepare(Options(inventory=str(inventory), rules=[str(rules)])))
    return report


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunReport]:
    work = tmp_path_factory.mktemp("exchange-playbook")
    report = _exchange_report(work, payload(work / "PWNED"))
    write_remediation(report, work / "out", None, {}, {"ex01", "ex02"})
    _probe_plugin(work / "connection_plugins")
    probe = {"ansible_connection": "checker_psrp_probe",
             "ansible_python_interpreter": sys.executable}
    hosts = {"ex01": {**probe, **EX1}, "ex02": {**probe, **EX2}}
    (work / "ansible.cfg").write_text("[defaults]\n")
    (work / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    text = (work / "out" / "playbook.yml").read_text(encoding="utf-8")
    (work / "run.yml").write_text(text.replace("ansible.windows.win_powershell:",
                                               "win_powershell_echo:"), encoding="utf-8")
    return work, report


def test_exchange_play_reaches_winrm_and_opens_the_exchange_session(
        exchange: tuple[Path, RunReport]) -> None:
    work, report = exchange
    proc = _play(work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert not (work / "PWNED").exists()
    seen = {json.dumps(r, sort_keys=True) for r in map(json.loads, (
        work / "probe.jsonl").read_text().splitlines())}
    assert sorted(map(json.loads, seen), key=lambda r: r["remote_addr"]) == [
        {"remote_addr": "ex01", "configuration_name": "Microsoft.PowerShell", "path": "wsman",
         "port": 5985, "protocol": "http"},
        {"remote_addr": "ex02", "configuration_name": "Microsoft.PowerShell", "path": "wsman",
         "port": 15986, "protocol": "https"}]
    doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    ran = {host: result for play in doc["plays"] for task in play["tasks"]
           if task["task"]["name"].startswith("Step 1:") for host, result in task["hosts"].items()}
    tasks = {t.host: t for r in report.results for t in r.remediation}
    for host, result in ran.items():
        script = result["script"]
        assert script == script_of(tasks[host])  # the .ps1's step, verbatim
        # the step runs on the Exchange server: Kerberos to its own FQDN, not the inventory
        # name (which may be an alias or a short name)
        assert "$fqdn = [System.Net.Dns]::GetHostEntry($env:COMPUTERNAME).HostName" in script
        assert ("New-PSSession -ConfigurationName 'Microsoft.Exchange' -ConnectionUri "
                "('http://{0}/PowerShell/' -f $fqdn) -Authentication Kerberos") in script
        assert host not in script
        assert ("Import-PSSession $exchange -CommandName 'Set-WebServicesVirtualDirectory'"
                in script)
    assert sorted(ran) == ["ex01", "ex02"]


def test_restricted_hosts_are_the_ones_whose_endpoint_takes_no_script(tmp_path: Path) -> None:
    psrp = {"ansible_connection": "psrp", "ansible_psrp_protocol": "http"}
    hosts = {"ex01": {**psrp, **EX1}, "aadc01": psrp, "dc01": {"ansible_connection": "ldap"},
             "jea01": {**psrp, "ansible_psrp_configuration_name": "Helpdesk",
                       "checker_psrp_language_mode": "NoLanguage"}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    inventory = load_inventory(tmp_path / "hosts.yml")
    assert restricted_hosts(inventory.hosts.values()) == {"ex01", "jea01"}
